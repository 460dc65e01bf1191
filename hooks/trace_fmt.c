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

/* Digits written in place from the right: no second copy. */
static char *put_dec(char *p, uint64_t v, int min_digits)
{
	int n = 1;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	if (n < min_digits)
		n = min_digits;
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

static char *put_hex(char *p, uint64_t v)
{
	int n = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;

	*p++ = '0';
	*p++ = 'x';
	for (int i = n - 1; i >= 0; i--) {
		p[i] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	}
	return p + n;
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
