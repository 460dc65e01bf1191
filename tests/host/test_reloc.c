/* SPDX-License-Identifier: MIT */
/*
 * reloc.c against a small A64 simulator: each PC-relative instruction is run
 * once at `from` and its relocated sequence at `to`, from the same
 * registers, flags and memory, and the final states must agree on all 31
 * general registers, sp, NZCV, the 32 SIMD&FP registers and where control
 * went (the original's target, or its fallthrough from + 4, which is the end
 * of the sequence). The simulator is written from the architecture's bit
 * layouts, apart from reloc.c, and knows only what the originals and the
 * sequences use; it fails on anything else, and on any memory write other
 * than the 16 bytes below sp, and on an sp base that is not 16-byte aligned
 * (Linux turns the SP alignment check on).
 *
 * Instruction words come from a sweep of the whole 32-bit space with a
 * stride (every class, every field value mix), run at from/to pairs at and
 * across the +-1 MiB, +-128 MiB and +-4 GiB limits in both directions, and
 * from hand-built cases at the exact limits. Words not PC-relative must come
 * back unchanged, refused ones with the right reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "insn.h"
#include "reloc.h"

#define KIB		(UINT64_C(1) << 10)
#define MIB		(UINT64_C(1) << 20)
#define GIB		(UINT64_C(1) << 30)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SENTINEL	0x5ca1ab1eu
#define SWEEP_STRIDE	4093u /* prime: every bit pattern mix, ~1M words */
#define STATES_PER_PAIR 2

static unsigned long n_sims, n_refused_range, n_copied, n_refused_class;

#include "unit/reloc_sim.h"

static void print_state(const char *what, const struct cpu *c)
{
	fprintf(stderr, "%s: pc %#llx sp %#llx nzcv %x fault %s\n", what, (unsigned long long)c->pc,
		(unsigned long long)c->sp, c->nzcv, c->fault ? c->fault : "-");
}

/*
 * Runs @insn at @from and @seq (@n words) at @to from @init; fails the test
 * on any difference. Control leaving the sequence at its end stands for
 * from + 4, and at `to` (a redirected self-loop) for `from`.
 */
static void compare_run(uint32_t insn, uint64_t from, uint64_t to, const uint32_t *seq, int n,
			const struct cpu *init)
{
	struct cpu a = *init, b = *init;
	uint64_t end = to + 4 * (uint64_t)n;
	int steps = 0;
	bool bad = false;

	a.pc = from;
	if (!step(&a, insn)) {
		print_state("original", &a);
		fail_msg("original %08x not simulated", insn);
	}
	b.pc = to;
	for (;;) {
		if (b.pc - to >= end - to || steps > 3 * PFE_RELOC_MAX)
			break;
		if (steps > 0 && b.pc == to)
			break;
		if (!step(&b, seq[(b.pc - to) / 4])) {
			print_state("relocated", &b);
			fail_msg("relocated %08x: word %d not simulated", insn,
				 (int)((b.pc - to) / 4));
		}
		steps++;
	}
	/* A branch to itself (not a call) must loop in the copy, at `to`,
	 * rather than re-enter the site at `from`. */
	if (a.pc == from && (insn & 0xfc000000) != 0x94000000 && b.pc != to)
		bad = true;
	if (b.pc == end)
		b.pc = from + 4;
	else if (b.pc == to)
		b.pc = from;
	else if (b.pc - to < end - to)
		bad = true; /* ran too long */

	n_sims++;
	bad |= a.pc != b.pc || a.sp != b.sp || a.nzcv != b.nzcv;
	bad |= memcmp(a.x, b.x, sizeof(a.x)) || memcmp(a.q, b.q, sizeof(a.q));
	if (!bad)
		return;
	fprintf(stderr, "insn %08x from %#llx to %#llx:", insn, (unsigned long long)from,
		(unsigned long long)to);
	for (int i = 0; i < n; i++)
		fprintf(stderr, " %08x", seq[i]);
	fprintf(stderr, "\n");
	print_state("original ", &a);
	print_state("relocated", &b);
	for (unsigned i = 0; i < 31; i++)
		if (a.x[i] != b.x[i])
			fprintf(stderr, "x%u: %#llx vs %#llx\n", i, (unsigned long long)a.x[i],
				(unsigned long long)b.x[i]);
	for (unsigned i = 0; i < 32; i++)
		if (memcmp(a.q[i], b.q[i], 16))
			fprintf(stderr, "q%u differs\n", i);
	fail_msg("relocated sequence differs from the original");
}

static bool is_branch(enum pfe_insn_class k)
{
	return k == PFE_INSN_CLASS_B || k == PFE_INSN_CLASS_BL || k == PFE_INSN_CLASS_B_COND ||
	       k == PFE_INSN_CLASS_CB || k == PFE_INSN_CLASS_TB;
}

static int64_t sdist(uint64_t a, uint64_t b)
{
	return (int64_t)(b - a);
}

/*
 * Range a relocation of class @k from @from to @to is certain to have
 * (1), certain not to have (-1), or may have depending on sequence length
 * (0): a branch target within 128 MiB - 64 of `to` is always reached; one
 * beyond 128 MiB + 64 never; pages within 4 GiB - 8 KiB of `to`'s page
 * always.
 */
