/* SPDX-License-Identifier: MIT */
/*
 * Program entry for the BTI test programs, linked with -nostartfiles
 * -z force-bti. Debian's crt1.o has neither a `bti c` at _start nor the GNU
 * property note, so a program linked with it dies with SIGILL on a CPU that
 * enforces BTI. This is glibc's aarch64 start.S with both.
 */
	.text
	.globl	_start
	.type	_start, %function
_start:
	bti	c			/* the dynamic linker branches here */
	mov	x29, #0			/* outermost frame */
	mov	x30, #0
	mov	x5, x0			/* rtld_fini */
	ldr	x1, [sp]		/* argc */
	add	x2, sp, #8		/* argv */
	mov	x6, sp			/* stack_end */
	adrp	x0, :got:main
	ldr	x0, [x0, #:got_lo12:main]
	mov	x3, #0			/* init, fini: glibc >= 2.34 runs the */
	mov	x4, #0			/* program's init and fini arrays itself */
	bl	__libc_start_main
	bl	abort
	.size	_start, . - _start

/* GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI | PAC: without it the linker
 * would only force the property with a warning. */
	.section .note.gnu.property, "a"
	.p2align 3
	.word	4			/* n_namesz */
	.word	16			/* n_descsz */
	.word	5			/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.word	0xc0000000		/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.word	4			/* pr_datasz */
	.word	3			/* BTI | PAC */
	.word	0			/* padding to 8 bytes */

	.section .note.GNU-stack, "", %progbits
