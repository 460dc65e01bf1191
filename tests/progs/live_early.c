/* SPDX-License-Identifier: MIT */
/* A thread started before libpfe's constructor (tests/progs/live_early_lib.c)
 * runs early_fn while slot 0 is written; afterwards a hook on early_fn sees
 * exactly the calls made. */
#include <dlfcn.h>
#include <stdio.h>

#include "pfe.h"

long early_made(void);
void early_pause(void);
void early_calls(long n);
void early_stop(void);

static void count_hook(const struct pfe_site *s, struct pfe_regs *r, void *data)
{
	__atomic_fetch_add((unsigned long *)data, 1, __ATOMIC_RELAXED);
}

int main(void)
{
	struct pfe_hook *(*add)(const char *, pfe_entry_fn, void *) =
	    (struct pfe_hook * (*)(const char *, pfe_entry_fn, void *))
		dlsym(RTLD_DEFAULT, "pfe_hook_add");
	int (*rm)(struct pfe_hook *) =
	    (int (*)(struct pfe_hook *))dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	unsigned long n = 0;
	struct pfe_hook *h;

	printf("thread ran before main: %s\n", early_made() >= 1000 ? "yes" : "no");
	early_pause();
	h = add ? add("early_fn", count_hook, &n) : NULL;
	if (!h) {
		printf("no hook\n");
		return 1;
	}
	early_calls(5000);
	printf("calls 5000 hooked %lu\n", n);
	printf("remove %d\n", rm(h));
	early_calls(100);
	early_stop();
	printf("after remove hooked %lu\n", n);
	return 0;
}
