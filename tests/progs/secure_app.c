/* SPDX-License-Identifier: MIT */
/*
 * Linked with libpfe.so (tests/integ/t_secure.sh, --no-as-needed: nothing here
 * calls it): a setuid program ignores
 * LD_PRELOAD paths, so this is how libpfe gets into one. Prints whether the
 * process runs with AT_SECURE and the two instructions at f's entry: "nop;
 * nop" as compiled, "mov x9, x30; nop" once libpfe initialised the site,
 * "mov x9, x30; bl" while it is traced.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>

__attribute__((noinline)) int f(int x)
{
	return x + 1;
}

static const char *insn(uint32_t w)
{
	if ((w & 0xfc000000) == 0x94000000)
		return "bl";
	return w == 0xd503201f ? "nop" : w == 0xaa1e03e9 ? "mov x9, x30" : "other";
}

int main(void)
{
	const uint32_t *p = (const uint32_t *)(uintptr_t)f;

	/* With -mbranch-protection the NOPs follow a bti c. */
	if (p[0] == 0xd503245f)
		p++;
	printf("AT_SECURE=%lu f: %s; %s = %d\n", getauxval(AT_SECURE), insn(p[0]), insn(p[1]),
	       f(1));
	return 0;
}
