/* SPDX-License-Identifier: MIT */
/*
 * pfe_ret_trampoline: where a function with an exit hook returns to.
 *
 * At its entry pfe_dispatch (via pfe_exit_push in lib/hooks/exit.c) kept the real
 * return address on the thread's shadow stack and put the address of this
 * trampoline into regs->lr, so the function's own `ret` lands here with
 *   x0-x1, x8, q0-q3  the return value (any AAPCS64 result lives there);
 *   sp                the function's entry sp, which tells its shadow frame;
 *   x19-x29           the caller's, restored by the function's epilogue;
 *   everything else   possibly relied on by the caller (see S()).
 * We save the result registers and the rest, let pfe_exit_dispatch find
 * the frame and run the exit hooks (which may change the result), and
 * return to the real address with the (possibly changed) result and every
 * other register as the function left it.
 *
 * BTI: only reached by `ret` (RET is never checked by BTI), so no landing
 * pad is needed; `ret` to the caller is not checked either. With pac-ret the
 * function signed our address with paciasp and authenticated it with
 * autiasp before returning: it only ever saw this address, never the real
 * one, so nothing here needs a key.
 *
 * C++ exceptions and forced unwinds (pthread_exit, cancellation) walk the
 * stack by the return addresses saved in frames: a traced function's saved
 * return address is this trampoline. The unwinder looks up the FDE for
 * ra - 1, so each entry point is preceded by one `nop` with its own FDE: the
 * state "the function has just returned here" (CFA = sp, every register the
 * same value, return address in x30) and a personality routine
 * (pfe_ret_personality in lib/hooks/exit.c). The personality finds the shadow
 * frame whose sp is that CFA and stores the real return address where the
 * traced function saved its x30 (through _Unwind_SetGR), so the unwinder
 * continues in the real caller. In the cleanup phase (forced unwinds) it
 * also closes the frame (exit hooks with PFE_RET_UNWOUND); an exception's
 * search phase has already stored the real address, so its cleanup phase
 * does not come back here and the frames are closed when the handler is
 * entered (__cxa_begin_catch, lib/interpose/ctxsw.c). With pac-ret (the function signed the trampoline's
 * address, at its entry or later when shrink-wrapped) the unwinder
 * authenticates that saved x30 with the function's CFA as the modifier
 * whenever it unwinds the function again (phase 2 of an exception restarts
 * from the throw): the personality then stores the real address signed the
 * same way (pacia1716), and our FDE strips the signature without checking
 * it, so it reads right either way.
 */
#include "pfe-asm-offsets.h"
#include "pfe-asm.h"

/*
 * Above struct pfe_ret_frame (which is at sp), every other register a caller may find
 * unchanged after a call: x2-x7, x9-x18 and all of q4-q31. The AAPCS lets a
 * callee clobber them, but GCC's -fipa-ra (on at -O2) lets a caller keep
 * values there across a call to a function in the same unit that does not
 * touch them; with an exit hook that call returns through here, and the
 * exit hooks (C code, memcpy in SIMD registers) touch anything. NZCV too:
 * a caller of a function without the flag (a dynamic site,
 * lib/core/dynsite.c) may keep its flags across the call as well.
 */
#define S(off) (PFE_RFRAME_SIZE + (off))
#define FRAME S(592)		/* and NZCV at S(576) */
#define RR(field) (PFE_RFRAME_REGS + PFE_RREGS_##field)

	.text
	.p2align 4

	/* The unwinder's view of "returned to pfe_ret_trampoline": every
	 * register as the function left it, CFA = sp, and the return address
	 * x30 with pointer-authentication bits cleared (DW_OP_breg30 0;
	 * DW_OP_const8u 0x0000ffffffffffff; DW_OP_and: 48-bit user
	 * addresses), whether the function signed it or not. */
	.cfi_startproc
	.cfi_personality 0x9b, pfe_ret_personality_ref
	.cfi_def_cfa sp, 0
	.cfi_escape 0x16, 30, 12, 0x8e, 0x00, 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x1a
	nop
	.cfi_endproc
	.globl	pfe_ret_trampoline
	.hidden	pfe_ret_trampoline
	.type	pfe_ret_trampoline, %function
