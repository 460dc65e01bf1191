// SPDX-License-Identifier: MIT
// Built against an installed libpfe through pkg-config (t_pfe_install.sh):
// hooks its own function with the public API and counts the calls.
#include <pfe.h>
#include <stdio.h>

static volatile int calls;

__attribute__((noinline)) int work(int x)
{
	return x + 1;
}

static void count(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	calls++;
}

int main(void)
{
	struct pfe_hook *h = pfe_hook_add("work", count, NULL);
	int s = 0;

	for (int i = 0; i < 3; i++)
		s += work(i);
	printf("hook %s sites %zu calls %d sum %d\n", h ? "ok" : "failed",
	       h ? pfe_hook_nsites(h) : 0, calls, s);
	return 0;
}
