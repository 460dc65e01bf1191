// SPDX-License-Identifier: MIT
/*
 * tests/integ/t_dyn.sh: calls each function of dyn_funcs.S a known number of
 * times, built without -fpatchable-function-entry, and prints every result;
 * "keep" lines say whether x9-x15 and NZCV survived a call of each.
 */
#include <stdio.h>

long dyn_plain(long), dyn_adr(long), dyn_adrp(long), dyn_ldr(long), dyn_ldrfp(long);
long dyn_b(long), dyn_bcond(long), dyn_cbz(long), dyn_tbnz(long), dyn_bl_call(long);
long dyn_loop(long), dyn_keep(long (*f)(long), long x);
#ifdef BTI
long dyn_pac(long);
#endif

/* dyn_bcond reads the flags its caller set: cmp x0, #0 right before. */
static long bcond(long x)
{
	long r;

	__asm__ volatile("mov x0, %1\n\tcmp x0, #0\n\tbl dyn_bcond\n\tmov %0, x0"
			 : "=r"(r)
			 : "r"(x)
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x30", "cc", "memory");
	return r;
}

int main(void)
{
	static const struct {
		const char *name;
		long (*f)(long);
	} fs[] = {
	    {"dyn_plain", dyn_plain}, {"dyn_adr", dyn_adr},	{"dyn_adrp", dyn_adrp},
	    {"dyn_ldr", dyn_ldr},     {"dyn_ldrfp", dyn_ldrfp}, {"dyn_b", dyn_b},
	    {"dyn_cbz", dyn_cbz},     {"dyn_tbnz", dyn_tbnz},	{"dyn_bl", dyn_bl_call},
#ifdef BTI
	    {"dyn_pac", dyn_pac},
#endif
	};

	for (unsigned i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		for (long x = 0; x < 2; x++)
			printf("%s(%ld) = %ld\n", fs[i].name, x, fs[i].f(x));
	for (long x = 0; x < 2; x++)
		printf("dyn_bcond(%ld) = %ld\n", x, bcond(x));
	printf("dyn_loop(3) = %ld\n", dyn_loop(3));
	for (unsigned i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		printf("keep %s = %ld\n", fs[i].name, dyn_keep(fs[i].f, 2));
	return 0;
}