pfe_ret_trampoline:
	.cfi_startproc
	/* The real return address is on the shadow stack, out of DWARF's
	 * reach: backtraces taken in an exit hook end here. */
	.cfi_undefined x30
	sub	sp, sp, #FRAME
	.cfi_def_cfa_offset FRAME
	stp	x0, x1, [sp, #RR(X0)]
	str	x8, [sp, #RR(X8)]
	stp	x29, xzr, [sp]
	.cfi_offset x29, -FRAME
	mov	x29, sp
	stp	x2, x3, [sp, #S(0)]
	stp	x4, x5, [sp, #S(16)]
	stp	x6, x7, [sp, #S(32)]
	stp	x9, x10, [sp, #S(48)]
	stp	x11, x12, [sp, #S(64)]
	stp	x13, x14, [sp, #S(80)]
	stp	x15, x16, [sp, #S(96)]
	stp	x17, x18, [sp, #S(112)]
	/* q registers four at a time (x9 is saved by now): on little-endian,
	 * .16b lanes in memory are exactly the q registers' bytes, as stp of
	 * q would store them (struct pfe_ret_regs v[]). */
	add	x9, sp, #RR(V0)
	st1	{v0.16b, v1.16b, v2.16b, v3.16b}, [x9]
	add	x9, sp, #S(128)
	st1	{v4.16b, v5.16b, v6.16b, v7.16b}, [x9], #64
	v8_v31 st1, x9
	mrs	x9, nzcv
	str	x9, [sp, #S(576)]

	/*
	 * The common return without C around the exit hook: a call on the
	 * thread's own stack (stack 0, nothing being closed) whose top frame
	 * is this call's, not in a hook, registered with urcu-bp and outside
	 * any read-side section.
	 * Then: take the frame, enter the guard and urcu-bp's read side as
	 * pfe_site_trampoline does (regs_tramp.S says why each step is
	 * right), call the frame's fused exit (the hook that pushed it may be
	 * detached by now, lib/hooks/exit.c), else the site's fused exit
	 * (lib/hooks/dispatch.h) or its ordinary exit functions, leave. Anything else goes to pfe_exit_dispatch,
	 * which does the same in full.
	 */
	adr	x16, pfe_fast			/* .data, within adr's 1 MiB */
	ldr	x14, [x16, #PFE_FAST_SHADOW]
	mrs	x11, tpidr_el0
	cbz	x14, 5f				/* not prepared yet */
	ldr	x15, [x11, x14]			/* pfe_thread.shadow */
	cbz	x15, 5f
	ldr	x9, [x15, #PFE_SHADOW_NSTK]	/* {nstk, closing} */
	add	x12, sp, #FRAME			/* the sp the function returned with */
	cmp	x9, #1
	b.ne	8f				/* {1, 0}: one stack, none closing */
7:	ldr	w9, [x15, #PFE_SHADOW_N]
	ldr	x17, [x15, #PFE_SHADOW_F]
	cbz	w9, 5f
	add	x10, x9, x9, lsl #1
	add	x17, x17, x10, lsl #4		/* &f[n]: 48-byte frames */
	ldur	x10, [x17, #PFE_SFRAME_SP - PFE_SFRAME_SIZE]
	cmp	x10, x12
	b.ne	5f
	ldp	x12, x13, [x16, #PFE_FAST_GUARD] /* tp offsets: guard, reader */
	ldr	w10, [x11, x12]
	cbnz	w10, 5f				/* in a hook: popped, no hooks */
	ldr	x13, [x11, x13]			/* urcu-bp's reader slot */
	cbz	x13, 5f
	ldr	w10, [x13]
	cbnz	w10, 5f				/* nested read-side section */
	ldp	x0, x3, [x17, #PFE_SFRAME_SITE - PFE_SFRAME_SIZE] /* site, t0 */
	cbz	x0, 5f
	/* Frame n - 1 is read before the count drops: from then on a signal
	 * handler may push over its slot. */
	ldur	x4, [x17, #PFE_SFRAME_RET - PFE_SFRAME_SIZE]
	ldur	x6, [x17, #PFE_SFRAME_KEEP - PFE_SFRAME_SIZE]
	sub	w2, w9, #1			/* its level: stack 0's base is 0 */
	str	w2, [x15, #PFE_SHADOW_N]
	str	wzr, [x15, #PFE_SHADOW_LAST]
	ldr	x7, [x16, #PFE_FAST_GP]
	ldr	x7, [x7]
	str	x7, [x13]			/* rcu_read_lock: ctr = gp ctr */
	add	x11, x11, x12
	str	w7, [x11]			/* guard: the gp ctr's low half, 1 */
	ldr	x8, [x16, #PFE_FAST_MB]
	cbz	x8, 1f
	dmb	ish				/* pairs with synchronize_rcu's smp_mb */
1:	stp	x11, x13, [sp, #PFE_RFRAME_SAVE]
	str	x4, [sp, #PFE_RFRAME_SAVE + 16]
	str	xzr, [sp, #RR(FLAGS)]		/* a return, not unwound */
	add	x1, sp, #PFE_RFRAME_REGS
	mov	x8, x6				/* the frame's fused form: it */
	cbnz	x6, 2f				/* outlives its hook (exit.c) */
	ldr	x7, [x0, #PFE_SITE_HOOKS]	/* rcu_dereference: address dependency */
	cbz	x7, 3f
	ldr	x8, [x7, #PFE_VEC_FUSED]
	cbz	x8, 10f
2:	ldr	x8, [x8, #PFE_FUSED_EXIT]
	blr	x8				/* (site, ret, level, t0) */
	b	3f
10:	bl	pfe_exit_run_ordinary		/* the same arguments */
3:	ldp	x11, x13, [sp, #PFE_RFRAME_SAVE]
	adr	x16, pfe_fast
	ldr	x8, [x16, #PFE_FAST_MB]
	cbz	x8, 4f
	dmb	ish
	/* rcu_read_unlock as pfe_site_trampoline's: the count back to 0. */
4:	str	xzr, [x13]
	str	wzr, [x11]			/* guard off, last */
	ldr	x0, [sp, #PFE_RFRAME_SAVE + 16]	/* the real return address */
	b	6f

	/* Other stacks known (coroutines, a sigaltstack): the frame is
	 * stack 0's when sp lies in none of their ranges (a free slot's
	 * holds no sp, lib/hooks/shadow.h), which is all pfe_stack_of() would
	 * look at to answer 0. Nothing may be closing. */
8:	lsr	x10, x9, #32
	cbnz	w10, 5f
	sub	w9, w9, #1			/* stacks 1 .. nstk - 1 */
	add	x10, x15, #PFE_SHADOW_STK1
9:	ldp	x13, x14, [x10], #PFE_STACK_SIZE /* lo, hi */
	sub	x14, x14, x13
	sub	x13, x12, x13
	cmp	x13, x14
	b.ls	5f				/* sp - lo <= hi - lo: in it */
	subs	w9, w9, #1
	b.ne	9b
	b	7b

5:	add	x0, sp, #PFE_RFRAME_REGS
	add	x1, sp, #FRAME
	bl	pfe_exit_dispatch
6:	mov	x30, x0
	add	x9, sp, #S(128)
	ld1	{v4.16b, v5.16b, v6.16b, v7.16b}, [x9], #64
	v8_v31 ld1, x9
	add	x9, sp, #RR(V0)
	ld1	{v0.16b, v1.16b, v2.16b, v3.16b}, [x9]
	ldp	x2, x3, [sp, #S(0)]
	ldp	x4, x5, [sp, #S(16)]
	ldp	x6, x7, [sp, #S(32)]
	ldr	x9, [sp, #S(576)]
	msr	nzcv, x9
	ldp	x9, x10, [sp, #S(48)]
	ldp	x11, x12, [sp, #S(64)]
	ldp	x13, x14, [sp, #S(80)]
	ldp	x15, x16, [sp, #S(96)]
	ldp	x17, x18, [sp, #S(112)]
	ldp	x0, x1, [sp, #RR(X0)]
	ldr	x8, [sp, #RR(X8)]
	ldr	x29, [sp]
	.cfi_same_value x29
	add	sp, sp, #FRAME
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	pfe_ret_trampoline, . - pfe_ret_trampoline

/* The personality through the GOT-like indirection GCC uses for C++, so
 * .eh_frame needs no dynamic relocation. */
	.section .data.rel.ro, "aw"
	.p2align 3
	.type	pfe_ret_personality_ref, %object
pfe_ret_personality_ref:
	.xword	pfe_ret_personality
	.size	pfe_ret_personality_ref, 8

	pfe_note_bti_pac
