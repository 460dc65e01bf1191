/* SPDX-License-Identifier: MIT */
/*
 * Site state transitions, the kernel's arm64 ftrace protocol in user space.
 *
 *                 Compiled          Initialised          Enabled
 *                 (COMPILED)        (INIT)               (CALL)
 *   pc:           nop        --->   mov x9, x30          mov x9, x30
 *   pc + 4:       nop               nop          <--->   bl <stub, trampoline or veneer>
 *
 *              init_nop                   make_call
 *   Compiled ------------> Initialised --------------> Enabled
 *                              ^                          |
 *                              +------- make_nop ---------+
 *
 * init_nop changes slot 0 while slot 1 is still a NOP, and is allowed only
 * before the code can run (the constructor before main, or an object just
 * loaded and not yet reachable): a thread that fetched the first NOP and then
 * the BL would enter the trampoline with x9 not holding its return address.
 * Afterwards only slot 1 changes, NOP <-> BL, both of which the architecture
 * lets us replace under a running thread with one aligned 32-bit store and
 * cache maintenance (B, BL, NOP, ... are the "concurrent modification and
 * execution" safe set). mov x9, x30 is harmless when slot 1 is a NOP: x9 is a
 * caller-saved temporary at a function's entry.
 *
 * Every transition goes through sites_modify(): check the site's state,
 * compute the word expected in the slot and the word to write, hand the whole
 * batch to pfe_text_apply() (which refuses a word that is not the expected
 * one), then read the slots back and set each site's state from what memory
 * really holds. A site that fails any check is refused with one line and left
 * as it was. Callers hold the patch lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "insn.h"
#include "core.h"

enum op { OP_INIT_NOP, OP_MAKE_CALL, OP_MAKE_NOP };

static const struct transition {
	const char *name;
	uint8_t from, to;
	uint8_t slot;
} transitions[] = {
    [OP_INIT_NOP] = {"init_nop", PFE_SITE_COMPILED, PFE_SITE_INIT, 0},
    [OP_MAKE_CALL] = {"make_call", PFE_SITE_INIT, PFE_SITE_CALL, 1},
    [OP_MAKE_NOP] = {"make_nop", PFE_SITE_CALL, PFE_SITE_INIT, 1},
};

static const char *const state_names[] = {
    [PFE_SITE_COMPILED] = "Compiled",
    [PFE_SITE_INIT] = "Initialised",
    [PFE_SITE_CALL] = "Enabled",
};

/* Say why a site was refused, for the first few sites of a batch. */
#define REFUSE_LINES 4

/* A queued write: the site and the word it gets (pfe_text_apply sorts the
 * write list, so the word is kept here for the read-back). */
struct queued {
	struct pfe_site *site;
	uint32_t new;
};

struct batch {
	enum op op;
	const struct transition *t;
	struct pfe_text_write *w;
	struct queued *queued;
	size_t nqueued;
	size_t refused;
	int err;		/* first error */
	struct pfe_object *obj; /* call target cache for the last object seen */
	uintptr_t target;
};

static const char *state_name(uint8_t state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state]
								    : "invalid";
}

/*
 * A dynamic site (arch/arm64/dynstub.c) has one slot, the function's own
 * first instruction, a `b` since the site was made: to the body (the
 * relocated copy, site->pc + 8) when Initialised, to the stub's entry when
 * Enabled. B to B is in the concurrently-modifiable set, like the NOP and
 * BL of a flagged site's slot 1.
 */
static bool is_dyn(const struct pfe_site *site)
{
	return site->flags & PFE_SITE_DYN;
}

static uint32_t dyn_detached(const struct pfe_site *site)
{
	return pfe_insn_b(pfe_dynstub_slot(site), site->pc + 8);
}

static uint32_t dyn_attached(const struct pfe_site *site)
{
	return pfe_insn_b(pfe_dynstub_slot(site), pfe_dynstub_entry(site));
}

static uintptr_t slot_addr(const struct pfe_site *site, unsigned slot)
{
	if (is_dyn(site))
		return pfe_dynstub_slot(site);
	return site->pc + 4 * slot;
}

