/* SPDX-License-Identifier: MIT */
/*
 * Per-site stubs: an enabled site's BL goes to code that already knows the
 * site, so the dispatcher looks nothing up (the kernel's arm64
 * DYNAMIC_FTRACE_WITH_CALL_OPS, with the site pointer in a stub instead of
 * a literal before the function).
 *
 * Every object with sites gets, on its first enabled site, an arena
 * reserved PROT_NONE within BL range of all its code: one 16-byte stub per
 * site of its table, in table order, after a 16-byte veneer slot:
 *
 *   base + 0:         ldr  x16, base + 8       only when the trampoline is out
 *   base + 4:         br   x16                 of B range of the arena
 *   base + 8:         .quad pfe_site_trampoline_far (or _mb_far)
 *   base + 16 (i+1):  ldr  x10, stub + 8       stub of tab.sites[i]
 *   stub + 4:         b    pfe_site_trampoline (or _mb; or b base: the veneer)
 *   stub + 8:         .quad &tab.sites[i]
 *
 * x10 is free at a function's entry for the same reason as x9 (see
 * arch/arm64/regs_tramp.S), x16 is the veneer register. A stub is entered by BL,
 * the trampoline by B (no landing pad is checked for either) or by the
 * veneer's BR x16, which the far entry's `bti c` accepts.
 *
 * Pages are committed in runs, the first time a site of theirs is enabled:
 * made RW, every stub of the page written (all its sites are known), then
 * R-X for good and made visible to instruction fetch, all before any BL to
 * them is written. So no live code is ever rewritten here and no page is
 * ever W+X; slot 1 stays the only word that changes under running threads.
 * The arena lives as long as the object: a site's stub is reused whenever
 * the site is enabled again, and the arena is unmapped by pfe_object_free()
 * after the grace period that ends the object's life (a thread can be in a
 * stub only while it calls a function of the object).
 *
 * When no arena can be had (no free range near the object, a system that
 * refuses to make anonymous memory executable), the object's sites keep the
 * common trampoline, which finds them by address (dispatch.c): slower, not
 * wrong. Callers hold the patch lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "dispatch.h"
#include "insn.h"

#define STUB_SIZE 16
#define B_REACH	  ((uintptr_t)1 << 27)

struct pfe_stubs {
	uintptr_t base;		    /* the arena, page aligned */
	size_t len;		    /* bytes reserved */
	uintptr_t target;	    /* where each stub's B goes: tramp or the veneer */
	uintptr_t tramp, tramp_far; /* the trampoline's two entries */
	uintptr_t ps;		    /* the page size */
	size_t npages;
	uint8_t page[]; /* per page: PAGE_* */
};

enum { PAGE_NONE, PAGE_WANTED, PAGE_LIVE };

/* Set once an object can have no arena: its sites use the common path. */
static struct pfe_stubs pfe_stubs_none;

struct pfe_stub_stats pfe_stub_stats;

static size_t site_index(const struct pfe_site *site)
{
	const struct pfe_sitetab *t = &site->obj->tab;

	if (!t->sites || site < t->sites || site >= t->sites + t->nsites)
		return SIZE_MAX;
	return (size_t)(site - t->sites);
}

static uintptr_t stub_of(const struct pfe_stubs *s, size_t i)
{
	return s->base + STUB_SIZE * (i + 1);
}

/* Reserve @obj's arena. pfe_stubs_none when it cannot have one. */
static struct pfe_stubs *arena_reserve(struct pfe_object *obj)
{
	uintptr_t ps = pfe_page_size(), len, base, first, last, far;
	struct pfe_stubs *s;

