/* SPDX-License-Identifier: MIT */
/*
 * Offsets of C structs that the assembly uses. Compiled to assembly only; the
 * Makefile turns each "->NAME value" marker into build/gen/pfe-asm-offsets.h,
 * so no offset is ever typed twice by hand.
 */
#include <stddef.h>
#define _LGPL_SOURCE
#include <urcu-bp.h>

#include "dispatch.h"
#include "dynsave.h"
#include "shadow.h"

#define DEFINE(sym, val)      __asm__ volatile("\n.ascii \"->" #sym " %0\"" : : "i"(val))
#define OFFSET(sym, str, mem) DEFINE(sym, offsetof(struct str, mem))

void pfe_asm_offsets(void);
void pfe_asm_offsets(void)
{
	OFFSET(PFE_REGS_X0, pfe_regs, x[0]);
	OFFSET(PFE_REGS_X2, pfe_regs, x[2]);
	OFFSET(PFE_REGS_X4, pfe_regs, x[4]);
	OFFSET(PFE_REGS_X6, pfe_regs, x[6]);
	OFFSET(PFE_REGS_X8, pfe_regs, x[8]);
	OFFSET(PFE_REGS_X18, pfe_regs, x18);
	OFFSET(PFE_REGS_FP, pfe_regs, fp);
	OFFSET(PFE_REGS_LR, pfe_regs, lr);
	OFFSET(PFE_REGS_SP, pfe_regs, sp);
	OFFSET(PFE_REGS_PC, pfe_regs, pc);
	OFFSET(PFE_REGS_V0, pfe_regs, v[0]);
	OFFSET(PFE_REGS_V2, pfe_regs, v[2]);
	OFFSET(PFE_REGS_V4, pfe_regs, v[4]);
	OFFSET(PFE_REGS_V6, pfe_regs, v[6]);
	DEFINE(PFE_REGS_SIZE, sizeof(struct pfe_regs));

	OFFSET(PFE_DYN_X11, pfe_dyn_save, x11);
	OFFSET(PFE_DYN_X13, pfe_dyn_save, x13);
	OFFSET(PFE_DYN_X15, pfe_dyn_save, x15);
	OFFSET(PFE_DYN_NZCV, pfe_dyn_save, nzcv);
	OFFSET(PFE_DYN_LR_SIGNED, pfe_dyn_save, lr_signed);
	OFFSET(PFE_DYN_LR_STRIPPED, pfe_dyn_save, lr_stripped);
	OFFSET(PFE_DYN_V8, pfe_dyn_save, v8_31);
	DEFINE(PFE_DYN_SAVE, sizeof(struct pfe_dyn_save));

	OFFSET(PFE_FRAME_TRAMP_REC, pfe_tramp_frame, tramp_rec);
	OFFSET(PFE_FRAME_FUNC_REC, pfe_tramp_frame, func_rec);
	OFFSET(PFE_FRAME_SAVE, pfe_tramp_frame, save);
	OFFSET(PFE_FRAME_REGS, pfe_tramp_frame, regs);

	/* pfe_site_trampoline's fast path */
	OFFSET(PFE_SITE_HOOKS, pfe_site, hooks);
	OFFSET(PFE_VEC_SINGLE, pfe_hook_vec, single);
	OFFSET(PFE_FAST_GUARD, pfe_fast, guard_tpoff);
	OFFSET(PFE_FAST_GP, pfe_fast, gp_ctr);
	DEFINE(PFE_URCU_BP_GP_COUNT, URCU_BP_GP_COUNT);
	DEFINE(PFE_FRAME_SIZE, sizeof(struct pfe_tramp_frame));

	/* arch/arm64/ret_tramp.S */
	OFFSET(PFE_RFRAME_REGS, pfe_ret_frame, regs);
	DEFINE(PFE_RFRAME_SIZE, sizeof(struct pfe_ret_frame));
	OFFSET(PFE_RREGS_X0, pfe_ret_regs, x[0]);
	OFFSET(PFE_RREGS_X8, pfe_ret_regs, x8);
	OFFSET(PFE_RREGS_V0, pfe_ret_regs, v[0]);
	OFFSET(PFE_RREGS_V2, pfe_ret_regs, v[2]);
	OFFSET(PFE_RREGS_FLAGS, pfe_ret_regs, flags);
	OFFSET(PFE_RFRAME_SAVE, pfe_ret_frame, save);

	/* pfe_ret_trampoline's common case */
	OFFSET(PFE_FAST_SHADOW, pfe_fast, shadow_tpoff);
	OFFSET(PFE_FAST_MB, pfe_fast, mb);
	OFFSET(PFE_SHADOW_NSTK, pfe_shadow, nstk);
	OFFSET(PFE_SHADOW_LAST, pfe_shadow, last);
	OFFSET(PFE_SHADOW_N, pfe_shadow, stk[0].n);
	OFFSET(PFE_SHADOW_F, pfe_shadow, stk[0].f);
	OFFSET(PFE_SHADOW_STK1, pfe_shadow, stk[1]);
	DEFINE(PFE_STACK_SIZE, sizeof(struct pfe_stack));
	OFFSET(PFE_SFRAME_RET, pfe_shadow_frame, ret);
	OFFSET(PFE_SFRAME_SP, pfe_shadow_frame, sp);
	OFFSET(PFE_SFRAME_SITE, pfe_shadow_frame, site);
	OFFSET(PFE_SFRAME_KEEP, pfe_shadow_frame, keep);
	DEFINE(PFE_SFRAME_SIZE, sizeof(struct pfe_shadow_frame));
	OFFSET(PFE_VEC_FUSED, pfe_hook_vec, fused);
	OFFSET(PFE_FUSED_EXIT, pfe_hook_fused, exit);
}

