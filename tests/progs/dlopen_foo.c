/* SPDX-License-Identifier: MIT */
/* The second library of tests/progs/dlopen_app.c (uftrace's libfoo): foo
 * calls bar. */
#define NOINL __attribute__((noinline, noclone))

NOINL int bar(int i)
{
	return i * 3;
}

NOINL int foo(int i)
{
	return bar(i) + 1;
}
