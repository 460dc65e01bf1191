// SPDX-License-Identifier: MIT
/*
 * tests/integ/t_dyn.sh: a known number of C library calls from main (built
 * without -fpatchable-function-entry, and -fno-builtin so that each call is
 * made): 3 malloc, 3 free, 2 fopen, 2 strlen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	void *p[3];
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		p[i] = malloc(16 + (size_t)i);
	for (int i = 0; i < 3; i++)
		free(p[i]);
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen("/dev/null", "r");

		if (f)
			fclose(f);
	}
	n += strlen(argv[0]);
	n += strlen(argc > 1 ? argv[1] : "four");
	printf("%d %zu\n", argc, n > 0);
	return 0;
}