/*
 * The trampoline moves registers in pairs (stp/ldp), so these fields must be
 * adjacent, and every pair must sit where stp can address it: 16-byte
 * alignment keeps sp aligned and lets q registers go in pairs too.
 */
#define ADJACENT(a, b) (offsetof(struct pfe_regs, b) == offsetof(struct pfe_regs, a) + 8)
_Static_assert(ADJACENT(x[8], x18), "x8/x18 are stored as a pair");
_Static_assert(ADJACENT(fp, lr), "fp/lr are stored as a pair");
_Static_assert(ADJACENT(sp, pc), "sp/pc are stored as a pair");
_Static_assert(offsetof(struct pfe_regs, x[0]) % 16 == 0, "x pairs need 16-byte alignment");
_Static_assert(offsetof(struct pfe_regs, v[0]) % 16 == 0, "q registers need 16-byte alignment");
_Static_assert(sizeof(union pfe_vreg) == 16, "one q register per v[] entry");
_Static_assert(offsetof(struct pfe_tramp_frame, regs) % 16 == 0, "regs are 16-byte aligned");
_Static_assert(offsetof(struct pfe_tramp_frame, regs) == 0 && offsetof(struct pfe_regs, x[0]) == 0,
	       "x0/x1 at sp: their pre-indexed stp allocates the frame");
_Static_assert(sizeof(struct pfe_tramp_frame) <= 512, "the frame fits stp's pre-index immediate");
_Static_assert(sizeof(struct pfe_tramp_frame) % 16 == 0, "sp stays 16-byte aligned");
/* stp/ldp of x registers reach 504 bytes, of q registers 1008. */
_Static_assert(offsetof(struct pfe_tramp_frame, regs) + offsetof(struct pfe_regs, pc) <= 504,
	       "x pairs within stp range");
_Static_assert(sizeof(struct pfe_tramp_frame) - 32 <= 1008, "q pairs within stp range");
_Static_assert(sizeof(struct pfe_tramp_frame) < 4096, "one sub immediate");
_Static_assert(sizeof(struct pfe_ret_frame) % 16 == 0, "ret trampoline keeps sp aligned");
_Static_assert(offsetof(struct pfe_ret_frame, regs) % 16 == 0, "ret regs are 16-byte aligned");
_Static_assert(offsetof(struct pfe_ret_regs, v[0]) % 16 == 0, "ret q pairs need alignment");
_Static_assert(offsetof(struct pfe_tramp_frame, save) % 16 == 0, "save is an stp pair");
_Static_assert(offsetof(struct pfe_fast, reader_tpoff) ==
		   offsetof(struct pfe_fast, guard_tpoff) + 8,
	       "guard and reader offsets are loaded as a pair");
/* The trampoline tests the nesting count with a 32-bit load of ctr. */
_Static_assert(URCU_BP_GP_CTR_NEST_MASK == 0xffffffffUL, "nesting in ctr's low half");
_Static_assert(offsetof(struct urcu_bp_reader, ctr) == 0, "ctr first in the reader slot");
_Static_assert(URCU_BP_GP_COUNT == 1 && URCU_BP_GP_CTR_PHASE == 1UL << 32,
	       "the gp counter's low half is 1: the guard's running-hook value");
_Static_assert(sizeof(pfe_in_hook) == 4, "the guard is a 32-bit word");
_Static_assert(offsetof(struct pfe_hook_vec, single_data) ==
		   offsetof(struct pfe_hook_vec, single) + 8,
	       "the single hook's fn and data are loaded as a pair");
/* pfe_ret_trampoline's common case loads {nstk, closing} as one word and
 * finds frame n - 1 as f + n * 48 - 48 with two adds. */
_Static_assert(offsetof(struct pfe_shadow, closing) == offsetof(struct pfe_shadow, nstk) + 4 &&
		   sizeof(((struct pfe_shadow *)0)->nstk) == 4,
	       "nstk and closing form one 64-bit word, nstk low");
_Static_assert(sizeof(struct pfe_shadow_frame) == 48, "a shadow frame is 6 words");
_Static_assert(offsetof(struct pfe_shadow_frame, t0) == offsetof(struct pfe_shadow_frame, site) + 8,
	       "site/t0 are loaded as a pair");
_Static_assert(offsetof(struct pfe_stack, lo) == 0 && offsetof(struct pfe_stack, hi) == 8,
	       "a stack's lo/hi are loaded as a pair");
_Static_assert(sizeof(struct pfe_stack) % 8 == 0 && sizeof(struct pfe_stack) <= 504,
	       "ldp's post-index steps over one stack");
