/* SPDX-License-Identifier: MIT */
/*
 * pfe report: one row per function, over every thread and process of the
 * recording: total (inclusive) time, self time (total minus callees),
 * calls, and min/avg/max of the total per call. Times in microseconds with
 * nanosecond precision, so that sums compare exactly with `pfe dump --flame`
 * (nanoseconds). A recursive function's total counts the inner calls again.
 *
 * --diff OTHER_DIR: the same per function for two recordings side by side
 * (base: -d DIR, other: OTHER_DIR), with the change other - base, the
 * largest change of the total first; a function of one run only says so.
 */
#include <getopt.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfe.h"
#include "reader.h"
#include "sumtab.h"
#include "util.h"

/* A row of the table (tracer/sumtab.h, shared with PFE_SUMMARY): the name
 * first, so that the tree compares rows by it. */
struct func {
	struct pfe_sum_row row;
};

struct report {
	const struct rd_proc *proc;
	void *root; /* tsearch tree of struct func by name */
	struct func **v;
	size_t n;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct func *)a)->row.name, ((const struct func *)b)->row.name);
}

static void on_exit_fn(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		       unsigned depth, uint64_t ns, enum rd_end how)
{
	struct report *r = ctx;
	struct func key = {{.name = rd_site_label(r->proc, stack[depth].site)}}, *f, **slot;
	uint64_t dur = ns - stack[depth].entry_ns;

	slot = tfind(&key, &r->root, cmp_name);
	if (!slot) {
		f = xcalloc(1, sizeof(*f));
		f->row.name = xstrdup(key.row.name);
		slot = tsearch(f, &r->root, cmp_name);
		if (!slot) {
			pfe_say("out of memory");
			exit(1);
		}
		r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
		r->v[r->n++] = f;
	}
	f = *slot;
	pfe_sum_add(&f->row, dur, stack[depth].child_ns);
}

struct report_opts {
	enum pfe_sum_key key;
	const char *diff; /* --diff OTHER_DIR */
};

static int report_opt(void *ctx, int c, const char *arg)
{
	struct report_opts *ro = ctx;

	if (c == PFE_OPT_DIFF) {
		ro->diff = arg;
		return PFE_PROCEED;
	}
	if (pfe_sum_parse_key(arg, &ro->key))
		return usage_error("report", "-s '%s': expected total, self, calls, avg or max",
				   arg);
	return PFE_PROCEED;
}

/* Every function's row over the recording in @dir, into @r: 0, or 1. */
static int collect(const struct pfe_opts *o, const char *dir, struct report *r)
{
	struct pfe_opts od = *o;
	struct rd_recording rec;
	int status = 0;

	od.dir = dir;
	if (pfe_open_recording(&od, &rec))
		return 1;
	for (size_t i = 0; i < rec.nprocs && !status; i++) {
		r->proc = &rec.procs[i];
		for (size_t k = 0; k < rec.procs[i].nthreads && !status; k++) {
			struct rd_walker w = {.exit = on_exit_fn};
			struct rd_stats st;

			status = rd_walk(&rec.procs[i].threads[k], &w, r, &st);
		}
	}
	r->proc = NULL;
	rd_close(&rec);
	return status ? 1 : 0;
}

static void free_report(struct report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		tdelete(r->v[i], &r->root, cmp_name);
		free((char *)r->v[i]->row.name);
		free(r->v[i]);
	}
	free(r->v);
}

/* ----------------------------------------------------------------- --diff */

struct diff_row {
	const char *name;
	const struct pfe_sum_row *a, *b; /* base, other; NULL: not in that run */
	uint64_t key, key2;		 /* |total change|, |self change| */
};

static uint64_t total_of(const struct pfe_sum_row *r)
{
	return r ? r->total : 0;
}

static int cmp_diff(const void *x, const void *y)
{
	const struct diff_row *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? 1 : -1;
	/* A slower function and its callers change their totals alike: the
	 * function itself, whose self time changed, comes first. */
	if (a->key2 != b->key2)
		return a->key2 < b->key2 ? 1 : -1;
	return strcmp(a->name, b->name);
}

/* "12.345" for @ns of a run, "-" when the function is not in it. */
static const char *cell_us(const struct pfe_sum_row *r, uint64_t ns, char *buf, size_t len)
{
	return r ? rd_fmt_us(ns, buf, len) : "-";
}

/* "+1.500" / "-1.500" / "0.000": @b - @a nanoseconds. */
static const char *change_us(uint64_t a, uint64_t b, char *buf, size_t len)
{
	char us[24];

	rd_fmt_us(a > b ? a - b : b - a, us, sizeof(us));
	snprintf(buf, len, "%s%s", a == b ? "" : a > b ? "-" : "+", us);
	return buf;
}

