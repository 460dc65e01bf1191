/* SPDX-License-Identifier: MIT */
/*
 * Memory near an object: a BL reaches ±128 MiB, so the veneers (veneer.c)
 * and the per-site stubs (stub.c) must live within that distance of every
 * instruction of the object whose sites call them.
 *
 * pfe_map_near tries fixed distances below the object first (above it lie
 * its data and, for the main program, the brk heap that should stay free to
 * grow), then above, then the free gaps /proc/self/maps shows inside the
 * window, nearest first. MAP_FIXED_NOREPLACE never takes a range already in
 * use; a kernel that treats the address as a hint only (before 4.17, and
 * qemu-user) is checked after the fact.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "insn.h"
#include "maps.h"
#include "core.h"

#define MIB	 ((uintptr_t)1 << 20)
#define BL_REACH ((uintptr_t)1 << 27)

/* Can a BL anywhere in @obj's executable span reach @t? Checking both ends
 * suffices: the reachable set of targets is an interval. */
bool pfe_near_reaches(const struct pfe_object *obj, uintptr_t t)
{
	return pfe_insn_reachable_by_bl(obj->lo & ~(uintptr_t)3, t) &&
	       pfe_insn_reachable_by_bl((obj->hi - 4) & ~(uintptr_t)3, t);
}

/* Can every BL of @obj reach every word of [@start, @start + @len)? */
static bool obj_reaches_all(const struct pfe_object *obj, uintptr_t start, uintptr_t len)
{
	return pfe_near_reaches(obj, start) && pfe_near_reaches(obj, start + len - 4);
}

/* Map @len bytes with @prot exactly at @hint within range of @obj; 0 if
 * not free. */
static uintptr_t map_near(const struct pfe_object *obj, uintptr_t hint, uintptr_t len, int prot)
{
	void *p;

	if (!obj_reaches_all(obj, hint, len))
		return 0;
	p = mmap((void *)hint, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	/* Kernels before 4.17 (and qemu-user) take the address as a hint only. */
	if (!obj_reaches_all(obj, (uintptr_t)p, len)) {
		munmap(p, len);
		return 0;
	}
	return (uintptr_t)p;
}

/* Fallback: free gaps of /proc/self/maps inside the window every BL of the
 * object reaches, nearest to the object first. */
struct gaps {
	const struct pfe_object *obj;
	uintptr_t wlo, whi; /* page addresses allowed: [wlo, whi] */
	uintptr_t prev_end, len;
	uintptr_t cand[16];
	size_t ncand;
};

static int gap_cb(const struct pfe_map *m, void *ctx)
{
	struct gaps *g = ctx;
	uintptr_t lo = g->prev_end > g->wlo ? g->prev_end : g->wlo;
	uintptr_t hi = m->start; /* gap is [lo, hi) */

	if (g->prev_end < m->end)
		g->prev_end = m->end;
	if (hi > g->whi + g->len)
		hi = g->whi + g->len;
	if (lo >= hi || hi - lo < g->len || g->ncand == sizeof(g->cand) / sizeof(g->cand[0]))
		return m->start > g->whi;
	/* The end of the gap nearest the object. */
	g->cand[g->ncand++] = hi <= g->obj->lo ? hi - g->len : lo;
	return m->start > g->whi;
}

static uintptr_t map_in_gap(const struct pfe_object *obj, uintptr_t len, int prot, uintptr_t ps)
{
	struct gaps g = {.obj = obj, .len = len};
	uintptr_t top = obj->hi - 4;

	g.wlo = top > BL_REACH + MIB ? (top - BL_REACH + ps - 1) & ~(ps - 1) : MIB;
	g.whi = (obj->lo + BL_REACH - len) & ~(ps - 1);
	if (pfe_text_maps_walk(gap_cb, &g) < 0)
		return 0;
	for (size_t i = 0; i < g.ncand; i++) {
		uintptr_t v = map_near(obj, g.cand[i], len, prot);

		if (v)
			return v;
	}
	return 0;
}

uintptr_t pfe_map_near(const struct pfe_object *obj, size_t len, int prot)
{
	uintptr_t ps = pfe_page_size();
	/* Below the object first: above it lie its data and, for the main
	 * program, the brk heap that should stay free to grow. */
	static const unsigned below[] = {2, 8, 32, 64, 96, 120};
	static const unsigned above[] = {120, 96, 64, 32};
	uintptr_t v;

	for (size_t i = 0; i < sizeof(below) / sizeof(below[0]); i++) {
		uintptr_t d = below[i] * MIB;

		if (obj->lo > d + MIB + len &&
		    (v = map_near(obj, (obj->lo - d - len) & ~(ps - 1), len, prot)))
			return v;
	}
	for (size_t i = 0; i < sizeof(above) / sizeof(above[0]); i++) {
		uintptr_t d = above[i] * MIB;

		if (obj->hi < UINTPTR_MAX - d - len &&
		    (v = map_near(obj, (obj->hi + d - len) & ~(ps - 1), len, prot)))
			return v;
	}
	return map_in_gap(obj, len, prot, ps);
}
