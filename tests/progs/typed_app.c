/* SPDX-License-Identifier: MIT */
/*
 * Functions of every argument and result kind, for typed tracing
 * (tests/integ/t_trace_typed.sh): PFE_TRACE with signatures, plain and in
 * the PFE_GRAPH mode. Its own output is the results, so that tracing is seen
 * not to change them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NOINL __attribute__((noinline, noclone))
#define RECUR __attribute__((optimize("no-optimize-sibling-calls")))

NOINL int t_int(int a, int b)
{
	return a + b;
}

NOINL long t_long(long a, unsigned long b)
{
	return a * 2 - (long)b;
}

NOINL void *t_ptr(void *p)
{
	return (char *)p + 16;
}

/* Never dereferences its argument: the tracer reads it. */
NOINL size_t t_str(const char *s)
{
	return s ? 1 : 0;
}

NOINL double t_dbl(double x, float y)
{
	return x * y;
}

NOINL char t_char(char c, bool b, unsigned char u, short s)
{
	return b ? c : (char)(u + s);
}

/* 9 integers and 9 doubles: the ninth of each goes on the stack. */
NOINL long t_many(long a1, double d1, long a2, double d2, long a3, double d3, long a4, double d4,
		  long a5, double d5, long a6, double d6, long a7, double d7, long a8, double d8,
		  long a9, double d9)
{
	return a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 +
	       (long)(d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9);
}

NOINL const char *t_name(int i)
{
	return i ? "one" : "zero";
}

RECUR NOINL int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NOINL void t_void(void)
{
	__asm__ volatile("" ::: "memory");
}

static volatile int one = 1;

int main(void)
{
	static char buf[32];

	printf("t_int %d\n", t_int(2 * one, -3 * one));
	printf("t_long %ld\n", t_long(-5L * one, 7UL * one));
	printf("t_ptr %s\n", t_ptr(buf) == buf + 16 ? "ok" : "bad");
	printf("t_str %zu %zu %zu %zu\n", t_str("a\"b\n"), t_str(NULL), t_str((const char *)16),
	       t_str("0123456789012345678901234567890123456789"));
	printf("t_dbl %g\n", t_dbl(1.25 * one, 4.0f));
	printf("t_char %c\n", t_char('x', one, 200, (short)-5));
	printf("t_many %ld\n", t_many(1, 0.5, 2, 0.5, 3, 0.5, 4, 0.5, 5, 0.5, 6, 0.5, 7, 0.5, 8,
				      0.5, 9 * one, 2.5));
	printf("t_name %s\n", t_name(one));
	printf("fib %d\n", fib(3 * one));
	t_void();
	return 0;
}
