/* SPDX-License-Identifier: MIT */
/*
 * Exit hooks through libpfe's public API (pfe_hook_add_ops, found with
 * dlsym so that the program also runs without libpfe). Built with
 * -fpatchable-function-entry=2 by tests/integ/t_exit*.sh, with and without
 * -mbranch-protection=standard, and compared with exact expected lines.
 *
 * What it checks: exact entry/exit counts and nesting on recursion; an exit
 * hook changing integer and double results; durations that nest; longjmp
 * out of three traced frames and then calls that are still right; a tail
 * call between two traced functions (both exits, inner first); an exit-only
 * hook; a function returning at once from its entry hook; the shadow stack's
 * bound (PFE_DEPTH, 4096 frames by default: a recursion 5000 deep); ret->flags
 * (0 for a return, PFE_RET_UNWOUND for a frame longjmp left); detaching while
 * a call is outstanding.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pfe.h"

#define NOINL __attribute__((noinline, noclone))
/* Real recursion: GCC would turn fib and deep into loops. */
#define RECUR __attribute__((optimize("no-optimize-sibling-calls")))

static volatile long sink;

static volatile long fib_calls;

RECUR NOINL long fib(long n)
{
	fib_calls++;
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NOINL long add1(long x)
{
	return x + 1;
}

NOINL double half(double x)
{
	return x / 2;
}

NOINL long spin(long n)
{
	for (long i = 0; i < n; i++)
		sink += i;
	return n;
}

NOINL long spin_outer(long n)
{
	return spin(n) + spin(n);
}

static jmp_buf jb;

NOINL long jmp3(long x)
{
	if (x)
		longjmp(jb, 1);
	return x;
}

NOINL long jmp2(long x)
{
	return jmp3(x) + 1;
}

NOINL long jmp1(long x)
{
	return jmp2(x) + 1;
}

NOINL long tail_b(long x)
{
	sink = x;
	return x * 3;
}

/* -O2 turns this into `b tail_b`: tail_b sees lr = the return trampoline. */
NOINL long tail_a(long x)
{
	return tail_b(x + 1);
}

static volatile long one_ = 1;

RECUR NOINL long deep(long n)
{
	return n ? deep(n - 1) + one_ : 0;
}

NOINL long early(long x)
{
	return x;
}

/* ------------------------------------------------------------- hooks */

/* volatile: the compiler cannot see that hooks change them across calls. */
static volatile long entries, exits, unwound, bad_flags, depth, maxdepth;
static const char *volatile log_[16];
static volatile int nlog;

static void h_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	entries++;
	if (++depth > maxdepth)
		maxdepth = depth;
}

/* Returns and frames left without returning (longjmp) counted apart. */
static void h_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns, void *data)
{
	if (ret->flags == 0)
		exits++;
	else if (ret->flags == PFE_RET_UNWOUND)
		unwound++;
	else
		bad_flags++;
	depth--;
}

static void h_exit_add(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		       void *data)
{
	ret->x[0] += 1000;
}

static void h_exit_half(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
			void *data)
{
	ret->v[0].d += 0.25;
}

static volatile uint64_t ns_spin[2], ns_outer;
static volatile int nspin;

static void h_exit_ns(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		      void *data)
{
	if (data)
		ns_outer = ns;
	else if (nspin < 2)
		ns_spin[nspin++] = ns;
}

static void h_exit_log(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		       void *data)
{
	if (nlog < 16)
		log_[nlog++] = data;
}

static void h_early(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x[0] = 77;
	regs->pc = regs->lr;
}

/* ------------------------------------------------------------- driver */

static struct pfe_hook *(*add_ops)(const char *, const struct pfe_hook_ops *, void *);
static int (*hook_remove)(struct pfe_hook *);

static struct pfe_hook *attach(const char *pattern, pfe_entry_fn entry, pfe_exit_fn exit,
			       void *data)
{
	struct pfe_hook_ops ops = {entry, exit, NULL};
	struct pfe_hook *h = add_ops(pattern, &ops, data);

	if (!h)
		printf("attach %s: %s\n", pattern, strerror(errno));
	return h;
}

static void reset(void)
{
	entries = exits = unwound = depth = maxdepth = 0;
}

int main(void)
{
	struct pfe_hook *h, *h2;
	volatile long one = 1;
	long r, r2;

	*(void **)&add_ops = dlsym(RTLD_DEFAULT, "pfe_hook_add_ops");
	*(void **)&hook_remove = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	if (!add_ops || !hook_remove) {
		printf("libpfe: absent\n");
		return 0;
	}

	h = attach("fib", h_entry, h_exit, NULL);
	reset();
	printf("fib(10) %ld\n", fib(10 * one));
	printf("fib: calls %ld %ld %s entries, exits %ld maxdepth %ld depth %ld\n", fib_calls,
	       entries, fib_calls == entries ? "==" : "!=", exits - entries, maxdepth, depth);
	hook_remove(h);

	h = attach("add1", NULL, h_exit_add, NULL);
	h2 = attach("half", NULL, h_exit_half, NULL);
	printf("add1(1) %ld half(3) %.3f\n", add1(one), half(3.0 * one));
	hook_remove(h);
	hook_remove(h2);
	printf("detached: add1(1) %ld half(3) %.3f\n", add1(one), half(3.0 * one));

	h = attach("spin", NULL, h_exit_ns, NULL);
	h2 = attach("spin_outer", NULL, h_exit_ns, (void *)1);
	spin_outer(20000 * one);
	printf("durations: spin %s, outer >= both %s\n",
	       ns_spin[0] > 0 && ns_spin[1] > 0 ? "positive" : "ZERO",
	       ns_outer >= ns_spin[0] + ns_spin[1] ? "yes" : "NO");
	hook_remove(h);
	hook_remove(h2);

	h = attach("jmp1,jmp2,jmp3,fib", h_entry, h_exit, NULL);
	for (int round = 0; round < 3; round++) {
		reset();
		if (!setjmp(jb))
			jmp1(one);
		printf("longjmp %d: entries %ld exits %ld unwound %ld depth %ld\n", round, entries,
		       exits, unwound, depth);
		reset();
		r = fib(5 * one);
		r2 = jmp1(0 * one);
		printf(
		    "after: fib(5) %ld jmp1(0) %ld entries %ld exits %ld unwound %ld depth %ld\n",
		    r, r2, entries, exits, unwound, depth);
	}
	hook_remove(h);

	h = attach("tail_a", NULL, h_exit_log, "exit tail_a");
	h2 = attach("tail_b", NULL, h_exit_log, "exit tail_b");
	printf("tail_a(1) %ld\n", tail_a(one));
	for (int i = 0; i < nlog; i++)
		printf("%s\n", log_[i]);
	hook_remove(h);
	hook_remove(h2);

	h = attach("early", h_early, h_exit, NULL);
	reset();
	r = early(5 * one);
	printf("early(5) %ld entries %ld exits %ld\n", r, entries, exits);
	hook_remove(h);

	h = attach("deep", h_entry, h_exit, NULL);
	reset();
	r = deep(300 * one);
	printf("deep(300) %ld entries %ld exits %ld\n", r, entries, exits);
	reset();
	r = deep(10 * one);
	printf("deep(10) %ld entries %ld exits %ld\n", r, entries, exits);
	reset();
	r = deep(5000 * one);
	printf("deep(5000) %ld entries %ld exits %ld unwound %ld\n", r, entries, exits, unwound);
	hook_remove(h);
	printf("flags other than 0 and PFE_RET_UNWOUND: %ld\n", bad_flags);
	printf("detached: fib(10) %ld\n", fib(10 * one));
	return 0;
}