	len = (STUB_SIZE * (obj->tab.nsites + 1) + ps - 1) & ~(ps - 1);
	/* Every stub's B must reach the veneer at base. */
	if (!obj->tab.nsites || len >= B_REACH)
		return &pfe_stubs_none;
	base = pfe_map_near(obj, len, PROT_NONE);
	if (!base) {
		pfe_debug("stubs: no room within BL range of %s; its sites use the common "
			  "trampoline",
			  obj->name ? obj->name : "?");
		return &pfe_stubs_none;
	}
	s = calloc(1, sizeof(*s) + len / ps);
	if (!s) {
		munmap((void *)base, len);
		return &pfe_stubs_none;
	}
	s->base = base;
	s->len = len;
	s->ps = ps;
	s->npages = len / ps;
	first = stub_of(s, 0) + 4;
	last = stub_of(s, obj->tab.nsites - 1) + 4;
	/* urcu-bp's barrier choice is made by its constructor, before ours:
	 * take the trampoline that matches it, once. */
	if (pfe_dispatch_prepare()) {
		s->tramp = (uintptr_t)pfe_site_trampoline;
		s->tramp_far = (uintptr_t)pfe_site_trampoline_far;
	} else {
		s->tramp = (uintptr_t)pfe_site_trampoline_mb;
		s->tramp_far = (uintptr_t)pfe_site_trampoline_mb_far;
	}
	far = s->tramp;
	if (pfe_insn_reachable_by_bl(first, far) && pfe_insn_reachable_by_bl(last, far))
		s->target = far;
	else
		s->target = base; /* the veneer */
	pfe_stub_stats.arenas++;
	pfe_debug("stubs: arena %#lx-%#lx for %s (%zu sites%s) -> %s", (unsigned long)base,
		  (unsigned long)(base + len), obj->name ? obj->name : "?", obj->tab.nsites,
		  s->target == base ? ", through its veneer" : "",
		  s->tramp == (uintptr_t)pfe_site_trampoline ? "pfe_site_trampoline"
							     : "pfe_site_trampoline_mb");
	return s;
}

/* The words of page @p of @obj's arena, written while it is RW. */
static void page_fill(const struct pfe_object *obj, const struct pfe_stubs *s, size_t p,
		      uintptr_t ps)
{
	uintptr_t a = s->base + p * ps, end = a + ps;
	uint32_t *w, ldr;

	if (p == 0 && s->target == s->base) {
		uintptr_t t = s->tramp_far;

		w = (uint32_t *)s->base;
		w[0] = pfe_insn_ldr_lit(s->base, s->base + 8, PFE_REG_X16);
		w[1] = pfe_insn_br(PFE_REG_X16);
		memcpy(&w[2], &t, sizeof(t));
	}
	if (a < stub_of(s, 0))
		a = stub_of(s, 0);
	/* Every stub loads the literal 8 bytes on: one word for all. */
	ldr = pfe_insn_ldr_lit(a, a + 8, PFE_REG_X10);
	for (; a < end; a += STUB_SIZE) {
		size_t i = (a - s->base) / STUB_SIZE - 1;
		const struct pfe_site *site = &obj->tab.sites[i];

		if (i >= obj->tab.nsites)
			break;
		w = (uint32_t *)a;
		w[0] = ldr;
		w[1] = pfe_insn_b(a + 4, s->target);
		memcpy(&w[2], &site, sizeof(site));
	}
}

/* Commit pages [@p0, @p1): RW, written, R-X, visible to instruction fetch.
 * On failure the run goes back to PROT_NONE and the object stops using
 * stubs for sites not yet enabled through one (live pages stay). */
static int run_commit(struct pfe_object *obj, size_t p0, size_t p1, uintptr_t ps)
{
	struct pfe_stubs *s = obj->stubs;
	void *a = (void *)(s->base + p0 * ps);
	size_t len = (p1 - p0) * ps;

	pfe_stub_stats.mprotects += 2;
	if (mprotect(a, len, PROT_READ | PROT_WRITE))
		goto fail;
	for (size_t p = p0; p < p1; p++)
		page_fill(obj, s, p, ps);
	if (mprotect(a, len, PROT_READ | PROT_EXEC)) {
		mprotect(a, len, PROT_NONE);
		goto fail;
	}
	pfe_sync_icache(a, (char *)a + len);
	for (size_t p = p0; p < p1; p++)
		s->page[p] = PAGE_LIVE;
	pfe_stub_stats.pages += p1 - p0;
	return 0;
fail:
	pfe_err("stubs: cannot make %zu bytes at %p executable for %s: %s; its sites use the "
		"common trampoline",
		len, a, obj->name ? obj->name : "?", strerror(errno));
	for (size_t p = p0; p < p1; p++)
		if (s->page[p] == PAGE_WANTED)
			s->page[p] = PAGE_NONE;
	return -errno;
}

