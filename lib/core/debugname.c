// SPDX-License-Identifier: MIT
/*
 * Separate debug files: candidate paths and their checks (debugname.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "debugname.h"

uint32_t pfe_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* Bitwise: it runs once per debug file found by name, over a file
	 * the kernel reads faster than this anyway. */
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

int pfe_debuglink_parse(const void *data, size_t len, int big_endian, const char **name,
			uint32_t *crc)
{
	const unsigned char *d = data;
	const unsigned char *nul = len ? memchr(d, 0, len) : NULL;
	size_t at;

	if (!nul || nul == d)
		return -EINVAL;
	at = ((size_t)(nul - d) + 1 + 3) & ~(size_t)3;
	if (at + 4 > len || memchr(d, '/', (size_t)(nul - d)))
		return -EINVAL;
	if (!strcmp((const char *)d, ".") || !strcmp((const char *)d, ".."))
		return -EINVAL;
	*crc = big_endian ? (uint32_t)d[at] << 24 | (uint32_t)d[at + 1] << 16 |
				(uint32_t)d[at + 2] << 8 | d[at + 3]
			  : (uint32_t)d[at + 3] << 24 | (uint32_t)d[at + 2] << 16 |
				(uint32_t)d[at + 1] << 8 | d[at];
	*name = (const char *)d;
	return 0;
}

static int put(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return r < 0 || (size_t)r >= cap ? -ENAMETOOLONG : 0;
}

int pfe_debug_buildid_path(char *buf, size_t cap, const char *dir, const uint8_t *id, size_t n)
{
	char hex[129];

	if (n < 2 || n > 64)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return put(buf, cap, "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
}

/* The @k-th directory of the colon-separated @dirs: *@d and *@dn, or false. */
static int nth_dir(const char *dirs, unsigned k, const char **d, size_t *dn)
{
	const char *p = dirs;

	for (;;) {
		const char *e = strchrnul(p, ':');

		if (e > p) { /* empty entries do not count */
			if (!k--) {
				*d = p;
				*dn = (size_t)(e - p);
				return 1;
			}
		}
		if (!*e)
			return 0;
		p = e + 1;
	}
}

int pfe_debuglink_path(char *buf, size_t cap, const char *obj_path, const char *name,
		       const char *dirs, unsigned k)
{
	const char *slash = strrchr(obj_path, '/');
	int dirlen = slash ? (int)(slash - obj_path) : 0;
	const char *d;
	size_t dn;

	if (!slash || obj_path[0] != '/')
		return -ENOENT;
	if (k == 0)
		return put(buf, cap, "%.*s/%s", dirlen, obj_path, name);
	if (k == 1)
		return put(buf, cap, "%.*s/.debug/%s", dirlen, obj_path, name);
	if (!nth_dir(dirs, k - 2, &d, &dn))
		return -ENOENT;
	return put(buf, cap, "%.*s%.*s/%s", (int)dn, d, dirlen, obj_path, name);
}