static int must_reach(enum pfe_insn_class k, uint32_t insn, uint64_t from, uint64_t to)
{
	uint64_t t;
	int64_t d;

	if (!pfe_insn_pcrel_target(insn, from, &t))
		return 1;
	if (k == PFE_INSN_CLASS_PRFM_LIT)
		return 1; /* nop when far */
	if ((k == PFE_INSN_CLASS_ADR || k == PFE_INSN_CLASS_ADRP) && (insn & 31) == 31)
		return 1; /* writes xzr: nop */
	if (is_branch(k) && k != PFE_INSN_CLASS_BL && t == from)
		return 1; /* redirected to the copy */
	if (k == PFE_INSN_CLASS_BL) {
		/* adr or adrp to from + 4 first (always within 4 GiB here) */
		d = sdist(to & ~UINT64_C(0xfff), (from + 4) & ~UINT64_C(0xfff));
		if (d < -(int64_t)(4 * GIB) + 8192 || d > (int64_t)(4 * GIB) - 8192)
			return d < -(int64_t)(4 * GIB) || d >= (int64_t)(4 * GIB) ? -1 : 0;
	}
	if (is_branch(k)) {
		d = sdist(to, t);
		if (d > -(int64_t)(128 * MIB) + 64 && d < (int64_t)(128 * MIB) - 64)
			return 1;
		if (d < -(int64_t)(128 * MIB) - 64 || d > (int64_t)(128 * MIB) + 64)
			return -1;
		return 0;
	}
	d = sdist(to & ~UINT64_C(0xfff), t & ~UINT64_C(0xfff));
	if (d >= -(int64_t)(4 * GIB) + 8192 && d < (int64_t)(4 * GIB) - 8192)
		return 1;
	if (d < -(int64_t)(4 * GIB) || d >= (int64_t)(4 * GIB))
		return -1;
	return 0;
}

/* The reason a refused class is refused with. */
static enum pfe_reloc_why why_of(enum pfe_insn_class k)
{
	switch (k) {
	case PFE_INSN_CLASS_TRAP:
		return PFE_RELOC_TRAP;
	case PFE_INSN_CLASS_EXCLUSIVE:
		return PFE_RELOC_EXCLUSIVE;
	case PFE_INSN_CLASS_SEQUENCE:
		return PFE_RELOC_SEQUENCE;
	case PFE_INSN_CLASS_UNDECODED:
		return PFE_RELOC_UNDECODED;
	default:
		return PFE_RELOC_OK;
	}
}

/*
 * Relocates @insn from @from to @to and checks the result against the
 * simulator from @nstates random states (all 16 flag values for a B.cond).
 * Returns the length, or -errno.
 */
static int check_one(uint32_t insn, uint64_t from, uint64_t to, unsigned nstates)
{
	uint32_t out[PFE_RELOC_MAX + 2];
	enum pfe_reloc_why why = PFE_RELOC_WHY_COUNT;
	enum pfe_insn_class k = pfe_insn_classify(insn);
	int n, reach;
	uint64_t t;

	for (unsigned i = 0; i < ARRAY_SIZE(out); i++)
		out[i] = SENTINEL;
	n = pfe_reloc_insn(insn, from, to, out, PFE_RELOC_MAX, &why);
	for (unsigned i = n > 0 ? (unsigned)n : 0; i < ARRAY_SIZE(out); i++)
		assert_int_equal(out[i], SENTINEL);
	if (n < 0) {
		assert_int_not_equal(why, PFE_RELOC_OK);
		if (why == PFE_RELOC_READS_SITE) {
			/* Only a literal load whose data covers `from`. */
			assert_int_equal(n, -ENOTSUP);
			assert_true(k == PFE_INSN_CLASS_LDR_LIT || k == PFE_INSN_CLASS_LDR_LIT_FP);
			assert_true(pfe_insn_pcrel_target(insn, from, &t));
			assert_true(from - t < 16);
			n_refused_class++;
			return n;
		}
		if (!pfe_insn_class_relocatable(k)) {
			assert_int_equal(n, -ENOTSUP);
			assert_int_equal(why, why_of(k));
			n_refused_class++;
			return n;
		}
		assert_int_equal(n, -ERANGE);
		assert_int_equal(why, PFE_RELOC_RANGE);
		reach = must_reach(k, insn, from, to);
		if (reach == 1)
			fail_msg("%08x from %#llx to %#llx refused but reachable", insn,
				 (unsigned long long)from, (unsigned long long)to);
		n_refused_range++;
		return n;
	}
	assert_int_equal(why, PFE_RELOC_OK);
	assert_true(n >= 1 && n <= PFE_RELOC_MAX);
	if (k == PFE_INSN_CLASS_PLAIN || k == PFE_INSN_CLASS_LINK) {
		assert_int_equal(n, 1);
		assert_int_equal(out[0], insn);
		n_copied++;
		return n;
	}
	if (must_reach(k, insn, from, to) == -1)
		fail_msg("%08x from %#llx to %#llx relocated but out of reach", insn,
			 (unsigned long long)from, (unsigned long long)to);
	/* A target inside the sequence itself would read as its end or start. */
	pfe_insn_pcrel_target(insn, from, &t);
	if (is_branch(k) && t != from && t - to <= 4 * (uint64_t)n)
		return n;
	for (unsigned s = 0; s < nstates; s++) {
		struct cpu init;

		random_state(&init);
		if (k == PFE_INSN_CLASS_B_COND)
			init.nzcv = s & 15;
		compare_run(insn, from, to, out, n, &init);
	}
	return n;
}

/* From/to pairs: the stub arena is within +-128 MiB of the site, but the
 * relocator must hold (or refuse) anywhere; near each limit, both sides. */
struct pair {
	uint64_t from, to;
};

