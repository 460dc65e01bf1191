/* SPDX-License-Identifier: MIT */
/*
 * The save area of a dynamic site's call (arch/arm64/dynstub.c pushes it,
 * regs_tramp.S's pfe_dyn_trampoline fills and pops it): everything a caller
 * built with -fipa-ra may keep across a call of a function without the flag
 * and that struct pfe_regs does not hold. The stub's `stp x9, x10` allocates
 * it whole (its size is the push's immediate, at most 512); the assembly
 * takes every offset from build/gen/pfe-asm-offsets.h.
 */
#ifndef PFE_DYNSAVE_H
#define PFE_DYNSAVE_H

#include <stddef.h>
#include <stdint.h>

struct pfe_dyn_save {
	uint64_t x9, x10; /* the stub's push */
	uint64_t x11, x12, x13, x14, x15;
	uint64_t nzcv;
	/* pac sites: the return address as paciasp signed it, and stripped */
	uint64_t lr_signed, lr_stripped;
	/* v8-v31 whole: a C hook keeps only d8-d15, the lower halves */
	uint8_t v8_31[24][16];
};

/* Pairs the assembly stores and loads with one stp/ldp each. */
_Static_assert(offsetof(struct pfe_dyn_save, x9) == 0, "the stub's push is at the base");
_Static_assert(offsetof(struct pfe_dyn_save, nzcv) == offsetof(struct pfe_dyn_save, x15) + 8,
	       "x15 and nzcv are one pair");
_Static_assert(offsetof(struct pfe_dyn_save, lr_stripped) ==
		   offsetof(struct pfe_dyn_save, lr_signed) + 8,
	       "the signed and stripped return address are one pair");
_Static_assert(sizeof(struct pfe_dyn_save) % 16 == 0, "sp stays 16-byte aligned");
_Static_assert(sizeof(struct pfe_dyn_save) <= 512, "one stp pushes it");

#endif /* PFE_DYNSAVE_H */
