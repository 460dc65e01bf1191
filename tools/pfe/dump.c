/* SPDX-License-Identifier: MIT */
/*
 * pfe dump --chrome: the Chrome Trace Event Format ("JSON Object Format":
 * {"traceEvents": [...]}), which ui.perfetto.dev and chrome://tracing open.
 * Each call is a "B" (begin) and an "E" (end) event with "pid", "tid" and
 * "ts" in microseconds; "M" metadata events name processes and threads.
 * Every event is one JSON object built and encoded by jansson, written as
 * it is read, so that a recording of any size streams out.
 *
 * pfe dump --perfetto: Perfetto's protobuf trace format (perfetto.c).
 *
 * pfe dump --flame: folded stacks, "main;foo;bar 1234", one line per
 * distinct stack with the self time in nanoseconds spent in it, sorted: the
 * input of flamegraph.pl, inferno-flamegraph and speedscope.
 */
#include <getopt.h>
#include <jansson.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfe.h"
#include "reader.h"
#include "util.h"

/* ------------------------------------------------------------------ chrome */

struct chrome {
	const struct rd_proc *proc;
	bool first;
	int err;
};

static void emit(struct chrome *c, json_t *ev)
{
	if (!ev) {
		pfe_say("out of memory");
		exit(1);
	}
	fputs(c->first ? "\n" : ",\n", stdout);
	c->first = false;
	if (json_dumpf(ev, stdout, JSON_COMPACT | JSON_REAL_PRECISION(15)))
		c->err = -1;
	json_decref(ev);
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static void chrome_entry(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
			 unsigned depth)
{
	struct chrome *c = ctx;

	emit(c, json_pack("{s:s, s:s, s:s, s:I, s:I, s:f}", "name",
			  rd_site_label(c->proc, stack[depth].site), "cat", "function", "ph", "B",
			  "pid", (json_int_t)c->proc->pid, "tid", (json_int_t)t->tid, "ts",
			  us(stack[depth].entry_ns)));
}

static void chrome_exit(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
			unsigned depth, uint64_t ns, enum rd_end how)
{
	static const char *const why[] = {NULL, "unwound", "no exit recorded",
					  "still open at the end"};
	struct chrome *c = ctx;
	json_t *ev =
	    json_pack("{s:s, s:s, s:s, s:I, s:I, s:f}", "name",
		      rd_site_label(c->proc, stack[depth].site), "cat", "function", "ph", "E",
		      "pid", (json_int_t)c->proc->pid, "tid", (json_int_t)t->tid, "ts", us(ns));

	if (ev && why[how])
		json_object_set_new(ev, "args", json_pack("{s:s}", "end", why[how]));
	emit(c, ev);
}

static void chrome_lost(void *ctx, const struct rd_thread *t, uint64_t count, uint64_t ns)
{
	struct chrome *c = ctx;

	emit(c, json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:{s:I}}", "name", "events lost", "ph",
			  "i", "s", "t", "pid", (json_int_t)c->proc->pid, "tid", (json_int_t)t->tid,
			  "ts", us(ns), "args", "count", (json_int_t)count));
}

static void chrome_names(struct chrome *c, const struct rd_proc *p)
{
	const char *name = p->exe ? strrchr(p->exe, '/') : NULL;

	name = name ? name + 1 : p->exe ? p->exe : p->id;
	emit(c, json_pack("{s:s, s:s, s:I, s:I, s:{s:s}}", "name", "process_name", "ph", "M", "pid",
			  (json_int_t)p->pid, "tid", (json_int_t)p->pid, "args", "name", name));
	for (size_t k = 0; k < p->nthreads; k++) {
		const struct rd_thread *t = &p->threads[k];
		char tname[32];

		snprintf(tname, sizeof(tname), "%u", t->tid);
		emit(c, json_pack("{s:s, s:s, s:I, s:I, s:{s:s}}", "name", "thread_name", "ph", "M",
				  "pid", (json_int_t)p->pid, "tid", (json_int_t)t->tid, "args",
				  "name", t->name ? t->name : tname));
	}
}

