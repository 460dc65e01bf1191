/* SPDX-License-Identifier: MIT */
/*
 * The site verbs of arch/arch.h for arm64: the words each state transition
 * writes, the state the words show, and where a site's BL goes (the kernel's
 * arch/arm64/kernel/ftrace.c: ftrace_init_nop, ftrace_make_call,
 * ftrace_make_nop, ftrace_find_callable_addr). lib/core/patch.c checks the
 * states, batches the writes and reads them back.
 *
 * A site's layout, for -fpatchable-function-entry=N,M (M NOPs before the
 * symbol) with or without `bti c`, as the compiler emits it and libpfe
 * changes it (lib/core/sitetab.c finds pc):
 *
 *                 Compiled          Initialised          Enabled
 *                 (COMPILED)        (INIT)               (CALL)
 *   [M x nop]     nop ...           nop ...              nop ...
 *   func:         (bti c)           (bti c)              (bti c)
 *   pc:           nop        --->   mov x9, x30          mov x9, x30
 *   pc + 4:       nop               nop          <--->   bl <stub, trampoline or veneer>
 *   (more nops)   ...
 *   body:         ...
 *
 *              init_nop                   make_call
 *   Compiled ------------> Initialised --------------> Enabled
 *                              ^                          |
 *                              +------- make_nop ---------+
 *
 * init_nop changes slot 0 while slot 1 is still a NOP, and is allowed only
 * before the code can run (the constructor before main, or an object just
 * loaded and not yet reachable, or with its other threads parked, parked.c):
 * a thread that fetched the first NOP and then the BL would enter the
 * trampoline with x9 not holding its return address. Afterwards only slot 1
 * changes, NOP <-> BL, both of which the architecture lets us replace under a
 * running thread with one aligned 32-bit store and cache maintenance (B, BL,
 * NOP, ... are the "concurrent modification and execution" safe set).
 * mov x9, x30 is harmless when slot 1 is a NOP: x9 is a caller-saved
 * temporary at a function's entry (AAPCS64).
 *
 * With -mbranch-protection, `bti c` precedes the two NOPs and the site's pc
 * points past it; nothing here changes for it: the trampoline is entered by
 * BL, which no landing pad checks.
 */
#include <errno.h>

#include "arch.h"
#include "insn.h"
#include "core.h"

static uintptr_t slot_addr(const struct pfe_site *site, unsigned slot)
{
	return site->pc + 4 * slot;
}

static uint32_t slot_load(const struct pfe_site *site, unsigned slot)
{
	return __atomic_load_n((const uint32_t *)slot_addr(site, slot), __ATOMIC_RELAXED);
}

/* BL from slot 1 to @target; PFE_INSN_BAD also for "no target" (0), which
 * a low-mapped program could otherwise reach. */
static uint32_t slot1_bl(const struct pfe_site *site, uintptr_t target)
{
	return target ? pfe_insn_bl(slot_addr(site, 1), target) : PFE_INSN_BAD;
}

static int fill(struct pfe_text_write *w, uintptr_t addr, uint32_t old, uint32_t new)
{
	if (old == PFE_INSN_BAD || new == PFE_INSN_BAD)
		return -ERANGE;
	w->addr = addr;
	w->old = old;
	w->new = new;
	return 0;
}

int pfe_arch_init_nop(const struct pfe_site *site, struct pfe_text_write *w)
{
	if (site->pc & 3)
		return -EINVAL;
	return fill(w, slot_addr(site, 0), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30);
}

int pfe_arch_make_call(const struct pfe_site *site, uintptr_t target, struct pfe_text_write *w)
{
	if (site->pc & 3)
		return -EINVAL;
	return fill(w, slot_addr(site, 1), PFE_INSN_NOP, slot1_bl(site, target));
}

int pfe_arch_make_nop(const struct pfe_site *site, uintptr_t target, struct pfe_text_write *w)
{
	if (site->pc & 3)
		return -EINVAL;
	return fill(w, slot_addr(site, 1), slot1_bl(site, target), PFE_INSN_NOP);
}

int pfe_arch_site_decode(const struct pfe_site *site)
{
	uint32_t s0, s1;

	if (site->pc & 3)
		return -EILSEQ;
	s0 = slot_load(site, 0);
	s1 = slot_load(site, 1);
	if (s0 == PFE_INSN_NOP && s1 == PFE_INSN_NOP)
		return PFE_SITE_COMPILED;
	if (s0 != PFE_INSN_MOV_X9_X30)
		return -EILSEQ;
	if (s1 == PFE_INSN_NOP)
		return PFE_SITE_INIT;
	return pfe_insn_is_bl(s1) ? PFE_SITE_CALL : -EILSEQ;
}

uintptr_t pfe_arch_find_callable_addr(struct pfe_site *site, struct pfe_callable_memo *memo,
				      bool *stub)
{
	uintptr_t t;

	if (stub)
		*stub = false;
	/* No call from a pc that is no instruction address: nothing created. */
	if (site->pc & 3)
		return 0;
	if (!memo) {
		/* An enabled site's object already has its veneer if it needs
		 * one; a stub, once live, stays live. */
		if (site->flags & PFE_SITE_STUB) {
			if (stub)
				*stub = true;
			return pfe_stub_live(site);
		}
		return site->obj && site->obj->veneer ? site->obj->veneer : pfe_tramp_addr;
	}
	t = pfe_stub_live(site);
	if (t && pfe_insn_reachable_by_bl(slot_addr(site, 1), t)) {
		if (stub)
			*stub = true;
		return t;
	}
	if (!site->obj)
		return pfe_tramp_addr;
	if (site->obj != memo->obj) {
		memo->obj = site->obj;
		memo->target = pfe_call_target(site->obj);
	}
	return memo->target;
}
