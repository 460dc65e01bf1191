/* SPDX-License-Identifier: MIT */
/*
 * pfe replay: each thread's function graph in the layout of ftrace's
 * function_graph tracer and `uftrace replay`:
 *
 *   # DURATION     TID     FUNCTION
 *               [  1234] | main() {
 *      0.913 us [  1234] |   leaf();
 *      2.542 us [  1234] | } /+ main +/
 *
 * A call whose callees are all hidden is a leaf, on one line, printed at its
 * exit. Whether a call is shown depends on its duration (-t), which is known
 * only at its exit, so each thread is read twice: once to decide what is
 * shown, once to print. --flat prints the PFE_TRACE line format instead
 * (entries, and the results of functions with a signature).
 *
 * A function traced with a signature has its arguments and result as
 * PFE_GRAPH text has them ("parse(\"abc\", 3) {" ... "} parse = 7"):
 *
 *               [  1234] | parse("abc", 3) {
 *      0.913 us [  1234] |   leaf(1) = 2;
 *      2.542 us [  1234] | } /+ parse = 7 +/
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envparse.h"
#include "pattern.h"
#include "pfe.h"
#include "reader.h"
#include "util.h"

enum { SHOWN = 1, HAS_SHOWN_CHILD = 2, LEAF_PRINTED = 4, LEAF = 8 };

struct replay {
	const struct rd_proc *proc;
	struct pfe_pattern *only, *hide;  /* -F, -N */
	signed char *only_hit, *hide_hit; /* per site: 0 unknown, 1 yes, -1 no */
	unsigned max_depth;		  /* -D, 0: no limit */
	uint64_t min_ns;		  /* -t */
	bool printing;			  /* second pass */
	bool graph;			  /* exits recorded: durations known */
	/* per entry, in order */
	uint8_t *flags;
	uint64_t *dur;
	uint8_t *how;
	size_t n, cap;
	size_t n1; /* entries of the first pass */
	/* per open frame */
	struct vis {
		size_t idx;
		bool in_only, hidden, cand;
		unsigned vdepth;
	} * st;
	size_t stcap;
	/* A leaf is printed at its exit, with its result: events lost
	 * inside it are held until then, to come after it as before. */
	bool in_leaf;
	uint64_t *held;
	size_t nheld, heldcap;
	/* options */
	bool flat, want_tid; /* --flat, --tid */
	uint64_t tid;
};

static bool matches(struct replay *r, struct pfe_pattern *p, signed char **cache, uint32_t site)
{
	const struct rd_proc *pr = r->proc;
	const struct rd_site *s = rd_site(pr, site);
	size_t i;

	if (!*cache)
		*cache = xcalloc(pr->nsite_tab + 1, 1);
	if (!s)
		return false;
	i = (size_t)(s - pr->site_tab);
	if (!(*cache)[i])
		(*cache)[i] =
		    pfe_pattern_match(p, s->name ? s->name : s->label, s->obj->base) ? 1 : -1;
	return (*cache)[i] > 0;
}

static void fmt_dur(uint64_t ns, char *buf, size_t len)
{
	static const char *const unit[] = {"us", "ms", " s"};
	int u = 0;

	while (u < 2 && ns >= 1000000) {
		ns /= 1000;
		u++;
	}
	if (ns >= 10000000) { /* 10000 s and more: whole seconds, in 11 columns */
		snprintf(buf, len, "%9llu s", (unsigned long long)(ns / 1000));
		return;
	}
	snprintf(buf, len, "%4llu.%03llu %s", (unsigned long long)(ns / 1000),
		 (unsigned long long)(ns % 1000), unit[u]);
}

/* A demangled C++ name has its parameters already: "ns::f(int) {". A
 * signature's arguments follow the name as PFE_GRAPH text has them. */
static const char *call_parens(const char *name, const char *args)
{
	return args ? args : strchr(name, '(') ? "" : "()";
}

/* " = 7" after a name, for a call whose result was recorded. */
static const char *eq(const char *retval)
{
	return retval ? " = " : "";
}

