/* SPDX-License-Identifier: MIT */
/*
 * Shared by libpfe's assembly files.
 *
 * pfe_note_bti_pac: mark an object BTI- and PAC-compatible
 * (GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI | PAC). The linker keeps a
 * property only when every input has it, so every .S file of libpfe must
 * carry the note, or it would silently drop BTI for all of libpfe.
 */
#ifndef PFE_ASM_H
#define PFE_ASM_H

	.macro	pfe_note_bti_pac
	.section .note.GNU-stack, "", %progbits
	.pushsection .note.gnu.property, "a"
	.balign	8
	.long	4
	.long	16
	.long	5		/* NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	0xc0000000	/* GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long	4
	.long	3		/* BTI | PAC */
	.long	0
	.popsection
	.endm

#endif /* PFE_ASM_H */
