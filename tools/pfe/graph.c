/* SPDX-License-Identifier: MIT */
/*
 * pfe graph: the calls aggregated per path, as `uftrace graph` shows them.
 * Each node is a function reached through one path of calls from a root;
 * it has the calls made through that path, their total time (callees
 * included) and their self time, so that a node's total is its self time
 * plus its children's totals:
 *
 *   # TOTAL (us)    SELF (us) : (CALLS) FUNCTION
 *         19.000       11.300 : (1) main
 *          7.000        4.000 :  +-(1) foo
 *          3.000        3.000 :  | +-(2) bar
 *          0.500        0.500 :  +-(1) area
 *
 * Without -F, each thread's roots (the functions it entered at depth 0)
 * and a tree per thread; with -F FUNC, the subtrees of the outermost calls
 * of the functions the pattern selects, over every thread. --callers FUNC
 * turns it around: the root is FUNC, its children the functions that called
 * it, theirs their callers, and every node holds FUNC's calls and times
 * through that path of callers (so there a node's calls are its children's
 * plus the calls that had no caller: a thread's first function).
 * Children by total time, largest first, then by name.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "pfe.h"
#include "reader.h"
#include "util.h"

#define NONE ((size_t)-1)

struct node {
	const char *name;   /* interned */
	size_t first, next; /* first child, next sibling; 0: none (0 is the root) */
	uint64_t calls, total, self;
};

struct edge {
	size_t parent, idx;
	const char *name;
};

struct graph {
	const struct rd_proc *proc;
	struct pfe_pattern *func; /* -F or --callers */
	bool callers;
	signed char *hit; /* per site: 0 unknown, 1 matches, -1 not */
	struct node *n;
	size_t nn, ncap;
	void *edges; /* tsearch of struct edge by (parent, name) */
	void *names; /* tsearch of interned names */
	size_t *at;  /* node of each open frame, NONE outside the graph */
	size_t atcap;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return x->name == y->name ? 0 : x->name < y->name ? -1 : 1;
}

static void *must(void *p)
{
	if (!p) {
		pfe_say("out of memory");
		exit(1);
	}
	return p;
}

static const char *intern(struct graph *g, const char *s)
{
	const char **slot = tfind(s, &g->names, cmp_str);

	if (!slot)
		slot = must(tsearch(xstrdup(s), &g->names, cmp_str));
	return *slot;
}

/* The child of @parent named @name, made on first use. */
static size_t child(struct graph *g, size_t parent, const char *name)
{
	struct edge key = {parent, 0, intern(g, name)}, *e, **slot;

	slot = tfind(&key, &g->edges, cmp_edge);
	if (slot)
		return (*slot)->idx;
	grow(&g->n, &g->ncap, g->nn, sizeof(*g->n));
	g->n[g->nn] = (struct node){key.name, 0, g->n[parent].first};
	g->n[parent].first = g->nn;
	e = xmalloc(sizeof(*e));
	*e = key;
	e->idx = g->nn++;
	must(tsearch(e, &g->edges, cmp_edge));
	return e->idx;
}

static void reset(struct graph *g)
{
	tdestroy(g->edges, free);
	g->edges = NULL;
	g->nn = 1;
	g->n[0] = (struct node){""};
}

static bool matches(struct graph *g, uint32_t site)
{
	const struct rd_proc *pr = g->proc;
	const struct rd_site *s = rd_site(pr, site);
	size_t i;

	if (!s)
		return false;
	if (!g->hit)
		g->hit = xcalloc(pr->nsite_tab + 1, 1);
	/* Sites are cached by their index in the table, not by id: ids may be
	 * sparse (rd_site). */
	i = (size_t)(s - pr->site_tab);
	if (!g->hit[i])
		g->hit[i] = pfe_pattern_match(g->func, s->name ? s->name : s->label,
					      s->obj ? s->obj->base : NULL)
				? 1
				: -1;
	return g->hit[i] > 0;
}

static void add(struct node *n, uint64_t dur, uint64_t child_ns)
{
	n->calls++;
	n->total += dur;
	n->self += dur - (child_ns < dur ? child_ns : dur);
}

static void on_entry(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		     unsigned depth)
{
	struct graph *g = ctx;
	size_t parent = depth ? g->at[depth - 1] : NONE;
	const char *name = rd_site_label(g->proc, stack[depth].site);

	grow(&g->at, &g->atcap, depth, sizeof(*g->at));
	if (parent != NONE)
		g->at[depth] = child(g, parent, name);
	else if (!g->func || matches(g, stack[depth].site))
		g->at[depth] = child(g, 0, name);
	else
		g->at[depth] = NONE;
}

static void on_exit_fn(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		       unsigned depth, uint64_t ns, enum rd_end how)
{
	struct graph *g = ctx;
	uint64_t dur = ns >= stack[depth].entry_ns ? ns - stack[depth].entry_ns : 0;
	size_t at;

	if (!g->callers) {
		if (g->at[depth] != NONE)
			add(&g->n[g->at[depth]], dur, stack[depth].child_ns);
		return;
	}
	if (!matches(g, stack[depth].site))
		return;
	/* FUNC, then its caller, its caller's caller, ... */
	at = child(g, 0, rd_site_label(g->proc, stack[depth].site));
	add(&g->n[at], dur, stack[depth].child_ns);
	for (unsigned i = depth; i-- > 0;) {
		at = child(g, at, rd_site_label(g->proc, stack[i].site));
		add(&g->n[at], dur, stack[depth].child_ns);
	}
}