/* Deeper levels are indented as this one and say their level, "[101] ", as
 * libpfe's own graph text does (hooks/trace_text.c): output stays linear in
 * the input however deep the calls nest. */
#define INDENT_MAX 100

static void __attribute__((format(printf, 4, 5)))
line(const struct rd_thread *t, const char *dur, unsigned depth, const char *fmt, ...)
{
	va_list ap;

	printf("%11s [%6u] | %*s", dur, t->tid, (depth < INDENT_MAX ? depth : INDENT_MAX) * 2, "");
	if (depth > INDENT_MAX)
		printf("[%u] ", depth);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void on_entry(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		     unsigned depth)
{
	struct replay *r = ctx;
	struct vis *parent, *v;
	size_t idx = r->n++;
	const char *name;

	if (!r->printing) {
		if (idx >= r->cap) {
			r->cap = r->cap ? r->cap * 2 : 1024;
			r->flags = xrealloc(r->flags, r->cap);
			r->dur = xrealloc(r->dur, r->cap * sizeof(*r->dur));
			r->how = xrealloc(r->how, r->cap);
		}
		r->flags[idx] = 0;
	}
	if (depth >= r->stcap) {
		r->stcap = r->stcap ? r->stcap * 2 : 64;
		r->st = xrealloc(r->st, r->stcap * sizeof(*r->st));
	}
	parent = depth ? &r->st[depth - 1] : NULL; /* after the realloc */
	v = &r->st[depth];
	v->idx = idx;
	v->in_only = !r->only || (parent && parent->in_only) ||
		     matches(r, r->only, &r->only_hit, stack[depth].site);
	v->hidden = (parent && parent->hidden) ||
		    (r->hide && matches(r, r->hide, &r->hide_hit, stack[depth].site));
	if (!r->only)
		v->vdepth = depth;
	else
		v->vdepth = parent && parent->in_only ? parent->vdepth + 1 : 0;
	v->cand = v->in_only && !v->hidden && (!r->max_depth || v->vdepth < r->max_depth);
	/* idx >= n1: the file grew since the first pass; not decided, not shown */
	if (!r->printing || idx >= r->n1 || !(r->flags[idx] & SHOWN))
		return;
	name = rd_site_label(r->proc, stack[depth].site);
	if (!r->graph) { /* entries only: every call a line, no duration */
		line(t, "", v->vdepth, "%s%s;", name, call_parens(name, stack[depth].args));
		r->flags[idx] |= LEAF_PRINTED;
		return;
	}
	if (!(r->flags[idx] & HAS_SHOWN_CHILD) && r->how[idx] == RD_RETURNED) {
		/* At its exit, with its result: nothing of its own comes
		 * in between. */
		r->flags[idx] |= LEAF;
		r->in_leaf = true;
		return;
	}
	line(t, "", v->vdepth, "%s%s {", name, call_parens(name, stack[depth].args));
}

static void print_lost(const struct rd_thread *t, uint64_t count)
{
	printf("%11s [%6u] | /* %llu events lost */\n", "", t->tid, (unsigned long long)count);
}

static void on_exit_fn(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		       unsigned depth, uint64_t ns, enum rd_end how)
{
	static const char *const why[] = {"", " (unwound)", " (no exit recorded)",
					  " (still open at the end)"};
	struct replay *r = ctx;
	struct vis *v = &r->st[depth];
	size_t idx = v->idx;
	const char *name;
	char d[32];

	if (r->printing && idx >= r->n1)
		return;
	if (!r->printing) {
		r->dur[idx] = ns - stack[depth].entry_ns;
		r->how[idx] = (uint8_t)how;
		if (v->cand && r->dur[idx] >= r->min_ns) {
			r->flags[idx] |= SHOWN;
			if (depth)
				r->flags[r->st[depth - 1].idx] |= HAS_SHOWN_CHILD;
		}
		return;
	}
	if (!(r->flags[idx] & SHOWN) || (r->flags[idx] & LEAF_PRINTED))
		return;
	fmt_dur(r->dur[idx], d, sizeof(d));
	name = rd_site_label(r->proc, stack[depth].site);
	if (r->flags[idx] & LEAF) {
		line(t, d, v->vdepth, "%s%s%s%s;", name, call_parens(name, stack[depth].args),
		     eq(stack[depth].retval), stack[depth].retval ?: "");
		r->in_leaf = false;
		for (size_t i = 0; i < r->nheld; i++)
			print_lost(t, r->held[i]);
		r->nheld = 0;
	} else
		line(t, d, v->vdepth, "} /* %s%s%s%s */", name, eq(stack[depth].retval),
		     stack[depth].retval ?: "", why[how]);
}

/* Entries only: a result has no frame; a comment line where the call was. */
static void on_result(void *ctx, const struct rd_thread *t, uint32_t site, uint64_t ns,
		      const char *text)
{
	struct replay *r = ctx;
	const struct rd_site *s = rd_site(r->proc, site);
	const char *name = rd_site_label(r->proc, site);

	if (!r->printing || r->min_ns ||
	    (r->only && (!s || !matches(r, r->only, &r->only_hit, site))) ||
	    (r->hide && s && matches(r, r->hide, &r->hide_hit, site)))
		return;
	line(t, "", 0, "/* %s = %s */", name, text);
}

static void on_lost(void *ctx, const struct rd_thread *t, uint64_t count, uint64_t ns)
{
	struct replay *r = ctx;

	if (!r->printing)
		return;
	if (r->in_leaf) {
		grow(&r->held, &r->heldcap, r->nheld, sizeof(*r->held));
		r->held[r->nheld++] = count;
		return;
	}
	print_lost(t, count);
}

/* The PFE_TRACE line format: "<tid> <s.us> <function> <- <caller>", with a
 * signature's arguments after the name. */
static void on_flat(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		    unsigned depth)
{
	struct replay *r = ctx;
	uint64_t us = stack[depth].entry_ns / 1000;
	char caller[512];

	printf("%u %llu.%06llu %s%s <- %s\n", t->tid, (unsigned long long)(us / 1000000),
	       (unsigned long long)(us % 1000000), rd_site_label(r->proc, stack[depth].site),
	       stack[depth].args ?: "",
	       rd_symbolize(r->proc, stack[depth].ret, caller, sizeof(caller)));
}

/* A signature's result, as PFE_TRACE's line: "<tid> <s.us> <function> = 7". */
static void on_flat_result(void *ctx, const struct rd_thread *t, uint32_t site, uint64_t ns,
			   const char *text)
{
	struct replay *r = ctx;
	uint64_t us = ns / 1000;

	printf("%u %llu.%06llu %s = %s\n", t->tid, (unsigned long long)(us / 1000000),
	       (unsigned long long)(us % 1000000), rd_site_label(r->proc, site), text);
}

static void on_flat_exit(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
			 unsigned depth, uint64_t ns, enum rd_end how)
{
	if (stack[depth].retval)
		on_flat_result(ctx, t, stack[depth].site, ns, stack[depth].retval);
}

static struct pfe_pattern *compile(const char *spec, const char *opt)
{
	char err[256];
	struct pfe_pattern *p = pfe_pattern_compile(spec, err, sizeof(err));

	if (!p)
		pfe_say("replay: %s '%s': %s", opt, spec, err);
	return p;
}

const char replay_shortopts[] = "D:t:F:N:";
const struct option replay_longopts[] = {{"tid", required_argument, NULL, PFE_OPT_TID},
					 {"flat", no_argument, NULL, PFE_OPT_FLAT},
					 {"depth", required_argument, NULL, 'D'},
					 {NULL, 0, NULL, 0}};

struct replay *replay_new(void)
{
	return xcalloc(1, sizeof(struct replay));
}

int replay_opt(void *ctx, int c, const char *arg)
{
	struct replay *r = ctx;
	uint64_t v;

	switch (c) {
	case PFE_OPT_FLAT:
		r->flat = true;
		break;
	case PFE_OPT_TID:
		if (!parse_u64(arg, &r->tid))
			return usage_error("replay", "--tid '%s': expected a thread id", arg);
		r->want_tid = true;
		break;
	case 'D':
		if (!parse_u64(arg, &v) || !v || v > 65535)
			return usage_error("replay", "-D '%s': expected a depth of 1 or more", arg);
		r->max_depth = (unsigned)v;
		break;
	case 't':
		if (pfe_parse_duration(arg, &r->min_ns))
			return usage_error("replay", "-t '%s': expected %s", arg,
					   PFE_EXPECT_DURATION);
		break;
	case 'F':
		pfe_pattern_free(r->only);
		if (!(r->only = compile(arg, "-F")))
			return 2;
		break;
	case 'N':
		pfe_pattern_free(r->hide);
		if (!(r->hide = compile(arg, "-N")))
			return 2;
		break;
	}
	return PFE_PROCEED;
}

void replay_free(struct replay *r)
{
	free(r->flags);
	free(r->dur);
	free(r->how);
	free(r->st);
	free(r->held);
	free(r->only_hit);
	free(r->hide_hit);
	pfe_pattern_free(r->only);
	pfe_pattern_free(r->hide);
	free(r);
}

int replay_run(struct replay *rp, const struct pfe_opts *o)
{
	struct replay r = *rp; /* the walk's state, handed back at the end */
	struct rd_recording rec;
	int status = 0;

	demangle_for_patterns();
	if (pfe_open_recording(o, &rec))
		return 1;
	if (!r.flat)
		printf("# DURATION     TID     FUNCTION\n");
	for (size_t i = 0; i < rec.nprocs && !status; i++) {
		struct rd_proc *p = &rec.procs[i];

		r.proc = p;
		free(r.only_hit);
		free(r.hide_hit);
		r.only_hit = r.hide_hit = NULL;
		for (size_t k = 0; k < p->nthreads && !status; k++) {
			const struct rd_thread *t = &p->threads[k];
			struct rd_walker pass1 = {on_entry, on_exit_fn, on_lost,
						  .result = on_result};
			struct rd_walker flatw = {on_flat, on_flat_exit, NULL,
						  .result = on_flat_result};
			struct rd_stats st;

			if (r.want_tid && t->tid != r.tid)
				continue;
			if (r.flat) {
				status = rd_walk(t, &flatw, &r, &st);
				continue;
			}
			r.printing = false;
			r.n = 0;
			status = rd_walk(t, &pass1, &r, &st);
			if (status)
				break;
			r.printing = true;
			r.graph = st.graph;
			r.n1 = r.n;
			r.n = 0;
			pass1.quiet = true; /* the first pass gave the notes */
			r.in_leaf = false;
			r.nheld = 0;
			status = rd_walk(t, &pass1, &r, &st);
			for (size_t h = 0; h < r.nheld; h++) /* a leaf the file lost since */
				print_lost(t, r.held[h]);
			if (st.orphan_exits)
				pfe_say(
				    "note: %s: %llu exits of calls entered before the recording",
				    t->path, (unsigned long long)st.orphan_exits);
		}
	}
	if (r.want_tid && !status) {
		bool found = false;

		for (size_t i = 0; i < rec.nprocs; i++)
			for (size_t k = 0; k < rec.procs[i].nthreads; k++)
				found |= rec.procs[i].threads[k].tid == r.tid;
		if (!found) {
			pfe_say("replay: no thread %llu in %s (see pfe info)",
				(unsigned long long)r.tid, o->dir);
			status = 1;
		}
	}
	*rp = r;
	rd_close(&rec);
	return status ? 1 : 0;
}

int cmd_replay(int argc, char **argv)
{
	struct replay *r = replay_new();
	struct pfe_opts o;
	int status;

	pfe_opts_init(&o, "replay");
	status = pfe_getopt(&o, argc, argv, replay_shortopts, replay_longopts, replay_opt, r);
	if (status == PFE_PROCEED)
		status = replay_run(r, &o);
	replay_free(r);
	return status;
}
