/* SPDX-License-Identifier: MIT */
/* Discovery test library: two exported functions (in .dynsym, so named even
 * when stripped) and a static one (named only from .symtab). */
#define NOINLINE __attribute__((noinline, noclone))

static NOINLINE int lib_scale(int x)
{
	return x * 10;
}

int lib_compute(int x)
{
	return lib_scale(x) + 1;
}

int lib_version(void)
{
	return 3;
}
