/* SPDX-License-Identifier: MIT */
/*
 * Discovery test program: a global function, a static one only called
 * directly (no `bti c` under branch protection), a static one whose address
 * is taken (gets `bti c`), and main. Built in every layout by
 * tests/integ/t_discover_*.sh, which expect exactly these four sites.
 */
#include <stdio.h>

#define NOINLINE __attribute__((noinline, noclone))

static NOINLINE int square(int x)
{
	return x * x;
}

NOINLINE int sum_squares(int n)
{
	int s = 0;

	for (int i = 1; i <= n; i++)
		s += square(i);
	return s;
}

static NOINLINE int twice(int x)
{
	return 2 * x;
}

int (*volatile op)(int) = twice;

int main(int argc, char **argv)
{
	printf("sum_squares(4) = %d\n", sum_squares(4));
	printf("op(21) = %d\n", op(21));
	return 0;
}
