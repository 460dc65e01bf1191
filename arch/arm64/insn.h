/* SPDX-License-Identifier: MIT */
/*
 * AArch64 instruction encoders and decoders for the patch engine. Pure code
 * (no process state), in the style of the kernel's arch/arm64/lib/insn.c:
 * every encoder returns the 32-bit instruction word, and input it cannot
 * encode (out of range, misaligned, bad register) yields PFE_INSN_BAD, a BRK
 * that traps if it were ever executed. The caller checks for PFE_INSN_BAD and
 * says what was wrong in one line; this module never logs.
 */
#ifndef PFE_INSN_H
#define PFE_INSN_H

#include <stdbool.h>
#include <stdint.h>

#define PFE_INSN_NOP	    0xd503201fu /* nop (hint #0) */
#define PFE_INSN_BTI_C	    0xd503245fu /* bti c (hint #34) */
#define PFE_INSN_MOV_X9_X30 0xaa1e03e9u /* mov x9, x30 (orr x9, xzr, x30) */
#define PFE_INSN_BTI_JC	    0xd50324dfu /* bti jc (hint #38) */
#define PFE_INSN_PACIASP    0xd503233fu /* paciasp (hint #25) */
#define PFE_INSN_BRK(imm)   (0xd4200000u | ((uint32_t)(imm)&0xffffu) << 5)
/* brk #0x5fe: what an encoder returns for input it cannot encode. */
#define PFE_INSN_BAD_IMM 0x5fe
#define PFE_INSN_BAD	 PFE_INSN_BRK(PFE_INSN_BAD_IMM) /* 0xd420bfc0 */

/* B/BL: imm26 words, so a reach of [-2^27, 2^27) bytes from the branch. */
#define PFE_BL_RANGE_NEG (-(INT64_C(1) << 27))
#define PFE_BL_RANGE_POS ((INT64_C(1) << 27) - 4) /* largest positive offset */

/* Scratch registers of the AAPCS64 (IP0/IP1): veneers may clobber them. */
#define PFE_REG_X9  9
#define PFE_REG_X10 10 /* the site pointer a per-site stub loads (stub.c) */
#define PFE_REG_X16 16
#define PFE_REG_X17 17
#define PFE_REG_LR  30

/*
 * Returns true when a B or BL at @pc can branch to @target: both are 4-byte
 * aligned and -2^27 <= target - pc < 2^27 (exactly: target - pc lies in
 * [-0x8000000, 0x7fffffc]). Addresses are compared without wrap-around.
 */
bool pfe_insn_reachable_by_bl(uintptr_t pc, uintptr_t target);

/* Inline predicates, for the pure decoders outside arch/ (sitetab.c). */
/* Returns true when @insn is a NOP. */
static inline bool pfe_insn_is_nop(uint32_t insn)
{
	return insn == PFE_INSN_NOP;
}

/* Returns true when @insn is a landing pad for a call: `bti c` (BL/BLR and
 * BR x16/x17) or `bti jc` (any branch). */
static inline bool pfe_insn_is_bti_call(uint32_t insn)
{
	return insn == PFE_INSN_BTI_C || insn == PFE_INSN_BTI_JC;
}

/* Returns true when @insn is paciasp: the function signs its return
 * address with its entry sp. */
static inline bool pfe_insn_is_paciasp(uint32_t insn)
{
	return insn == PFE_INSN_PACIASP;
}

/* b/bl <target> placed at @pc; PFE_INSN_BAD when not reachable. */
uint32_t pfe_insn_b(uintptr_t pc, uintptr_t target);
uint32_t pfe_insn_bl(uintptr_t pc, uintptr_t target);

bool pfe_insn_is_b(uint32_t insn);
bool pfe_insn_is_bl(uint32_t insn);
/* Target of the B or BL @insn found at @pc. Returns false (and leaves
 * *@target alone) when @insn is neither. */
bool pfe_insn_branch_target(uintptr_t pc, uint32_t insn, uintptr_t *target);

/* mov Xd, Xm (orr Xd, xzr, Xm); registers 0..30. */
uint32_t pfe_insn_mov_reg(unsigned rd, unsigned rm);

/* ldr Xt, <literal> at @pc: the literal is 8-byte data at @lit, 4-byte
 * aligned and within [-2^20, 2^20) bytes of @pc. */
uint32_t pfe_insn_ldr_lit(uintptr_t pc, uintptr_t lit, unsigned rt);

/* stp Xt, Xt2, [sp, #-@bytes]!: a push; @bytes a multiple of 8 in
 * 8..512, registers 0..30. */
uint32_t pfe_insn_stp_push(unsigned rt, unsigned rt2, unsigned bytes);

/* br Xn, blr Xn, ret Xn; registers 0..30. */
uint32_t pfe_insn_br(unsigned rn);
uint32_t pfe_insn_blr(unsigned rn);
uint32_t pfe_insn_ret(unsigned rn);

#endif /* PFE_INSN_H */
