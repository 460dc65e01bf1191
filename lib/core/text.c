/* SPDX-License-Identifier: MIT */
/*
 * Writes to live text.
 *
 * Other threads may be executing the very pages we write, so:
 *  - a page never loses PROT_EXEC: we add PROT_WRITE to the original rights
 *    rather than switching to RW (a thread fetching from an RW page would
 *    fault, and a fault in someone else's program is a crash);
 *  - each word is one aligned 32-bit store, which the architecture makes
 *    single-copy atomic, so a concurrent fetch sees the old or the new
 *    instruction and nothing in between;
 *  - the stores are followed by cache maintenance (pfe_sync_icache,
 *    arch/arm64/cache.c) because the instruction cache is not coherent
 *    with data stores on arm64: once per run of pages, over its first to
 *    its last written word, before the run's rights go back;
 *  - the rights are put back to exactly what /proc/self/maps said before,
 *    plus what it cannot show: PROT_BTI, which the caller names per write
 *    (mprotect without it would silently unguard a BTI object's text),
 *    once per run of contiguous pages, so 100,000 sites cost O(pages)
 *    system calls, and no page is left writable and executable.
 * Where the system refuses W+X (SELinux execmod, PaX MPROTECT), the words
 * go through /proc/self/mem: the kernel writes them with FOLL_FORCE into our
 * private copy of the page and the page's rights never change.
 *
 * Everything here runs under the patch lock; nothing is on a fast path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "maps.h"
#include "core.h"

struct pfe_text_stats pfe_text_stats;
bool pfe_text_force_procmem;

bool pfe_text_wx_refused;
int (*pfe_text_mprotect)(void *addr, size_t len, int prot) = mprotect;

/* Pages [start, end) with one original protection, and their writes. */
struct run {
	uintptr_t start, end;
	int prot;
	bool shared;
	size_t first, last; /* indices into the sorted write list, inclusive */
};

/* ------------------------------------------------------ /proc/self/maps */

/* A line longer than this (a path near PATH_MAX) is parsed from its start:
 * the fields we use come first. */
#define MAPS_BUF 4096

static int maps_line(const char *line, size_t len, int (*fn)(const struct pfe_map *, void *),
		     void *ctx, int *stop)
{
	struct pfe_map m;

	if (pfe_maps_parse_line(line, len, &m)) {
		pfe_err("text: cannot parse /proc/self/maps line \"%.*s\"",
			(int)(len > 80 ? 80 : len), line);
		return -EIO;
	}
	*stop = fn(&m, ctx);
	return 0;
}

int pfe_text_maps_walk(int (*fn)(const struct pfe_map *m, void *ctx), void *ctx)
{
	char buf[MAPS_BUF];
	size_t have = 0;
	bool skipping = false; /* discarding the tail of an overlong line */
	int fd, ret = 0, stop = 0;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (!stop && !ret) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		char *p = buf, *nl;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0) {
			if (have && !skipping)
				ret = maps_line(buf, have, fn, ctx, &stop);
			break;
		}
		have += (size_t)r;
		while (!stop && !ret && (nl = memchr(p, '\n', (size_t)(buf + have - p)))) {
			if (!skipping)
				ret = maps_line(p, (size_t)(nl - p), fn, ctx, &stop);
			skipping = false;
			p = nl + 1;
		}
		have -= (size_t)(p - buf);
		memmove(buf, p, have);
		if (have == sizeof(buf)) {
			if (!skipping)
				ret = maps_line(buf, have, fn, ctx, &stop);
			skipping = true;
			have = 0;
		}
	}
	close(fd);
	return ret ? ret : stop;
}

struct prot_at {
	uintptr_t addr;
	int prot;
};

static int prot_at_cb(const struct pfe_map *m, void *ctx)
{
	struct prot_at *q = ctx;

	if (q->addr < m->start)
		return 1; /* passed it: a hole */
	if (q->addr >= m->end)
		return 0;
	q->prot = m->prot;
	return 1;
}

int pfe_text_prot_at(uintptr_t addr)
{
	struct prot_at q = {addr, -ENOENT};
	int ret = pfe_text_maps_walk(prot_at_cb, &q);

	return ret < 0 ? ret : q.prot;
}

/* ------------------------------------------------------------- grouping */

struct collect {
	struct pfe_text_write *w;
	size_t n, i;
	struct run *runs;
	size_t nruns;
	uintptr_t ps; /* the page size */
};

/* The rights of pages that /proc/self/maps did not list (see collect_cb). */
#define PROT_UNKNOWN (-1)

/* Claim write i for the run of its page: extend the last run or start one. */
static void claim(struct collect *c, int prot, bool shared)
{
	if (prot != PROT_UNKNOWN)
		prot |= c->w[c->i].keep;
	uintptr_t ps = c->ps;
	uintptr_t page = c->w[c->i].addr & ~(ps - 1);
	struct run *r = c->nruns ? &c->runs[c->nruns - 1] : NULL;

	if (r && r->prot == prot && r->shared == shared && page <= r->end) {
		r->end = page + ps;
		r->last = c->i;
	} else {
		c->runs[c->nruns++] = (struct run){page, page + ps, prot, shared, c->i, c->i};
	}
	c->i++;
}

