/* SPDX-License-Identifier: MIT */
/*
 * Relocation of one displaced instruction, for patching functions built
 * without -fpatchable-function-entry (issue 24). Pure code, like insn.c.
 *
 * The site (the first instruction after any `bti c` / `paciasp`, which stay
 * in place because indirect calls land there) becomes `b <stub>`; the stub is
 * in an arena within +-128 MiB of the object and holds
 *
 *	stub:	nop / b <hook>		the slot that toggles
 *	to:	<the displaced instruction, relocated: 1..PFE_RELOC_MAX words>
 *	end:	b <site + 4>		placed by the caller
 *
 * pfe_reloc_insn() writes the words at `to`. Their contract, checked by
 * tests/host/test_reloc.c against a simulator (tests/unit/reloc_sim.h),
 * by tests/unit/test_reloc_run.c against real execution, and the decoder by
 * tests/integ/t_reloc_decode.sh against binutils' disassembler:
 * - Started at `to` with the state the original would have had at `from`,
 *   they leave every general register, sp, NZCV and the SIMD&FP registers
 *   exactly as the original instruction leaves them; the only memory they
 *   write is the 16 bytes below sp (see "scratch" below), which the AAPCS64
 *   and Linux leave free (no red zone: signal frames land there anyway).
 * - Control leaves them either at the original's branch target, or at `end`
 *   (to + 4 * n, "falls through"), which stands for from + 4. A BL's return
 *   address is from + 4 itself, so the callee returns into the function.
 * - No register is used as scratch without being restored, not x16/x17 and
 *   not the flags: with -fipa-ra a caller may keep values in any
 *   caller-saved register across a call to a function that does not touch
 *   them, and the flags across any call.
 *
 * Forms. ADR, literal and conditional branch targets lie within 1 MiB of
 * the site, so with the stub within 128 MiB they stay within reach of ADRP
 * (+-4 GiB) and B (+-128 MiB) from the stub. What can be out of range, and
 * is refused with -ERANGE, is a B or BL target (up to 128 MiB from the site,
 * so up to 256 MiB from the stub) or an ADRP page in the outer 128 MiB of
 * its reach.
 *
 *	adr  Xd, t	adr Xd, t (+-1 MiB) | adrp Xd, t; add Xd, Xd, :lo12:t
 *	adrp Xd, t	adrp Xd, t
 *	ldr  Wt/Xt, t	ldr Xt, t (+-1 MiB) | adrp Xt, t; ldr Xt, [Xt, :lo12:t]
 *	ldrsw Xt, t	(the same)	    ...or add Xt, Xt, :lo12:t; ldr Xt, [Xt]
 *			when :lo12:t is not a multiple of the access size. The
 *			destination is its own scratch: it is written anyway.
 *	ldr St/Dt/Qt, t	ldr Vt, t | str x16, [sp, #-16]!; adrp x16, t;
 *	(and wzr, xzr)	[add x16, x16, :lo12:t;] ldr Vt, [x16, ...];
 *			ldr x16, [sp], #16	(scratch x16 saved and restored;
 *			sp stays 16-byte aligned for the SP alignment check; a
 *			signal in between is delivered below the lowered sp,
 *			so the saved x16 survives it)
 *	prfm t		prfm t (+-1 MiB) | nop. A prefetch is a hint with no
 *			architectural effect and never faults: dropping it is
 *			exact, where a scratch register would cost 4 words.
 *	b t		b t (+-128 MiB), else refused. Not `br x16`: that
 *			would clobber x16, and a BTI-guarded target inside a
 *			function has no landing pad for BR.
 *	bl t		adr x30, site+4 | adrp x30, site+4; add x30, ...;
 *			then b t. x30 is exactly what the BL sets.
 *	b.cond t	b.cond t (+-1 MiB) | b.!cond end; b t
 *	cbz/cbnz t	the same with the opposite test (cbnz/cbz)
 *	tbz/tbnz t	the same (+-32 KiB)
 *	b.al / b.nv	as b (both always branch; inverting AL gives NV)
 *
 * A literal load whose data overlaps the displaced instruction is refused
 * (PFE_RELOC_READS_SITE): it would read the patched `b <stub>`, not the
 * word it read before. PRFM is not: it reads nothing.
 *
 * A B, B.cond, CB or TB whose target is the displaced instruction itself
 * (a one-instruction loop) is redirected to `to`, the relocated copy: the
 * original loops on itself without passing the entry again, and so does the
 * copy. A BL to itself is a call and goes through the site (and its hook).
 *
 * Refused (pfe_insn_classify): encodings the decoder cannot place (the
 * reserved and unallocated top-level groups, which hold UDF and SME, which
 * this decoder does not read; unknown encodings in the branch/exception/
 * system group, where new PC-relative forms appear: FEAT_CMPBR's CB<cc> is
 * one), exception generators other than SVC (BRK, HLT, UDF, HVC, SMC, DCPS,
 * ERET, DRPS: their handler, a debugger or a signal handler, would see the
 * stub's pc), load/store exclusives (the monitor the LDXR opens would stay
 * open across the branches into and out of the stub, and the architecture
 * guarantees forward progress only for tight LL/SC loops; a retry loop would
 * also branch back to the site), and the FEAT_MOPS CPY/SET prologue, main
 * and epilogue (they must run consecutively: the kernel rewinds an
 * interrupted main or epilogue to its prologue, by address).
 *
 * Copied as they are: everything else. Inside the data-processing, load/
 * store and SIMD groups the decoder does not tell allocated encodings from
 * unallocated ones; none of those groups has PC-relative forms besides the
 * ones above, and an unallocated copy raises SIGILL at the stub instead of
 * the site. SVC is copied: a restarted system call rewinds to the copy.
 * BLR (and BLRAA...) is copied: it sets x30 to `end`, the word after the
 * sequence, which branches to site + 4, so the call returns through the
 * stub; x30 names the stub, not the site (PAC signs whatever x30 holds, so
 * that is consistent). Rewriting it as adr x30 + br would fail BTI at a
 * `bti c` landing pad.
 */
