/* SPDX-License-Identifier: MIT */
/*
 * PFE_SUMMARY=1: no lines, but at the end a table of calls, total and self
 * time per function for the process, headed by its pid and command, in
 * `pfe report`'s layout (sumtab.c):
 *
 *     # pid 1234: ./app -v
 *     Total (us)      Self (us)      Calls     Min (us)     Avg (us)     Max (us)  Function
 *     ==========      =========      =====     ========     ========     ========  ========
 *      17134.000       9103.500          4     4210.120     4283.500     4400.010  outer
 *
 * The hooks are the graph mode's (trace_graph.c): the traced thread stores
 * its entry and exit events as always, and whoever consumes a ring (the
 * writer thread, or the owner of a full ring) adds each exit to its
 * function's row instead of formatting a line. A call's self time is its
 * duration less that of its traced callees, which exit before it one level
 * deeper: each ring keeps, per level, the time of the callees seen so far.
 *
 * Rows are indexed by site id in one mapping reserved at start (2^21 sites;
 * calls of sites beyond are counted apart and said). Consumers of different
 * rings update a row at once, so its fields change with atomic operations;
 * nothing here allocates or locks until the table is written at the end.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "core.h"
#include "sumtab.h"
#include "trace_rec.h"
#include "trace_summary.h"

#define MAX_SITES PFE_SUMMARY_SITES
#define LEVELS	  PFE_SUMMARY_LEVELS

/* Rows by site id (trace_summary.h). */
struct pfe_summary_row *pfe_summary_rows;
static uint64_t beyond; /* calls of sites with ids >= MAX_SITES */

/* The command, for the table's heading: /proc/self/cmdline at start-up,
 * its words joined by spaces (a program may rewrite its arguments later). */
static char command[256];

static void note_command(void)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, command, sizeof(command) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		n = 0;
	command[n] = '\0';
	while (n > 0 && !command[n - 1])
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (!command[i] || command[i] == '\n')
			command[i] = ' ';
}

bool pfe_summary_start(void)
{
	void *p;

	if (pfe_summary_rows)
		return true; /* on again: the calls counted so far stay */
	note_command();
	p = mmap(NULL, (size_t)MAX_SITES * sizeof(struct pfe_summary_row), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		pfe_err("PFE_SUMMARY: no memory for the table; not tracing");
		return false;
	}
	pfe_summary_rows = p;
	return true;
}

