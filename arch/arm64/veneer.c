/* SPDX-License-Identifier: MIT */
/*
 * Veneers: a BL reaches ±128 MiB, and libpfe may be loaded further than that
 * from an object it patches. Such an object's sites branch to a veneer in a
 * page mapped within BL range of the whole object:
 *
 *   veneer + 0:   ldr  x16, veneer + 8      0x58000050
 *   veneer + 4:   br   x16                  0xd61f0200
 *   veneer + 8:   .quad trampoline
 *
 * x16 (IP0) is the register the AAPCS64 gives veneers: the site has just
 * been entered through a call, so it is free. The trampoline starts with
 * `bti c`, which accepts a BR through x16 on a BTI-guarded page. The veneer
 * itself is entered by BL, which no landing pad checks.
 *
 * The page is written while RW and then becomes R-X for good: never W+X.
 * A veneer serves every object within range of it, and lives as long as the
 * process (objects that shared it may be unloaded in any order).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "insn.h"
#include "maps.h"
#include "pfe_internal.h"

/* A variable rather than the symbol so that tests can substitute their own. */
uintptr_t pfe_tramp_addr = (uintptr_t)pfe_regs_trampoline;

#define MIB	    ((uintptr_t)1 << 20)
#define BL_REACH    ((uintptr_t)1 << 27)
#define MAX_VENEERS 64

static struct veneer {
	uintptr_t addr, target;
} veneers[MAX_VENEERS];
static size_t nveneers;

static uintptr_t page_size(void)
{
	long v = sysconf(_SC_PAGESIZE);

	return v > 0 ? (uintptr_t)v : 4096;
}

/* Can a BL anywhere in @obj's executable span reach @t? Checking both ends
 * suffices: the reachable set of targets is an interval. */
static bool obj_reaches(const struct pfe_object *obj, uintptr_t t)
{
	return pfe_insn_reachable_by_bl(obj->lo & ~(uintptr_t)3, t) &&
	       pfe_insn_reachable_by_bl((obj->hi - 4) & ~(uintptr_t)3, t);
}

/* Can every BL of @obj reach every word of [@start, @start + @len)? */
static bool obj_reaches_all(const struct pfe_object *obj, uintptr_t start, uintptr_t len)
{
	return obj_reaches(obj, start) && obj_reaches(obj, start + len - 4);
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
	uintptr_t ps = page_size();
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

static uintptr_t make_veneer(const struct pfe_object *obj, uintptr_t target)
{
	uintptr_t ps = page_size(), v;
	uint32_t *p;

	if (nveneers == MAX_VENEERS) {
		pfe_err_once("veneer: more than %d veneer pages needed", MAX_VENEERS);
		return 0;
	}
	v = pfe_map_near(obj, ps, PROT_READ | PROT_WRITE);
	if (!v) {
		pfe_err("veneer: no free page within 128 MiB of %s (%#lx-%#lx)",
			obj->name ? obj->name : "?", (unsigned long)obj->lo,
			(unsigned long)obj->hi);
		return 0;
	}
	p = (uint32_t *)v;
	p[0] = pfe_insn_ldr_lit(v, v + 8, PFE_REG_X16);
	p[1] = pfe_insn_br(PFE_REG_X16);
	memcpy(&p[2], &target, sizeof(target));
	if (mprotect((void *)v, ps, PROT_READ | PROT_EXEC)) {
		pfe_err("veneer: cannot make the page at %#lx executable: %s", (unsigned long)v,
			strerror(errno));
		munmap((void *)v, ps);
		return 0;
	}
	pfe_sync_icache((void *)p, (void *)(p + 4));
	veneers[nveneers++] = (struct veneer){v, target};
	pfe_debug("veneer: %#lx -> %#lx for %s", (unsigned long)v, (unsigned long)target,
		  obj->name ? obj->name : "?");
	return v;
}

uintptr_t pfe_call_target(struct pfe_object *obj)
{
	uintptr_t t = pfe_tramp_addr;

	if (obj->veneer)
		return obj->veneer;
	if (!t || t & 3) {
		pfe_err_once("no trampoline to call (%#lx)", (unsigned long)t);
		return 0;
	}
	if (obj->lo >= obj->hi || obj->lo & 3) {
		pfe_err("veneer: %s has no executable span (%#lx-%#lx)",
			obj->name ? obj->name : "?", (unsigned long)obj->lo,
			(unsigned long)obj->hi);
		return 0;
	}
	if (obj_reaches(obj, t))
		return t;
	for (size_t i = 0; i < nveneers; i++) {
		if (veneers[i].target == t && obj_reaches(obj, veneers[i].addr)) {
			obj->veneer = veneers[i].addr;
			return obj->veneer;
		}
	}
	obj->veneer = make_veneer(obj, t);
	return obj->veneer;
}
