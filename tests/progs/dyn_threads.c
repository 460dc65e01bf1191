// SPDX-License-Identifier: MIT
/*
 * tests/integ/t_dyn.sh: four threads call dynamic sites (dyn_funcs.S, built
 * without -fpatchable-function-entry) and check every result, x9-x15 and the
 * flags and v8-v31 included (dyn_keep), while main attaches and detaches an
 * entry and an exit hook 200 times; the hooks clobber what C code may: all
 * of v16-v31 and v8-v15's upper halves. Prints "errors E" and whether the hook counts
 * agree: exits never outnumber entries, and at most one call per thread and
 * detach entered without returning before the detach.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "pfe.h"

long dyn_plain(long), dyn_adr(long), dyn_ldr(long), dyn_keep(long (*f)(long), long x);

#define NTHREADS 4
#define ROUNDS	 200

static volatile int stop;
static unsigned long entries, exits, errors, calls;

/* What any C hook may do to the SIMD registers (memcpy, vectorised loops):
 * GCC saves and restores d8-d15, the lower halves, and nothing else. */
static void clobber_simd(void)
{
	__asm__ volatile("movi v8.16b, #0xee\n\tmovi v15.16b, #0xee\n\t"
			 "movi v16.16b, #0xee\n\tmovi v23.16b, #0xee\n\tmovi v31.16b, #0xee"
			 :
			 :
			 : "v8", "v15", "v16", "v23", "v31");
}

static void on_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	(void)site, (void)regs, (void)data;
	clobber_simd();
	__atomic_fetch_add(&entries, 1, __ATOMIC_RELAXED);
}

static void on_exit_(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns, void *data)
{
	(void)site, (void)ret, (void)ns, (void)data;
	clobber_simd();
	__atomic_fetch_add(&exits, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	unsigned long n = 0, bad = 0;

	(void)arg;
	while (!stop) {
		for (long x = 0; x < 8; x++) {
			bad += dyn_plain(x) != x + 1;
			bad += dyn_adr(x) != x + 2;
			bad += dyn_ldr(x) != x + 4;
			bad += dyn_keep(dyn_plain, x) != x + 1;
			n += 4;
		}
		/* Two cores under qemu: let main's grace periods end. */
		sched_yield();
	}
	__atomic_fetch_add(&errors, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&calls, n, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	struct pfe_hook *(*add)(const char *, const struct pfe_hook_ops *, void *);
	int (*rm)(struct pfe_hook *);
	struct pfe_hook_ops ops = {on_entry, on_exit_, NULL};
	pthread_t t[NTHREADS];
	int failed = 0;

	*(void **)&add = dlsym(RTLD_DEFAULT, "pfe_hook_add_ops");
	*(void **)&rm = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	if (!add || !rm) {
		puts("no libpfe");
		return 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		struct pfe_hook *h = add("dyn_plain,dyn_adr,dyn_ldr", &ops, NULL);

		if (!h || rm(h))
			failed++;
	}
	stop = 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	printf("errors %lu\n", errors);
	printf("attach/detach failures %d\n", failed);
	printf("calls made %s\n", calls > 0 ? "yes" : "no");
	printf("hooks ran %s\n", entries > 0 ? "yes" : "no");
	printf("counts consistent %s\n",
	       exits <= entries && entries - exits <= (unsigned long)NTHREADS * ROUNDS ? "yes"
										       : "no");
	return 0;
}