static int dump_chrome(struct rd_recording *rec)
{
	struct chrome c = {.first = true};
	struct rd_walker w = {chrome_entry, chrome_exit, chrome_lost};
	json_t *other;
	int status = 0;

	fputs("{\"traceEvents\":[", stdout);
	for (size_t i = 0; i < rec->nprocs && !status; i++) {
		c.proc = &rec->procs[i];
		chrome_names(&c, c.proc);
		for (size_t k = 0; k < c.proc->nthreads && !status; k++) {
			struct rd_stats st;

			status = rd_walk(&c.proc->threads[k], &w, &c, &st);
		}
	}
	other = json_pack("{s:s, s:s}", "source", "pfe", "recording", rec->dir);
	fputs("\n],\"displayTimeUnit\":\"ns\",\"otherData\":", stdout);
	if (!other || json_dumpf(other, stdout, JSON_COMPACT))
		c.err = -1;
	json_decref(other);
	fputs("}\n", stdout);
	if (c.err) {
		pfe_say("dump: cannot write the JSON");
		return -1;
	}
	return status;
}

/* ------------------------------------------------------------------- flame */

struct stack_line {
	char *stack;
	uint64_t ns;
};

struct flame {
	const struct rd_proc *proc;
	void *root;
	char *buf;
	size_t cap;
	struct stack_line **v;
	size_t n;
};

static int cmp_stack(const void *a, const void *b)
{
	return strcmp(((const struct stack_line *)a)->stack, ((const struct stack_line *)b)->stack);
}

static void flame_exit(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		       unsigned depth, uint64_t ns, enum rd_end how)
{
	struct flame *f = ctx;
	uint64_t dur = ns - stack[depth].entry_ns;
	size_t len = 0;
	struct stack_line key, *s, **slot;

	for (unsigned i = 0; i <= depth; i++) {
		const char *name = rd_site_label(f->proc, stack[i].site);
		size_t n = strlen(name);

		while (len + n + 2 > f->cap) {
			f->cap = f->cap ? f->cap * 2 : 4096;
			f->buf = xrealloc(f->buf, f->cap);
		}
		if (i)
			f->buf[len++] = ';';
		memcpy(f->buf + len, name, n);
		len += n;
	}
	f->buf[len] = '\0';
	key.stack = f->buf;
	slot = tfind(&key, &f->root, cmp_stack);
	if (!slot) {
		s = xcalloc(1, sizeof(*s));
		s->stack = xstrdup(f->buf);
		slot = tsearch(s, &f->root, cmp_stack);
		if (!slot) {
			pfe_say("out of memory");
			exit(1);
		}
		f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
		f->v[f->n++] = s;
	}
	(*slot)->ns += dur - (stack[depth].child_ns < dur ? stack[depth].child_ns : dur);
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp((*(struct stack_line *const *)a)->stack,
		      (*(struct stack_line *const *)b)->stack);
}

static int dump_flame(struct rd_recording *rec)
{
	struct flame f = {0};
	struct rd_walker w = {.exit = flame_exit};
	int status = 0;

	for (size_t i = 0; i < rec->nprocs && !status; i++) {
		f.proc = &rec->procs[i];
		for (size_t k = 0; k < f.proc->nthreads && !status; k++) {
			struct rd_stats st;

			status = rd_walk(&f.proc->threads[k], &w, &f, &st);
		}
	}
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), cmp_lines);
	for (size_t i = 0; i < f.n; i++) {
		if (!status)
			printf("%s %llu\n", f.v[i]->stack, (unsigned long long)f.v[i]->ns);
		tdelete(f.v[i], &f.root, cmp_stack);
		free(f.v[i]->stack);
		free(f.v[i]);
	}
	free(f.v);
	free(f.buf);
	return status;
}

static int dump_opt(void *ctx, int c, const char *arg)
{
	int *what = ctx;

	if (*what && *what != c)
		return usage_error("dump", "--chrome, --flame and --perfetto: expected one");
	*what = c;
	return PFE_PROCEED;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {{"chrome", no_argument, NULL, 'c'},
						 {"flame", no_argument, NULL, 'f'},
						 {"perfetto", no_argument, NULL, 'p'},
						 {NULL, 0, NULL, 0}};
	struct pfe_opts o;
	struct rd_recording rec;
	int what = 0, status;

	pfe_opts_init(&o, "dump");
	status = pfe_getopt(&o, argc, argv, "", longopts, dump_opt, &what);
	if (status != PFE_PROCEED)
		return status;
	if (!what)
		return usage_error("dump", "expected --chrome or --flame or --perfetto");
	if (pfe_open_recording(&o, &rec))
		return 1;
	if (what == 'c')
		status = dump_chrome(&rec);
	else if (what == 'p')
		status = dump_perfetto(&rec);
	else
		status = dump_flame(&rec);
	rd_close(&rec);
	if (fflush(stdout) || ferror(stdout)) {
		pfe_say("dump: cannot write the output");
		status = -1;
	}
	return status ? 1 : 0;
}