#ifndef PFE_RELOC_H
#define PFE_RELOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest relocated sequence: a far SIMD&FP literal load at an address
 * that is not a multiple of its size (str, adrp, add, ldr, ldr). */
#define PFE_RELOC_MAX 5

/* What an instruction is, for relocation. */
enum pfe_insn_class {
	/* Refused: */
	PFE_INSN_CLASS_UNDECODED, /* unallocated group or unknown branch/system form */
	PFE_INSN_CLASS_TRAP,	  /* exception generating (all but SVC), ERET, DRPS */
	PFE_INSN_CLASS_EXCLUSIVE, /* LDXR/STXR/LDAXR/STLXR/LDXP/STXP/... */
	PFE_INSN_CLASS_SEQUENCE,  /* FEAT_MOPS CPY* / SET* */
	/* Copied unchanged: */
	PFE_INSN_CLASS_PLAIN, /* does not read the pc */
	PFE_INSN_CLASS_LINK,  /* BLR, BLRAA, BLRAAZ, ...: x30 = address after it */
	/* PC-relative, rewritten: */
	PFE_INSN_CLASS_ADR,
	PFE_INSN_CLASS_ADRP,
	PFE_INSN_CLASS_LDR_LIT,	   /* ldr Wt, ldr Xt, ldrsw Xt (literal) */
	PFE_INSN_CLASS_LDR_LIT_FP, /* ldr St, Dt, Qt (literal) */
	PFE_INSN_CLASS_PRFM_LIT,
	PFE_INSN_CLASS_B,
	PFE_INSN_CLASS_BL,
	PFE_INSN_CLASS_B_COND, /* b.cond and bc.cond */
	PFE_INSN_CLASS_CB,     /* cbz, cbnz */
	PFE_INSN_CLASS_TB,     /* tbz, tbnz */
	PFE_INSN_CLASS_COUNT
};