static int cmp_total(const void *a, const void *b, void *ctx)
{
	const struct node *v = ctx, *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* @pre: the tree drawn for @idx's ancestors ("| " or "  " each). */
static void print_node(struct graph *g, size_t idx, unsigned depth, char **pre, size_t *cap,
		       bool last)
{
	size_t nk = 0, *kids, len = depth ? 2 * (depth - 1) : 0;
	struct node *n = &g->n[idx];
	char tot[32], self[32];

	rd_fmt_us(n->total, tot, sizeof(tot));
	rd_fmt_us(n->self, self, sizeof(self));
	printf("%12s %12s : %s%.*s%s(%llu) %s\n", tot, self, depth ? " " : "", (int)len, *pre,
	       depth ? "+-" : "", (unsigned long long)n->calls, n->name);
	for (size_t k = n->first; k; k = g->n[k].next)
		nk++;
	kids = xcalloc(nk + 1, sizeof(*kids));
	nk = 0;
	for (size_t k = n->first; k; k = g->n[k].next)
		kids[nk++] = k;
	qsort_r(kids, nk, sizeof(*kids), cmp_total, g->n);
	if (depth) {
		while (*cap < len + 3) {
			*cap = *cap ? *cap * 2 : 256;
			*pre = xrealloc(*pre, *cap);
		}
		memcpy(*pre + len, last ? "  " : "| ", 2);
	}
	for (size_t i = 0; i < nk; i++)
		print_node(g, kids[i], depth + 1, pre, cap, i + 1 == nk);
	free(kids);
}

static void print_graph(struct graph *g, const char *title)
{
	char *pre = NULL;
	size_t cap = 0, nk = 0, *roots;

	printf("# %s\n# %10s %12s : (CALLS) FUNCTION\n", title, "TOTAL (us)", "SELF (us)");
	for (size_t k = g->n[0].first; k; k = g->n[k].next)
		nk++;
	roots = xcalloc(nk + 1, sizeof(*roots));
	nk = 0;
	for (size_t k = g->n[0].first; k; k = g->n[k].next)
		roots[nk++] = k;
	qsort_r(roots, nk, sizeof(*roots), cmp_total, g->n);
	for (size_t i = 0; i < nk; i++)
		print_node(g, roots[i], 0, &pre, &cap, i + 1 == nk);
	free(roots);
	free(pre);
}

struct graph_opts {
	const char *func;
	bool callers, both;
};

static int graph_opt(void *ctx, int c, const char *arg)
{
	struct graph_opts *go = ctx;

	go->both |= go->func && (c == PFE_OPT_CALLERS) != go->callers;
	go->func = arg;
	go->callers = c == PFE_OPT_CALLERS;
	return PFE_PROCEED;
}

int cmd_graph(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"callers", required_argument, NULL, PFE_OPT_CALLERS}, {NULL, 0, NULL, 0}};
	struct graph_opts go = {0};
	struct graph g = {0};
	struct rd_recording rec;
	struct pfe_opts o;
	char err[256], title[512];
	int status;

	pfe_opts_init(&o, "graph");
	status = pfe_getopt(&o, argc, argv, "F:", longopts, graph_opt, &go);
	if (status != PFE_PROCEED)
		return status;
	if (go.both)
		return usage_error("graph", "-F and --callers: expected one");
	demangle_for_patterns();
	if (go.func && !(g.func = pfe_pattern_compile(go.func, err, sizeof(err)))) {
		pfe_say("graph: %s '%s': %s", go.callers ? "--callers" : "-F", go.func, err);
		return 2;
	}
	g.callers = go.callers;
	if (pfe_open_recording(&o, &rec)) {
		pfe_pattern_free(g.func);
		return 1;
	}
	grow(&g.n, &g.ncap, 0, sizeof(*g.n));
	reset(&g);
	status = 0;
	for (size_t i = 0; i < rec.nprocs && !status; i++) {
		g.proc = &rec.procs[i];
		free(g.hit);
		g.hit = NULL;
		for (size_t k = 0; k < g.proc->nthreads && !status; k++) {
			const struct rd_thread *t = &g.proc->threads[k];
			struct rd_walker w = {on_entry, on_exit_fn};
			struct rd_stats st;

			status = rd_walk(t, &w, &g, &st);
			if (status || g.func)
				continue;
			snprintf(title, sizeof(title),
				 "process %u, thread %u%s%s%s: calls per path", g.proc->pid, t->tid,
				 t->name ? " (" : "", t->name ? t->name : "", t->name ? ")" : "");
			if (i || k)
				putchar('\n');
			print_graph(&g, title);
			reset(&g);
		}
	}
	if (!status && g.func) {
		snprintf(title, sizeof(title), "%s '%s', every thread: %s",
			 g.callers ? "callers of" : "calls under", go.func,
			 g.callers ? "its calls and times through each path of callers"
				   : "calls per path");
		print_graph(&g, title);
	}
	tdestroy(g.edges, free);
	tdestroy(g.names, free);
	free(g.n);
	free(g.at);
	free(g.hit);
	pfe_pattern_free(g.func);
	rd_close(&rec);
	return status ? 1 : 0;
}
