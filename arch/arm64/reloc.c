/* SPDX-License-Identifier: MIT */
/*
 * Relocation of one displaced instruction: the decoder, the rewriter and the
 * branch scanner. Pure: see reloc.h for the forms and what is refused.
 *
 * Addresses are uint64_t and arithmetic on them is modulo 2^64, as the
 * processor's own pc arithmetic; a distance is the difference read as a
 * signed number. The few encoders here are private because they take 64-bit
 * addresses and say "unreachable" by returning false, which the sequences
 * need to tell apart from a word; insn.c keeps the site's encoders.
 */
#include <errno.h>

#include "insn.h"
#include "reloc.h"

#define BIT(n)	       (UINT32_C(1) << (n))
#define FIELD(w, s, n) (((w) >> (s)) & (BIT(n) - 1))

#define IMM19_SHIFT 5
#define IMM19_MASK  (UINT32_C(0x7ffff) << IMM19_SHIFT)
#define IMM14_SHIFT 5
#define IMM14_MASK  (UINT32_C(0x3fff) << IMM14_SHIFT)
#define IMM26_MASK  UINT32_C(0x03ffffff)

#define OP_B		UINT32_C(0x14000000)
#define OP_ADR		UINT32_C(0x10000000)
#define OP_ADRP		UINT32_C(0x90000000)
#define OP_ADD_X_IMM	UINT32_C(0x91000000) /* add Xd|sp, Xn|sp, #imm12 */
#define OP_STR_X16_PRE	UINT32_C(0xf81f0ff0) /* str x16, [sp, #-16]! */
#define OP_LDR_X16_POST UINT32_C(0xf84107f0) /* ldr x16, [sp], #16 */
#define REG_X16		16
#define REG_LR		30
#define REG_ZR		31 /* xzr as a destination; sp as an address base */

/* The condition/test-inverting bit of CBZ/CBNZ and TBZ/TBNZ. */
#define CB_TB_NOT BIT(24)

static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = UINT64_C(1) << (bits - 1);

	v &= (m << 1) - 1;
	return (int64_t)((v ^ m) - m);
}

/* The signed distance @b - @a modulo 2^64 (two's complement on every
 * compiler we build with). */