static void refuse(struct batch *b, const struct pfe_site *site, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(struct batch *b, const struct pfe_site *site, int err, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	if (!b->err)
		b->err = err;
	if (b->refused++ >= REFUSE_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pfe_err("%s: %s at %#lx in %s refused: %s", b->t->name, site->name ? site->name : "?",
		(unsigned long)site->pc, site->obj && site->obj->name ? site->obj->name : "?", why);
}

/* Where slot 1's BL goes for @site: its stub when it has a live one
 * (pfe_stubs_prepare ran for the batch), else the common trampoline or the
 * object's veneer to it; 0 when nothing is in range. */
static uintptr_t call_target(struct batch *b, const struct pfe_site *site)
{
	uintptr_t stub = pfe_stub_live(site);

	if (stub && pfe_insn_reachable_by_bl(site->pc + 4, stub))
		return stub;
	if (!site->obj)
		return pfe_tramp_addr;
	if (site->obj != b->obj) {
		b->obj = site->obj;
		b->target = pfe_call_target(site->obj);
	}
	return b->target;
}

/* The target an enabled site's BL was given: the same rule, without creating
 * a veneer (an enabled site's object already has one if it needs one). */
static uintptr_t enabled_target(const struct pfe_site *site)
{
	if (site->flags & PFE_SITE_STUB)
		return pfe_stub_live(site);
	return site->obj && site->obj->veneer ? site->obj->veneer : pfe_tramp_addr;
}

/* BL from slot 1 to @target; PFE_INSN_BAD also for "no target" (0), which
 * a low-mapped program could otherwise reach. */
static uint32_t slot1_bl(const struct pfe_site *site, uintptr_t target)
{
	return target ? pfe_insn_bl(site->pc + 4, target) : PFE_INSN_BAD;
}

/* The word the slot must hold before the transition. */
static uint32_t old_word(const struct batch *b, const struct pfe_site *site)
{
	if (is_dyn(site))
		return b->op == OP_MAKE_NOP ? dyn_attached(site) : dyn_detached(site);
	return b->op == OP_MAKE_NOP ? slot1_bl(site, enabled_target(site)) : PFE_INSN_NOP;
}

/* The word the transition writes. */
static uint32_t new_word(struct batch *b, const struct pfe_site *site)
{
	if (is_dyn(site))
		return b->op == OP_MAKE_CALL  ? dyn_attached(site)
		       : b->op == OP_MAKE_NOP ? dyn_detached(site)
					      : PFE_INSN_BAD;
	switch (b->op) {
	case OP_INIT_NOP:
		return PFE_INSN_MOV_X9_X30;
	case OP_MAKE_CALL:
		return slot1_bl(site, call_target(b, site));
	default:
		return PFE_INSN_NOP;
	}
}

/*
 * Validate one site and queue the write of @new over @old into its slot
 * (the kernel's ftrace_modify_code(pc, old, new, validate)).
 */
/* PROT_BTI of the segment holding the site: /proc/self/maps does not show
 * it, and text.c must put it back with the other rights. */
static int hidden_rights(const struct pfe_site *site)
{
	const struct pfe_object *obj = site->obj;
	uintptr_t pc = is_dyn(site) ? pfe_dynstub_slot(site) : site->pc;

	for (size_t i = 0; obj && i < obj->nsegs; i++)
		if (pc >= obj->segs[i].start && pc < obj->segs[i].end)
			return obj->segs[i].prot & PFE_PROT_BTI;
	return 0;
}

static void site_modify(struct batch *b, struct pfe_site *site, uint32_t old, uint32_t new)
{
	uint32_t cur;

	if (site->state != b->t->from) {
		refuse(b, site, -EINVAL, "state %s, expected %s", state_name(site->state),
		       state_name(b->t->from));
		return;
	}
	if (site->pc & 3) {
		refuse(b, site, -EINVAL, "pc not 4-byte aligned");
		return;
	}
	if (site->nops < 2) {
		refuse(b, site, -EINVAL, "%u NOPs at pc, need two", site->nops);
		return;
	}
	if (old == PFE_INSN_BAD || new == PFE_INSN_BAD) {
		uintptr_t t = b->op == OP_MAKE_CALL ? call_target(b, site) : enabled_target(site);

		if (t)
			refuse(b, site, -ERANGE, "trampoline %#lx not within BL range of slot 1",
			       (unsigned long)t);
		else
			refuse(b, site, -ERANGE, "no trampoline to branch to");
		return;
	}
	cur = __atomic_load_n((uint32_t *)slot_addr(site, b->t->slot), __ATOMIC_RELAXED);
	if (cur != old) {
		refuse(b, site, -EILSEQ, "slot %u holds %#010x, expected %#010x", b->t->slot, cur,
		       old);
		return;
	}
	b->w[b->nqueued] =
	    (struct pfe_text_write){slot_addr(site, b->t->slot), old, new, hidden_rights(site)};
	b->queued[b->nqueued++] = (struct queued){site, new};
}

static int sites_modify(struct pfe_site **sites, size_t n, enum op op)
{
	struct pfe_text_write w_small[4];
	struct queued q_small[4];
	struct batch b = {.op = op, .t = &transitions[op], .w = w_small, .queued = q_small};
	int ret = 0;

	if (op == OP_MAKE_CALL)
		pfe_stubs_prepare(sites, n);
	if (n > sizeof(w_small) / sizeof(w_small[0])) {
		b.w = malloc(n * sizeof(*b.w));
		b.queued = malloc(n * sizeof(*b.queued));
		if (!b.w || !b.queued) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct pfe_site *site = sites[i];

		site_modify(&b, site, old_word(&b, site), new_word(&b, site));
	}
	if (b.nqueued)
		ret = pfe_text_apply(b.w, b.nqueued, NULL);
	/*
	 * Memory, not the return value, says which writes happened: a batch
	 * can fail halfway, and the site's state must match its slot. Every
	 * queued slot held the old word, so the new one means it was written.
	 * (b.w was sorted by pfe_text_apply, hence b.queued keeps the words.)
	 */
	for (size_t i = 0; i < b.nqueued; i++) {
		struct pfe_site *site = b.queued[i].site;
		uint32_t got =
		    __atomic_load_n((uint32_t *)slot_addr(site, b.t->slot), __ATOMIC_RELAXED);

		if (got == b.queued[i].new) {
			uintptr_t stub = op == OP_MAKE_CALL ? pfe_stub_live(site) : 0;

			site->state = b.t->to;
			site->flags &= ~PFE_SITE_STUB;
			if (stub && got == slot1_bl(site, stub))
				site->flags |= PFE_SITE_STUB;
		} else if (ret >= 0)
			refuse(&b, site, -EILSEQ, "slot %u changed to %#010x while patching",
			       b.t->slot, got);
	}
	if (b.refused > REFUSE_LINES)
		pfe_err("%s: %zu more sites refused", b.t->name, b.refused - REFUSE_LINES);
	if (ret >= 0)
		ret = b.err;
out:
	if (b.w != w_small)
		free(b.w);
	if (b.queued != q_small)
		free(b.queued);
	return ret;
}

int pfe_sites_init_nop(struct pfe_site **sites, size_t n)
{
	return sites_modify(sites, n, OP_INIT_NOP);
}

int pfe_sites_make_call(struct pfe_site **sites, size_t n)
{
	return sites_modify(sites, n, OP_MAKE_CALL);
}

int pfe_sites_make_nop(struct pfe_site **sites, size_t n)
{
	return sites_modify(sites, n, OP_MAKE_NOP);
}

int pfe_site_init_nop(struct pfe_site *site)
{
	return sites_modify(&site, 1, OP_INIT_NOP);
}

int pfe_site_make_call(struct pfe_site *site)
{
	return sites_modify(&site, 1, OP_MAKE_CALL);
}

int pfe_site_make_nop(struct pfe_site *site)
{
	return sites_modify(&site, 1, OP_MAKE_NOP);
}
