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
 * The page comes from nearmap.c, is written while RW and then becomes R-X
 * for good: never W+X.
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
#include "core.h"

/* A variable rather than the symbol so that tests can substitute their own. */
uintptr_t pfe_tramp_addr = (uintptr_t)pfe_regs_trampoline;

#define MAX_VENEERS 64

static struct veneer {
	uintptr_t addr, target;
} veneers[MAX_VENEERS];
static size_t nveneers;

static uintptr_t make_veneer(const struct pfe_object *obj, uintptr_t target)
{
	uintptr_t ps = pfe_page_size(), v;
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
	if (pfe_near_reaches(obj, t))
		return t;
	for (size_t i = 0; i < nveneers; i++) {
		if (veneers[i].target == t && pfe_near_reaches(obj, veneers[i].addr)) {
			obj->veneer = veneers[i].addr;
			return obj->veneer;
		}
	}
	obj->veneer = make_veneer(obj, t);
	return obj->veneer;
}