static const struct pair pairs[] = {
    {0x400000, 0x401000},
    {0x5500001000, 0x5500001000 + 128 * MIB - 4},
    {0x5500001000, 0x5500001000 - 128 * MIB},
    {0x5500001000, 0x5500001000 + 128 * MIB + 0x804},
    {0x5500001ffc, 0x5500001ffc - 128 * MIB - 0x1000},
    {0x5500000ffc, 0x5500000ffc + MIB},
    {0x5500000ffc, 0x5500000ffc - MIB - 4},
    {0x7ff00000abc0, 0x7ff00000abc0 - 4 * GIB + 0x3000},
    {0x7ff00000abc0, 0x7ff00000abc0 + 4 * GIB - 0x2004},
    {0x7ff00000abc0, 0x7ff00000abc0 + 4 * GIB + 0x1000},
    {0x7ff00000abc0, 0x7ff00000abc0 - 4 * GIB - 0x4000},
    {0x7ff00000abc0, 0x123456789000},
    {0x1000, 0x1000 + 0x7ffc000},	      /* targets below 0 wrap */
    {0xfffffffffff00000, 0xffffffffffd00008}, /* and above the top */
};

static void test_sweep(void **state)
{
	uint32_t insn = 0;

	n_sims = n_copied = n_refused_class = n_refused_range = 0;
	do {
		enum pfe_insn_class k = pfe_insn_classify(insn);
		unsigned np = pfe_insn_class_relocatable(k) && k > PFE_INSN_CLASS_LINK
				  ? ARRAY_SIZE(pairs)
				  : 1;

		for (unsigned p = 0; p < np; p++)
			check_one(insn, pairs[p].from, pairs[p].to,
				  k == PFE_INSN_CLASS_B_COND ? 16 : STATES_PER_PAIR);
		insn += SWEEP_STRIDE;
	} while (insn >= SWEEP_STRIDE);
	fprintf(stderr, "sweep: %lu simulated, %lu copied, %lu refused by class, %lu by range\n",
		n_sims, n_copied, n_refused_class, n_refused_range);
	assert_true(n_sims > 100000);
	assert_true(n_refused_range > 1000);
}

#define TO UINT64_C(0x5580000000)

/*
 * Relocates @insn found at @from to TO: expects @n words (each run against
 * the simulator from 8 states), or -ERANGE when @n is 0.
 */
static void expect_len(uint32_t insn, uint64_t from, int n)
{
	int got = check_one(insn, from, TO, 8);

	if (got != (n ? n : -ERANGE))
		fail_msg("%08x from %#llx to %#llx: %d words, expected %d", insn,
			 (unsigned long long)from, (unsigned long long)TO, got, n ? n : -ERANGE);
}

