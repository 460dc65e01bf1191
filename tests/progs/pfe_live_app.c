/* SPDX-License-Identifier: MIT */
/*
 * For t_pfe_live.sh: main() calls outer(), which calls inner() twice; says
 * "result N" on stdout, then exits with argv[1] (default 0) or dies of the
 * signal argv[2].
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

__attribute__((noinline)) int inner(int x)
{
	sink += x;
	return x * 2;
}

__attribute__((noinline)) int outer(int n)
{
	return inner(n) + inner(n + 1);
}

int main(int argc, char **argv)
{
	printf("result %d\n", outer(3));
	fflush(stdout);
	if (argc > 2)
		raise(atoi(argv[2]));
	return argc > 1 ? atoi(argv[1]) : 0;
}
