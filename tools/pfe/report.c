/* SPDX-License-Identifier: MIT */
/*
 * pfe report: one row per function, over every thread and process of the
 * recording: total (inclusive) time, self time (total minus callees),
 * calls, and min/avg/max of the total per call. Times in microseconds with
 * nanosecond precision, so that sums compare exactly with `pfe dump --flame`
 * (nanoseconds). A recursive function's total counts the inner calls again.
 */
#include <getopt.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfe.h"
#include "reader.h"
#include "util.h"

struct func {
	const char *name;
	uint64_t total, self, calls, min, max;
};

struct report {
	const struct rd_proc *proc;
	void *root; /* tsearch tree of struct func by name */
	struct func **v;
	size_t n;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct func *)a)->name, ((const struct func *)b)->name);
}

static void on_exit_fn(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		       unsigned depth, uint64_t ns, enum rd_end how)
{
	struct report *r = ctx;
	struct func key = {.name = rd_site_label(r->proc, stack[depth].site)}, *f, **slot;
	uint64_t dur = ns - stack[depth].entry_ns;

	slot = tfind(&key, &r->root, cmp_name);
	if (!slot) {
		f = xcalloc(1, sizeof(*f));
		f->name = xstrdup(key.name);
		f->min = UINT64_MAX;
		slot = tsearch(f, &r->root, cmp_name);
		if (!slot) {
			pfe_say("out of memory");
			exit(1);
		}
		r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
		r->v[r->n++] = f;
	}
	f = *slot;
	f->total += dur;
	f->self += dur - (stack[depth].child_ns < dur ? stack[depth].child_ns : dur);
	f->calls++;
	f->min = dur < f->min ? dur : f->min;
	f->max = dur > f->max ? dur : f->max;
}

static int sort_key;

static uint64_t key_of(const struct func *f)
{
	switch (sort_key) {
	case 's':
		return f->self;
	case 'c':
		return f->calls;
	case 'a':
		return f->total / f->calls;
	case 'm':
		return f->max;
	default:
		return f->total;
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct func *x = *(struct func *const *)a, *y = *(struct func *const *)b;
	uint64_t kx = key_of(x), ky = key_of(y);

	if (kx != ky)
		return kx > ky ? -1 : 1;
	return strcmp(x->name, y->name);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {{"no-demangle", no_argument, NULL, 'M'},
						 {"sort", required_argument, NULL, 's'},
						 {NULL, 0, NULL, 0}};
	static const char *const keys[] = {"total", "self", "calls", "avg", "max"};
	struct pfe_opts o = {PFE_DEFAULT_DIR, true};
	struct report r = {0};
	struct rd_recording rec;
	int c, status = 0;

	opterr = 0;
	sort_key = 't';
	while ((c = getopt_long(argc, argv, ":d:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dir = optarg;
			break;
		case 'M':
			o.demangle = false;
			break;
		case 's':
			sort_key = 0;
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				if (!strcmp(optarg, keys[i]))
					sort_key = i == 3 ? 'a' : i == 4 ? 'm' : keys[i][0];
			if (!sort_key)
				return usage_error(
				    "report", "-s '%s': expected total, self, calls, avg or max",
				    optarg);
			break;
		case ':':
			return usage_error("report", "%s needs an argument", argv[optind - 1]);
		default:
			return usage_error("report", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("report", "unexpected argument '%s'", argv[optind]);
	if (rd_open(&rec, o.dir, o.demangle))
		return 1;
	for (size_t i = 0; i < rec.nprocs && !status; i++) {
		r.proc = &rec.procs[i];
		for (size_t k = 0; k < rec.procs[i].nthreads && !status; k++) {
			struct rd_walker w = {.exit = on_exit_fn};
			struct rd_stats st;

			status = rd_walk(&rec.procs[i].threads[k], &w, &r, &st);
		}
	}
	if (!status) {
		if (r.n)
			qsort(r.v, r.n, sizeof(*r.v), cmp_rows);
		printf("%14s %14s %10s %12s %12s %12s  %s\n", "Total (us)", "Self (us)", "Calls",
		       "Min (us)", "Avg (us)", "Max (us)", "Function");
		printf("%14s %14s %10s %12s %12s %12s  %s\n", "==========", "=========", "=====",
		       "========", "========", "========", "========");
		for (size_t i = 0; i < r.n; i++) {
			const struct func *f = r.v[i];
			char a[32], b[32], d[32], e[32], g[32];

			printf("%14s %14s %10llu %12s %12s %12s  %s\n",
			       rd_fmt_us(f->total, a, sizeof(a)), rd_fmt_us(f->self, b, sizeof(b)),
			       (unsigned long long)f->calls, rd_fmt_us(f->min, d, sizeof(d)),
			       rd_fmt_us(f->total / f->calls, e, sizeof(e)),
			       rd_fmt_us(f->max, g, sizeof(g)), f->name);
		}
	}
	for (size_t i = 0; i < r.n; i++) {
		tdelete(r.v[i], &r.root, cmp_name);
		free((char *)r.v[i]->name);
		free(r.v[i]);
	}
	free(r.v);
	rd_close(&rec);
	return status ? 1 : 0;
}