/* Every limit of every form, exactly and one step past, both directions. */
static void test_limits(void **state)
{
	const int64_t m1 = (int64_t)MIB, m128 = 128 * (int64_t)MIB, g4 = 4 * (int64_t)GIB;
	const int64_t k32 = 32 * (int64_t)KIB;

	/* adr: byte-exact +-1 MiB from the new pc, else adrp [+ add]. */
	expect_len(mk_adr(3, 0xfff), TO + m1 - 0x1000, 1);
	expect_len(mk_adr(3, 0x1000), TO + m1 - 0x1000, 1); /* lo12 0: adrp */
	expect_len(mk_adr(3, 0x1003), TO + m1 - 0x1000, 2);
	expect_len(mk_adr(3, -0x1000), TO - m1 + 0x1000, 1);
	expect_len(mk_adr(3, -0x1001), TO - m1 + 0x1000, 2);
	expect_len(mk_adr(0, 0xfffff), TO + 12 * m1 + 0x120, 2);
	expect_len(mk_adr(30, -0x100000), TO - 12 * m1 - 0x74, 2);
	/* adrp: +-4 GiB of pages from the new pc's page. */
	expect_len(mk_adrp(5, 1), TO - 0x1000 + g4 - 0x1000, 1);
	expect_len(mk_adrp(5, 1), TO - 0x1000 + g4, 0);
	expect_len(mk_adrp(5, -1), TO + 0x1000 - g4, 1);
	expect_len(mk_adrp(5, -1), TO + 0x1000 - g4 - 0x1000, 0);
	expect_len(mk_adrp(5, 1), TO - 0x1000 + g4 - 0x1000 + 0xffc, 1);
	/* ldr literal: one word within +-1 MiB, else adrp + ldr, or + add
	 * when the page offset does not scale. */
	expect_len(mk_ldr_lit(1, 0, 7, 0x40), TO - 0x40 + m1 - 4, 1);
	expect_len(mk_ldr_lit(1, 0, 7, 0x40), TO - 0x40 + m1, 2);
	expect_len(mk_ldr_lit(1, 0, 7, 0x44), TO - 0x40 + m1, 3);
	expect_len(mk_ldr_lit(0, 0, 7, 0x44), TO - 0x40 + m1, 2);
	expect_len(mk_ldr_lit(2, 0, 7, 0x44), TO - 0x40 + m1, 2);
	expect_len(mk_ldr_lit(1, 0, 7, -0x40), TO + 0x40 - m1, 1);
	expect_len(mk_ldr_lit(1, 0, 7, -0x40), TO + 0x40 - m1 - 4, 3);
	expect_len(mk_ldr_lit(1, 0, 7, -0x40), TO + 0x40 - m1 - 8, 2);
	expect_len(mk_ldr_lit(1, 0, 7, 0x40), TO - 0x40 + g4 - 0x1000, 2);
	expect_len(mk_ldr_lit(1, 0, 7, 0x40), TO - 0x40 + g4, 0);
	expect_len(mk_ldr_lit(1, 0, 7, 0x40), TO - 0x40 - g4, 2);
	expect_len(mk_ldr_lit(1, 0, 7, 0x40), TO - 0x40 - g4 - 0x1000, 0);
	/* ldr literal into wzr/xzr: through the scratch, not via sp. */
	expect_len(mk_ldr_lit(1, 0, 31, 0x40), TO - 0x40 + m1, 4);
	expect_len(mk_ldr_lit(0, 0, 31, 0x44), TO - 0x44 + m1, 4);
	expect_len(mk_ldr_lit(1, 0, 31, 0x44), TO - 0x40 + m1, 5);
	/* SIMD&FP: x16 saved and restored around adrp [+ add] + ldr. */
	expect_len(mk_ldr_lit(0, 1, 2, 0x44), TO - 0x44 + m1, 4);
	expect_len(mk_ldr_lit(1, 1, 2, 0x44), TO - 0x40 + m1, 5);
	expect_len(mk_ldr_lit(1, 1, 2, 0x48), TO - 0x48 + m1, 4);
	expect_len(mk_ldr_lit(2, 1, 31, 0x48), TO - 0x40 + m1, 5);
	expect_len(mk_ldr_lit(2, 1, 16, 0x50), TO - 0x50 - m1 - 0x10, 4);
	expect_len(mk_ldr_lit(2, 1, 16, 0x50), TO - 0x50 - m1 - 0x8, 5);
	expect_len(mk_ldr_lit(2, 1, 0, 0x50), TO - 0x50 - g4 - 0x1000, 0);
	expect_len(mk_ldr_lit(2, 1, 0, -0x50), TO + 0x50 - m1 + 4, 1);
	/* prfm: one word within +-1 MiB, else a nop, never refused. */
	expect_len(mk_ldr_lit(3, 0, 0, 0x40), TO - 0x40 + m1 - 4, 1);
	expect_len(mk_ldr_lit(3, 0, 0, 0x40), TO - 0x40 + 2 * g4, 1);
	/* b: +-128 MiB from the new pc. */
	expect_len(mk_b(false, 0x40), TO - 0x40 + m128 - 4, 1);
	expect_len(mk_b(false, 0x40), TO - 0x40 + m128, 0);
	expect_len(mk_b(false, -0x40), TO + 0x40 - m128, 1);
	expect_len(mk_b(false, -0x40), TO + 0x40 - m128 - 4, 0);
	/* bl near: adr x30 at TO, b at TO + 4. */
	expect_len(mk_b(true, m128 - 0x200), TO + 0x200 - 4 + 4, 2);
	expect_len(mk_b(true, m128 - 0x200 + 4), TO + 0x200 - 4 + 4, 0);
	expect_len(mk_b(true, -m128 + 0x200), TO - 0x200 + 4, 2);
	expect_len(mk_b(true, -m128 + 0x200 - 4), TO - 0x200 + 4, 0);
	/* bl far: adrp + add x30 at TO, b at TO + 8. */
	expect_len(mk_b(true, m128 - 4), TO - 8 * m1, 3); /* the BL's own full reach */
	expect_len(mk_b(true, 0x40), TO + 8 + m128 - 4 - 0x40, 3);
	expect_len(mk_b(true, 0x44), TO + 8 + m128 - 4 - 0x40, 0);
	expect_len(mk_b(true, -0x40), TO + 8 - m128 + 0x40, 3);
	expect_len(mk_b(true, -0x44), TO + 8 - m128 + 0x40, 0);
	/* bl whose return address is a page start: adrp alone. */
	expect_len(mk_b(true, 0x40), TO + 2 * m1 + 0xffc, 2);
	/* b.cond, cbz, tbz: themselves within their reach, else the inverted
	 * test over a b, which reaches +-128 MiB from TO + 4. */
	for (unsigned cond = 0; cond < 14; cond++) {
		expect_len(mk_bcond(cond, 0x40), TO - 0x40 + m1 - 4, 1);
		expect_len(mk_bcond(cond, 0x40), TO - 0x40 + m1, 2);
		expect_len(mk_bcond(cond, -0x40), TO + 0x40 - m1, 1);
		expect_len(mk_bcond(cond, -0x40), TO + 0x40 - m1 - 4, 2);
		expect_len(mk_bcond(cond, 0x40), TO + 4 - 0x40 + m128 - 4, 2);
		expect_len(mk_bcond(cond, 0x40), TO + 4 - 0x40 + m128, 0);
		expect_len(mk_bcond(cond, -0x40), TO + 4 + 0x40 - m128, 2);
		expect_len(mk_bcond(cond, -0x40), TO + 4 + 0x40 - m128 - 4, 0);
	}
	for (unsigned cond = 14; cond < 16; cond++) { /* al, nv: b */
		expect_len(mk_bcond(cond, 0x40), TO - 0x40 + m128 - 4, 1);
		expect_len(mk_bcond(cond, 0x40), TO - 0x40 + m128, 0);
		expect_len(mk_bcond(cond, 0x40) | 0x10, TO - 0x40 + m1, 1); /* bc.al */
	}
	for (unsigned i = 0; i < 4; i++) {
		bool sf = i & 1, nz = i & 2;

		expect_len(mk_cb(sf, nz, 9, 0x40), TO - 0x40 + m1 - 4, 1);
		expect_len(mk_cb(sf, nz, 9, 0x40), TO - 0x40 + m1, 2);
		expect_len(mk_cb(sf, nz, 31, -0x40), TO + 0x40 - m1, 1);
		expect_len(mk_cb(sf, nz, 31, -0x40), TO + 0x40 - m1 - 4, 2);
		expect_len(mk_cb(sf, nz, 17, 0x40), TO + 4 - 0x40 + m128 - 4, 2);
		expect_len(mk_cb(sf, nz, 17, 0x40), TO + 4 - 0x40 + m128, 0);
		expect_len(mk_tb(sf ? 63 : 0, nz, 3, 0x40), TO - 0x40 + k32 - 4, 1);
		expect_len(mk_tb(sf ? 33 : 31, nz, 3, 0x40), TO - 0x40 + k32, 2);
		expect_len(mk_tb(sf ? 32 : 7, nz, 3, -0x40), TO + 0x40 - k32, 1);
		expect_len(mk_tb(sf ? 40 : 8, nz, 3, -0x40), TO + 0x40 - k32 - 4, 2);
		expect_len(mk_tb(5, nz, 3, -0x40), TO + 4 + 0x40 - m128, 2);
		expect_len(mk_tb(5, nz, 3, -0x40), TO + 4 + 0x40 - m128 - 4, 0);
	}
}