/*
 * Called for each mapping in address order: claim the writes inside it.
 * Writes in no listed mapping get PROT_UNKNOWN: qemu-user (7.2) leaves out of
 * its emulated maps any host mapping whose guest pages differ in rights, so
 * "not listed" does not prove "not mapped". Such words can only go through
 * /proc/self/mem, which needs no rights; a truly unmapped word fails there.
 */
static int collect_cb(const struct pfe_map *m, void *ctx)
{
	struct collect *c = ctx;

	while (c->i < c->n && c->w[c->i].addr < m->end) {
		const struct pfe_text_write *w = &c->w[c->i];
		struct run *r = c->nruns ? &c->runs[c->nruns - 1] : NULL;

		/* A word on the last run's pages, as most are, and the words
		 * after it there (issue 25: a claim per word was a good part
		 * of the start-up per site). */
		if (r && w->addr >= m->start && w->addr < r->end &&
		    r->prot == (m->prot | w->keep) && r->shared == m->shared) {
			uintptr_t end = r->end < m->end ? r->end : m->end;
			size_t i = c->i + 1;

			while (i < c->n && c->w[i].addr < end && c->w[i].keep == w->keep)
				i++;
			r->last = i - 1;
			c->i = i;
			continue;
		}
		if (w->addr < m->start)
			claim(c, PROT_UNKNOWN, false);
		else
			claim(c, m->prot, m->shared);
	}
	return c->i == c->n;
}

static int cmp_addr(const void *a, const void *b)
{
	uintptr_t x = ((const struct pfe_text_write *)a)->addr;
	uintptr_t y = ((const struct pfe_text_write *)b)->addr;

	return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------- writes */

/*
 * Plain stores into pages that are (now) writable; counts into *@applied.
 * The cache maintenance covers the run's written words once, after the
 * last store (issue 25: a call per word was a good part of the start-up
 * per site). Each store is still one aligned 32-bit store; a thread
 * running the code meanwhile fetches the old or the new word, as with a
 * call per word, and every word is visible to fetch before this returns.
 */
static void store_run(struct pfe_text_write *w, const struct run *r, int *applied,
		      size_t *mismatched)
{
	const struct pfe_text_write *end = &w[r->last + 1];
	uintptr_t lo = 0, hi = 0;
	size_t done = 0;

	/* The writes are sorted: the first and the last written bound them
	 * (no write is at 0). The end in a local: the stores could alias r. */
	for (const struct pfe_text_write *x = &w[r->first]; x < end; x++) {
		uint32_t *p = (uint32_t *)x->addr;

		if (__atomic_load_n(p, __ATOMIC_RELAXED) != x->old)
			continue;
		__atomic_store_n(p, x->new, __ATOMIC_RELAXED);
		done++;
		lo = lo ? lo : x->addr;
		hi = x->addr + 4;
	}
	*applied += (int)done;
	*mismatched += r->last + 1 - r->first - done;
	if (lo < hi)
		pfe_sync_icache((void *)lo, (void *)hi);
}

/* The same through /proc/self/mem, opened here into the caller's *@fd.
 * Returns 0 or -errno. */
static int procmem_run(struct pfe_text_write *w, const struct run *r, int *fd, int *applied,
		       size_t *mismatched)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	int ret = 0;

	if (*fd < 0) {
		*fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		if (*fd < 0) {
			int e = errno;

			pfe_err("text: cannot open /proc/self/mem: %s", strerror(e));
			return -e;
		}
	}
	for (size_t i = r->first; i <= r->last; i++) {
		uint32_t cur;
		off_t off = (off_t)w[i].addr;

		if (pread(*fd, &cur, 4, off) != 4) {
			pfe_err("text: cannot read %#lx through /proc/self/mem: %s",
				(unsigned long)w[i].addr, strerror(errno));
			ret = -EIO;
			break;
		}
		if (cur != w[i].old) {
			(*mismatched)++;
			continue;
		}
		if (pwrite(*fd, &w[i].new, 4, off) != 4) {
			pfe_err("text: cannot write %#lx through /proc/self/mem: %s",
				(unsigned long)w[i].addr, strerror(errno));
			ret = -EIO;
			break;
		}
		if (w[i].addr < lo)
			lo = w[i].addr;
		hi = w[i].addr + 4;
		pfe_text_stats.procmem++;
		(*applied)++;
	}
	/* What was written, once, as store_run does. */
	if (lo < hi)
		pfe_sync_icache((void *)lo, (void *)hi);
	return ret;
}

/* Before anything is written: every word of an unlisted page must at least
 * be readable through /proc/self/mem, or the whole batch is refused. */
