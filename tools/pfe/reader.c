/* SPDX-License-Identifier: MIT */
/*
 * Reading a PFE_RECORD recording (reader.h, tracer/record.h).
 *
 * Text files are read whole at rd_open; the events of a thread are streamed
 * by rd_walk, which keeps only the open frames, so a recording of any size
 * reads in memory proportional to its call depth and its symbol tables.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"
#include "record.h"
#include "util.h"

#define PROGRESS_MIN (100ull << 20) /* show progress for files above 100 MB */

/* ------------------------------------------------------------ text files */

/* Split @line into at most @max fields at spaces; the last one takes the rest
 * of the line. Returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (*line && n < max) {
		while (*line == ' ')
			line++;
		if (!*line)
			break;
		f[n++] = line;
		if (n == max)
			break;
		line += strcspn(line, " ");
		if (*line)
			*line++ = '\0';
	}
	return n;
}

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/*
 * Open @path for reading if it is a regular file. libpfe writes nothing else
 * into a recording, and anything else is a trap: a FIFO blocks the open or
 * the read forever, a device (/dev/zero) never ends, and a symbolic link
 * (not followed) may lead to either. NULL when it cannot, with *@why saying
 * what it is or the error; errno is kept for a file that does not exist.
 */
static FILE *open_regular(const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	FILE *fp;

	if (fd < 0) {
		*why = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*why = fstat(fd, &st) ? strerror(errno) : file_kind(st.st_mode);
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	fp = fdopen(fd, "rb");
	if (!fp) {
		*why = strerror(errno);
		close(fd);
	}
	return fp;
}

/* Open @proc's file @name; NULL (and errno, *@why) when it cannot. */
static FILE *open_in(const struct rd_proc *p, const char *name, char *path, size_t len,
		     const char **why)
{
	snprintf(path, len, "%s/%s", p->path, name);
	return open_regular(path, why);
}

/* Replace *@field (a repeated key: the last one wins) with @s as shown. */
static void set_shown(char **field, const char *s)
{
	free(*field);
	*field = xstrdup_shown(s);
}

static int read_info(struct rd_proc *p)
{
	char path[4096], *line = NULL, *f[8];
	const char *why;
	size_t cap = 0;
	int lineno = 0, err = 0;
	FILE *fp = open_in(p, "info", path, sizeof(path), &why);

	if (!fp) {
		pfe_say("%s: %s (expected a regular file: a recording made with PFE_RECORD)", path,
			why);
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		int n = split(line, f, 2);

		if (++lineno == 1) {
			if (n != 2 || strcmp(f[0], "format") || strncmp(f[1], "pfe-record ", 11)) {
				pfe_say(
				    "%s: not a recording (expected 'format pfe-record %d' first)",
				    path, PFE_REC_VERSION);
				err = -1;
				break;
			}
			uint64_t ver;

			if (!parse_u64(f[1] + 11, &ver) || ver < PFE_REC_VERSION_MIN ||
			    ver > PFE_REC_VERSION) {
				char *v = xstrdup_shown(f[1] + 11);

				pfe_say("%s: format version %.40s, expected %d to %d (a newer pfe "
					"reads a newer one)",
					path, v, PFE_REC_VERSION_MIN, PFE_REC_VERSION);
				free(v);
				err = -1;
				break;
			}
			p->version = (unsigned)ver;
			continue;
		}
		if (n < 2)
			continue;
		uint64_t v = 0;
		bool num = parse_u64(f[1], &v);

		if (!strcmp(f[0], "pid") && num)
			p->pid = (uint32_t)v;
		else if (!strcmp(f[0], "ppid") && num)
			p->ppid = (uint32_t)v;
		else if (!strcmp(f[0], "exe"))
			set_shown(&p->exe, unescape(f[1]));
		else if (!strcmp(f[0], "cmdline"))
			set_shown(&p->cmdline, f[1]); /* as written: quoted, escaped */
		else if (!strcmp(f[0], "date"))
			set_shown(&p->date, f[1]);
		else if (!strcmp(f[0], "arch"))
			set_shown(&p->arch, f[1]);
		else if (!strcmp(f[0], "mode"))
			set_shown(&p->mode, f[1]);
		else if (!strcmp(f[0], "clock_hz") && num)
			p->clock_hz = v;
		else if (!strcmp(f[0], "clock_base") && num)
			p->clock_base = v;
		else if (!strcmp(f[0], "realtime_ns") && num)
			p->realtime_ns = v;
		else if (!strcmp(f[0], "end")) {
			char *g[6];
			uint64_t e, ev, lo;

			if (split(line + 4, g, 5) == 5 && parse_u64(g[0], &e) &&
			    !strcmp(g[1], "events") && parse_u64(g[2], &ev) &&
			    !strcmp(g[3], "lost") && parse_u64(g[4], &lo)) {
				p->ended = true;
				p->end_ticks = e;
				p->nevents = ev;
				p->nlost = lo;
			}
		}
	}
	if (!err && lineno == 0) {
		pfe_say("%s: empty (expected 'format pfe-record %d' first)", path, PFE_REC_VERSION);
		err = -1;
	}
	if (!err && !p->clock_hz) {
		pfe_say("%s: no clock_hz line (expected the clock's frequency)", path);
		err = -1;
	}
	free(line);
	fclose(fp);
	return err;
}

static int read_objects(struct rd_proc *p)
{
	char path[4096], *line = NULL, *f[9];
	const char *why;
	size_t cap = 0, ocap = 0, lineno = 0;
	FILE *fp = open_in(p, "objects", path, sizeof(path), &why);
	int err = 0;

	if (!fp) {
		pfe_say("%s: %s (expected a regular file: the list of objects)", path, why);
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		int n = split(line, f, 9);
		uint64_t v[7];

		lineno++;
		if (n == 9 && !strcmp(f[0], "object")) {
			bool ok = true;

			for (int i = 0; i < 7; i++)
				ok &= parse_u64(f[i + 1], &v[i]);
			if (!ok || v[0] != p->nobjs) {
				pfe_say("%s:%zu: malformed object line (expected 'object %zu "
					"<first_site> <nsites> 0x<bias> 0x<lo> 0x<hi> <ticks> "
					"<path>')",
					path, lineno, p->nobjs);
				err = -1;
				break;
			}
			/* Site ids are 28 bits (lib/record.h): the format's limit. */
			if (v[1] > PFE_REC_SITE_MAX + 1ull ||
			    v[2] > PFE_REC_SITE_MAX + 1ull - v[1]) {
				pfe_say("%s:%zu: %llu sites from id %llu (expected site ids "
					"below 2^%d)",
					path, lineno, (unsigned long long)v[2],
					(unsigned long long)v[1], PFE_REC_SITE_BITS);
				err = -1;
				break;
			}
			grow(&p->objs, &ocap, p->nobjs, sizeof(*p->objs));
			struct rd_object *o = &p->objs[p->nobjs++];

			memset(o, 0, sizeof(*o));
			o->id = (unsigned)v[0];
			o->first_site = (uint32_t)v[1];
			o->nsites = (uint32_t)v[2];
			o->bias = v[3];
			o->lo = v[4];
			o->hi = v[5];
			o->ticks = v[6];
			o->path = xstrdup_shown(unescape(f[8]));
		} else if (n == 3 && !strcmp(f[0], "unload") && parse_u64(f[1], &v[0]) &&
			   v[0] < p->nobjs && parse_u64(f[2], &v[1])) {
			p->objs[v[0]].unloaded = true;
			p->objs[v[0]].unload_ticks = v[1];
		} else if (n) {
			char *word = xstrdup_shown(f[0]); /* it goes to a terminal */

			pfe_say("%s:%zu: unknown line '%.40s' (expected object or unload)", path,
				lineno, word);
			free(word);
			err = -1;
			break;
		}
	}
	for (size_t i = 0; i < p->nobjs; i++) {
		const char *slash = strrchr(p->objs[i].path, '/');

		p->objs[i].base = slash ? slash + 1 : p->objs[i].path;
	}
	free(line);
	fclose(fp);
	return err;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct rd_sym *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* @name as people see it: demangled (when @dem) and shown (util.h). */
static char *shown_name(const char *name, bool dem)
{
	char *d = dem ? demangle(name) : NULL, *s = xstrdup_shown(d ? d : name);

	free(d);
	return s;
}

static char *make_label(const char *name, const struct rd_object *o, uint64_t off, bool dem)
{
	char buf[512];

	if (name)
		return shown_name(name, dem);
	snprintf(buf, sizeof(buf), "%s+0x%llx", o->base, (unsigned long long)off);
	return xstrdup(buf);
}

/*
 * sym-<obj>.txt: the object's sites, in order (site <index> counts from 0),
 * then its symbols. The sites read are appended to p->site_tab: their number is
 * what the file holds, never what the objects line claims, which must agree.
 */
static int read_syms(struct rd_proc *p, struct rd_object *o, bool dem, size_t *sites_cap)
{
	char name[64], path[4096], *line = NULL, *f[5];
	const char *why;
	size_t cap = 0, scap = 0, lineno = 0;
	uint32_t nread = 0;
	FILE *fp;
	int err = 0;

	snprintf(name, sizeof(name), "sym-%u.txt", o->id);
	fp = open_in(p, name, path, sizeof(path), &why);
	if (!fp) {
		if (errno == ENOENT && !o->nsites)
			return 0; /* an object without sites may have no table */
		pfe_say("%s: %s (expected a regular file: the sites of %s)", path, why, o->path);
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		int n = split(line, f, 5);
		uint64_t a, b;

		lineno++;
		if (n == 5 && !strcmp(f[0], "site") && parse_u64(f[1], &a) && parse_u64(f[2], &b) &&
		    a == nread && a < o->nsites) {
			struct rd_site *s;

			grow(&p->site_tab, sites_cap, p->nsite_tab, sizeof(*p->site_tab));
			s = &p->site_tab[p->nsite_tab++];
			unescape(f[4]);
			s->id = o->first_site + nread++;
			s->obj = o;
			s->off = b;
			s->name = strcmp(f[4], "?") ? xstrdup(f[4]) : NULL;
			s->label = make_label(s->name, o, b, dem);
		} else if (n == 4 && !strcmp(f[0], "sym") && parse_u64(f[1], &a) &&
			   parse_u64(f[2], &b)) {
			grow(&o->syms, &scap, o->nsyms, sizeof(*o->syms));
			o->syms[o->nsyms++] =
			    (struct rd_sym){a, b, shown_name(unescape(f[3]), dem)};
		} else if (n) {
			pfe_say("%s:%zu: malformed line (expected 'site %u 0x<offset> <flags> "
				"<name>' for the %u sites of objects, or 'sym 0x<offset> "
				"0x<size> <name>')",
				path, lineno, nread, o->nsites);
			err = -1;
			break;
		}
	}
	if (!err && nread != o->nsites) {
		pfe_say("%s: %u site lines (expected %u, as objects says)", path, nread, o->nsites);
		err = -1;
	}
	if (o->nsyms)
		qsort(o->syms, o->nsyms, sizeof(*o->syms), cmp_sym);
	free(line);
	fclose(fp);
	return err;
}

static int cmp_site(const void *a, const void *b)
{
	const struct rd_site *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->obj->id < y->obj->id ? -1 : x->obj->id > y->obj->id;
}

/* Sort the sites by id; of objects claiming the same id, the first keeps it. */
static void index_sites(struct rd_proc *p)
{
	size_t n = 0;

	if (!p->nsite_tab)
		return;
	qsort(p->site_tab, p->nsite_tab, sizeof(*p->site_tab), cmp_site);
	for (size_t i = 0; i < p->nsite_tab; i++) {
		if (n && p->site_tab[n - 1].id == p->site_tab[i].id) {
			free(p->site_tab[i].name);
			free(p->site_tab[i].label);
			continue;
		}
		p->site_tab[n++] = p->site_tab[i];
	}
	p->nsite_tab = n;
}

const struct rd_site *rd_site(const struct rd_proc *p, uint32_t id)
{
	size_t lo = 0, hi = p->nsite_tab;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->site_tab[mid].id == id)
			return &p->site_tab[mid];
		if (p->site_tab[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct rd_thread *x = a, *y = b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int read_threads(struct rd_proc *p)
{
	char path[4096], *line = NULL, *f[2];
	const char *why;
	size_t cap = 0, tcap = 0;
	struct dirent *de;
	DIR *d = opendir(p->path);
	FILE *fp;
	int err = 0;

	if (!d) {
		pfe_say("%s: %s", p->path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		uint64_t tid;
		char num[32];
		struct stat st;

		if (len < 5 || len - 4 >= sizeof(num) || strcmp(de->d_name + len - 4, ".dat"))
			continue;
		memcpy(num, de->d_name, len - 4);
		num[len - 4] = '\0';
		if (!parse_u64(num, &tid) || strncmp(num, "0x", 2) == 0 || tid > UINT32_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->path, de->d_name);
		if (lstat(path, &st))
			continue;
		if (!S_ISREG(st.st_mode)) {
			pfe_say("%s: %s (expected a regular file: a thread's events)", path,
				S_ISLNK(st.st_mode) ? "a symbolic link" : file_kind(st.st_mode));
			err = -1;
			break;
		}
		grow(&p->threads, &tcap, p->nthreads, sizeof(*p->threads));
		p->threads[p->nthreads++] = (struct rd_thread){.tid = (uint32_t)tid,
							       .path = xstrdup(path),
							       .size = (uint64_t)st.st_size,
							       .proc = p};
	}
	closedir(d);
	if (err)
		return err;
	if (p->nthreads)
		qsort(p->threads, p->nthreads, sizeof(*p->threads), cmp_thread);
	fp = open_in(p, "threads", path, sizeof(path), &why);
	if (!fp && errno != ENOENT) { /* none: no thread was named */
		pfe_say("%s: %s (expected a regular file: the names of the threads)", path, why);
		return -1;
	}
	while (fp && getline(&line, &cap, fp) > 0) {
		uint64_t tid;

		if (split(line, f, 2) != 2 || !parse_u64(f[0], &tid))
			continue;
		struct rd_thread key = {.tid = (uint32_t)tid}, *t;

		if (tid > UINT32_MAX)
			continue;
		t = p->nthreads
			? bsearch(&key, p->threads, p->nthreads, sizeof(*p->threads), cmp_thread)
			: NULL;
		if (t)
			set_shown(&t->name, unescape(f[1]));
	}
	if (fp)
		fclose(fp);
	free(line);
	return 0;
}

struct edge {
	uint64_t at;
	size_t obj; /* index in p->objs */
	bool start;
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static void heap_push(size_t *h, size_t *n, size_t v)
{
	size_t i = (*n)++;

	for (; i && h[(i - 1) / 2] > v; i = (i - 1) / 2)
		h[i] = h[(i - 1) / 2];
	h[i] = v;
}

static void heap_pop(size_t *h, size_t *n)
{
	size_t v = h[--*n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (v <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

/*
 * rd_symbolize names an address by the first object (in the order of the
 * objects file) whose [lo, hi) holds it; objects may overlap (an object
 * loaded where an unloaded one was). A sweep over the ranges' ends, with a
 * heap of the objects open at each point, cuts the address space into
 * disjoint spans, each with that first object: a lookup is a binary search
 * instead of a scan of every object per address.
 */
static void index_spans(struct rd_proc *p)
{
	struct edge *e = xcalloc(2 * p->nobjs, sizeof(*e));
	size_t *heap = xcalloc(p->nobjs, sizeof(*heap)), nheap = 0, n = 0, cap = 0;
	bool *open = xcalloc(p->nobjs, sizeof(*open));

	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i].lo < p->objs[i].hi) {
			e[n++] = (struct edge){p->objs[i].lo, i, true};
			e[n++] = (struct edge){p->objs[i].hi, i, false};
		}
	if (n)
		qsort(e, n, sizeof(*e), cmp_edge);
	for (size_t i = 0; i < n;) {
		uint64_t at = e[i].at;

		for (; i < n && e[i].at == at; i++) {
			open[e[i].obj] = e[i].start;
			if (e[i].start)
				heap_push(heap, &nheap, e[i].obj);
		}
		while (nheap && !open[heap[0]]) /* closed: dropped lazily */
			heap_pop(heap, &nheap);
		if (!nheap || i == n)
			continue;
		if (p->nspans && p->spans[p->nspans - 1].hi == at &&
		    p->spans[p->nspans - 1].obj == &p->objs[heap[0]]) {
			p->spans[p->nspans - 1].hi = e[i].at;
			continue;
		}
		grow(&p->spans, &cap, p->nspans, sizeof(*p->spans));
		p->spans[p->nspans++] = (struct rd_span){at, e[i].at, &p->objs[heap[0]]};
	}
	free(e);
	free(heap);
	free(open);
}

static int read_proc(struct rd_proc *p, bool dem)
{
	size_t cap = 0;

	if (read_info(p) || read_objects(p))
		return -1;
	for (size_t i = 0; i < p->nobjs; i++)
		if (read_syms(p, &p->objs[i], dem, &cap))
			return -1;
	index_sites(p);
	index_spans(p);
	if (read_threads(p))
		return -1;
	if (!p->ended)
		pfe_say("note: %s: cut short (no end line in info): read up to the last "
			"complete record",
			p->path);
	return 0;
}

/* "<pid>" or "<pid>.<k>" */
static bool is_proc_dir(const char *name)
{
	size_t i = 0;

	while (name[i] >= '0' && name[i] <= '9')
		i++;
	if (!i)
		return false;
	if (!name[i])
		return true;
	if (name[i++] != '.' || !name[i])
		return false;
	while (name[i] >= '0' && name[i] <= '9')
		i++;
	return !name[i];
}

enum rd_probe rd_probe(const char *dir)
{
	enum rd_probe r = RD_PROBE_EMPTY;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? RD_PROBE_EMPTY : RD_PROBE_OTHER;
	while ((de = readdir(d))) {
		char path[4096];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s/info", dir, de->d_name);
		if (!is_proc_dir(de->d_name) || access(path, R_OK)) {
			r = RD_PROBE_OTHER;
			break;
		}
		r = RD_PROBE_RECORDING;
	}
	closedir(d);
	return r;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct rd_proc *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->id, y->id);
}

int rd_open(struct rd_recording *r, const char *dir, bool dem)
{
	size_t cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	memset(r, 0, sizeof(*r));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) { /* st is not read when stat fails */
		pfe_say("%s: %s (expected a recording directory: pfe record -d %s)", dir,
			stat(dir, &st) ? strerror(errno) : "not a directory", dir);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		pfe_say("%s: %s", dir, strerror(errno));
		return -1;
	}
	r->dir = xstrdup_shown(dir); /* shown: the paths below use dir */
	while ((de = readdir(d))) {
		char path[4096];

		if (!is_proc_dir(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* lstat: a process directory is never a link (to /proc/self...) */
		if (lstat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		grow(&r->procs, &cap, r->nprocs, sizeof(*r->procs));
		struct rd_proc *p = &r->procs[r->nprocs++];

		memset(p, 0, sizeof(*p));
		p->path = xstrdup(path);
		p->id = strrchr(p->path, '/') + 1;
	}
	closedir(d);
	if (!r->nprocs) {
		pfe_say("%s: no process in the recording (expected <pid>/info)", dir);
		rd_close(r);
		return -1;
	}
	for (size_t i = 0; i < r->nprocs; i++)
		if (read_proc(&r->procs[i], dem)) {
			rd_close(r);
			return -1;
		}
	qsort(r->procs, r->nprocs, sizeof(*r->procs), cmp_proc);
	return 0;
}

void rd_close(struct rd_recording *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		struct rd_proc *p = &r->procs[i];

		for (size_t k = 0; k < p->nobjs; k++) {
			for (size_t s = 0; s < p->objs[k].nsyms; s++)
				free(p->objs[k].syms[s].name);
			free(p->objs[k].syms);
			free(p->objs[k].path);
		}
		for (size_t k = 0; k < p->nsite_tab; k++) {
			free(p->site_tab[k].name);
			free(p->site_tab[k].label);
		}
		for (size_t k = 0; k < p->nthreads; k++) {
			free(p->threads[k].name);
			free(p->threads[k].path);
		}
		free(p->objs);
		free(p->spans);
		free(p->site_tab);
		free(p->threads);
		free(p->exe);
		free(p->cmdline);
		free(p->date);
		free(p->arch);
		free(p->mode);
		free(p->path);
	}
	free(r->procs);
	free(r->dir);
	memset(r, 0, sizeof(*r));
}

uint64_t rd_ns(const struct rd_proc *p, uint64_t ticks)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000000u / p->clock_hz);
}

const char *rd_site_label(const struct rd_proc *p, uint32_t id)
{
	static char buf[32];
	const struct rd_site *s = rd_site(p, id);

	if (s)
		return s->label;
	snprintf(buf, sizeof(buf), "site#%u", id);
	return buf;
}

const char *rd_symbolize(const struct rd_proc *p, uint64_t addr, char *buf, size_t len)
{
	size_t a = 0, b = p->nspans;

	while (a < b) { /* the last span starting at or below addr */
		size_t mid = (a + b) / 2;

		if (p->spans[mid].lo <= addr)
			a = mid + 1;
		else
			b = mid;
	}
	if (a && addr < p->spans[a - 1].hi) {
		const struct rd_object *o = p->spans[a - 1].obj;
		uint64_t off = addr - o->bias;
		size_t lo = 0, hi = o->nsyms;

		while (lo < hi) { /* the last symbol at or below off */
			size_t mid = (lo + hi) / 2;

			if (o->syms[mid].off <= off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && off < o->syms[lo - 1].off + (o->syms[lo - 1].size ?: 1)) {
			snprintf(buf, len, "%s+0x%llx", o->syms[lo - 1].name,
				 (unsigned long long)(off - o->syms[lo - 1].off));
			return buf;
		}
		snprintf(buf, len, "%s+0x%llx", o->base, (unsigned long long)off);
		return buf;
	}
	snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}

const char *rd_fmt_us(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%llu.%03llu", (unsigned long long)(ns / 1000),
		 (unsigned long long)(ns % 1000));
	return buf;
}

/* ------------------------------------------------------------------ events */

/* The innermost open frame of a site (index + 1, 0: none), hashed by site. */
struct site_top {
	uint32_t site;
	bool used;
	size_t top;
};

struct walk {
	const struct rd_thread *t;
	const struct rd_walker *w;
	void *ctx;
	struct rd_stats *st;
	struct rd_frame *stack;
	size_t *below;	   /* per open frame: the next open frame of its site */
	size_t depth, cap; /* open frames */
	struct site_top *tops;
	size_t ntops, tmask;
	uint64_t ticks; /* unwrapped time of the last event */
	/* The open frames' argument texts, a stack as the frames are: frame i's
	 * at text + toff[i] (SIZE_MAX: none), so that a frame closed gives its
	 * room back and memory stays proportional to the open frames. */
	char *text;
	size_t *toff, tlen, tcap;
	/* The last ENTRY or EXIT, not given to the walker yet: an ARGS or
	 * RETVAL payload may follow it, which the callbacks must see. */
	bool pending;
	struct pfe_rec pend;
	uint64_t pend_ns;
	/* The payload being read for the pending event: its first RD_TEXT_MAX
	 * bytes, and a NUL (utf8 decoding in shown_into stops there). */
	bool collect;
	size_t plen, pwant;
	char pay[RD_TEXT_MAX + 1];
	char shown[4 * RD_TEXT_MAX + 1];
};

/*
 * The slot holding the innermost open frame of @site. An exit that does not
 * name its frame's depth finds the frame here instead of scanning the
 * stack: a scan per exit made 100,000 such exits under 100,000 open frames
 * (3 MB of events) take 9 s.
 */
static size_t *site_top(struct walk *k, uint32_t site)
{
	uint64_t h;

	if (k->ntops + 1 > (k->tops ? k->tmask + 1 : 0) / 2) {
		size_t cap = k->tops ? (k->tmask + 1) * 2 : 256;
		struct site_top *old = k->tops;
		size_t oldcap = old ? k->tmask + 1 : 0;

		k->tops = xcalloc(cap, sizeof(*k->tops));
		k->tmask = cap - 1;
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i].used)
				continue;
			for (h = old[i].site * 0x9e3779b97f4a7c15ull >> 20;
			     k->tops[h & k->tmask].used; h++)
				;
			k->tops[h & k->tmask] = old[i];
		}
		free(old);
	}
	for (h = site * 0x9e3779b97f4a7c15ull >> 20; k->tops[h & k->tmask].used; h++)
		if (k->tops[h & k->tmask].site == site)
			return &k->tops[h & k->tmask].top;
	k->ntops++;
	k->tops[h & k->tmask] = (struct site_top){site, true, 0};
	return &k->tops[h & k->tmask].top;
}

static void close_top(struct walk *k, uint64_t ns, enum rd_end how)
{
	struct rd_frame *f = &k->stack[k->depth - 1];
	uint64_t dur = ns >= f->entry_ns ? ns - f->entry_ns : 0;

	if (k->w->exit)
		k->w->exit(k->ctx, k->t, k->stack, (unsigned)k->depth - 1, ns, how);
	*site_top(k, f->site) = k->below[k->depth - 1];
	if (k->toff[k->depth - 1] != SIZE_MAX)
		k->tlen = k->toff[k->depth - 1];
	k->depth--;
	if (k->depth)
		k->stack[k->depth - 1].child_ns += dur;
}

/* The payload read for the pending event, as shown, or NULL when it is
 * empty: the text ends at its first NUL (the writer's padding). */
static const char *payload_text(struct walk *k)
{
	size_t n;

	if (!k->collect)
		return NULL;
	k->pay[k->plen] = '\0';
	n = strlen(k->pay);
	if (!n)
		return NULL;
	shown_into(k->shown, k->pay, n);
	return k->shown;
}

/* @text (shown) as the arguments of the frame being pushed at k->depth. */
static void keep_args(struct walk *k, const char *text)
{
	size_t n = strlen(text) + 1;

	if (k->tlen + n > k->tcap) {
		k->tcap = k->tcap ? k->tcap * 2 : 4096;
		while (k->tlen + n > k->tcap)
			k->tcap *= 2;
		k->text = xrealloc(k->text, k->tcap);
		for (size_t i = 0; i < k->depth; i++) /* the open frames' texts moved */
			if (k->toff[i] != SIZE_MAX)
				k->stack[i].args = k->text + k->toff[i];
	}
	memcpy(k->text + k->tlen, text, n);
	k->toff[k->depth] = k->tlen;
	k->stack[k->depth].args = k->text + k->tlen;
	k->tlen += n;
}

static void on_entry(struct walk *k, const struct pfe_rec *r, uint64_t ns, const char *args)
{
	size_t *top;

	if (k->depth == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->stack = xrealloc(k->stack, k->cap * sizeof(*k->stack));
		k->below = xrealloc(k->below, k->cap * sizeof(*k->below));
		k->toff = xrealloc(k->toff, k->cap * sizeof(*k->toff));
	}
	if (k->depth)
		k->stack[k->depth - 1].nchild++;
	k->stack[k->depth] =
	    (struct rd_frame){.site = pfe_rec_site(r), .entry_ns = ns, .ret = pfe_rec_ret(r)};
	k->toff[k->depth] = SIZE_MAX;
	if (args)
		keep_args(k, args);
	top = site_top(k, k->stack[k->depth].site);
	k->below[k->depth] = *top;
	*top = ++k->depth;
	k->st->entries++;
	if (k->w->entry)
		k->w->entry(k->ctx, k->t, k->stack, (unsigned)k->depth - 1);
}

/*
 * An exit names its site and the depth of its frame. Frames above that depth
 * had no exit recorded (entered beyond the shadow stack's limit): they end
 * with it. An exit deeper than the open frames, or of another site, closes a
 * frame entered before the recording started: it is counted, not shown.
 */
static void on_exit_ev(struct walk *k, const struct pfe_rec *r, uint64_t ns, const char *retval)
{
	unsigned depth = pfe_rec_depth(r);
	uint32_t site = pfe_rec_site(r);
	size_t at;

	k->st->exits++;
	if (!k->st->graph && retval) {
		/* Entries only: the frame was closed at its entry. */
		k->st->results++;
		if (k->w->result)
			k->w->result(k->ctx, k->t, site, ns, retval);
		return;
	}
	if (depth < 0xffff && depth < k->depth && k->stack[depth].site == site) {
		at = depth;
	} else {
		/* Saturated depth or a mismatch: the innermost frame of this site. */
		at = *site_top(k, site);
		if (!at) {
			k->st->orphan_exits++;
			return;
		}
		at--;
	}
	while (k->depth > at + 1)
		close_top(k, ns, RD_NOEXIT);
	k->stack[at].retval = retval;
	close_top(k, ns, pfe_rec_type(r) == PFE_REC_EXIT_UNWOUND ? RD_UNWOUND : RD_RETURNED);
}

/* The pending ENTRY or EXIT to the walker, with the text of the payload
 * read for it (none: NULL). */
static void dispatch(struct walk *k)
{
	const char *text = payload_text(k);

	k->collect = false;
	if (!k->pending)
		return;
	k->pending = false;
	if (pfe_rec_type(&k->pend) == PFE_REC_ENTRY) {
		on_entry(k, &k->pend, k->pend_ns, text);
		if (!k->st->graph) /* no exits: a call is an instant */
			close_top(k, k->pend_ns, RD_NOEXIT);
	} else {
		on_exit_ev(k, &k->pend, k->pend_ns, text);
	}
}

/* Whether @r is a payload of the pending event: ARGS after an ENTRY,
 * RETVAL after an EXIT (an unwound call has no result). */
static bool payload_of_pending(const struct walk *k, const struct pfe_rec *r)
{
	unsigned p = pfe_rec_type(&k->pend);

	return k->pending && ((pfe_rec_type(r) == PFE_REC_ARGS && p == PFE_REC_ENTRY) ||
			      (pfe_rec_type(r) == PFE_REC_RETVAL && p == PFE_REC_EXIT));
}

static int read_header(struct walk *k, FILE *fp, uint32_t *hdr_size)
{
	unsigned char raw[64];
	struct pfe_rec_header h;
	size_t n = fread(raw, 1, sizeof(raw), fp);

	if (n < sizeof(raw)) {
		pfe_say("%s: truncated header (%zu of 64 bytes; expected a PFE_RECORD thread file)",
			k->t->path, n);
		return -1;
	}
	memcpy(&h, raw, sizeof(h));
	if (memcmp(h.magic, PFE_REC_MAGIC, sizeof(h.magic))) {
		pfe_say("%s: not a thread file (expected the magic %s)", k->t->path, PFE_REC_MAGIC);
		return -1;
	}
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	h.version = __builtin_bswap32(h.version);
	h.hdr_size = __builtin_bswap32(h.hdr_size);
	h.flags = __builtin_bswap64(h.flags);
#endif
	if (h.version < PFE_REC_VERSION_MIN || h.version > PFE_REC_VERSION) {
		pfe_say("%s: format version %u, expected %d to %d", k->t->path, h.version,
			PFE_REC_VERSION_MIN, PFE_REC_VERSION);
		return -1;
	}
	if (h.hdr_size < 64 || h.hdr_size % 16) {
		pfe_say("%s: header size %u (expected 64 or more, a multiple of 16)", k->t->path,
			h.hdr_size);
		return -1;
	}
	if (h.hdr_size > 64 && fseek(fp, h.hdr_size, SEEK_SET)) {
		pfe_say("%s: truncated header (expected %u bytes)", k->t->path, h.hdr_size);
		return -1;
	}
	k->st->graph = h.flags & PFE_REC_F_GRAPH;
	*hdr_size = h.hdr_size;
	return 0;
}

static void progress(const struct rd_thread *t, uint64_t done, int *shown)
{
	int pct = (int)(done * 100 / t->size);

	if (pct != *shown) {
		*shown = pct;
		fprintf(stderr, "\rpfe: reading %s: %d%%", t->path, pct);
	}
}

int rd_walk(const struct rd_thread *t, const struct rd_walker *w, void *ctx, struct rd_stats *st)
{
	static const struct rd_walker none;
	struct walk k = {.t = t, .w = w ? w : &none, .ctx = ctx, .st = st};
	unsigned char buf[16 * 4096];
	uint64_t pos, skip = 0;
	uint32_t hdr;
	size_t n, have = 0;
	int shown = -1, err = 0;
	bool show = t->size > PROGRESS_MIN && isatty(2);
	const char *why;
	FILE *fp = open_regular(t->path, &why);

	memset(st, 0, sizeof(*st));
	if (!fp) {
		pfe_say("%s: %s (expected a regular file: a thread's events)", t->path, why);
		return -1;
	}
	if (read_header(&k, fp, &hdr)) {
		fclose(fp);
		return -1;
	}
	pos = hdr;
	while ((n = fread(buf + have, 1, sizeof(buf) - have, fp)) > 0 || have >= 16) {
		size_t i = 0;

		have += n;
		for (; i + 16 <= have; i += 16) {
			struct pfe_rec r = pfe_rec_load(buf + i);
			uint64_t ns;

			if (skip) { /* payload of an extended event */
				if (k.collect && k.plen < k.pwant) {
					size_t take = k.pwant - k.plen < 16 ? k.pwant - k.plen : 16;

					memcpy(k.pay + k.plen, buf + i, take);
					k.plen += take;
				}
				if (!--skip && k.collect)
					dispatch(&k);
				continue;
			}
			st->events++;
			k.ticks = pfe_rec_unwrap(k.ticks, pfe_rec_time(&r));
			if (payload_of_pending(&k, &r)) {
				/* Kept for the pending event, which the walker
				 * gets once the payload is read. */
				skip = pfe_rec_units(&r);
				k.collect = true;
				k.plen = 0;
				k.pwant = r.w1 < 16ull * skip ? (size_t)r.w1 : 16u * skip;
				if (k.pwant > RD_TEXT_MAX)
					k.pwant = RD_TEXT_MAX;
				if (!skip)
					dispatch(&k);
				ns = rd_ns(t->proc, k.ticks);
				st->last_ns = ns > st->last_ns ? ns : st->last_ns;
				continue;
			}
			dispatch(&k);
			switch (pfe_rec_type(&r)) {
			case PFE_REC_ENTRY:
			case PFE_REC_EXIT:
			case PFE_REC_EXIT_UNWOUND:
				k.pending = true;
				k.pend = r;
				k.pend_ns = rd_ns(t->proc, k.ticks);
				break;
			case PFE_REC_LOST:
				st->lost += r.w1;
				if (k.w->lost)
					k.w->lost(ctx, t, r.w1, rd_ns(t->proc, k.ticks));
				break;
			case PFE_REC_TIME:
				if (r.w1 >= k.ticks) /* time never goes back */
					k.ticks = r.w1;
				break;
			default:
				/* ARGS, RETVAL that follow no call of theirs and
				 * unknown extended types: skip the payload;
				 * unknown plain types are skipped too. */
				skip = pfe_rec_units(&r);
				if (pfe_rec_type(&r) != PFE_REC_ARGS &&
				    pfe_rec_type(&r) != PFE_REC_RETVAL)
					st->skipped++;
				break;
			}
			ns = rd_ns(t->proc, k.ticks);
			st->last_ns = ns > st->last_ns ? ns : st->last_ns;
		}
		pos += i;
		memmove(buf, buf + i, have - i);
		have -= i;
		if (show)
			progress(t, pos, &shown);
		if (!n)
			break;
	}
	if (ferror(fp)) {
		pfe_say("%s: %s", t->path, strerror(errno));
		err = -1;
	}
	if (show)
		fprintf(stderr, "\r\033[K");
	if (have && !k.w->quiet)
		pfe_say(
		    "note: %s: cut short: %zu bytes of a partial event after %llu events dropped",
		    t->path, have, (unsigned long long)st->events);
	else if (skip && !k.w->quiet)
		pfe_say("note: %s: cut short in the payload of the last event", t->path);
	k.collect = false; /* a payload cut short names nothing */
	dispatch(&k);
	while (k.depth)
		close_top(&k, st->last_ns, RD_OPEN);
	free(k.stack);
	free(k.below);
	free(k.toff);
	free(k.text);
	free(k.tops);
	fclose(fp);
	return err;
}
