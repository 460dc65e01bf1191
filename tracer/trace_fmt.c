/* SPDX-License-Identifier: MIT */
/*
 * PFE_TRACE line formatting (trace_fmt.h). Hand-rolled rather than snprintf:
 * the tracer's hook may run in a signal handler, and this is the hot path of
 * every traced call.
 */
#include <errno.h>
#include <string.h>

#include "trace_fmt.h"

/*
 * A byte loop rather than strnlen() + memcpy(): names are short, and without
 * library calls this function needs no frame, which under pointer
 * authentication saves a PAC/AUT pair per traced call.
 */
static inline __attribute__((always_inline)) char *put_str(char *p, const char *s)
{
	const char *end = s + PFE_TRACE_NAME_MAX;

	while (*s && s < end)
		*p++ = *s++;
	return p;
}

static const char digit_pairs[] = "00010203040506070809"
				  "10111213141516171819"
				  "20212223242526272829"
				  "30313233343536373839"
				  "40414243444546474849"
				  "50515253545556575859"
				  "60616263646566676869"
				  "70717273747576777879"
				  "80818283848586878889"
				  "90919293949596979899";

static const uint64_t powers_of_10[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

/* Write the last @n digits of @v, two at a time from the right. */
static inline __attribute__((always_inline)) void put_digits(char *p, uint64_t v, int n)
{
	while (n >= 2) {
		n -= 2;
		p[n] = digit_pairs[2 * (v % 100)];
		p[n + 1] = digit_pairs[2 * (v % 100) + 1];
		v /= 100;
	}
	if (n)
		p[0] = (char)('0' + v % 10);
}

/* @v in decimal, as many digits as it needs: the digit count comes from the
 * bit length (log10(2) ~ 1233/4096) and one comparison. */
static inline __attribute__((always_inline)) char *put_dec(char *p, uint64_t v)
{
	int t = (64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	int n = t + 1 - ((v | 1) < powers_of_10[t]);

	put_digits(p, v, n);
	return p + n;
}

static inline __attribute__((always_inline)) char *put_hex(char *p, uint64_t v)
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
	uint64_t us = ns / 1000u;

	p = put_dec(p, tid);
	*p++ = ' ';
	p = put_dec(p, us / 1000000u);
	*p++ = '.';
	put_digits(p, us % 1000000u, 6);
	p += 6;
	*p++ = ' ';
	p = func ? put_str(p, func) : put_hex(p, func_addr);
	*p++ = ' ';
	*p++ = '<';
	*p++ = '-';
	*p++ = ' ';
	if (caller->kind != PFE_CALLER_ADDR) {
		p = put_str(p, caller->name ? caller->name : "?");
		*p++ = '+';
	}
	p = put_hex(p, caller->off);
	*p++ = '\n';
	*p = '\0';
	return (size_t)(p - buf);
}
