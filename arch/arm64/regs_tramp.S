/* SPDX-License-Identifier: MIT */
/*
 * The trampolines an enabled site reaches: pfe_site_trampoline (and its
 * _mb variant) through the site's stub, which has put the site in x10;
 * pfe_regs_trampoline directly or through a veneer when the site has no
 * stub (arch/arm64/stub.c), which then finds the site by address.
 *
 * A site, once enabled (lib/core/sitetab.h), is
 *
 *	func:	(bti c)			only with -mbranch-protection
 *	pc:	mov	x9, x30		slot 0, written once at start-up
 *	pc+4:	bl	<stub>		slot 1: stub: ldr x10, <site>;
 *					b pfe_site_trampoline (or bl
 *					pfe_regs_trampoline / a veneer
 *					that does `br x16` to it)
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
 *   x10           pfe_site_trampoline only: the site, loaded by its stub.
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
 * The frame (struct pfe_tramp_frame in lib/hooks/dispatch.h; every offset comes
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

/*
 * The body every trampoline shares: save, dispatch, restore.
 *
 * \site = 0: pfe_regs_trampoline calls \dispatch(regs), which finds the
 * site by address (lib/hooks/dispatch.c).
 *
 * \site = 1: x10 holds the site (its stub loaded it) and the dispatch is
 * done here, the common case without a call into C: the recursion guard,
 * urcu-bp's read lock (its reader protocol, see lib/hooks/readside.h
 * for the ordering argument), a single plain hook called
 * directly, the unlock. \mb = 1 adds the dmb ish each side needs when
 * urcu-bp has no sys_membarrier. What the fast path does not handle goes to
 * C: a thread not yet registered with urcu-bp or already inside a
 * read-side section (pfe_dispatch_site does everything). A vector of
 * several hooks, or of hooks with exit hooks or signatures, is called like
 * a single hook: its single entry is pfe_dispatch_walk, which walks it
 * inside the section taken here, so the straight path has no test for it.
 *
 * q0-q7 move with st1/ld1 of four registers: on little-endian, .16b lanes
 * in memory are exactly the q registers' bytes, as stp/ldp of q would store
 * them (struct pfe_regs v[]).
 */
	.macro	tramp_body dispatch, site, mb, name, extra=0, pac=0
	/* regs sit at the frame's base: x0/x1 allocate it and leave with it.
	 * \extra: bytes between the frame and the traced function's entry sp
	 * (a dynamic site's saves, pfe_dyn_trampoline). */
	stp	x0, x1, [sp, #-PFE_FRAME_SIZE]!
	.cfi_def_cfa_offset PFE_FRAME_SIZE + \extra
	stp	x2, x3, [sp, #R(X2)]
	stp	x4, x5, [sp, #R(X4)]
	stp	x6, x7, [sp, #R(X6)]
	stp	x8, x18, [sp, #R(X8)]
	add	x12, sp, #R(V0)
	st1	{v0.16b, v1.16b, v2.16b, v3.16b}, [x12], #64
	st1	{v4.16b, v5.16b, v6.16b, v7.16b}, [x12]
	stp	x29, x9, [sp, #R(FP)]		/* regs->fp, regs->lr */
	add	x11, sp, #PFE_FRAME_SIZE + \extra
	stp	x11, x30, [sp, #R(SP)]		/* regs->sp (entry sp), regs->pc */

	/* The traced function's frame record, then ours pointing at it. */
	stp	x29, x9, [sp, #PFE_FRAME_FUNC_REC]
	.cfi_offset x29, PFE_FRAME_FUNC_REC - PFE_FRAME_SIZE - \extra
	.cfi_offset x30, PFE_FRAME_FUNC_REC + 8 - PFE_FRAME_SIZE - \extra
	add	x29, sp, #PFE_FRAME_FUNC_REC
	stp	x29, x30, [sp, #PFE_FRAME_TRAMP_REC]
	.cfi_offset x16, PFE_FRAME_TRAMP_REC + 8 - PFE_FRAME_SIZE - \extra
	add	x29, sp, #PFE_FRAME_TRAMP_REC

	.if \site
\name\().lock:				/* bench/run.sh: the breakdown */
	adr	x16, pfe_fast			/* .data, within adr's 1 MiB */
	ldp	x12, x13, [x16, #PFE_FAST_GUARD] /* tp offsets: guard, reader */
	mrs	x11, tpidr_el0
	ldr	w14, [x11, x12]
	cbnz	w14, 8f				/* inside a hook: no hooks */
	ldr	x13, [x11, x13]			/* urcu-bp's reader slot */
	cbz	x13, 7f				/* not registered yet */
	ldr	w14, [x13]			/* nesting count: ctr's low half */
	cbnz	w14, 7f				/* nested read-side section */
	ldr	x16, [x16, #PFE_FAST_GP]
	ldr	x15, [x16]
	str	x15, [x13]			/* rcu_read_lock: ctr = gp ctr */
	add	x11, x11, x12
	/* The guard takes the gp counter's low half: exactly
	 * URCU_BP_GP_COUNT = 1, the value of a running hook (lib/base/guard.h,
	 * arch/arm64/asm-offsets.c checks both). A signal before this store finds the
	 * section nested and takes pfe_dispatch_site, which nests too. */
	str	w15, [x11]
	.if \mb
	dmb	ish				/* pairs with synchronize_rcu's smp_mb */
	.endif
	stp	x11, x13, [sp, #PFE_FRAME_SAVE]
\name\().call:
	ldr	x16, [x10, #PFE_SITE_HOOKS]	/* rcu_dereference: address dependency */
	cbz	x16, 6f
	/* The single hook, or pfe_dispatch_walk with the vector as its data:
	 * never NULL in a published vector (registry.c). */
	ldp	x17, x2, [x16, #PFE_VEC_SINGLE]
	mov	x0, x10
	mov	x1, sp				/* regs: the frame's base */
	blr	x17
\name\().unlock:
6:	ldp	x11, x13, [sp, #PFE_FRAME_SAVE]
	.if \mb
	dmb	ish
	.endif
	/* rcu_read_unlock. Our section began with a nesting count of 0 and
	 * anything nested in it (a hook's own sections, a signal handler's)
	 * is balanced by now, so the count returns to 0: urcu-bp's writer
	 * reads a count of 0 as "not reading" whatever the phase bits say
	 * (urcu_bp_reader_state), so 0 is what liburcu's ctr - count would
	 * have stored, for one store instead of a load, a subtract and a
	 * store. */
	str	xzr, [x13]
	str	wzr, [x11]			/* guard off, last */
\name\().restore:
8:
	.else
	mov	x0, sp
	bl	\dispatch
	.endif

	/* Everything a hook may change comes back from regs. */
	.cfi_remember_state
	add	x12, sp, #R(V0)
	ld1	{v0.16b, v1.16b, v2.16b, v3.16b}, [x12], #64
	ld1	{v4.16b, v5.16b, v6.16b, v7.16b}, [x12]
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
	ldp	x0, x1, [sp], #PFE_FRAME_SIZE
	.cfi_def_cfa_offset \extra
	.if \extra
	dyn_restore \pac
	.endif
	ret	x16
	.if \site
\name\().end:
	.endif

	.if \site
	/* Off the straight path, with the frame still in place. */
	.cfi_restore_state
7:	mov	x0, sp
	mov	x1, x10
	bl	\dispatch			/* guard, RCU and hooks in C */
	b	8b
	.endif
	.endm

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
	tramp_body pfe_dispatch, 0, 0, pfe_regs_trampoline
	.cfi_endproc
	.size	pfe_regs_trampoline, . - pfe_regs_trampoline

/*
 * pfe_site_trampoline: entered by `b` from a site's stub (arch/arm64/stub.c) with
 * x10 = the site, so nothing is looked up. A direct branch needs no landing
 * pad, hence no `bti c` on this entry; the far entry just before it is for
 * an arena's veneer, which comes with `br x16`. The _mb pair is the same
 * for a urcu-bp without sys_membarrier (chosen once, arch/arm64/stub.c).
 */
	.macro	site_tramp name, mb
	.p2align 4
	.globl	\name\()_far
	.hidden	\name\()_far
	.type	\name\()_far, %function
	.globl	\name
	.hidden	\name
	.type	\name, %function
\name\()_far:
	.cfi_startproc
	.cfi_return_column x16
	.cfi_register x16, x30
	.cfi_register x30, x9
	bti	c
\name:
	tramp_body pfe_dispatch_site, 1, \mb, \name
	.cfi_endproc
	.size	\name, . - \name
	.size	\name\()_far, . - \name\()_far
	.endm

	site_tramp pfe_site_trampoline, 0
	site_tramp pfe_site_trampoline_mb, 1

/*
 * pfe_dyn_trampoline: the trampoline of dynamic sites (arch/arm64/dynstub.c),
 * functions built without the flag whose first instruction moved into a
 * stub. The stub enters with
 *
 *	stp	x9, x10, [sp, #-DYN_SAVE]!	the caller's x9 and x10
 *	mov	x9, x30				the caller's return address
 *	ldr	x10, <site>
 *	bl	pfe_dyn_trampoline		x30 = the body (the moved insn)
 *
 * so x9, x10 and x30 are what a flagged site's stub leaves (tramp_body's
 * contract), and the stub's push is the start of our save area. A caller of
 * such a function may keep values in x9-x15, the flags and any SIMD register
 * the callee does not touch across the call (GCC's -fipa-ra sees the
 * callee's body, and no patch site clobbers anything for it: it keeps d16
 * and up across a call of a leaf), and a C hook clobbers all of x9-x15, the
 * flags, v16-v31 and v8-v15's upper halves (it keeps only d8-d15): they join
 * x9/x10 in the area (struct pfe_dyn_save, arch/arm64/dynsave.h) and all
 * come back last. x16/x17 are not kept: any call may clobber them
 * (veneers, PLT stubs; GCC marks every call as clobbering them), and we
 * return with `ret x16` as the flagged trampoline does. One area for the
 * stub's push and ours saves a push and a pop of sp per call. regs->sp is
 * the function's entry sp, above the area.
 */
#define DYN_SAVE PFE_DYN_SAVE

	/* Back to what the caller had; x30 is the return address (from regs),
	 * x16 the body. */
	.macro	dyn_restore pac
	.if \pac
	/* The return address as it came (stripped at entry) takes back its
	 * signed original; anything else (the return trampoline) is signed
	 * with the entry sp, as the function's paciasp signed, for its
	 * autiasp. x9 and x11-x15 are restored below, the flags after the cmp. */
	ldr	x9, [sp, #PFE_DYN_LR_STRIPPED]
	cmp	x30, x9
	b.ne	1f
	ldr	x30, [sp, #PFE_DYN_LR_SIGNED]
	b	2f
1:	mov	x9, x16
	mov	x17, x30
	add	x16, sp, #DYN_SAVE
	hint	#8				/* pacia1716 */
	mov	x30, x17
	mov	x16, x9
2:
	.endif
	add	x17, sp, #PFE_DYN_V8
	v8_v31 ld1, x17
	ldp	x15, x11, [sp, #PFE_DYN_X15]
	msr	nzcv, x11
	ldp	x11, x12, [sp, #PFE_DYN_X11]
	ldp	x13, x14, [sp, #PFE_DYN_X13]
	ldp	x9, x10, [sp], #DYN_SAVE
	.cfi_def_cfa_offset 0
	.endm

	.macro	dyn_tramp name, mb, pac
	.p2align 4
	.globl	\name\()_far
	.hidden	\name\()_far
	.type	\name\()_far, %function
	.globl	\name
	.hidden	\name
	.type	\name, %function
\name\()_far:
	.cfi_startproc
	.cfi_return_column x16
	.cfi_register x16, x30
	.cfi_register x30, x9
	.cfi_def_cfa_offset DYN_SAVE
	bti	c
\name:
	stp	x11, x12, [sp, #PFE_DYN_X11]
	stp	x13, x14, [sp, #PFE_DYN_X13]
	mrs	x11, nzcv
	stp	x15, x11, [sp, #PFE_DYN_X15]	/* and nzcv */
	add	x12, sp, #PFE_DYN_V8
	v8_v31 st1, x12
	.if \pac
	/* Signed by the function's paciasp: hooks name callers by it, so
	 * they get it stripped (xpaclri works on x30 only; a NOP without
	 * FEAT_PAuth, where paciasp signed nothing either). */
	mov	x16, x30
	mov	x30, x9
	hint	#7				/* xpaclri */
	stp	x9, x30, [sp, #PFE_DYN_LR_SIGNED] /* signed, stripped */
	mov	x9, x30
	mov	x30, x16
	.endif
	tramp_body pfe_dispatch_site, 1, \mb, \name, DYN_SAVE, \pac
	.cfi_endproc
	.size	\name, . - \name
	.size	\name\()_far, . - \name\()_far
	.endm

	dyn_tramp pfe_dyn_trampoline, 0, 0
	dyn_tramp pfe_dyn_trampoline_mb, 1, 0
	dyn_tramp pfe_dyn_trampoline_pac, 0, 1
	dyn_tramp pfe_dyn_trampoline_pac_mb, 1, 1

	pfe_note_bti_pac