static void print_diff(const struct report *base, const struct report *other, const char *base_dir,
		       const char *other_dir)
{
	struct diff_row *v = xcalloc(base->n + other->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < base->n; i++) {
		const struct func *f = base->v[i];
		struct func **o = tfind(f, (void **)&other->root, cmp_name);

		v[n++] = (struct diff_row){f->row.name, &f->row, o ? &(*o)->row : NULL, 0};
	}
	for (size_t i = 0; i < other->n; i++)
		if (!tfind(other->v[i], (void **)&base->root, cmp_name))
			v[n++] =
			    (struct diff_row){other->v[i]->row.name, NULL, &other->v[i]->row, 0};
	for (size_t i = 0; i < n; i++) {
		uint64_t a = total_of(v[i].a), b = total_of(v[i].b);

		v[i].key = a > b ? a - b : b - a;
		a = v[i].a ? v[i].a->self : 0;
		b = v[i].b ? v[i].b->self : 0;
		v[i].key2 = a > b ? a - b : b - a;
	}
	qsort(v, n, sizeof(*v), cmp_diff);
	printf("# base:  %s\n# other: %s\n# times in us; change: other - base, largest change of "
	       "the total first\n",
	       base_dir, other_dir);
	printf("%12s %12s %14s  %12s %12s %14s  %10s %11s %12s  %s\n", "Base total", "Other total",
	       "Total change", "Base self", "Other self", "Self change", "Base calls",
	       "Other calls", "Calls change", "Function");
	printf("%12s %12s %14s  %12s %12s %14s  %10s %11s %12s  %s\n",
	       "==========", "===========", "============", "=========", "==========",
	       "===========", "==========", "===========", "============", "========");
	for (size_t i = 0; i < n; i++) {
		const struct pfe_sum_row *a = v[i].a, *b = v[i].b;
		char c[6][32], calls[3][24];

		snprintf(calls[0], sizeof(calls[0]), "%llu",
			 (unsigned long long)(a ? a->calls : 0));
		snprintf(calls[1], sizeof(calls[1]), "%llu",
			 (unsigned long long)(b ? b->calls : 0));
		snprintf(calls[2], sizeof(calls[2]),
			 a && b && a->calls == b->calls ? "%lld" : "%+lld",
			 (long long)((b ? b->calls : 0) - (a ? a->calls : 0)));
		printf("%12s %12s %14s  %12s %12s %14s  %10s %11s %12s  %s%s\n",
		       cell_us(a, a ? a->total : 0, c[0], 32),
		       cell_us(b, b ? b->total : 0, c[1], 32),
		       change_us(total_of(a), total_of(b), c[2], 32),
		       cell_us(a, a ? a->self : 0, c[3], 32), cell_us(b, b ? b->self : 0, c[4], 32),
		       change_us(a ? a->self : 0, b ? b->self : 0, c[5], 32), a ? calls[0] : "-",
		       b ? calls[1] : "-", calls[2], v[i].name,
		       !a   ? " (only in other)"
		       : !b ? " (only in base)"
			    : "");
	}
	free(v);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {{"sort", required_argument, NULL, 's'},
						 {"diff", required_argument, NULL, PFE_OPT_DIFF},
						 {NULL, 0, NULL, 0}};
	struct report_opts ro = {PFE_SUM_TOTAL, NULL};
	struct pfe_opts o;
	struct report r = {0}, other = {0};
	int status = 0;

	pfe_opts_init(&o, "report");
	status = pfe_getopt(&o, argc, argv, "s:", longopts, report_opt, &ro);
	if (status != PFE_PROCEED)
		return status;
	status = collect(&o, o.dir, &r);
	if (!status && ro.diff) {
		status = collect(&o, ro.diff, &other);
		if (!status)
			print_diff(&r, &other, o.dir, ro.diff);
		free_report(&other);
	} else if (!status) {
		struct pfe_sum_row *rows = xcalloc(r.n + 1, sizeof(*rows));
		char line[4096];

		for (size_t i = 0; i < r.n; i++)
			rows[i] = r.v[i]->row;
		pfe_sum_sort(rows, r.n, ro.key);
		pfe_sum_fmt_header(line, sizeof(line));
		fputs(line, stdout);
		for (size_t i = 0; i < r.n; i++) {
			pfe_sum_fmt_row(line, sizeof(line), &rows[i]);
			printf("%s%s\n", line, rows[i].name);
		}
		free(rows);
	}
	free_report(&r);
	return status;
}
