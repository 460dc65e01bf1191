/* SPDX-License-Identifier: MIT */
/* A patchable library that tests/progs/live_app.c dlopen()s and dlclose()s
 * in a loop while other threads call into it and hooks come and go. */
#define NOINL __attribute__((noinline, noclone))

NOINL long lib_fn(long x)
{
	return x + 1;
}

NOINL long lib_other(long x)
{
	return x * 2;
}