void pfe_summary_forked(void)
{
	if (!pfe_summary_rows)
		return;
	/* The parent's calls are the parent's table: a fresh mapping. */
	if (mmap(pfe_summary_rows, (size_t)MAX_SITES * sizeof(struct pfe_summary_row),
		 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		memset(pfe_summary_rows, 0,
		       (size_t)pfe_site_ids_end() * sizeof(struct pfe_summary_row));
	beyond = 0;
}

/* What pfe_summary_add leaves: the ring's first exit, a site beyond the
 * table. */
void pfe_summary_add_slow(uint64_t **levels, uint32_t id, unsigned level, uint64_t ns)
{
	uint64_t *acc = *levels;

	if (!acc) {
		/* The ring's first exit: mmap is async-signal-safe, malloc
		 * is not (the owner may consume in a signal handler). */
		void *p = mmap(NULL, LEVELS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return;
		acc = *levels = p;
		if (id < MAX_SITES) {
			pfe_summary_add(acc, id, level, ns);
			return;
		}
	}
	if (level >= LEVELS - 1)
		level = LEVELS - 2;
	acc[level + 1] = 0;
	acc[level] += ns;
	__atomic_fetch_add(&beyond, 1, __ATOMIC_RELAXED);
}

/*
 * The sites of unloaded objects that had calls: their names are taken when
 * the object goes (pfe_summary_before_unload), so that the table still
 * names them, and a function loaded several times is one row.
 */
struct gone {
	uint32_t first, n; /* ids first .. first + n - 1 */
	char *obj;
	char **names; /* NULL where the site had no call */
};
static struct gone *gone;
static size_t ngone;

/* What the table shows for a site: its label, else its address. */
static void site_name(const struct pfe_site *s, char *buf, size_t len)
{
	if (pfe_site_label(s))
		snprintf(buf, len, "%s", pfe_site_label(s));
	else
		snprintf(buf, len, "0x%lx", (unsigned long)s->func);
}

void pfe_summary_before_unload(const struct pfe_object *obj)
{
	struct gone g = {obj->first_id, (uint32_t)obj->tab.nsites, NULL, NULL};
	struct gone *v;
	char nb[512];

	if (!pfe_summary_rows || !g.n || g.first >= MAX_SITES)
		return;
	if (g.n > MAX_SITES - g.first)
		g.n = MAX_SITES - g.first;
	g.obj = strdup(obj->name ? obj->name : "?");
	g.names = calloc(g.n, sizeof(*g.names));
	v = realloc(gone, (ngone + 1) * sizeof(*gone));
	if (!g.obj || !g.names || !v) {
		free(g.obj);
		free(g.names);
		if (v)
			gone = v;
		pfe_err_once("PFE_SUMMARY: no memory to keep the names of an unloaded object");
		return;
	}
	gone = v;
	for (uint32_t i = 0; i < g.n; i++)
		if (__atomic_load_n(&pfe_summary_rows[g.first + i].calls, __ATOMIC_RELAXED)) {
			site_name(&obj->tab.sites[i], nb, sizeof(nb));
			g.names[i] = strdup(nb);
		}
	gone[ngone++] = g;
}

/* The name of site @id and its object's, for the table; under the RCU read
 * lock (a live site's names stay valid). */
static const char *name_of(uint32_t id, char *buf, size_t len, const char **obj)
{
	const struct pfe_site *s = pfe_site_by_id(id);

	if (s) {
		*obj = s->obj && s->obj->name ? s->obj->name : "?";
		site_name(s, buf, len);
		return buf;
	}
	for (size_t i = 0; i < ngone; i++)
		if (id >= gone[i].first && id - gone[i].first < gone[i].n &&
		    gone[i].names[id - gone[i].first]) {
			*obj = gone[i].obj;
			return gone[i].names[id - gone[i].first];
		}
	*obj = "?";
	snprintf(buf, len, "site %u (unloaded)", id);
	return buf;
}

/* Rows of one function of one object (loaded, unloaded, loaded again: a
 * site id each time) become one row. */
struct keyed {
	char *key; /* "<object>\n<name>" */
	size_t row;
};

static int by_key(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->row > y->row) - (x->row < y->row);
}

static int by_row(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	return (x->row > y->row) - (x->row < y->row);
}

static size_t merge_rows(struct pfe_sum_row *v, char **keys, size_t n)
{
	struct keyed *k = malloc((n ? n : 1) * sizeof(*k));
	size_t out = 0;

	if (!k)
		return n; /* unmerged: still right per load */
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){keys[i], i};
	qsort(k, n, sizeof(*k), by_key);
	for (size_t i = 0, j; i < n; i = j) {
		struct pfe_sum_row *r = &v[k[i].row];

		for (j = i + 1; j < n && !strcmp(k[j].key, k[i].key); j++) {
			const struct pfe_sum_row *o = &v[k[j].row];

			r->total += o->total;
			r->self += o->self;
			r->calls += o->calls;
			r->min = o->min < r->min ? o->min : r->min;
			r->max = o->max > r->max ? o->max : r->max;
			free((char *)o->name);
		}
		k[out++].row = k[i].row;
	}
	/* The first row of each function stays, in id order. */
	qsort(k, out, sizeof(*k), by_row);
	for (size_t i = 0; i < out; i++)
		v[i] = v[k[i].row];
	free(k);
	return out;
}

/* The table, sorted by total time, to @fd. At the end of the process image
 * (exit, exec): allocates. */
void pfe_summary_write(int fd)
{
	uint32_t end = pfe_site_ids_end();
	struct pfe_sum_row *v;
	char line[PFE_SUM_LINE_MAX], nb[512], **keys;
	size_t n = 0, len;
	bool merge = true;

	if (!pfe_summary_rows || fd < 0)
		return;
	if (end > MAX_SITES)
		end = MAX_SITES;
	v = calloc(end ? end : 1, sizeof(*v));
	keys = calloc(end ? end : 1, sizeof(*keys));
	if (!v || !keys) {
		free(v);
		free(keys);
		pfe_err("PFE_SUMMARY: no memory to write the table");
		return;
	}
	rcu_read_lock();
	for (uint32_t id = 0; id < end; id++) {
		struct pfe_summary_row *r = &pfe_summary_rows[id];
		uint64_t calls = __atomic_load_n(&r->calls, __ATOMIC_RELAXED);

		if (!calls)
			continue;
		const char *obj, *name = name_of(id, nb, sizeof(nb), &obj);

		if (asprintf(&keys[n], "%s\n%s", obj, name) < 0)
			keys[n] = NULL;
		v[n++] = (struct pfe_sum_row){
		    .name = strdup(name),
		    .total = __atomic_load_n(&r->total, __ATOMIC_RELAXED),
		    .self = __atomic_load_n(&r->self, __ATOMIC_RELAXED),
		    .calls = calls,
		    .min = __atomic_load_n(&r->min, __ATOMIC_RELAXED) - 1,
		    .max = __atomic_load_n(&r->max, __ATOMIC_RELAXED),
		};
	}
	rcu_read_unlock();
	for (size_t i = 0; i < n; i++)
		if (!keys[i])
			merge = false; /* out of memory: a row per load, still right */
	if (merge)
		n = merge_rows(v, keys, n);
	pfe_sum_sort(v, n, PFE_SUM_TOTAL);
	/* Whose table: a fork child writes its own, maybe to the same file. */
	len = (size_t)snprintf(line, sizeof(line), "# pid %d: %s\n", (int)getpid(), command);
	pfe_output_write(fd, line, len < sizeof(line) ? len : sizeof(line) - 1);
	len = pfe_sum_fmt_header(line, sizeof(line));
	pfe_output_write(fd, line, len);
	for (size_t i = 0; i < n; i++) {
		const char *name = v[i].name ? v[i].name : "?";

		len = pfe_sum_fmt_row(line, sizeof(line), &v[i]);
		pfe_output_write(fd, line, len);
		pfe_output_write(fd, name, strlen(name));
		pfe_output_write(fd, "\n", 1);
		free((char *)v[i].name);
	}
	for (size_t i = 0; i < end; i++)
		free(keys[i]);
	free(keys);
	free(v);
	if (beyond) {
		len = (size_t)snprintf(line, sizeof(line),
				       "# %llu calls of sites beyond the first %u not counted\n",
				       (unsigned long long)beyond, MAX_SITES);
		pfe_output_write(fd, line, len);
	}
}