static int check_unknown(const struct pfe_text_write *w, const struct collect *c, int *fd)
{
	for (size_t k = 0; k < c->nruns; k++) {
		const struct run *r = &c->runs[k];

		if (r->prot != PROT_UNKNOWN)
			continue;
		if (*fd < 0 && (*fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC)) < 0) {
			int e = errno;

			pfe_err("text: cannot open /proc/self/mem: %s", strerror(e));
			return -e;
		}
		for (size_t i = r->first; i <= r->last; i++) {
			uint32_t cur;

			if (pread(*fd, &cur, 4, (off_t)w[i].addr) != 4) {
				pfe_err("text: write at %#lx is outside every mapping",
					(unsigned long)w[i].addr);
				return -EFAULT;
			}
		}
		pfe_err_once("text: %#lx-%#lx not listed in /proc/self/maps; writing it through "
			     "/proc/self/mem",
			     (unsigned long)r->start, (unsigned long)r->end);
	}
	return 0;
}

static int protect(const struct run *r, int prot)
{
	pfe_text_stats.mprotects++;
	return pfe_text_mprotect((void *)r->start, r->end - r->start, prot) ? -errno : 0;
}

/* One run; counts the words written into *@applied. Returns 0 or -errno. */
static int apply_run(struct pfe_text_write *w, const struct run *r, int *fd, int *applied,
		     size_t *mismatched)
{
	/* Keep every original right (PROT_EXEC above all); add what a store needs. */
	int tmp = r->prot | PROT_READ | PROT_WRITE;
	int ret;
	char perms[5];

	if (r->shared) {
		pfe_err("text: %#lx is in a shared %s mapping; not writing it",
			(unsigned long)w[r->first].addr, pfe_maps_perms(r->prot, true, perms));
		return -EPERM;
	}
	if (pfe_text_wx_refused || pfe_text_force_procmem || r->prot == PROT_UNKNOWN)
		return procmem_run(w, r, fd, applied, mismatched);
	if (tmp == r->prot) {
		store_run(w, r, applied, mismatched);
		return 0;
	}
	ret = protect(r, tmp);
	if (ret == -EACCES || ret == -EPERM) {
		pfe_text_wx_refused = true;
		pfe_err_once("text: writable+executable text refused (%s); writing through "
			     "/proc/self/mem",
			     strerror(-ret));
		return procmem_run(w, r, fd, applied, mismatched);
	}
	if (ret) {
		/* ENOMEM: commit charge or map count. The pages stay as they were. */
		pfe_err("text: mprotect %#lx-%#lx %s+w: %s; writing through /proc/self/mem",
			(unsigned long)r->start, (unsigned long)r->end,
			pfe_maps_perms(r->prot, false, perms), strerror(-ret));
		return procmem_run(w, r, fd, applied, mismatched);
	}
	store_run(w, r, applied, mismatched);
	ret = protect(r, r->prot);
	if (ret) {
		/* Should not happen: we only take away what we added. */
		pfe_err("text: cannot restore %s on %#lx-%#lx: %s",
			pfe_maps_perms(r->prot, false, perms), (unsigned long)r->start,
			(unsigned long)r->end, strerror(-ret));
		return ret;
	}
	return 0;
}

int pfe_text_apply(struct pfe_text_write *w, size_t n, size_t *mismatched)
{
	struct collect c = {.w = w, .n = n, .ps = pfe_page_size()};
	size_t skipped = 0, i;
	uintptr_t bits;
	int applied = 0, fd = -1, ret;

	if (mismatched)
		*mismatched = 0;
	if (!n)
		return 0;
	if (n > (size_t)__INT_MAX__)
		return -EINVAL;
	/* Callers list sites in address order as a rule: n - 1 comparisons,
	 * which check the alignment too; a sort and the check of each word
	 * only when one is out of order, listed twice or misaligned. */
	bits = w[0].addr;
	for (i = 1; i < n && w[i].addr > w[i - 1].addr; i++)
		bits |= w[i].addr;
	if (i < n || bits & 3) {
		if (i < n)
			qsort(w, n, sizeof(*w), cmp_addr);
		for (i = 0; i < n; i++) {
			if (w[i].addr & 3 || (i && w[i].addr == w[i - 1].addr)) {
				pfe_err("text: write at %#lx is %s", (unsigned long)w[i].addr,
					w[i].addr & 3 ? "not 4-byte aligned" : "listed twice");
				return -EINVAL;
			}
		}
	}
	c.runs = malloc(n * sizeof(*c.runs));
	if (!c.runs)
		return -ENOMEM;
	ret = pfe_text_maps_walk(collect_cb, &c);
	while (ret >= 0 && c.i < n)
		claim(&c, PROT_UNKNOWN, false);
	if (ret >= 0)
		ret = check_unknown(w, &c, &fd);
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		free(c.runs);
		return ret;
	}
	pfe_text_stats.applies++;
	for (size_t k = 0; k < c.nruns; k++) {
		pfe_text_stats.runs++;
		ret = apply_run(w, &c.runs[k], &fd, &applied, &skipped);
		if (ret < 0)
			break;
	}
	if (fd >= 0)
		close(fd);
	free(c.runs);
	pfe_text_stats.words += (unsigned long)applied;
	pfe_text_stats.mismatched += skipped;
	if (mismatched)
		*mismatched = skipped;
	return ret < 0 ? ret : applied;
}
