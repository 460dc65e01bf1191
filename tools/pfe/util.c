/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "util.h"

void pfe_say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pfe: %s\n", line);
}

static void *nomem(void *p)
{
	if (!p) {
		pfe_say("out of memory");
		exit(1);
	}
	return p;
}

void *xmalloc(size_t n)
{
	return nomem(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return nomem(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return nomem(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return nomem(strdup(s));
}

void grow(void *v, size_t *cap, size_t n, size_t size)
{
	void **pv = v;

	if (n < *cap)
		return;
	*cap = *cap ? *cap * 2 : 16;
	*pv = xrealloc(*pv, *cap * size);
}

/* The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) at @s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

size_t shown_into(char *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	while (p < end) {
		size_t k = utf8_len(p);
		bool c1 = k == 2 && p[0] == 0xc2 && p[1] < 0xa0;

		if (k && !c1 && *p >= 0x20 && *p != 0x7f && k <= (size_t)(end - p)) {
			memcpy(out + n, p, k);
			n += k;
			p += k;
			continue;
		}
		for (size_t i = 0; i < (k ? k : 1) && p < end; i++, p++)
			n += (size_t)sprintf(out + n, "\\x%02x", *p);
	}
	out[n] = '\0';
	return n;
}

char *xstrdup_shown(const char *s)
{
	size_t len = strlen(s);
	char *out = xmalloc(len * 4 + 1); /* every byte may become \xHH */

	return xrealloc(out, shown_into(out, s, len) + 1);
}

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*out = strtoull(s, &end, !strncmp(s, "0x", 2) ? 16 : 10);
	return !errno && !*end;
}

char *unescape(char *s)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*out++ = *p;
			continue;
		}
		p++;
		if (*p == 'n')
			*out++ = '\n';
		else if (*p == 't')
			*out++ = '\t';
		else if (*p == 'x' && pfe_hexval(p[1]) >= 0 && pfe_hexval(p[2]) >= 0) {
			*out++ = (char)(pfe_hexval(p[1]) * 16 + pfe_hexval(p[2]));
			p += 2;
		} else
			*out++ = *p;
	}
	*out = '\0';
	return s;
}