/* Every condition with every flag value, every CB/TB register and bit,
 * near (one word) and far (inverted + b), forwards and backwards. */
static void test_conditions(void **state)
{
	static const int64_t tos[] = {0x1000, -0x1000, 64 * (int64_t)MIB, -64 * (int64_t)MIB};

	for (unsigned t = 0; t < ARRAY_SIZE(tos); t++) {
		uint64_t from = TO - (uint64_t)tos[t];

		for (unsigned cond = 0; cond < 16; cond++)
			for (int64_t off = -0x100000; off < 0x100000; off += 0x3fffc)
				check_one(mk_bcond(cond, off), from, TO, 16);
		for (unsigned rt = 0; rt < 32; rt++)
			for (unsigned i = 0; i < 4; i++)
				check_one(mk_cb(i & 1, i & 2, rt, i & 1 ? -0x80 : 0xffffc), from,
					  TO, 8);
		for (unsigned bit = 0; bit < 64; bit++)
			for (unsigned i = 0; i < 4; i++)
				check_one(
				    mk_tb(bit, i & 1, (bit + i) % 32, i & 2 ? -0x8000 : 0x7ffc),
				    from, TO, 8);
	}
}

/* A one-instruction loop stays in the copy; a call to itself re-enters. */
static void test_self_loop(void **state)
{
	const uint64_t from = TO - 0x10000;
	uint32_t out[PFE_RELOC_MAX];
	enum pfe_reloc_why why;

	assert_int_equal(pfe_reloc_insn(mk_b(false, 0), from, TO, out, PFE_RELOC_MAX, &why), 1);
	assert_int_equal(out[0], mk_b(false, 0));
	assert_int_equal(pfe_reloc_insn(mk_bcond(1, 0), from, TO, out, PFE_RELOC_MAX, &why), 1);
	assert_int_equal(out[0], mk_bcond(1, 0));
	assert_int_equal(pfe_reloc_insn(mk_cb(1, 0, 4, 0), from, TO, out, PFE_RELOC_MAX, &why), 1);
	assert_int_equal(out[0], mk_cb(1, 0, 4, 0));
	assert_int_equal(pfe_reloc_insn(mk_tb(9, 1, 4, 0), from, TO, out, PFE_RELOC_MAX, &why), 1);
	assert_int_equal(out[0], mk_tb(9, 1, 4, 0));
	/* bl . : x30 = from + 4, then b from (the site). */
	assert_int_equal(pfe_reloc_insn(mk_b(true, 0), from, TO, out, PFE_RELOC_MAX, &why), 2);
	assert_int_equal(out[0], mk_adr(30, -0xfffc));
	assert_int_equal(out[1], mk_b(false, -0x10004));
	for (unsigned i = 0; i < 16; i++) {
		check_one(mk_b(false, 0), from, TO, 2);
		check_one(mk_bcond(i, 0), from, TO, 16);
		check_one(mk_cb(i & 1, i & 2, i, 0), from, TO, 8);
		check_one(mk_tb(i * 4, i & 1, i, 0), from, TO, 8);
		check_one(mk_b(true, 0), from, TO, 2);
		/* Far: the inverted test over `b to`. */
		check_one(mk_bcond(i, 0), TO + 64 * MIB, TO, 16);
		check_one(mk_cb(i & 1, i & 2, i, 0), TO + 64 * MIB, TO, 8);
		check_one(mk_tb(i * 4, i & 1, i, 0), TO - 64 * MIB, TO, 8);
	}
}

struct sample {
	uint32_t insn;
	enum pfe_insn_class class;
	const char *text;
};

