/* SPDX-License-Identifier: MIT */
/* The first library of tests/progs/dlopen_app.c (uftrace's abc_test_lib):
 * lib_a calls lib_b, which calls lib_c. */
#define NOINL __attribute__((noinline, noclone))

NOINL int lib_c(int i)
{
	return i + 1;
}

NOINL int lib_b(int i)
{
	return lib_c(i) + 1;
}

NOINL int lib_a(int i)
{
	return lib_b(i) + 1;
}
