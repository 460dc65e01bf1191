/* SPDX-License-Identifier: MIT */
/*
 * dlsum_app LIB ROUNDS N: ROUNDS times, dlopen() LIB, call its lib_fn N
 * times and lib_other once, dlclose() it (tests/integ/t_summary_unload.sh:
 * PFE_SUMMARY keeps the names of an unloaded library's functions, one row
 * per function however often it was loaded).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long rounds, n, sum = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: %s LIB ROUNDS N\n", argv[0]);
		return 2;
	}
	rounds = atol(argv[2]);
	n = atol(argv[3]);
	for (long r = 0; r < rounds; r++) {
		void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		long (*fn)(long), (*other)(long);

		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		fn = (long (*)(long))dlsym(h, "lib_fn");
		other = (long (*)(long))dlsym(h, "lib_other");
		for (long i = 0; i < n; i++)
			sum += fn(i);
		sum += other(r);
		dlclose(h);
	}
	printf("sum %ld\n", sum);
	return 0;
}
