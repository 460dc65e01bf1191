/* SPDX-License-Identifier: MIT */
/* Discovery test program linked against libdisc.so (disc_lib.c). */
#include <stdio.h>

int lib_compute(int x);
int lib_version(void);

static __attribute__((noinline, noclone)) int local_fn(int x)
{
	return lib_compute(x) - 1;
}

int main(void)
{
	printf("lib_version() = %d\n", lib_version());
	printf("local_fn(4) = %d\n", local_fn(4));
	return 0;
}
