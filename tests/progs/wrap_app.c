/* SPDX-License-Identifier: MIT */
/*
 * Wrappers that call the original (pfe_call_original), through the public
 * API found with dlsym. Built by tests/integ/t_wrap.sh plain and BTI+PAC.
 *
 * The wrapper of times10() doubles its argument, calls the original and adds
 * one to the result, and returns to the caller without running the body a
 * second time: times10(x) = 20x + 1 while attached, 10x otherwise. A second
 * thread calls times10 while the main thread attaches and detaches the
 * wrapper: every result is one or the other, and they add up. Also: a
 * wrapper on a recursive function whose original calls re-enter the wrapper;
 * a double and a string argument passed through libffi; errors.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pfe.h"

#define NOINL __attribute__((noinline, noclone))
#define RECUR __attribute__((optimize("no-optimize-sibling-calls")))

NOINL long times10(long x)
{
	return 10 * x;
}

/* sum(n) = n + sum(n - 1); the wrapper adds 1000 at each level. */
RECUR NOINL long sum(long n)
{
	return n ? n + sum(n - 1) : 0;
}

NOINL double scale(double x, const char *s, int k)
{
	return x * (double)strlen(s) + k;
}

static struct pfe_hook *(*add_ops)(const char *, const struct pfe_hook_ops *, void *);
static int (*hook_remove)(struct pfe_hook *);
static int (*call_original)(const struct pfe_site *, void *, void **);

static volatile long orig_errors, wrapped_calls;

static void w_times10(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	long x = (long)regs->x[0] * 2, r = 0;
	void *args[] = {&x};

	if (call_original(site, &r, args))
		orig_errors++;
	regs->x[0] = (uint64_t)(r + 1);
	regs->pc = regs->lr;
	wrapped_calls++;
}

static void w_sum(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	long n = (long)regs->x[0], r = 0;
	void *args[] = {&n};

	if (call_original(site, &r, args))
		orig_errors++;
	regs->x[0] = (uint64_t)(r + 1000);
	regs->pc = regs->lr;
}

static void w_scale(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	double x = regs->v[0].d + 1;
	const char *s = "abcd";
	int k = (int)regs->x[1] * 3;
	double r = 0;
	void *args[] = {&x, &s, &k};

	if (call_original(site, &r, args))
		orig_errors++;
	regs->v[0].d = r;
	regs->pc = regs->lr;
}

static volatile int err_nosig;

static void w_nosig(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	long r;
	long x = 1;
	void *args[] = {&x};

	err_nosig = call_original(site, &r, args);
}

#define NCYCLES	    20
#define PHASE_CALLS 30
static volatile int stop;
static volatile long calls;
static long plain, wrapped, other;

static void *caller(void *arg)
{
	for (long i = 0; !stop; i++) {
		long x = i % 1000, r = times10(x);

		if (r == 10 * x)
			plain++;
		else if (r == 20 * x + 1)
			wrapped++;
		else
			other++;
		calls++;
	}
	return NULL;
}

/* Let the caller thread make PHASE_CALLS more calls. */
static void let_run(void)
{
	long until = calls + PHASE_CALLS;

	while (calls < until)
		;
}

static struct pfe_hook *attach(const char *pattern, pfe_entry_fn fn, const char *sig)
{
	struct pfe_hook_ops ops = {fn, NULL, sig};
	struct pfe_hook *h = add_ops(pattern, &ops, NULL);

	if (!h)
		printf("attach %s %s: %s\n", pattern, sig ? sig : "", strerror(errno));
	return h;
}

int main(void)
{
	volatile long one = 1;
	struct pfe_hook *h;
	pthread_t t;
	long r, cycles;
	double d;

	setvbuf(stdout, NULL, _IOLBF, 0);
	*(void **)&add_ops = dlsym(RTLD_DEFAULT, "pfe_hook_add_ops");
	*(void **)&hook_remove = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	*(void **)&call_original = dlsym(RTLD_DEFAULT, "pfe_call_original");
	if (!add_ops || !hook_remove || !call_original) {
		printf("libpfe: absent\n");
		return 0;
	}

	printf("outside a hook: %d\n", call_original(NULL, &r, NULL));
	h = attach("times10", w_times10, "(long)->long");
	r = times10(5 * one);
	printf("wrapped: times10(5) %ld\n", r);
	hook_remove(h);
	r = times10(5 * one);
	printf("detached: times10(5) %ld\n", r);

	h = attach("sum", w_sum, "(long)->long");
	r = sum(4 * one);
	printf("wrapped: sum(4) %ld\n", r);
	hook_remove(h);
	r = sum(4 * one);
	printf("detached: sum(4) %ld\n", r);

	h = attach("scale", w_scale, "(double, const char *, int)->double");
	d = scale(1.5 * one, "xy", 2);
	printf("wrapped: scale(1.5, \"xy\", 2) %.3f\n", d);
	hook_remove(h);

	h = attach("times10", w_nosig, NULL);
	r = times10(one);
	printf("without a signature: %d, times10(1) %ld\n", err_nosig, r);
	hook_remove(h);
	attach("times10", w_times10, "(long");
	attach("times10", w_times10, "(long)->blob");

	pthread_create(&t, NULL, caller, NULL);
	for (cycles = 0; cycles < NCYCLES; cycles++) {
		h = attach("times10", w_times10, "(long)->long");
		let_run();
		hook_remove(h);
		let_run();
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("threaded: %s calls plain or wrapped, other %ld, call errors %ld\n",
	       plain + wrapped == calls ? "all" : "NOT all", other, orig_errors);
	printf("threaded: wrapped at least %d per attach: %s, plain too: %s\n", PHASE_CALLS - 1,
	       wrapped >= NCYCLES * (PHASE_CALLS - 1) ? "yes" : "no",
	       plain >= NCYCLES * (PHASE_CALLS - 1) ? "yes" : "no");
	printf("wrapper runs match wrapped results: %s\n",
	       wrapped_calls == wrapped + 1 ? "yes" : "no");
	return 0;
}
