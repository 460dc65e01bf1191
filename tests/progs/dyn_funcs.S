/* SPDX-License-Identifier: MIT */
/*
 * Functions for tests/integ/t_dyn.sh, built without -fpatchable-function-entry:
 * one per class of first instruction the relocator rewrites (arch/arm64/reloc.h),
 * so that each becomes a dynamic site (lib/core/dynsite.c) and its moved
 * instruction runs from the stub. Each takes x0 and returns a known value.
 * With -DBTI (built with -mbranch-protection=standard) each starts with
 * `bti c`, and dyn_pac signs its return address before the moved
 * instruction, as pac-ret code does.
 */
#ifdef BTI
#define LANDING bti c
#else
#define LANDING
#endif

	.macro	func name
	.text
	.p2align 4
	.globl	\name
	.type	\name, %function
\name:
	LANDING
	.endm

	.macro	endf name
	.size	\name, . - \name
	.endm

	/* x0 + 1: nothing PC-relative */
	func dyn_plain
	add	x0, x0, #1
	ret
	endf dyn_plain

	/* x0 + 2 through adr */
	func dyn_adr
	adr	x1, .Ltwo
	ldr	x1, [x1]
	add	x0, x0, x1
	ret
	endf dyn_adr

	/* x0 + 3 through adrp */
	func dyn_adrp
	adrp	x1, dyn_three
	add	x1, x1, :lo12:dyn_three
	ldr	x1, [x1]
	add	x0, x0, x1
	ret
	endf dyn_adrp

	/* x0 + 4: ldr literal */
	func dyn_ldr
	ldr	x1, .Lfour
	add	x0, x0, x1
	ret
	endf dyn_ldr

	/* x0 + 5: ldr literal into a SIMD&FP register */
	func dyn_ldrfp
	ldr	d1, .Lfive
	fmov	x1, d1
	add	x0, x0, x1
	ret
	endf dyn_ldrfp

	/* x0 + 6: b (a tail call) */
	func dyn_b
	b	dyn_b_tail
	endf dyn_b

	/* x0 + 7 when x0 is nonzero, else 70: b.cond after flags set by the caller
	 * (cmp x0, #0 in the caller: NZCV is an input here) */
	func dyn_bcond
	b.eq	1f
	add	x0, x0, #7
	ret
1:	mov	x0, #70
	ret
	endf dyn_bcond

	/* x0 + 8 when x0 is nonzero, else 80: cbz */
	func dyn_cbz
	cbz	x0, 1f
	add	x0, x0, #8
	ret
1:	mov	x0, #80
	ret
	endf dyn_cbz

	/* x0 + 9 when bit 0 is clear, else x0 + 90: tbnz */
	func dyn_tbnz
	tbnz	x0, #0, 1f
	add	x0, x0, #9
	ret
1:	add	x0, x0, #90
	ret
	endf dyn_tbnz

	/* x0 + 10: bl first. Entered by `b` from dyn_bl_call, which keeps the
	 * caller's return address on the stack for it. */
	func dyn_bl
	bl	dyn_bl_add
	ldr	x30, [sp], #16
	ret
	endf dyn_bl

	/* A loop head at the entry: x0 iterations, returns 0. Refused, or it
	 * would be traced once per iteration. */
	func dyn_loop
1:	subs	x0, x0, #1
	b.gt	1b
	mov	x0, #0
	ret
	endf dyn_loop

#ifdef BTI
	/* x0 + 11, with pac-ret: the moved instruction follows paciasp. */
	func dyn_pac
	paciasp
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	add	x0, x0, #11
	ldp	x29, x30, [sp], #16
	autiasp
	ret
	endf dyn_pac
#endif

	/* Helpers: not selected by the tests' patterns. */
	func dyn_b_tail
	add	x0, x0, #6
	ret
	endf dyn_b_tail

	func dyn_bl_add
	add	x0, x0, #10
	ret
	endf dyn_bl_add

	func dyn_bl_call
	str	x30, [sp, #-16]!
	b	dyn_bl
	endf dyn_bl_call

	/* long dyn_keep(long (*f)(long), long x): calls f(x) with known values
	 * in x9-x15, NZCV = Z|C and all of v8-v31 (byte n in every lane of vn,
	 * v8-v15's upper halves included); returns f's result, or -1 when any
	 * of them changed across the call. A caller built with -fipa-ra may do
	 * this: it keeps d16 and up across a call of a leaf it can see. */
	.macro	vset n
	movi	v\n\().16b, #\n
	.endm
	.macro	vcheck n
	movi	v1.16b, #\n
	cmeq	v1.16b, v\n\().16b, v1.16b
	uminv	b1, v1.16b
	umov	w16, v1.b[0]
	cbz	w16, 9f
	.endm
	func dyn_keep
	stp	x29, x30, [sp, #-80]!
	mov	x29, sp
	stp	d8, d9, [sp, #16]	/* callee-saved for our C caller */
	stp	d10, d11, [sp, #32]
	stp	d12, d13, [sp, #48]
	stp	d14, d15, [sp, #64]
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	vset	\n
	.endr
	mov	x16, x0
	mov	x0, x1
	mov	x9, #0x909
	mov	x10, #0xa0a
	mov	x11, #0xb0b
	mov	x12, #0xc0c
	mov	x13, #0xd0d
	mov	x14, #0xe0e
	mov	x15, #0xf0f
	mov	x17, #0x60000000	/* Z and C */
	msr	nzcv, x17
	blr	x16
	mrs	x17, nzcv
	cmp	x9, #0x909
	b.ne	9f
	cmp	x10, #0xa0a
	b.ne	9f
	cmp	x11, #0xb0b
	b.ne	9f
	cmp	x12, #0xc0c
	b.ne	9f
	cmp	x13, #0xd0d
	b.ne	9f
	cmp	x14, #0xe0e
	b.ne	9f
	cmp	x15, #0xf0f
	b.ne	9f
	mov	x16, #0x60000000
	cmp	x17, x16
	b.ne	9f
	.irp	n, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	vcheck	\n
	.endr
	b	8f
9:	mov	x0, #-1
8:	ldp	d8, d9, [sp, #16]
	ldp	d10, d11, [sp, #32]
	ldp	d12, d13, [sp, #48]
	ldp	d14, d15, [sp, #64]
	ldp	x29, x30, [sp], #80
	ret
	endf dyn_keep

	.section .rodata
	.p2align 3
dyn_three:
	.quad	3
	.text
	.p2align 3
.Ltwo:	.quad	2
.Lfour:	.quad	4
.Lfive:	.quad	5

#ifdef BTI
	.pushsection .note.gnu.property, "a"
	.p2align 3
	.word	4, 16, 5
	.asciz	"GNU"
	.word	0xc0000000, 4, 3, 0
	.popsection
#endif
	.section .note.GNU-stack, "", %progbits
