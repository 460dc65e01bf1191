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