/* Words from the cross assembler (binutils 2.40). */
static const struct sample samples[] = {
    {0xa9bf7bfd, PFE_INSN_CLASS_PLAIN, "stp x29, x30, [sp, #-16]!"},
    {0x910003fd, PFE_INSN_CLASS_PLAIN, "mov x29, sp"},
    {0xd10103ff, PFE_INSN_CLASS_PLAIN, "sub sp, sp, #0x40"},
    {0x91001020, PFE_INSN_CLASS_PLAIN, "add x0, x1, #0x4"},
    {0xd2800020, PFE_INSN_CLASS_PLAIN, "mov x0, #0x1"},
    {0xf9400020, PFE_INSN_CLASS_PLAIN, "ldr x0, [x1]"},
    {0xf8626820, PFE_INSN_CLASS_PLAIN, "ldr x0, [x1, x2]"},
    {0xb9000fe3, PFE_INSN_CLASS_PLAIN, "str w3, [sp, #12]"},
    {0xad400400, PFE_INSN_CLASS_PLAIN, "ldp q0, q1, [x0]"},
    {0x9e670020, PFE_INSN_CLASS_PLAIN, "fmov d0, x1"},
    {0x1e222820, PFE_INSN_CLASS_PLAIN, "fadd s0, s1, s2"},
    {0xf1000c1f, PFE_INSN_CLASS_PLAIN, "cmp x0, #0x3"},
    {0x9a820020, PFE_INSN_CLASS_PLAIN, "csel x0, x1, x2, eq"},
    {0xd4000001, PFE_INSN_CLASS_PLAIN, "svc #0x0"},
    {0xd65f03c0, PFE_INSN_CLASS_PLAIN, "ret"},
    {0xd61f0200, PFE_INSN_CLASS_PLAIN, "br x16"},
    {0xd65f0bff, PFE_INSN_CLASS_PLAIN, "retaa"},
    {0xd61f087f, PFE_INSN_CLASS_PLAIN, "braaz x3"},
    {0xd63f0100, PFE_INSN_CLASS_LINK, "blr x8"},
    {0xd73f0801, PFE_INSN_CLASS_LINK, "blraa x0, x1"},
    {0xd63f085f, PFE_INSN_CLASS_LINK, "blraaz x2"},
    {0xd53bd040, PFE_INSN_CLASS_PLAIN, "mrs x0, tpidr_el0"},
    {0xd51b4201, PFE_INSN_CLASS_PLAIN, "msr nzcv, x1"},
    {0xd5033bbf, PFE_INSN_CLASS_PLAIN, "dmb ish"},
    {0xd5033fdf, PFE_INSN_CLASS_PLAIN, "isb"},
    {0xd503233f, PFE_INSN_CLASS_PLAIN, "paciasp"},
    {0xd50323bf, PFE_INSN_CLASS_PLAIN, "autiasp"},
    {0xd503245f, PFE_INSN_CLASS_PLAIN, "bti c"},
    {0xd503201f, PFE_INSN_CLASS_PLAIN, "nop"},
    {0xd503203f, PFE_INSN_CLASS_PLAIN, "yield"},
    {0xd5033f5f, PFE_INSN_CLASS_PLAIN, "clrex"},
    {0xc8dffc20, PFE_INSN_CLASS_PLAIN, "ldar x0, [x1]"},
    {0x889ffc20, PFE_INSN_CLASS_PLAIN, "stlr w0, [x1]"},
    {0xf8bfc020, PFE_INSN_CLASS_PLAIN, "ldapr x0, [x1]"},
    {0xf8200041, PFE_INSN_CLASS_PLAIN, "ldadd x0, x1, [x2]"},
    {0xc8a07c41, PFE_INSN_CLASS_PLAIN, "cas x0, x1, [x2]"},
    {0x48207c82, PFE_INSN_CLASS_PLAIN, "casp x0, x1, x2, x3, [x4]"},
    {0xa5e0a000, PFE_INSN_CLASS_PLAIN, "ld1d {z0.d}, p0/z, [x0]"},
    {0xd9200820, PFE_INSN_CLASS_PLAIN, "stg x0, [x1]"},
    {0x9adf1020, PFE_INSN_CLASS_PLAIN, "irg x0, x1"},
    {0x10000001, PFE_INSN_CLASS_ADR, "adr x1, ."},
    {0x90000001, PFE_INSN_CLASS_ADRP, "adrp x1, ."},
    {0x18000080, PFE_INSN_CLASS_LDR_LIT, "ldr w0, .+16"},
    {0x58000080, PFE_INSN_CLASS_LDR_LIT, "ldr x0, .+16"},
    {0x98000080, PFE_INSN_CLASS_LDR_LIT, "ldrsw x0, .+16"},
    {0xd8000080, PFE_INSN_CLASS_PRFM_LIT, "prfm pldl1keep, .+16"},
    {0x1c000080, PFE_INSN_CLASS_LDR_LIT_FP, "ldr s0, .+16"},
    {0x5c000080, PFE_INSN_CLASS_LDR_LIT_FP, "ldr d0, .+16"},
    {0x9c000080, PFE_INSN_CLASS_LDR_LIT_FP, "ldr q0, .+16"},
    {0x14000000, PFE_INSN_CLASS_B, "b ."},
    {0x94000000, PFE_INSN_CLASS_BL, "bl ."},
    {0x54000000, PFE_INSN_CLASS_B_COND, "b.eq ."},
    {0x54000010, PFE_INSN_CLASS_B_COND, "bc.eq ."},
    {0x34000001, PFE_INSN_CLASS_CB, "cbz w1, ."},
    {0xb5000001, PFE_INSN_CLASS_CB, "cbnz x1, ."},
    {0x36000001, PFE_INSN_CLASS_TB, "tbz w1, #0, ."},
    {0xb7f80001, PFE_INSN_CLASS_TB, "tbnz x1, #63, ."},
    {0x00000000, PFE_INSN_CLASS_UNDECODED, "udf #0"},
    {0x0000ffff, PFE_INSN_CLASS_UNDECODED, "udf #0xffff"},
    {0x80000000, PFE_INSN_CLASS_UNDECODED, "SME (op0 0000, bit 31)"},
    {0x02000000, PFE_INSN_CLASS_UNDECODED, "op0 0001"},
    {0x06000000, PFE_INSN_CLASS_UNDECODED, "op0 0011"},
    {0x74000000, PFE_INSN_CLASS_UNDECODED, "FEAT_CMPBR cb<cc>: PC-relative"},
    {0x55000000, PFE_INSN_CLASS_UNDECODED, "b.cond with o1 = 1"},
    {0xd6600000, PFE_INSN_CLASS_UNDECODED, "branch register opc 0011"},
    {0x56000000, PFE_INSN_CLASS_UNDECODED, "branch group, unallocated"},
    {0xdc000000, PFE_INSN_CLASS_UNDECODED, "ldr literal V=1 opc=3"},
    {0xd4200000, PFE_INSN_CLASS_TRAP, "brk #0"},
    {0xd4207d00, PFE_INSN_CLASS_TRAP, "brk #0x3e8 (__builtin_trap)"},
    {0xd4400000, PFE_INSN_CLASS_TRAP, "hlt #0"},
    {0xd4000002, PFE_INSN_CLASS_TRAP, "hvc #0"},
    {0xd4000003, PFE_INSN_CLASS_TRAP, "smc #0"},
    {0xd4a00001, PFE_INSN_CLASS_TRAP, "dcps1"},
    {0xd69f03e0, PFE_INSN_CLASS_TRAP, "eret"},
    {0xd6bf03e0, PFE_INSN_CLASS_TRAP, "drps"},
    {0xc85f7c20, PFE_INSN_CLASS_EXCLUSIVE, "ldxr x0, [x1]"},
    {0x885ffc20, PFE_INSN_CLASS_EXCLUSIVE, "ldaxr w0, [x1]"},
    {0xc8027c20, PFE_INSN_CLASS_EXCLUSIVE, "stxr w2, x0, [x1]"},
    {0xc802fc20, PFE_INSN_CLASS_EXCLUSIVE, "stlxr w2, x0, [x1]"},
    {0xc87f0440, PFE_INSN_CLASS_EXCLUSIVE, "ldxp x0, x1, [x2]"},
    {0xc8230440, PFE_INSN_CLASS_EXCLUSIVE, "stxp w3, x0, x1, [x2]"},
    {0x085f7c20, PFE_INSN_CLASS_EXCLUSIVE, "ldxrb w0, [x1]"},
    {0x19010440, PFE_INSN_CLASS_SEQUENCE, "cpyfp [x0]!, [x1]!, x2!"},
    {0x19410440, PFE_INSN_CLASS_SEQUENCE, "cpyfm [x0]!, [x1]!, x2!"},
    {0x19810440, PFE_INSN_CLASS_SEQUENCE, "cpyfe [x0]!, [x1]!, x2!"},
    {0x1d010440, PFE_INSN_CLASS_SEQUENCE, "cpyp [x0]!, [x1]!, x2!"},
    {0x19c20420, PFE_INSN_CLASS_SEQUENCE, "setp [x0]!, x1!, x2"},
    {0x19c24420, PFE_INSN_CLASS_SEQUENCE, "setm [x0]!, x1!, x2"},
    {0x19c28420, PFE_INSN_CLASS_SEQUENCE, "sete [x0]!, x1!, x2"},
    /* Near misses, found by comparing with objdump over 2M random words. */
    {0xd90b47b5, PFE_INSN_CLASS_PLAIN, "size 11 of the MOPS pattern: MTE space"},
    {0xd63408fd, PFE_INSN_CLASS_UNDECODED, "blr with op2 != 0b11111"},
};