static int64_t dist(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

/* Does a signed word offset @d (bytes, multiple of 4) fit @bits bits of
 * words? */
static bool fits_words(int64_t d, unsigned bits)
{
	int64_t lim = INT64_C(1) << (bits - 1 + 2);

	return (d & 3) == 0 && d >= -lim && d < lim;
}

static uint32_t with_imm19(uint32_t insn, int64_t d)
{
	return (insn & ~IMM19_MASK) | ((uint32_t)(d >> 2) << IMM19_SHIFT & IMM19_MASK);
}

static uint32_t with_imm14(uint32_t insn, int64_t d)
{
	return (insn & ~IMM14_MASK) | ((uint32_t)(d >> 2) << IMM14_SHIFT & IMM14_MASK);
}

/* b <target> at @pc, when it reaches. */
static bool enc_b(uint64_t pc, uint64_t target, uint32_t *w)
{
	int64_t d = dist(pc, target);

	if (!fits_words(d, 26))
		return false;
	*w = OP_B | ((uint32_t)(d >> 2) & IMM26_MASK);
	return true;
}

static uint32_t adr_form(uint32_t op, unsigned rd, int64_t imm21)
{
	uint32_t u = (uint32_t)imm21 & 0x1fffff;

	return op | (u & 3) << 29 | (u >> 2) << 5 | rd;
}

/* adr Xd, <target> at @pc, when within +-1 MiB. */
static bool enc_adr(uint64_t pc, uint64_t target, unsigned rd, uint32_t *w)
{
	int64_t d = dist(pc, target);

	if (d < -(INT64_C(1) << 20) || d >= (INT64_C(1) << 20))
		return false;
	*w = adr_form(OP_ADR, rd, d);
	return true;
}

/* adrp Xd, <target's page> at @pc, when within +-4 GiB of pages. */
static bool enc_adrp(uint64_t pc, uint64_t target, unsigned rd, uint32_t *w)
{
	int64_t pages = dist(pc & ~UINT64_C(0xfff), target & ~UINT64_C(0xfff)) / 4096;

	if (pages < -(INT64_C(1) << 20) || pages >= (INT64_C(1) << 20))
		return false;
	*w = adr_form(OP_ADRP, rd, pages);
	return true;
}

static uint32_t enc_add_imm(unsigned rd, unsigned rn, unsigned imm12)
{
	return OP_ADD_X_IMM | imm12 << 10 | rn << 5 | rd;
}

/*
 * The loads a literal load becomes: the unsigned-offset form with the same
 * destination and size, [Xn, #imm12 * scale].
 */
struct load_kind {
	uint32_t uoff; /* ldr ..., [x0, #0] */
	unsigned scale;
};

static const struct load_kind gp_loads[3] = {
    {0xb9400000, 4}, /* opc 00: ldr Wt */
    {0xf9400000, 8}, /* opc 01: ldr Xt */
    {0xb9800000, 4}, /* opc 10: ldrsw Xt */
};

static const struct load_kind fp_loads[3] = {
    {0xbd400000, 4},  /* opc 00: ldr St */
    {0xfd400000, 8},  /* opc 01: ldr Dt */
    {0x3dc00000, 16}, /* opc 10: ldr Qt */
};

/* ---------------------------------------------------------------- decode */

static bool is_ldst_exclusive(uint32_t insn)
{
	/* size 001000 o2 L o1 Rs o0 Rt2 Rn Rt; o2 = 1 is LDAR/STLR/CAS
	 * (single accesses), o1 = 1 with size 0x is CASP. */
	if ((insn & 0x3f000000) != 0x08000000 || (insn & BIT(23)))
		return false;
	return !((insn & BIT(21)) && !(insn & BIT(31)));
}

static enum pfe_insn_class classify_branch_sys(uint32_t insn)
{
	if ((insn & 0x7c000000) == 0x14000000)
		return insn & BIT(31) ? PFE_INSN_CLASS_BL : PFE_INSN_CLASS_B;
	if ((insn & 0x7e000000) == 0x34000000)
		return PFE_INSN_CLASS_CB;
	if ((insn & 0x7e000000) == 0x36000000)
		return PFE_INSN_CLASS_TB;
	if ((insn & 0xff000000) == 0x54000000)
		return PFE_INSN_CLASS_B_COND; /* bit 4 set: bc.cond (FEAT_HBC) */
	if ((insn & 0xffe0001f) == 0xd4000001)
		return PFE_INSN_CLASS_PLAIN; /* svc */
	if ((insn & 0xff000000) == 0xd4000000)
		return PFE_INSN_CLASS_TRAP; /* brk, hlt, hvc, smc, dcps, tcancel */
	if ((insn & 0xff000000) == 0xd5000000)
		return PFE_INSN_CLASS_PLAIN; /* hints, barriers, msr, mrs, sys */
	/* Branch (register): op2 is always 0b11111. */
	if ((insn & 0xfe1f0000) == 0xd61f0000) {
		switch (FIELD(insn, 21, 4)) { /* opc */
		case 0x0:		      /* br */
		case 0x2:		      /* ret, retaa */
		case 0x8:		      /* braa, brab */
			return PFE_INSN_CLASS_PLAIN;
		case 0x1: /* blr, blraaz */
		case 0x9: /* blraa, blrab */
			return PFE_INSN_CLASS_LINK;
		case 0x4: /* eret */
		case 0x5: /* drps */
			return PFE_INSN_CLASS_TRAP;
		}
	}
	return PFE_INSN_CLASS_UNDECODED;
}

enum pfe_insn_class pfe_insn_classify(uint32_t insn)
{
	switch (FIELD(insn, 25, 4)) { /* op0, the top-level group */
	case 0x0:		      /* udf, SME */
	case 0x1:
	case 0x3:
		return PFE_INSN_CLASS_UNDECODED;
	case 0x2: /* SVE: nothing reads the pc */
		return PFE_INSN_CLASS_PLAIN;
	case 0x8:
	case 0x9: /* data processing, immediate */
		if ((insn & 0x1f000000) == 0x10000000)
			return insn & BIT(31) ? PFE_INSN_CLASS_ADRP : PFE_INSN_CLASS_ADR;
		return PFE_INSN_CLASS_PLAIN;
	case 0xa:
	case 0xb:
		return classify_branch_sys(insn);
	}
	/* op0 x1xx remains. */
	if (insn & BIT(25))
		return PFE_INSN_CLASS_PLAIN; /* data processing register, SIMD&FP */
	/* Loads and stores (op0 x1x0). */
	if ((insn & 0x3b000000) == 0x18000000) { /* load register (literal) */
		unsigned opc = FIELD(insn, 30, 2);

		if (insn & BIT(26))
			return opc == 3 ? PFE_INSN_CLASS_UNDECODED : PFE_INSN_CLASS_LDR_LIT_FP;
		return opc == 3 ? PFE_INSN_CLASS_PRFM_LIT : PFE_INSN_CLASS_LDR_LIT;
	}
	if (is_ldst_exclusive(insn))
		return PFE_INSN_CLASS_EXCLUSIVE;
	if ((insn & 0xfb200c00) == 0x19000400)
		return PFE_INSN_CLASS_SEQUENCE; /* cpyp/cpym/cpye, setp/... */
	return PFE_INSN_CLASS_PLAIN;
}

bool pfe_insn_class_relocatable(enum pfe_insn_class class)
{
	return class >= PFE_INSN_CLASS_PLAIN && class < PFE_INSN_CLASS_COUNT;
}

bool pfe_insn_pcrel_target(uint32_t insn, uint64_t pc, uint64_t *target)
{
	int64_t imm;

	switch (pfe_insn_classify(insn)) {
	case PFE_INSN_CLASS_ADR:
		imm = sext(FIELD(insn, 5, 19) << 2 | FIELD(insn, 29, 2), 21);
		*target = pc + (uint64_t)imm;
		return true;
	case PFE_INSN_CLASS_ADRP:
		imm = sext(FIELD(insn, 5, 19) << 2 | FIELD(insn, 29, 2), 21);
		*target = (pc & ~UINT64_C(0xfff)) + ((uint64_t)imm << 12);
		return true;
	case PFE_INSN_CLASS_LDR_LIT:
	case PFE_INSN_CLASS_LDR_LIT_FP:
	case PFE_INSN_CLASS_PRFM_LIT:
	case PFE_INSN_CLASS_B_COND:
	case PFE_INSN_CLASS_CB:
		imm = sext(FIELD(insn, 5, 19), 19);
		break;
	case PFE_INSN_CLASS_TB:
		imm = sext(FIELD(insn, 5, 14), 14);
		break;
	case PFE_INSN_CLASS_B:
	case PFE_INSN_CLASS_BL:
		imm = sext(insn & IMM26_MASK, 26);
		break;
	default:
		return false;
	}
	*target = pc + ((uint64_t)imm << 2);
	return true;
}

/* ------------------------------------------------------------- rewrite */

/* Words being built at @to: a relocated sequence never exceeds
 * PFE_RELOC_MAX, and emit() checks. */
struct seq {
	uint32_t w[PFE_RELOC_MAX];
	unsigned n;
	uint64_t to;
};

static uint64_t seq_pc(const struct seq *s)
{
	return s->to + 4 * (uint64_t)s->n;
}

static void emit(struct seq *s, uint32_t w)
{
	if (s->n < PFE_RELOC_MAX)
		s->w[s->n] = w;
	s->n++; /* > PFE_RELOC_MAX would be a bug here: reloc_one() checks */
}

/* Xd = @target, exactly: adr when it reaches, else adrp + add. */
static bool emit_address(struct seq *s, unsigned rd, uint64_t target)
{
	uint32_t w;
	unsigned lo12 = target & 0xfff;

	if (enc_adr(seq_pc(s), target, rd, &w)) {
		emit(s, w);
		return true;
	}
	if (!enc_adrp(seq_pc(s), target, rd, &w))
		return false;
	emit(s, w);
	if (lo12)
		emit(s, enc_add_imm(rd, rd, lo12));
	return true;
}

/*
 * The load of @kind into @rt from @target, through base register @base
 * (which may be @rt itself): adrp base; ldr rt, [base, #lo12] when the
 * offset scales, else adrp; add; ldr rt, [base].
 */
static bool emit_far_load(struct seq *s, const struct load_kind *kind, unsigned rt, unsigned base,
			  uint64_t target)
{
	uint32_t w;
	unsigned lo12 = target & 0xfff;

	if (!enc_adrp(seq_pc(s), target, base, &w))
		return false;
	emit(s, w);
	if (lo12 % kind->scale) {
		emit(s, enc_add_imm(base, base, lo12));
		lo12 = 0;
	}
	emit(s, kind->uoff | (lo12 / kind->scale) << 10 | base << 5 | rt);
	return true;
}

/* The same load with x16 as the base, saved below sp and restored: for
 * destinations that cannot address memory (Vt, the zero register). */
static bool emit_far_load_scratch(struct seq *s, const struct load_kind *kind, unsigned rt,
				  uint64_t target)
{
	emit(s, OP_STR_X16_PRE);
	if (!emit_far_load(s, kind, rt, REG_X16, target))
		return false;
	emit(s, OP_LDR_X16_POST);
	return true;
}

static bool emit_b(struct seq *s, uint64_t target)
{
	uint32_t w;

	if (!enc_b(seq_pc(s), target, &w))
		return false;
	emit(s, w);
	return true;
}

/*
 * A conditional branch (b.cond, cb, tb: @imm19 says which field) to
 * @target: itself when its field reaches from the new pc, else the inverted
 * test over the next word, then b target; not taken, the inverted test
 * lands on the end of the sequence.
 */
static bool emit_cond(struct seq *s, uint32_t insn, uint32_t invert, bool imm19, uint64_t target)
{
	int64_t d = dist(seq_pc(s), target);

	if (fits_words(d, imm19 ? 19 : 14)) {
		emit(s, imm19 ? with_imm19(insn, d) : with_imm14(insn, d));
		return true;
	}
	insn ^= invert;
	emit(s, imm19 ? with_imm19(insn, 8) : with_imm14(insn, 8));
	return emit_b(s, target);
}

static enum pfe_reloc_why refusal(enum pfe_insn_class class)
{
	switch (class) {
	case PFE_INSN_CLASS_TRAP:
		return PFE_RELOC_TRAP;
	case PFE_INSN_CLASS_EXCLUSIVE:
		return PFE_RELOC_EXCLUSIVE;
	case PFE_INSN_CLASS_SEQUENCE:
		return PFE_RELOC_SEQUENCE;
	default:
		return PFE_RELOC_UNDECODED;
	}
}

/* Builds @insn's sequence in @s; returns PFE_RELOC_OK or why not. */
static enum pfe_reloc_why reloc_one(uint32_t insn, uint64_t from, struct seq *s)
{
	enum pfe_insn_class class = pfe_insn_classify(insn);
	unsigned rt = insn & 31, opc = FIELD(insn, 30, 2);
	/* For literal loads (opc 3 is PRFM, or refused for SIMD&FP). */
	const struct load_kind *literal =
	    class == PFE_INSN_CLASS_LDR_LIT_FP ? &fp_loads[opc % 3] : &gp_loads[opc % 3];
	uint64_t target = 0;
	uint32_t w;
	bool ok = true;

	if (!pfe_insn_class_relocatable(class))
		return refusal(class);
	pfe_insn_pcrel_target(insn, from, &target);
	/* A branch to itself loops in the copy (see reloc.h). */
	if (target == from && (class == PFE_INSN_CLASS_B || class == PFE_INSN_CLASS_B_COND ||
			       class == PFE_INSN_CLASS_CB || class == PFE_INSN_CLASS_TB))
		target = s->to;

	switch (class) {
	case PFE_INSN_CLASS_PLAIN:
	case PFE_INSN_CLASS_LINK:
		emit(s, insn);
		break;
	case PFE_INSN_CLASS_ADR:
	case PFE_INSN_CLASS_ADRP:
		if (rt == REG_ZR) /* writes xzr: no effect, and add would write sp */
			emit(s, PFE_INSN_NOP);
		else if (class == PFE_INSN_CLASS_ADR)
			ok = emit_address(s, rt, target);
		else if ((ok = enc_adrp(s->to, target, rt, &w)))
			emit(s, w);
		break;
	case PFE_INSN_CLASS_PRFM_LIT:
	case PFE_INSN_CLASS_LDR_LIT:
	case PFE_INSN_CLASS_LDR_LIT_FP:
		if (class != PFE_INSN_CLASS_PRFM_LIT && from - target < literal->scale)
			return PFE_RELOC_READS_SITE; /* target <= from < target + size */
		if (fits_words(dist(s->to, target), 19))
			emit(s, with_imm19(insn, dist(s->to, target)));
		else if (class == PFE_INSN_CLASS_PRFM_LIT)
			emit(s, PFE_INSN_NOP); /* a hint: see reloc.h */
		else if (class == PFE_INSN_CLASS_LDR_LIT_FP || rt == REG_ZR)
			/* Vt cannot address memory; as a base, 31 is sp */
			ok = emit_far_load_scratch(s, literal, rt, target);
		else
			ok = emit_far_load(s, literal, rt, rt, target);
		break;
	case PFE_INSN_CLASS_B:
		ok = emit_b(s, target);
		break;
	case PFE_INSN_CLASS_BL:
		ok = emit_address(s, REG_LR, from + 4) && emit_b(s, target);
		break;
	case PFE_INSN_CLASS_B_COND:
		if (FIELD(insn, 1, 3) == 7) /* al, nv: always */
			ok = emit_b(s, target);
		else
			ok = emit_cond(s, insn, 1, true, target);
		break;
	case PFE_INSN_CLASS_CB:
		ok = emit_cond(s, insn, CB_TB_NOT, true, target);
		break;
	case PFE_INSN_CLASS_TB:
		ok = emit_cond(s, insn, CB_TB_NOT, false, target);
		break;
	default:
		return PFE_RELOC_UNDECODED;
	}
	return ok ? PFE_RELOC_OK : PFE_RELOC_RANGE;
}

int pfe_reloc_insn(uint32_t insn, uint64_t from, uint64_t to, uint32_t *out, size_t max,
		   enum pfe_reloc_why *why)
{
	struct seq s = {.n = 0, .to = to};
	enum pfe_reloc_why r = PFE_RELOC_MISALIGNED;
	int err = -EINVAL;

	if (!((from | to) & 3)) {
		r = reloc_one(insn, from, &s);
		err = r == PFE_RELOC_RANGE ? -ERANGE : -ENOTSUP;
	}
	if (r == PFE_RELOC_OK && s.n > PFE_RELOC_MAX) {
		r = PFE_RELOC_NOSPACE; /* cannot happen: PFE_RELOC_MAX is wrong */
		err = -ENOSPC;
	}
	if (r == PFE_RELOC_OK && s.n > max) {
		r = PFE_RELOC_NOSPACE;
		err = -ENOSPC;
	}
	if (why)
		*why = r;
	if (r != PFE_RELOC_OK)
		return err;
	for (unsigned i = 0; i < s.n; i++)
		out[i] = s.w[i];
	return (int)s.n;
}

/* --------------------------------------------------------------- scan */

bool pfe_reloc_branches_to(const uint32_t *body, size_t n, uint64_t body_start, uint64_t lo,
			   uint64_t hi)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t pc = body_start + 4 * (uint64_t)i, target;

		if (pc - lo < hi - lo) /* one of the displaced instructions */
			continue;
		switch (pfe_insn_classify(body[i])) {
		case PFE_INSN_CLASS_B:
		case PFE_INSN_CLASS_B_COND:
		case PFE_INSN_CLASS_CB:
		case PFE_INSN_CLASS_TB:
			pfe_insn_pcrel_target(body[i], pc, &target);
			if (target - lo < hi - lo)
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/* ------------------------------------------------------------ messages */

static const char *const why_names[PFE_RELOC_WHY_COUNT] = {
    [PFE_RELOC_OK] = "relocated",
    [PFE_RELOC_UNDECODED] = "cannot decode",
    [PFE_RELOC_TRAP] = "generates an exception",
    [PFE_RELOC_EXCLUSIVE] = "exclusive load/store",
    [PFE_RELOC_SEQUENCE] = "part of a multi-instruction sequence",
    [PFE_RELOC_RANGE] = "target out of range",
    [PFE_RELOC_NOSPACE] = "no room for the relocated sequence",
    [PFE_RELOC_MISALIGNED] = "misaligned address",
    [PFE_RELOC_LOOP] = "loop back to the displaced instruction",
    [PFE_RELOC_READS_SITE] = "literal overlaps the displaced instruction",
};

const char *pfe_reloc_why_str(enum pfe_reloc_why why)
{
	if ((unsigned)why >= PFE_RELOC_WHY_COUNT)
		return "?";
	return why_names[why];
}
