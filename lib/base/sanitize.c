/* SPDX-License-Identifier: MIT */
/*
 * Escaping for messages (sanitize.h). Why: libpfe repeats what it was given
 * in its error lines, and an environment variable or a control command may
 * hold terminal escape sequences or bytes a log reader chokes on.
 */
#include <stdbool.h>
#include <stdint.h>

#include "sanitize.h"

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if none
 * (RFC 3629: shortest form, no surrogates, at most U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t pfe_sanitize(char *dst, size_t len, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	if (!len)
		return 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		char esc[4];
		size_t k = 1, m;
		const char *add = (const char *)&s[i];

		if (c >= 0x20 && c < 0x7f) {
			m = 1;
		} else if (c == '\t') {
			add = "\\t";
			m = 2;
		} else if (c >= 0x80 && (k = utf8_len(s + i, n - i))) {
			m = k;
		} else {
			k = 1;
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = "0123456789abcdef"[c >> 4];
			esc[3] = "0123456789abcdef"[c & 15];
			add = esc;
			m = 4;
		}
		if (o + m >= len)
			break;
		for (size_t j = 0; j < m; j++)
			dst[o++] = add[j];
		i += k;
	}
	dst[o] = '\0';
	return o;
}
