/* SPDX-License-Identifier: MIT */
/*
 * AArch64 instruction encoders and decoders. Pure: see insn.h.
 *
 * Offsets are computed in unsigned arithmetic (modulo 2^64) so that no
 * signed overflow can occur whatever addresses the caller passes; the range
 * checks decide whether the low bits mean anything.
 */
#include "insn.h"

#define B_OPCODE    0x14000000u
#define BL_OPCODE   0x94000000u
#define BRANCH_MASK 0xfc000000u
#define IMM26_MASK  0x03ffffffu
#define LDR_LIT_X   0x58000000u
#define IMM19_MASK  0x0007ffffu
#define MOV_REG_X   0xaa0003e0u /* orr Xd, xzr, Xm */
#define BR_X	    0xd61f0000u
#define BLR_X	    0xd63f0000u
#define RET_X	    0xd65f0000u
#define STP_PRE_X   0xa9800000u /* stp Xt, Xt2, [Xn, #imm]! */

/* Is @target - @pc within [-@neg, @pos] bytes, without wrap-around? */
static bool within(uintptr_t pc, uintptr_t target, uintptr_t neg, uintptr_t pos)
{
	if (target >= pc)
		return target - pc <= pos;
	return pc - target <= neg;
}

bool pfe_insn_reachable_by_bl(uintptr_t pc, uintptr_t target)
{
	if ((pc | target) & 3)
		return false;
	return within(pc, target, (uintptr_t)1 << 27, ((uintptr_t)1 << 27) - 4);
}

static uint32_t branch(uint32_t opcode, uintptr_t pc, uintptr_t target)
{
	if (!pfe_insn_reachable_by_bl(pc, target))
		return PFE_INSN_BAD;
	/* The low 28 bits of the two's complement offset, in words. */
	return opcode | (uint32_t)(((target - pc) >> 2) & IMM26_MASK);
}

uint32_t pfe_insn_b(uintptr_t pc, uintptr_t target)
{
	return branch(B_OPCODE, pc, target);
}

uint32_t pfe_insn_bl(uintptr_t pc, uintptr_t target)
{
	return branch(BL_OPCODE, pc, target);
}

bool pfe_insn_is_b(uint32_t insn)
{
	return (insn & BRANCH_MASK) == B_OPCODE;
}

bool pfe_insn_is_bl(uint32_t insn)
{
	return (insn & BRANCH_MASK) == BL_OPCODE;
}

bool pfe_insn_branch_target(uintptr_t pc, uint32_t insn, uintptr_t *target)
{
	uint64_t imm;

	if (!pfe_insn_is_b(insn) && !pfe_insn_is_bl(insn))
		return false;
	/* Sign-extend imm26 by flipping and subtracting its top bit. */
	imm = insn & IMM26_MASK;
	imm = (imm ^ 0x02000000u) - 0x02000000u;
	*target = pc + (uintptr_t)(imm << 2);
	return true;
}

uint32_t pfe_insn_mov_reg(unsigned rd, unsigned rm)
{
	/* Register 31 reads as xzr here, which no caller means. */
	if (rd > 30 || rm > 30)
		return PFE_INSN_BAD;
	return MOV_REG_X | rm << 16 | rd;
}

uint32_t pfe_insn_ldr_lit(uintptr_t pc, uintptr_t lit, unsigned rt)
{
	if (rt > 30 || ((pc | lit) & 3))
		return PFE_INSN_BAD;
	if (!within(pc, lit, (uintptr_t)1 << 20, ((uintptr_t)1 << 20) - 4))
		return PFE_INSN_BAD;
	return LDR_LIT_X | (uint32_t)(((lit - pc) >> 2) & IMM19_MASK) << 5 | rt;
}

uint32_t pfe_insn_stp_push(unsigned rt, unsigned rt2, unsigned bytes)
{
	/* imm7 is signed and scaled by 8: -512 .. 504 bytes. */
	if (rt > 30 || rt2 > 30 || !bytes || bytes > 512 || bytes % 8)
		return PFE_INSN_BAD;
	return STP_PRE_X | (uint32_t)(-(int)(bytes / 8) & 0x7f) << 15 | rt2 << 10 | 31u << 5 | rt;
}

static uint32_t branch_reg(uint32_t opcode, unsigned rn)
{
	if (rn > 30)
		return PFE_INSN_BAD;
	return opcode | rn << 5;
}

uint32_t pfe_insn_br(unsigned rn)
{
	return branch_reg(BR_X, rn);
}

uint32_t pfe_insn_blr(unsigned rn)
{
	return branch_reg(BLR_X, rn);
}

uint32_t pfe_insn_ret(unsigned rn)
{
	return branch_reg(RET_X, rn);
}
