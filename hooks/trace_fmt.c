/* SPDX-License-Identifier: MIT */
/*
 * PFE_TRACE line formatting (trace_fmt.h). Hand-rolled rather than snprintf:
 * the tracer's hook may run in a signal handler, and this is the hot path of
 * every traced call.
 */
#include <string.h>

#include "trace_fmt.h"

static char *put_str(char *p, const char *s)
{
	size_t n = strnlen(s, PFE_TRACE_NAME_MAX);

	memcpy(p, s, n);
	return p + n;
}

static char *put_dec(char *p, uint64_t v, int min_digits)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < min_digits);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;

	*p++ = '0';
	*p++ = 'x';
	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

size_t pfe_trace_fmt_line(char *buf, uint32_t tid, uint64_t ns, const char *func,
			  uintptr_t func_addr, const struct pfe_caller *caller)
{
	char *p = buf;

	p = put_dec(p, tid, 1);
	*p++ = ' ';
	p = put_dec(p, ns / 1000000000u, 1);
	*p++ = '.';
	p = put_dec(p, ns % 1000000000u / 1000u, 6);
	*p++ = ' ';
	p = func ? put_str(p, func) : put_hex(p, func_addr);
	memcpy(p, " <- ", 4);
	p += 4;
	if (caller->kind != PFE_CALLER_ADDR) {
		p = put_str(p, caller->name ? caller->name : "?");
		*p++ = '+';
	}
	p = put_hex(p, caller->off);
	*p++ = '\n';
	*p = '\0';
	return (size_t)(p - buf);
}