/* Each sample's class; copied ones come back as they are, refused ones
 * with their reason, and nothing is written for them. */
static void test_classify(void **state)
{
	for (unsigned i = 0; i < ARRAY_SIZE(samples); i++) {
		const struct sample *s = &samples[i];
		uint32_t out[PFE_RELOC_MAX] = {SENTINEL};
		enum pfe_reloc_why why = PFE_RELOC_WHY_COUNT;
		int n;

		if (pfe_insn_classify(s->insn) != s->class)
			fail_msg("%08x %s: class %d, expected %d", s->insn, s->text,
				 pfe_insn_classify(s->insn), s->class);
		n = pfe_reloc_insn(s->insn, 0x400000, 0x500000, out, PFE_RELOC_MAX, &why);
		if (!pfe_insn_class_relocatable(s->class)) {
			assert_int_equal(n, -ENOTSUP);
			assert_int_equal(why, why_of(s->class));
			assert_int_equal(out[0], SENTINEL);
		} else {
			assert_true(n >= 1);
			assert_int_equal(why, PFE_RELOC_OK);
		}
		if (s->class == PFE_INSN_CLASS_PLAIN || s->class == PFE_INSN_CLASS_LINK) {
			assert_int_equal(n, 1);
			assert_int_equal(out[0], s->insn);
			assert_false(pfe_insn_pcrel_target(s->insn, 0x400000, &(uint64_t){0}));
		}
	}
}

