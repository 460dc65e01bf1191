/* SPDX-License-Identifier: MIT */
/*
 * Per-call cost of three small functions, the same binary in every state:
 * built without -fpatchable-function-entry (a), with it (b), with libpfe
 * preloaded (c), with one empty hook (d), traced (e); or built with
 * -finstrument-functions (f) and run under uftrace (g).
 *
 *   calls FUNC N [-r REPS] [-t THREADS]    time N iterations, REPS times
 *   calls FUNC -c N1 N2 [-t THREADS]        instruction-count mode
 *     FUNC   tiny | rec | leaf8, or "all" in count mode: the three in turn
 *     N      outer iterations per thread and repetition
 *
 * BENCH_HOOK=1 attaches one empty hook to FUNC (all: to the three) through
 * pfe_hook_add, looked up with dlsym so that the binary runs without libpfe.
 * BENCH_HOOK=detach attaches it and removes it again. Built without
 * -fpatchable-function-entry (calls-a), FUNC is then a dynamic site
 * (lib/core/dynsite.c), hooked or detached.
 * BENCH_HOOK=100 attaches 100 more, one to each of other_00 .. other_99,
 * which the measured loop never calls: the cost of a hooked call must not
 * depend on how many other sites are hooked.
 *
 * Output, one "key value..." line each:
 *   markers <begin> <end> <tiny> <rec> <leaf8>   run-time addresses (PIE
 *                                  is relocated)
 *   invocations <per outer iteration of FUNC>
 *   ns <median> <min> <max>        per invocation per thread, over REPS
 *   perf <insns1> <insns2>         count mode, where perf_event_open works
 *
 * In count mode each thread runs two segments per function, N1 then N2
 * iterations (tiny, rec, leaf8 in turn for "all"), each
 * between a call of bench_mark_begin and one of bench_mark_end. Under qemu,
 * bench/count.awk counts the instructions executed in each segment from the
 * -singlestep exec log; on hardware the instruction counter is read around
 * them. Per call = (segment 2 - segment 1) / (N2 - N1): fixed costs cancel.
 */
#include <dlfcn.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pfe.h"

#define NOTRACE __attribute__((no_instrument_function))
#define REC_DEPTH 8

__attribute__((noipa)) int tiny(int x)
{
	return x + 1;
}

/* The barrier after the recursive call stops gcc from turning the
 * recursion into a loop: every level is a real call. */
__attribute__((noipa)) int rec(int n)
{
	int r;

	if (n == 0)
		return 0;
	r = rec(n - 1);
	__asm__ volatile("" ::: "memory");
	return r + n;
}

__attribute__((noipa)) long leaf8(long a, long b, long c, long d, long e, long f, long g,
				  long h)
{
	return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
}

/* Functions for BENCH_HOOK=100 to hook; never called. */
#define OTHER(n)                                                                                   \
	__attribute__((noipa)) int other_##n(int x)                                                \
	{                                                                                          \
		return x + 1##n;                                                                   \
	}
#define OTHER10(d) OTHER(d##0) OTHER(d##1) OTHER(d##2) OTHER(d##3) OTHER(d##4) \
	OTHER(d##5) OTHER(d##6) OTHER(d##7) OTHER(d##8) OTHER(d##9)
OTHER10(0) OTHER10(1) OTHER10(2) OTHER10(3) OTHER10(4)
OTHER10(5) OTHER10(6) OTHER10(7) OTHER10(8) OTHER10(9)

/* Markers: their first instruction is what count.awk looks for. */
__attribute__((noipa)) void bench_mark_begin(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noipa)) void bench_mark_end(void)
{
	__asm__ volatile("" ::: "memory");
}

static void empty_hook(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
}

enum which { TINY, REC, LEAF8, ALL };

struct run {
	enum which which;
	long n, n2;	/* n2 > 0: count mode */
	long sink;
	pthread_barrier_t *bar;
	uint64_t ns;
	int64_t insns[6];	/* count mode, from perf; -1 when unavailable */
};

static NOTRACE uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static void loop(struct run *r, long n)
{
	long s = 0;

	switch (r->which) {
	case TINY:
		for (long i = 0; i < n; i++)
			s += tiny((int)i);
		break;
	case REC:
		for (long i = 0; i < n; i++)
			s += rec(REC_DEPTH);
		break;
	case LEAF8:
		for (long i = 0; i < n; i++)
			s += leaf8(i, 2, 3, 4, 5, 6, 7, 8);
		break;
	}
	r->sink += s;
}

/* User-space instructions retired by this thread; -1 where not allowed. */
static int perf_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static void segment(struct run *r, long n, int fd, int64_t *insns)
{
	uint64_t v;

	bench_mark_begin();
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	}
	loop(r, n);
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		*insns = read(fd, &v, sizeof(v)) == sizeof(v) ? (int64_t)v : -1;
	} else {
		*insns = -1;
	}
	bench_mark_end();
}

