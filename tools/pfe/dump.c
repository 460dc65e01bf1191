/* SPDX-License-Identifier: MIT */
/*
 * pfe dump --chrome: the Chrome Trace Event Format ("JSON Object Format":
 * {"traceEvents": [...]}), which ui.perfetto.dev and chrome://tracing open.
 * Each call is a "B" (begin) and an "E" (end) event with "pid", "tid" and
 * "ts" in microseconds; "M" metadata events name processes and threads.
 * Every event is one JSON object built and encoded by jansson, written as
 * it is read, so that a recording of any size streams out. A function
 * traced with a signature has its arguments in its "B" event's args
 * ({"args": "(\"abc\", 3)"}) and its result in its "E" event's
 * ({"retval": "7"}), which viewers merge into the slice's arguments; in a
 * recording of entries only, a result is an instant event ("ph": "i") named
 * after the function. Names are valid
 * UTF-8: the reader keeps bytes that are not as "\xHH" text (reader.h).
 *
 * pfe dump --perfetto: Perfetto's protobuf trace format (perfetto.c).
 *
 * pfe dump --flame: folded stacks, "main;foo;bar 1234", one line per
 * distinct stack with the self time in nanoseconds spent in it, depth first
 * (a stack, then the stacks it calls, callees sorted by name): the input of
 * flamegraph.pl, inferno-flamegraph and speedscope.
 */
#include <getopt.h>
#include <jansson.h>
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
	if (!ev) { /* the names are valid UTF-8 (reader.h): only memory can fail */
		pfe_say("dump: out of memory encoding an event");
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
	json_t *ev = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f}", "name",
			       rd_site_label(c->proc, stack[depth].site), "cat", "function", "ph",
			       "B", "pid", (json_int_t)c->proc->pid, "tid", (json_int_t)t->tid,
			       "ts", us(stack[depth].entry_ns));

	if (ev && stack[depth].args)
		json_object_set_new(ev, "args", json_pack("{s:s}", "args", stack[depth].args));
	emit(c, ev);
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
	else if (ev && stack[depth].retval)
		json_object_set_new(ev, "args", json_pack("{s:s}", "retval", stack[depth].retval));
	emit(c, ev);
}

/* Entries only: a result without its slice, an instant of the thread. */
static void chrome_result(void *ctx, const struct rd_thread *t, uint32_t site, uint64_t ns,
			  const char *text)
{
	struct chrome *c = ctx;

	emit(c, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:{s:s}}", "name",
			  rd_site_label(c->proc, site), "cat", "function", "ph", "i", "s", "t",
			  "pid", (json_int_t)c->proc->pid, "tid", (json_int_t)t->tid, "ts", us(ns),
			  "args", "retval", text));
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
	struct rd_walker w = {chrome_entry, chrome_exit, chrome_lost, .result = chrome_result};
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

/*
 * The distinct stacks form a tree: a node is a stack, named by its parent
 * node and the name of its last frame. Entering a call steps from the
 * caller's node to a child, so each event costs one hash lookup whatever
 * the depth, and memory is one node per distinct stack; the lines are
 * written at the end by walking the tree with one path buffer. (Building
 * each stack's string at each exit was quadratic in the depth.)
 */
struct fnode {
	uint32_t parent, name; /* node 0 is the root: no frame */
	uint64_t ns;	       /* self time */
};