/* Bad addresses, short buffers, and the names of the reasons. */
static void test_errors(void **state)
{
	uint32_t out[PFE_RELOC_MAX + 1];
	enum pfe_reloc_why why;
	const uint32_t bl = mk_b(true, 0x40);

	assert_int_equal(pfe_reloc_insn(bl, 0x400002, 0x500000, out, 5, &why), -EINVAL);
	assert_int_equal(why, PFE_RELOC_MISALIGNED);
	assert_int_equal(pfe_reloc_insn(0xd503201f, 0x400000, 0x500001, out, 5, &why), -EINVAL);
	assert_int_equal(why, PFE_RELOC_MISALIGNED);
	/* bl from 16 MiB away: adrp, add, b; exactly three words of room. */
	out[2] = SENTINEL;
	assert_int_equal(pfe_reloc_insn(bl, 0x400000, 0x1400000, out, 2, &why), -ENOSPC);
	assert_int_equal(why, PFE_RELOC_NOSPACE);
	assert_int_equal(pfe_reloc_insn(bl, 0x400000, 0x1400000, out, 3, &why), 3);
	assert_int_equal(why, PFE_RELOC_OK);
	assert_int_equal(pfe_reloc_insn(0xd503201f, 0x400000, 0x500000, out, 0, &why), -ENOSPC);
	assert_int_equal(pfe_reloc_insn(0xd503201f, 0x400000, 0x500000, out, 1, NULL), 1);
	assert_int_equal(pfe_reloc_insn(0xd4200000, 0x400000, 0x500000, out, 1, NULL), -ENOTSUP);
	assert_int_equal(
	    pfe_reloc_insn(mk_b(false, 4), 0x400000, 0x400000 + 256 * MIB, out, 1, NULL), -ERANGE);

	/* A literal over the displaced word would read the patched b. */
	static const struct {
		uint32_t insn;
		bool refused;
	} lits[] = {
	    {0x58000000, true},	 /* ldr x0, . */
	    {0x58ffffe0, true},	 /* ldr x0, .-4: 8 bytes up to from + 4 */
	    {0x58ffffc0, false}, /* ldr x0, .-8 */
	    {0x18ffffe0, false}, /* ldr w0, .-4 */
	    {0x18000000, true},	 /* ldr w0, . */
	    {0x98000000, true},	 /* ldrsw x0, . */
	    {0x9cffffa0, true},	 /* ldr q0, .-12 */
	    {0x9cffff80, false}, /* ldr q0, .-16 */
	    {0x5cffffe0, true},	 /* ldr d0, .-4 */
	    {0x1c000000, true},	 /* ldr s0, . */
	    {0x1c000020, false}, /* ldr s0, .+4 */
	    {0xd8000000, false}, /* prfm pldl1keep, .: reads nothing */
	};
	for (unsigned i = 0; i < ARRAY_SIZE(lits); i++) {
		int n = pfe_reloc_insn(lits[i].insn, 0x400000, 0x480000, out, 5, &why);

		if (lits[i].refused) {
			assert_int_equal(n, -ENOTSUP);
			assert_int_equal(why, PFE_RELOC_READS_SITE);
		} else {
			assert_int_equal(n, 1);
			assert_int_equal(why, PFE_RELOC_OK);
			check_one(lits[i].insn, 0x400000, 0x480000, 4);
		}
	}

	assert_string_equal(pfe_reloc_why_str(PFE_RELOC_UNDECODED), "cannot decode");
	assert_string_equal(pfe_reloc_why_str(PFE_RELOC_RANGE), "target out of range");
	assert_string_equal(pfe_reloc_why_str(PFE_RELOC_LOOP),
			    "loop back to the displaced instruction");
	assert_string_equal(pfe_reloc_why_str(PFE_RELOC_WHY_COUNT), "?");
	assert_string_equal(pfe_reloc_why_str((enum pfe_reloc_why) - 1), "?");
	for (int i = 0; i < PFE_RELOC_WHY_COUNT; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(pfe_reloc_why_str(i), pfe_reloc_why_str(j));
}

/* The scanner: branches into [lo, hi) from outside, not calls, not the
 * displaced instruction's own, not address computations. */
static void test_branches_to(void **state)
{
	const uint64_t start = 0x7000001000, lo = start + 4, hi = lo + 4;
	uint32_t body[8];

	for (unsigned i = 0; i < 8; i++)
		body[i] = 0xd503201f;
	body[0] = 0xd503245f; /* bti c */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));

	body[1] = mk_b(false, 0); /* b . at lo itself: relocated, redirected */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));

	body[5] = mk_b(false, -0x10); /* b lo from start + 20 */
	assert_true(pfe_reloc_branches_to(body, 8, start, lo, hi));
	assert_false(pfe_reloc_branches_to(body, 5, start, lo, hi)); /* not scanned */
	body[5] = mk_b(false, -0x14);				     /* b start: the bti, outside */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_b(false, -0xc); /* b hi */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_b(true, -0x10); /* bl lo: a recursive call */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_adr(0, -0x10); /* adr x0, lo */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_adrp(0, 0);
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_ldr_lit(1, 0, 0, -0x10); /* a literal at lo */
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_bcond(11, -0x10);
	assert_true(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_cb(1, 1, 3, -0x10);
	assert_true(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = mk_tb(40, 0, 3, -0x10);
	assert_true(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[5] = 0xd503201f;
	body[7] = mk_tb(40, 0, 3, -0x18); /* tbz from the last word to lo */
	assert_true(pfe_reloc_branches_to(body, 8, start, lo, hi));
	body[7] = mk_b(false, -0x1c);
	assert_false(pfe_reloc_branches_to(body, 8, start, lo, hi));
	/* A wider displaced range: [start, start + 8). */
	assert_true(pfe_reloc_branches_to(body, 8, start, start, hi));
	assert_false(pfe_reloc_branches_to(body, 0, start, lo, hi));
	/* A branch before the range, forward into it. */
	body[0] = mk_cb(0, 0, 1, 4);
	body[7] = 0xd503201f;
	assert_true(pfe_reloc_branches_to(body, 8, start, lo, hi));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),	cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_branches_to), cmocka_unit_test(test_self_loop),
	    cmocka_unit_test(test_limits),	cmocka_unit_test(test_conditions),
	    cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
