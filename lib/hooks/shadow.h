/* SPDX-License-Identifier: MIT */
/*
 * A thread's shadow stacks (lib/hooks/exit.c, which says how they work): their
 * layout, for arch/arm64/asm-offsets.c (arch/arm64/ret_tramp.S pops the common case), and
 * the common case of a push, inline, for a fused entry (lib/hooks/dispatch.h).
 * Everything else about them is exit.c's.
 */
#ifndef PFE_SHADOW_H
#define PFE_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "dispatch.h"
#include "exit.h"

struct pfe_site;

struct pfe_shadow_frame {
	uintptr_t ret; /* the real return address */
	uintptr_t sp;  /* sp at entry: the function's CFA */
	const struct pfe_site *site;
	uint64_t t0; /* pfe_arch_counter() at entry */
	/* The fused form of the hook that pushed it, or NULL. Its exit is
	 * static code that outlives the hook: the call's exit runs it even
	 * when the hook has been detached since (exit.c says why). */
	const struct pfe_hook_fused *keep;
	bool thrown; /* an exception's search phase went through it */
};

/* One machine stack of the thread and its frames. */
struct pfe_stack {
	/* Its range, both ends included; stack 0: the rest. A free slot has
	 * lo = PFE_STACK_NONE and hi = 0, a range that holds no sp (and
	 * arch/arm64/ret_tramp.S's test of the ranges relies on it). */
	uintptr_t lo, hi;
	unsigned n;		    /* frames in f */
	unsigned base;		    /* nesting level of f[0] (0 for stack 0) */
	bool alt;		    /* a sigaltstack: always this thread's while known */
	struct pfe_shadow_frame *f; /* PFE_DEPTH frames reserved, or NULL */
};

#define PFE_STACK_NONE UINTPTR_MAX

/* Frames closed by a guess, newest last: see the top of lib/hooks/exit.c. */
#define PFE_GRAVE 64

struct pfe_shadow {
	/* First and adjacent: the return trampoline's common case is the
	 * 64-bit word {nstk, closing} == 1, one stack and nothing closing. */
	unsigned nstk;	  /* stk[0..nstk) in use */
	unsigned closing; /* 1 + the stack whose frames are being closed, or 0 */
	unsigned last;	  /* stack of the latest push or return */
	unsigned entered; /* stack the latest switch went to */
	unsigned ngrave;  /* frames ever put in grave (ring index) */
	struct pfe_stack stk[PFE_STACKS];
	struct pfe_shadow_frame grave[PFE_GRAVE];
};

static inline bool pfe_stack_has(const struct pfe_stack *k, uintptr_t sp)
{
	return sp - k->lo <= k->hi - k->lo;
}

/*
 * The stack @sp lies on: the newest known one containing it, else 0. A
 * coroutine stack without frames counts only while the thread runs on it
 * (switched to last): once its coroutine ended or was dropped, its memory
 * may be anything, an array on the main stack that later calls reuse.
 */
static inline unsigned pfe_stack_of(const struct pfe_shadow *s, uintptr_t sp)
{
	if (__builtin_expect(s->nstk == 1, 1))
		return 0;
	for (unsigned i = s->nstk; i-- > 1;) {
		const struct pfe_stack *k = &s->stk[i];

		if (pfe_stack_has(k, sp) && (k->n || k->alt || s->entered == i))
			return i;
	}
	return 0;
}

/* PFE_DEPTH: frames per stack. Set by a constructor, constant after. */
extern unsigned pfe_exit_depth_limit __attribute__((visibility("hidden")));

/* Push a frame for a call of @site entered with @regs as frame @d of stack
 * @r, which has room, and make the call return to the trampoline; @keep:
 * the fused form whose exit it returns through (or NULL). The
 * slot is filled only after the count is raised, with sp 0 first (a value
 * no check discards): a signal handler that pushes meanwhile works above
 * it. */
static inline __attribute__((always_inline)) void
pfe_shadow_fill(struct pfe_shadow *s, unsigned r, unsigned d, const struct pfe_site *site,
		struct pfe_regs *regs, uint64_t t0, const struct pfe_hook_fused *keep)
{
	struct pfe_stack *k = &s->stk[r];
	struct pfe_shadow_frame *f = &k->f[d];

	f->sp = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	k->n = d + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	f->ret = regs->lr;
	f->site = site;
	f->t0 = t0;
	f->keep = keep;
	f->thrown = false;
	f->sp = regs->sp;
	s->last = r;
	regs->lr = (uintptr_t)pfe_ret_trampoline;
}

/*
 * The common push for a fused entry, which sees its call before the frame
 * counts (as the ordinary path does: a signal handler's calls in between
 * then nest beside it, in order, not inside it ahead of its entry):
 *
 *	if (!(s = pfe_shadow_reserve(regs->sp)))
 *		return pfe_exit_enter_one(site, regs, vec);
 *	... the entry at level pfe_shadow_level(s), time t0 ...
 *	pfe_shadow_commit(s, level, site, regs, t0, &the_fused_form);
 *
 * It applies to a call on the thread's own stack (stack 0), mapped, with
 * room, whose top frame lies above this call (what is at or below sp needs closing first, which
 * pfe_exit_enter_one does).
 */
static inline __attribute__((always_inline)) struct pfe_shadow *pfe_shadow_reserve(uintptr_t sp)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	const struct pfe_stack *k;
	unsigned d;

	if (__builtin_expect(!s || pfe_stack_of(s, sp) != 0, 0))
		return NULL;
	k = &s->stk[0];
	d = k->n;
	if (__builtin_expect(!k->f || d >= pfe_exit_depth_limit || (d && k->f[d - 1].sp <= sp), 0))
		return NULL;
	return s;
}

/* The level of the call pfe_shadow_reserve() accepted (stack 0's base is
 * 0), which is also the frame it takes. */
static inline unsigned pfe_shadow_level(const struct pfe_shadow *s)
{
	return s->stk[0].n;
}

/* @level as pfe_shadow_level() said: the count cannot have changed since,
 * as nothing of this thread pushes or pops inside a hook (the guard).
 * @keep: the hook's fused form, whose exit the call returns through. */
static inline __attribute__((always_inline)) void
pfe_shadow_commit(struct pfe_shadow *s, unsigned level, const struct pfe_site *site,
		  struct pfe_regs *regs, uint64_t t0, const struct pfe_hook_fused *keep)
{
	pfe_shadow_fill(s, 0, level, site, regs, t0, keep);
}

#endif /* PFE_SHADOW_H */
