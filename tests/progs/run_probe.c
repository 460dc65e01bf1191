/* SPDX-License-Identifier: MIT */
/*
 * For tests/integ/t_runhelper.sh: what a program run through tests/lib.sh's
 * trun and prun gets: libpfe loaded or not, a PFE_* value with its commas
 * intact, and its exit status passed back.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int probe_fn(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

int main(void)
{
	const char *v = getenv("PFE_PROBE");

	printf("libpfe: %s\n", dlsym(RTLD_DEFAULT, "pfe_hook_add") ? "loaded" : "absent");
	printf("PFE_PROBE=%s\n", v ? v : "(unset)");
	return probe_fn(7);
}