/* Mark the page of @site's stub wanted; false when the site gets no stub. */
static bool page_want(struct pfe_site *site, uintptr_t ps)
{
	struct pfe_object *obj = site->obj;
	struct pfe_stubs *s;
	size_t i, p;

	if (!obj || (i = site_index(site)) == SIZE_MAX)
		return false;
	if (!obj->stubs)
		obj->stubs = arena_reserve(obj);
	if (obj->stubs == &pfe_stubs_none)
		return false;
	s = obj->stubs;
	p = (stub_of(s, i) - s->base) / ps;

	if (s->page[p] == PAGE_NONE)
		s->page[p] = PAGE_WANTED;
	return true;
}

/* Commit every wanted page of @obj, one run of contiguous pages at a time. */
static void obj_commit(struct pfe_object *obj, uintptr_t ps)
{
	struct pfe_stubs *s = obj->stubs;
	size_t p = 0, q;

	while (p < s->npages) {
		if (s->page[p] != PAGE_WANTED) {
			p++;
			continue;
		}
		for (q = p; q < s->npages && s->page[q] == PAGE_WANTED; q++)
			;
		if (run_commit(obj, p, q, ps)) {
			/* Give up on the object: no second line for it. */
			for (; q < s->npages; q++)
				if (s->page[q] == PAGE_WANTED)
					s->page[q] = PAGE_NONE;
			return;
		}
		p = q;
	}
}

void pfe_stubs_prepare(struct pfe_site **sites, size_t n)
{
	uintptr_t ps = pfe_page_size();
	struct pfe_object *last = NULL;

	for (size_t i = 0; i < n; i++)
		page_want(sites[i], ps);
	/* Sites come grouped by object (they are matched object by object);
	 * an object seen again just finds nothing left to commit. */
	for (size_t i = 0; i < n; i++) {
		struct pfe_object *obj = sites[i]->obj;

		if (obj && obj != last && obj->stubs && obj->stubs != &pfe_stubs_none)
			obj_commit(obj, ps);
		last = obj;
	}
}

uintptr_t pfe_stub_live(const struct pfe_site *site)
{
	const struct pfe_stubs *s;
	uintptr_t a;
	size_t i;

	if (!site->obj || !(s = site->obj->stubs) || s == &pfe_stubs_none ||
	    (i = site_index(site)) == SIZE_MAX)
		return 0;
	a = stub_of(s, i);
	return s->page[(a - s->base) / s->ps] == PAGE_LIVE ? a : 0;
}

uintptr_t pfe_stub_target(const struct pfe_site *site)
{
	const struct pfe_stubs *s = site->obj ? site->obj->stubs : NULL;

	return s && s != &pfe_stubs_none ? s->target : 0;
}

size_t pfe_stubs_bytes(const struct pfe_object *obj)
{
	const struct pfe_stubs *s = obj->stubs;
	size_t n = 0;

	if (!s || s == &pfe_stubs_none)
		return 0;
	for (size_t p = 0; p < s->npages; p++)
		n += s->page[p] == PAGE_LIVE;
	return n * s->ps;
}

void pfe_stubs_free(struct pfe_object *obj)
{
	struct pfe_stubs *s = obj->stubs;

	obj->stubs = NULL;
	if (!s || s == &pfe_stubs_none)
		return;
	munmap((void *)s->base, s->len);
	pfe_debug("stubs: arena of %s unmapped", obj->name ? obj->name : "?");
	free(s);
}
