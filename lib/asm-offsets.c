/* SPDX-License-Identifier: MIT */
/*
 * Offsets of C structs that the assembly uses. Compiled to assembly only; the
 * Makefile turns each "->NAME value" marker into build/gen/pfe-asm-offsets.h,
 * so no offset is ever typed twice by hand.
 */
#include <stddef.h>

#include "pfe_internal.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %0\"" : : "i"(val))
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
}
