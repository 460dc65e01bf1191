/* SPDX-License-Identifier: MIT */
/*
 * pfe_regs_trampoline: the one place an enabled site branches to.
 *
 * A site, once enabled (lib/sitetab.h), is
 *
 *	func:	(bti c)			only with -mbranch-protection
 *	pc:	mov	x9, x30		slot 0, written once at start-up
 *	pc+4:	bl	pfe_regs_trampoline	slot 1 (or bl to a veneer that
 *					does `br x16` to here)
 *	pc+8:	body ...
 *
 * so on entry here:
 *   x0-x7, q0-q7  the function's arguments; x8 the indirect result address;
 *                 x18 the platform register / static chain; all must reach
 *                 the body unchanged unless a hook changes them.
 *   x9            the caller's return address. x9 is a temporary in AAPCS64:
 *                 no caller expects it preserved across a call and no
 *                 function expects a value in it at entry, so the MOV in
 *                 slot 0 may clobber it.
 *   x30           the body (pc + 8), set by the BL.
 *   x29, sp       still the caller's: the function has not run a single
 *                 instruction of its own.
 *   x10-x17       free for the same reason as x9 (x16/x17 are also the IP
 *                 scratch registers veneers and PLT stubs use).
 * x19-x28 belong to the caller and are preserved by pfe_dispatch (C code).
 *
 * BTI: the entry is `bti c`. The BL needs no landing pad, but a veneer
 * reaches us with `br x16`, which `bti c` accepts for x16/x17 only. We leave
 * with `ret x16`, not `br x16`: the body of a BTI-guarded function is not a
 * landing pad, and RET is never checked. x30 is set to the (possibly
 * hook-changed) return address, so the body sees exactly what a direct call
 * would have given it; with pac-ret its PACIASP signs that x30 against the
 * entry sp, which we restore.
 *
 * Not preserved: the upper halves of SVE z0-z7 and p0-p3 (SVE-ABI functions
 * pass vectors there), as with any C code a hook calls.
 *
 * The frame (struct pfe_tramp_frame in lib/dispatch.h; every offset comes
 * from build/gen/pfe-asm-offsets.h) holds two frame records so that a
 * frame-pointer unwinder walks hook -> pfe_dispatch -> trampoline -> the
 * traced function (its body) -> its caller. The CFI says the same for DWARF
 * unwinders, with x16 as the return column: the trampoline's own return
 * address (the body) and the traced function's x30 (the caller's return
 * address, in x9) are different values, and DWARF can only name both when
 * they live in different columns.
 */
#include "pfe-asm-offsets.h"
#include "pfe-asm.h"

#define R(field) (PFE_FRAME_REGS + PFE_REGS_##field)

	.text
	.p2align 4
	.globl	pfe_regs_trampoline
	.hidden	pfe_regs_trampoline
	.type	pfe_regs_trampoline, %function
pfe_regs_trampoline:
	.cfi_startproc
	.cfi_return_column x16
	.cfi_register x16, x30		/* our return address: the body */
	.cfi_register x30, x9		/* the traced function's lr */
	bti	c
	sub	sp, sp, #PFE_FRAME_SIZE
	.cfi_def_cfa_offset PFE_FRAME_SIZE
	stp	x0, x1, [sp, #R(X0)]
	stp	x2, x3, [sp, #R(X2)]
	stp	x4, x5, [sp, #R(X4)]
	stp	x6, x7, [sp, #R(X6)]
	stp	x8, x18, [sp, #R(X8)]
	stp	q0, q1, [sp, #R(V0)]
	stp	q2, q3, [sp, #R(V2)]
	stp	q4, q5, [sp, #R(V4)]
	stp	q6, q7, [sp, #R(V6)]
	stp	x29, x9, [sp, #R(FP)]		/* regs->fp, regs->lr */
	add	x10, sp, #PFE_FRAME_SIZE
	stp	x10, x30, [sp, #R(SP)]		/* regs->sp (entry sp), regs->pc */

	/* The traced function's frame record, then ours pointing at it. */
	stp	x29, x9, [sp, #PFE_FRAME_FUNC_REC]
	.cfi_offset x29, PFE_FRAME_FUNC_REC - PFE_FRAME_SIZE
	.cfi_offset x30, PFE_FRAME_FUNC_REC + 8 - PFE_FRAME_SIZE
	add	x29, sp, #PFE_FRAME_FUNC_REC
	stp	x29, x30, [sp, #PFE_FRAME_TRAMP_REC]
	.cfi_offset x16, PFE_FRAME_TRAMP_REC + 8 - PFE_FRAME_SIZE
	add	x29, sp, #PFE_FRAME_TRAMP_REC

	add	x0, sp, #PFE_FRAME_REGS
	bl	pfe_dispatch

	/* Everything a hook may change comes back from regs. */
	ldp	q0, q1, [sp, #R(V0)]
	ldp	q2, q3, [sp, #R(V2)]
	ldp	q4, q5, [sp, #R(V4)]
	ldp	q6, q7, [sp, #R(V6)]
	ldp	x0, x1, [sp, #R(X0)]
	ldp	x2, x3, [sp, #R(X2)]
	ldp	x4, x5, [sp, #R(X4)]
	ldp	x6, x7, [sp, #R(X6)]
	ldp	x8, x18, [sp, #R(X8)]
	ldr	x16, [sp, #R(PC)]
	.cfi_same_value x16
	ldr	x30, [sp, #R(LR)]
	.cfi_same_value x30
	/* fp and sp are read-only for hooks: restore from our own copy. */
	ldr	x29, [sp, #PFE_FRAME_FUNC_REC]
	.cfi_same_value x29
	add	sp, sp, #PFE_FRAME_SIZE
	.cfi_def_cfa_offset 0
	ret	x16
	.cfi_endproc
	.size	pfe_regs_trampoline, . - pfe_regs_trampoline

	pfe_note_bti_pac
