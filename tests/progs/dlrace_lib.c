/* SPDX-License-Identifier: MIT */
/*
 * The library tests/progs/dlrace_app.c loads and unloads. With DLRACE_DTOR
 * set its destructor, which dlclose runs while libpfe holds its patch lock,
 * attaches a hook to lib_other, calls it and detaches it again: libpfe must
 * let the destructor back in rather than deadlock.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "pfe.h"

#define NOINL __attribute__((noinline, noclone))

NOINL long lib_fn(long x)
{
	return x + 1;
}

NOINL long lib_other(long x)
{
	return x * 2;
}

static void count_hook(const struct pfe_site *s, struct pfe_regs *r, void *data)
{
	++*(unsigned long *)data;
}

__attribute__((destructor)) static void lib_fini(void)
{
	struct pfe_hook *(*add)(const char *, pfe_entry_fn, void *);
	int (*remove)(struct pfe_hook *);
	unsigned long n = 0;
	struct pfe_hook *h;
	int r;

	if (!getenv("DLRACE_DTOR"))
		return;
	add = (struct pfe_hook * (*)(const char *, pfe_entry_fn, void *))
	    dlsym(RTLD_DEFAULT, "pfe_hook_add");
	remove = (int (*)(struct pfe_hook *))dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	h = add ? add("lib_other", count_hook, &n) : NULL;
	lib_other(1);
	r = remove ? remove(h) : -1;
	printf("destructor: hooked %lu remove %d\n", n, r);
	fflush(stdout);
}
