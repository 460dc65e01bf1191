/* SPDX-License-Identifier: MIT */
/*
 * Cost of patching: linked with N generated functions pf_000000... (bench/
 * gen.sh), it measures what libpfe's constructor left on the heap, then
 * attaches one empty hook to all of them ("pf_*") and detaches it, timing
 * each and reading the heap and the text pages' Private_Dirty around them.
 *
 *   patch [-s|-m]  -s: stop after the start-up figures; -m: return at once
 *                  (bench/startup.sh: under qemu-user, /proc/self/smaps is
 *                  the host's, whose length, and so the instructions
 *                  text_dirty() spends reading it, change from run to run
 *                  by some 20,000: as much as 20 per site between the
 *                  quick run's 1,000 and 2,000 sites)
 *
 * Output, one "key value..." line each (sizes in bytes, times in ns):
 *   markers <begin> <end>            run-time addresses, for bench/count.awk
 *   startup_heap <bytes>             malloc'd bytes in use when main starts
 *   text_dirty_start <kB>            Private_Dirty of the text when main starts
 *   text_dirty <before> <after attach> <after detach>   Private_Dirty, kB
 *   attach <ns> <sites> <heap delta>
 *   detach <ns> <rc> <heap delta>
 * Segments for count.awk: 1 = nothing (start of main), 2 = attach,
 * 3 = detach. faccessat() of "/bench-marker/<what>" brackets them for
 * `qemu-aarch64 -strace`, which counts the mprotect calls in between.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pfe.h"

extern int (*const pf_bounds[2])(int);

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

static void strace_marker(const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/bench-marker/%s", what);
	faccessat(AT_FDCWD, path, F_OK, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Private_Dirty (kB) of the mappings that hold the generated functions:
 * the private copies of text pages that writing to them created. */
static long text_dirty(void)
{
	uintptr_t lo = (uintptr_t)pf_bounds[0], hi = (uintptr_t)pf_bounds[1];
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	long kb = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char c;

		if (sscanf(line, "%lx-%lx %c", &s, &e, &c) == 3 &&
		    line[strspn(line, "0123456789abcdef")] == '-')
			in = s <= hi && e > lo;
		else if (in && !strncmp(line, "Private_Dirty:", 14))
			kb += atol(line + 14);
	}
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	struct pfe_hook *(*add)(const char *, pfe_entry_fn, void *);
	int (*del)(struct pfe_hook *);
	size_t (*nsites)(const struct pfe_hook *);
	struct pfe_hook *h;
	size_t heap0, heap1, heap2, n;
	long d0, d1, d2;
	uint64_t t0, t1, t2, t3;
	int rc;

	bench_mark_begin();
	bench_mark_end();
	if (argc > 1 && !strcmp(argv[1], "-m"))
		return 0;
	heap0 = heap_used();
	d0 = text_dirty();
	printf("markers %p %p\n", (void *)bench_mark_begin, (void *)bench_mark_end);
	printf("startup_heap %zu\n", heap0);
	printf("text_dirty_start %ld\n", d0);
	if (argc > 1 && !strcmp(argv[1], "-s"))
		return 0;

	*(void **)&add = dlsym(RTLD_DEFAULT, "pfe_hook_add");
	*(void **)&del = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	*(void **)&nsites = dlsym(RTLD_DEFAULT, "pfe_hook_nsites");
	if (!add || !del || !nsites) {
		printf("nohook libpfe not preloaded\n");
		return 3;
	}

	strace_marker("attach-begin");
	bench_mark_begin();
	t0 = now_ns();
	h = add("pf_*", empty_hook, NULL);
	t1 = now_ns();
	rc = errno;
	bench_mark_end();
	strace_marker("attach-end");
	if (!h) {
		printf("nohook pfe_hook_add: %s\n", strerror(rc));
		return 3;
	}
	heap1 = heap_used();
	d1 = text_dirty();
	n = nsites(h);

	/* One call through the hook, so the measured state is a working one. */
	pf_bounds[0](1);

	strace_marker("detach-begin");
	bench_mark_begin();
	t2 = now_ns();
	rc = del(h);
	t3 = now_ns();
	bench_mark_end();
	strace_marker("detach-end");
	heap2 = heap_used();
	d2 = text_dirty();

	printf("text_dirty %ld %ld %ld\n", d0, d1, d2);
	printf("attach %llu %zu %lld\n", (unsigned long long)(t1 - t0), n,
	       (long long)heap1 - (long long)heap0);
	printf("detach %llu %d %lld\n", (unsigned long long)(t3 - t2), rc,
	       (long long)heap2 - (long long)heap1);
	return 0;
}
