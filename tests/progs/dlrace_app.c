/* SPDX-License-Identifier: MIT */
/*
 * Hooks attached and detached on a library's functions while other threads
 * load and unload that library (tests/integ/t_dlrace.sh). No hook is
 * attached throughout, so the library's sites really go back and forth
 * between NOP and BL while the object is unloaded under them:
 *
 *   dlrace_app LIB N [NS_N]   4 threads, N iterations each:
 *     loader    dlopen(LIB), lib_fn() 10 times (results checked), dlclose
 *     nsloader  the same with dlmopen(LM_ID_NEWLM) (another namespace),
 *               NS_N times (default N): each loads a C library of its own
 *     2 churns  pfe_hook_add("lib_fn,lib_other,anchor") then remove, until
 *               both loaders are done
 *
 * Prints exact lines: every call returned the right value, every add and
 * remove succeeded, and once the library is gone no site of it is left.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfe.h"

#define NOINL __attribute__((noinline, noclone))

static struct pfe_hook *(*hook_add)(const char *, pfe_entry_fn, void *);
static int (*hook_remove)(struct pfe_hook *);
static size_t (*hook_nsites)(const struct pfe_hook *);

static const char *lib_path;
static long iters, ns_iters;
static volatile long sink;
static int loaders_done;

NOINL void anchor(void)
{
	sink++;
}

static void count_hook(const struct pfe_site *s, struct pfe_regs *r, void *data)
{
	__atomic_fetch_add((unsigned long *)data, 1, __ATOMIC_RELAXED);
}

struct loader {
	int ns; /* dlmopen into a new namespace */
	long loads, calls, wrong, errors;
};

static void *load_loop(void *arg)
{
	struct loader *l = arg;

	for (long k = 0; k < (l->ns ? ns_iters : iters); k++) {
		void *h =
		    l->ns ? dlmopen(LM_ID_NEWLM, lib_path, RTLD_NOW) : dlopen(lib_path, RTLD_NOW);
		long (*fn)(long);

		if (!h) {
			if (!l->errors++)
				printf("dl%sopen: %s\n", l->ns ? "m" : "", dlerror());
			continue;
		}
		l->loads++;
		fn = (long (*)(long))dlsym(h, "lib_fn");
		for (long i = 0; fn && i < 10; i++, l->calls++)
			l->wrong += fn(i) != i + 1;
		if (dlclose(h))
			l->errors++;
	}
	__atomic_fetch_add(&loaders_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct churn {
	long rounds, add_fail, remove_fail;
};

static void *churn_loop(void *arg)
{
	struct churn *c = arg;

	while (__atomic_load_n(&loaders_done, __ATOMIC_ACQUIRE) < 2) {
		unsigned long n = 0;
		struct pfe_hook *h = hook_add("lib_fn,lib_other,anchor", count_hook, &n);

		c->rounds++;
		if (!h) {
			if (!c->add_fail++)
				printf("hook_add: %s\n", strerror(errno));
			continue;
		}
		anchor();
		if (hook_remove(h))
			c->remove_fail++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct loader l[2] = {{.ns = 0}, {.ns = 1}};
	struct churn c[2] = {{0}};
	pthread_t t[4];
	struct pfe_hook *h;

	hook_add = (struct pfe_hook * (*)(const char *, pfe_entry_fn, void *))
	    dlsym(RTLD_DEFAULT, "pfe_hook_add");
	hook_remove = (int (*)(struct pfe_hook *))dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	hook_nsites = (size_t(*)(const struct pfe_hook *))dlsym(RTLD_DEFAULT, "pfe_hook_nsites");
	if (argc < 3 || argc > 4 || !hook_add || !hook_remove || !hook_nsites) {
		printf("usage: LD_PRELOAD=libpfe.so %s LIB N [NS_N]\n", argv[0]);
		return 2;
	}
	lib_path = argv[1];
	iters = atol(argv[2]);
	ns_iters = argc > 3 ? atol(argv[3]) : iters;
	for (int i = 0; i < 2; i++) {
		pthread_create(&t[i], NULL, load_loop, &l[i]);
		pthread_create(&t[2 + i], NULL, churn_loop, &c[i]);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		printf("%s: loads %ld calls %ld wrong %ld errors %ld\n",
		       l[i].ns ? "dlmopen" : "dlopen", l[i].loads, l[i].calls, l[i].wrong,
		       l[i].errors);
	/* Each churn thread toggled the sites many times per load. */
	printf("churn: more rounds than loads: %s, add failures %ld, remove failures %ld\n",
	       c[0].rounds + c[1].rounds > iters ? "yes" : "no", c[0].add_fail + c[1].add_fail,
	       c[0].remove_fail + c[1].remove_fail);
	h = hook_add("lib_fn,lib_other", count_hook, NULL);
	printf("library sites left: %s\n", h ? "some" : strerror(errno));
	return 0;
}