/* Why pfe_reloc_insn() refused (PFE_RELOC_OK when it did not). */
enum pfe_reloc_why {
	PFE_RELOC_OK,
	PFE_RELOC_UNDECODED,  /* -ENOTSUP: cannot decode */
	PFE_RELOC_TRAP,	      /* -ENOTSUP: generates an exception */
	PFE_RELOC_EXCLUSIVE,  /* -ENOTSUP: exclusive access */
	PFE_RELOC_SEQUENCE,   /* -ENOTSUP: part of a multi-instruction sequence */
	PFE_RELOC_RANGE,      /* -ERANGE: target out of range from the new pc */
	PFE_RELOC_NOSPACE,    /* -ENOSPC: @max too small */
	PFE_RELOC_MISALIGNED, /* -EINVAL: from or to not 4-byte aligned */
	PFE_RELOC_LOOP,	      /* for callers: pfe_reloc_branches_to() said yes */
	PFE_RELOC_READS_SITE, /* -ENOTSUP: literal overlaps the displaced word */
	PFE_RELOC_WHY_COUNT
};

/* A short phrase for @why ("cannot decode", "target out of range", ...),
 * for one line on stderr; "?" for a value out of the enum. */
const char *pfe_reloc_why_str(enum pfe_reloc_why why);

/* The class of @insn; see the comment at the top for each refusal. */
enum pfe_insn_class pfe_insn_classify(uint32_t insn);

/* Returns true when @class is copied unchanged or rewritten, false when
 * pfe_reloc_insn() refuses it whatever the addresses. */
bool pfe_insn_class_relocatable(enum pfe_insn_class class);

/*
 * The address the PC-relative @insn at @pc refers to: a branch's target,
 * ADR's result, ADRP's page, a literal's address. Returns false (leaving
 * *@target alone) when @insn is not PC-relative. Arithmetic is modulo 2^64,
 * as the processor's.
 */
bool pfe_insn_pcrel_target(uint32_t insn, uint64_t pc, uint64_t *target);

/*
 * Relocates @insn from @from to @to: writes at most @max words to @out that,
 * run at @to, do what @insn does at @from (the contract at the top of this
 * file). Returns the number of words written, 1..PFE_RELOC_MAX, after which
 * control falls through to whatever the caller places next (which stands for
 * from + 4); or -errno, writing nothing to @out, with *@why saying why
 * (-ENOTSUP refused class, -ERANGE target too far from @to, -ENOSPC @max too
 * small, -EINVAL misaligned address). *@why is PFE_RELOC_OK on success.
 * @why may be NULL.
 */
int pfe_reloc_insn(uint32_t insn, uint64_t from, uint64_t to, uint32_t *out, size_t max,
		   enum pfe_reloc_why *why);

/*
 * Returns true when a B, B.cond, CBZ/CBNZ or TBZ/TBNZ among the @n words of
 * @body (word i at @body_start + 4 * i) branches into [@lo, @hi), the
 * displaced range, from outside it. The patcher refuses such a function
 * (PFE_RELOC_LOOP): a loop head (or a tail call turned into a loop) at the
 * displaced instruction would run the B to the stub again and fire the
 * entry hook once per iteration. Branches of the displaced instructions
 * themselves are not counted (pfe_reloc_insn() redirects a self-loop into
 * the copy), nor are BLs: a BL to the function's first instruction is a
 * recursive call, which should fire the hook. ADR/ADRP into the range
 * build pointers, which is fine: calls through them are calls.
 */
bool pfe_reloc_branches_to(const uint32_t *body, size_t n, uint64_t body_start, uint64_t lo,
			   uint64_t hi);

#endif /* PFE_RELOC_H */
