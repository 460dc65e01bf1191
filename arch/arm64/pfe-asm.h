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

/*
 * v8-v31 whole, to (\op st1) or from (\op ld1) the 384 bytes at \reg
 * (which advances by 320): what a C hook may clobber of them (v16-v31, and
 * v8-v15's upper halves) and a caller built with -fipa-ra may keep across a
 * call. On little-endian, .16b lanes in memory are exactly the q registers'
 * bytes.
 */
	.macro	v8_v31 op, reg
	\op	{v8.16b, v9.16b, v10.16b, v11.16b}, [\reg], #64
	\op	{v12.16b, v13.16b, v14.16b, v15.16b}, [\reg], #64
	\op	{v16.16b, v17.16b, v18.16b, v19.16b}, [\reg], #64
	\op	{v20.16b, v21.16b, v22.16b, v23.16b}, [\reg], #64
	\op	{v24.16b, v25.16b, v26.16b, v27.16b}, [\reg], #64
	\op	{v28.16b, v29.16b, v30.16b, v31.16b}, [\reg]
	.endm

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