struct flame {
	const struct rd_proc *proc;
	uint32_t *site_name; /* per site of proc (rd_proc.site_tab): name id + 1 */
	/* names: interned labels, hashed */
	char **names;
	size_t nnames, names_cap;
	uint32_t *name_tab;
	size_t name_mask;
	/* nodes, hashed by (parent, name) */
	struct fnode *nodes;
	size_t nnodes, nodes_cap;
	uint32_t *node_tab;
	size_t node_mask;
	/* the node of each open frame */
	uint32_t *path;
	size_t path_cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_node(uint32_t parent, uint32_t name)
{
	uint64_t h = ((uint64_t)parent << 32 | name) * 0x9e3779b97f4a7c15ull;

	return h ^ h >> 29;
}

/* Open-addressing tables of ids + 1 (0: empty), at most half full. */
static uint64_t hash_of(const struct flame *f, uint32_t *tab, size_t i)
{
	return tab == f->name_tab ? hash_str(f->names[i])
				  : hash_node(f->nodes[i].parent, f->nodes[i].name);
}

static void put(const struct flame *f, uint32_t *tab, size_t mask, size_t i)
{
	uint64_t h = hash_of(f, tab, i);

	while (tab[h & mask])
		h++;
	tab[h & mask] = (uint32_t)i + 1;
}

/* Room in *@tab for element @n (0..n-1 are in it). */
static void room(struct flame *f, uint32_t **tab, size_t *mask, size_t n)
{
	size_t cap = *tab ? *mask + 1 : 0;

	if (n >= UINT32_MAX - 1) {
		pfe_say("dump: more than 2^32 distinct stacks or names");
		exit(1);
	}
	if (n + 1 <= cap / 2)
		return;
	cap = cap ? cap * 2 : 1024;
	free(*tab);
	*tab = xcalloc(cap, sizeof(**tab));
	*mask = cap - 1;
	for (size_t i = 0; i < n; i++)
		put(f, *tab, *mask, i);
}

static uint32_t intern(struct flame *f, const char *name)
{
	uint64_t h = hash_str(name);
	uint32_t id;

	for (; f->name_tab && (id = f->name_tab[h & f->name_mask]); h++)
		if (!strcmp(f->names[id - 1], name))
			return id - 1;
	room(f, &f->name_tab, &f->name_mask, f->nnames);
	grow(&f->names, &f->names_cap, f->nnames, sizeof(*f->names));
	f->names[f->nnames] = xstrdup(name);
	put(f, f->name_tab, f->name_mask, f->nnames);
	return (uint32_t)f->nnames++;
}

static uint32_t site_name(struct flame *f, uint32_t site)
{
	const struct rd_site *s = rd_site(f->proc, site);
	uint32_t *slot;

	if (!s)
		return intern(f, rd_site_label(f->proc, site));
	slot = &f->site_name[s - f->proc->site_tab];
	if (!*slot)
		*slot = intern(f, s->label) + 1;
	return *slot - 1;
}

static uint32_t child(struct flame *f, uint32_t parent, uint32_t name)
{
	uint64_t h = hash_node(parent, name);
	uint32_t id;

	for (; (id = f->node_tab[h & f->node_mask]); h++)
		if (f->nodes[id - 1].parent == parent && f->nodes[id - 1].name == name)
			return id - 1;
	room(f, &f->node_tab, &f->node_mask, f->nnodes);
	grow(&f->nodes, &f->nodes_cap, f->nnodes, sizeof(*f->nodes));
	f->nodes[f->nnodes] = (struct fnode){parent, name, 0};
	put(f, f->node_tab, f->node_mask, f->nnodes);
	return (uint32_t)f->nnodes++;
}

static void flame_entry(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
			unsigned depth)
{
	struct flame *f = ctx;
	uint32_t parent = depth ? f->path[depth - 1] : 0;

	grow(&f->path, &f->path_cap, depth, sizeof(*f->path));
	f->path[depth] = child(f, parent, site_name(f, stack[depth].site));
}

static void flame_exit(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		       unsigned depth, uint64_t ns, enum rd_end how)
{
	struct flame *f = ctx;
	uint64_t dur = ns - stack[depth].entry_ns;

	f->nodes[f->path[depth]].ns +=
	    dur - (stack[depth].child_ns < dur ? stack[depth].child_ns : dur);
}

static const struct flame *sort_ctx;

static int cmp_child(const void *a, const void *b)
{
	const struct flame *f = sort_ctx;

	return strcmp(f->names[f->nodes[*(const uint32_t *)a].name],
		      f->names[f->nodes[*(const uint32_t *)b].name]);
}

/* Every stack, depth first: a stack, then the stacks it calls, by name. */
static void flame_print(struct flame *f)
{
	size_t *first = xcalloc(f->nnodes + 1, sizeof(*first)), *fill;
	uint32_t *kids = xcalloc(f->nnodes, sizeof(*kids));
	struct level {
		uint32_t node; /* whose callees are listed at this level */
		size_t next;   /* the next of them, from first[node] */
		size_t len;    /* of the path to node in buf */
	} *lv = NULL;
	size_t lvcap = 0, bcap = 0, top = 0;
	char *buf = NULL;

	/* The callees of node i: kids[first[i] .. first[i + 1]). */
	for (size_t i = 1; i < f->nnodes; i++)
		first[f->nodes[i].parent + 1]++;
	for (size_t i = 0; i < f->nnodes; i++)
		first[i + 1] += first[i];
	fill = xmalloc((f->nnodes + 1) * sizeof(*fill));
	memcpy(fill, first, (f->nnodes + 1) * sizeof(*fill));
	for (size_t i = 1; i < f->nnodes; i++)
		kids[fill[f->nodes[i].parent]++] = (uint32_t)i;
	free(fill);
	sort_ctx = f;
	for (size_t i = 0; i < f->nnodes; i++)
		if (first[i + 1] - first[i] > 1)
			qsort(kids + first[i], first[i + 1] - first[i], sizeof(*kids), cmp_child);

	grow(&lv, &lvcap, 0, sizeof(*lv));
	lv[0] = (struct level){0, first[0], 0};
	for (;;) {
		struct level *l = &lv[top];
		const char *name;
		size_t n, end;
		uint32_t k;

		if (l->next == first[l->node + 1]) {
			if (!top)
				break;
			top--;
			continue;
		}
		k = kids[l->next++];
		name = f->names[f->nodes[k].name];
		n = strlen(name);
		end = l->len + (top ? 1 : 0) + n;
		while (end + 1 > bcap) {
			bcap = bcap ? bcap * 2 : 4096;
			buf = xrealloc(buf, bcap);
		}
		if (top)
			buf[l->len] = ';';
		memcpy(buf + end - n, name, n);
		fwrite(buf, 1, end, stdout);
		printf(" %llu\n", (unsigned long long)f->nodes[k].ns);
		if (first[k + 1] > first[k]) {
			grow(&lv, &lvcap, top + 1, sizeof(*lv));
			lv[++top] = (struct level){k, first[k], end};
		}
	}
	free(first);
	free(kids);
	free(lv);
	free(buf);
}

static int dump_flame(struct rd_recording *rec)
{
	struct flame f = {0};
	struct rd_walker w = {.entry = flame_entry, .exit = flame_exit};
	int status = 0;

	/* The root: no one's callee (no name matches it). */
	room(&f, &f.node_tab, &f.node_mask, 0);
	grow(&f.nodes, &f.nodes_cap, 0, sizeof(*f.nodes));
	f.nodes[f.nnodes++] = (struct fnode){UINT32_MAX, UINT32_MAX, 0};
	for (size_t i = 0; i < rec->nprocs && !status; i++) {
		f.proc = &rec->procs[i];
		free(f.site_name);
		f.site_name = xcalloc(f.proc->nsite_tab + 1, sizeof(*f.site_name));
		for (size_t k = 0; k < f.proc->nthreads && !status; k++) {
			struct rd_stats st;

			status = rd_walk(&f.proc->threads[k], &w, &f, &st);
		}
	}
	if (!status)
		flame_print(&f);
	for (size_t i = 0; i < f.nnames; i++)
		free(f.names[i]);
	free(f.names);
	free(f.name_tab);
	free(f.nodes);
	free(f.node_tab);
	free(f.path);
	free(f.site_name);
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