static void *thread_main(void *arg)
{
	struct run *r = arg;
	uint64_t t0;
	int fd = -1;

	loop(r, 4);	/* warm: lazy binding, first-use registration */
	if (r->n2 && getenv("BENCH_PERF"))
		fd = perf_open();
	pthread_barrier_wait(r->bar);
	if (r->n2) {
		enum which w = r->which, lo = w == ALL ? TINY : w, hi = w == ALL ? LEAF8 : w;

		for (w = lo; w <= hi; w++) {
			r->which = w;
			/* Warm again, as long as a segment: a tracer's one-time
			 * costs (first record, buffer setup) stay out of both. */
			loop(r, r->n2);
			segment(r, r->n, fd, &r->insns[2 * (w - lo)]);
			segment(r, r->n2, fd, &r->insns[2 * (w - lo) + 1]);
		}
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	t0 = now_ns();
	loop(r, r->n);
	r->ns = now_ns() - t0;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "tiny", "rec", "leaf8", "all" };
	static const char *patterns[] = { "tiny", "rec", "leaf8", "tiny,rec,leaf8" };
	static void *const funcs[] = { (void *)tiny, (void *)rec, (void *)leaf8 };
	enum which w;
	long n, n2 = 0, reps = 1, threads = 1;
	int64_t perf[6] = { 0 };
	int per_call = 1;
	uint64_t *samples;
	const char *hook = getenv("BENCH_HOOK");

	if (argc < 3) {
		fprintf(stderr, "usage: calls tiny|rec|leaf8 N [-r REPS] [-t THREADS]\n");
		return 2;
	}
	for (w = TINY; w <= ALL; w++)
		if (!strcmp(argv[1], names[w]))
			break;
	if (w > ALL) {
		fprintf(stderr, "calls: unknown function '%s'\n", argv[1]);
		return 2;
	}
	n = atol(argv[2]);
	if (!strcmp(argv[2], "-c") && argc >= 5) {
		n = atol(argv[3]);
		n2 = atol(argv[4]);
		argv += 2;
		argc -= 2;
		if (n2 <= n)
			n = -1;
	}
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-r"))
			reps = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "-t"))
			threads = atol(argv[i + 1]);
	}
	if (n < 1 || reps < 1 || threads < 1 || threads > 64 || (w == ALL && !n2)) {
		fprintf(stderr, "calls: bad N, REPS, THREADS or FUNC\n");
		return 2;
	}
	if (w == REC)
		per_call = REC_DEPTH + 1;

	if (hook && (*hook == '1' || !strcmp(hook, "detach"))) {
		int others = !strcmp(hook, "100") ? 100 : 0;
		struct pfe_hook *(*add)(const char *, pfe_entry_fn, void *), *h;
		int (*rm)(struct pfe_hook *);

		*(void **)&add = dlsym(RTLD_DEFAULT, "pfe_hook_add");
		if (!add) {
			fprintf(stderr, "calls: BENCH_HOOK=1 but pfe_hook_add not found (libpfe not preloaded)\n");
			return 3;
		}
		*(void **)&rm = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
		h = add(patterns[w], empty_hook, NULL);
		if (!h) {
			perror("calls: pfe_hook_add");
			return 3;
		}
		/* BENCH_HOOK=detach: the site made and left detached (a dynamic
		 * site's stub stays in the path: the cost of having been traced). */
		if (!strcmp(hook, "detach") && (!rm || rm(h))) {
			perror("calls: pfe_hook_remove");
			return 3;
		}
		for (int i = 0; i < others; i++) {
			char name[16];

			snprintf(name, sizeof(name), "other_%02d", i);
			if (!add(name, empty_hook, NULL)) {
				perror("calls: pfe_hook_add(other_NN)");
				return 3;
			}
		}
	}

	printf("markers %p %p %p %p %p\n", (void *)bench_mark_begin, (void *)bench_mark_end,
	       funcs[0], funcs[1], funcs[2]);
	printf("invocations %d\n", per_call);

	samples = calloc(reps * threads, sizeof(*samples));
	for (long rep = 0; rep < reps; rep++) {
		pthread_t tid[64];
		struct run run[64];
		pthread_barrier_t bar;

		pthread_barrier_init(&bar, NULL, threads);
		for (long t = 0; t < threads; t++) {
			run[t] = (struct run){ .which = w, .n = n, .n2 = n2, .bar = &bar };
			if (threads == 1)
				thread_main(&run[t]);
			else if (pthread_create(&tid[t], NULL, thread_main, &run[t])) {
				perror("calls: pthread_create");
				return 1;
			}
		}
		for (long t = 0; t < threads; t++) {
			if (threads > 1)
				pthread_join(tid[t], NULL);
			samples[rep * threads + t] = run[t].ns;
			for (int k = 0; k < 6; k++)
				perf[k] = perf[k] < 0 || run[t].insns[k] < 0 ? -1
									     : perf[k] + run[t].insns[k];
		}
		pthread_barrier_destroy(&bar);
	}
	if (n2) {
		if (perf[0] >= 0 && getenv("BENCH_PERF")) {
			printf("perf");
			for (int k = 0; k < (w == ALL ? 6 : 2); k++)
				printf(" %lld", (long long)perf[k]);
			printf("\n");
		}
		free(samples);
		return 0;
	}
	qsort(samples, reps * threads, sizeof(*samples), cmp_u64);
	{
		double d = (double)n * per_call;
		size_t k = reps * threads;

		printf("ns %.3f %.3f %.3f\n", samples[k / 2] / d, samples[0] / d, samples[k - 1] / d);
	}
	free(samples);
	return 0;
}
