/* SPDX-License-Identifier: MIT */
#include "pfe-asm.h"
/*
 * pfe_orig_stub: how pfe_call_original (lib/hooks/wrap.c) enters a function's body
 * past its patch site. ffi_call reaches us with `blr`, so we start with
 * `bti c`; the body is not a landing pad, so we go on with `ret x16` (RET is
 * never checked by BTI), leaving x30 = ffi_call's return address and every
 * argument register untouched. The body's address is in the thread's
 * pfe_orig_target (initial-exec TLS: one load off tpidr_el0). Only x16/x17,
 * the intra-procedure-call scratch registers, are used.
 */
	.text
	.p2align 4
	.globl	pfe_orig_stub
	.hidden	pfe_orig_stub
	.type	pfe_orig_stub, %function
pfe_orig_stub:
	.cfi_startproc
	bti	c
	mrs	x16, tpidr_el0
	adrp	x17, :gottprel:pfe_orig_target
	ldr	x17, [x17, #:gottprel_lo12:pfe_orig_target]
	ldr	x16, [x16, x17]
	ret	x16
	.cfi_endproc
	.size	pfe_orig_stub, . - pfe_orig_stub

	pfe_note_bti_pac
