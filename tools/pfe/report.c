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
#include "sumtab.h"
#include "util.h"

/* A row of the table (lib/sumtab.h, shared with PFE_SUMMARY): the name
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
};

static int report_opt(void *ctx, int c, const char *arg)
{
	struct report_opts *ro = ctx;

	if (pfe_sum_parse_key(arg, &ro->key))
		return usage_error("report", "-s '%s': expected total, self, calls, avg or max",
				   arg);
	return PFE_PROCEED;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {{"sort", required_argument, NULL, 's'},
						 {NULL, 0, NULL, 0}};
	struct report_opts ro = {PFE_SUM_TOTAL};
	struct pfe_opts o;
	struct report r = {0};
	struct rd_recording rec;
	int status = 0;

	pfe_opts_init(&o, "report");
	status = pfe_getopt(&o, argc, argv, "s:", longopts, report_opt, &ro);
	if (status != PFE_PROCEED)
		return status;
	status = 0;
	if (pfe_open_recording(&o, &rec))
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
	for (size_t i = 0; i < r.n; i++) {
		tdelete(r.v[i], &r.root, cmp_name);
		free((char *)r.v[i]->row.name);
		free(r.v[i]);
	}
	free(r.v);
	rd_close(&rec);
	return status ? 1 : 0;
}
