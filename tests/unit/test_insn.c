/* SPDX-License-Identifier: MIT */
/*
 * insn.c: every encoder against the architecture's bit layout, both exact
 * ends of each range and one step past them, alignment, and (on arm64) the
 * words the assembler itself produces. tests/host/test_insn.c includes this
 * file for a native build with every imm26 value round-tripped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "insn.h"

/* Round-trip every PFE_INSN_STRIDE-th imm26 value from pcs[0] (1 = all 2^26 on the host). */
#ifndef PFE_INSN_STRIDE
#define PFE_INSN_STRIDE 4099
#endif

#define MIB (UINT64_C(1) << 20)
/* A pc with room on both sides, and one near each end of the address space. */
static const uintptr_t pcs[] = {
    0x40000000, 0x5500001234 & ~(uintptr_t)3, 0x7ffff0000000, 0x4, 0x7fffffc, UINTPTR_MAX - 3};

static void test_constants(void **state)
{
	assert_int_equal(PFE_INSN_NOP, 0xd503201f);
	assert_int_equal(PFE_INSN_BTI_C, 0xd503245f);
	assert_int_equal(PFE_INSN_MOV_X9_X30, 0xaa1e03e9);
	assert_int_equal(pfe_insn_mov_reg(9, 30), PFE_INSN_MOV_X9_X30);
	assert_int_equal(PFE_INSN_BAD, 0xd420bfc0);
	assert_int_equal(PFE_INSN_BRK(0), 0xd4200000);
	assert_int_equal(PFE_INSN_BRK(0xffff), 0xd43fffe0);
	assert_int_equal(PFE_BL_RANGE_NEG, -0x8000000);
	assert_int_equal(PFE_BL_RANGE_POS, 0x7fffffc);
}

static void test_reachable_ends(void **state)
{
	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		uintptr_t pc = pcs[i];
		bool room_up = pc <= UINTPTR_MAX - 0x8000000;
		bool room_down = pc >= 0x8000004;

		assert_true(pfe_insn_reachable_by_bl(pc, pc));
		if (room_up) {
			assert_true(pfe_insn_reachable_by_bl(pc, pc + 4));
			assert_true(pfe_insn_reachable_by_bl(pc, pc + 0x7fffffc));
			assert_false(pfe_insn_reachable_by_bl(pc, pc + 0x8000000));
			assert_false(pfe_insn_reachable_by_bl(pc, pc + 0x8000004));
			/* Misaligned targets, even inside the range. */
			assert_false(pfe_insn_reachable_by_bl(pc, pc + 1));
			assert_false(pfe_insn_reachable_by_bl(pc, pc + 2));
			assert_false(pfe_insn_reachable_by_bl(pc, pc + 0x7fffffe));
		}
		if (room_down) {
			assert_true(pfe_insn_reachable_by_bl(pc, pc - 4));
			assert_true(pfe_insn_reachable_by_bl(pc, pc - 0x8000000));
			assert_false(pfe_insn_reachable_by_bl(pc, pc - 0x8000004));
			assert_false(pfe_insn_reachable_by_bl(pc, pc - 0x7fffffe));
		}
		/* Misaligned pc. */
		assert_false(pfe_insn_reachable_by_bl(pc + 1, pc + 1));
		assert_false(pfe_insn_reachable_by_bl(pc | 2, pc));
	}
	/* No wrap-around: 0 and the top of the address space are far apart. */
	assert_false(pfe_insn_reachable_by_bl(0, UINTPTR_MAX - 3));
	assert_false(pfe_insn_reachable_by_bl(UINTPTR_MAX - 3, 0));
	assert_false(pfe_insn_reachable_by_bl(4, UINTPTR_MAX - 3));
	assert_true(pfe_insn_reachable_by_bl(0, 0x7fffffc));
	assert_false(pfe_insn_reachable_by_bl(0, 0x8000000));
}

static void test_branch_ends(void **state)
{
	uintptr_t pc = 0x40000000;

	assert_int_equal(pfe_insn_bl(pc, pc), 0x94000000);
	assert_int_equal(pfe_insn_bl(pc, pc + 4), 0x94000001);
	assert_int_equal(pfe_insn_bl(pc, pc - 4), 0x97ffffff);
	assert_int_equal(pfe_insn_bl(pc, pc + 0x7fffffc), 0x95ffffff);
	assert_int_equal(pfe_insn_bl(pc, pc - 0x8000000), 0x96000000);
	assert_int_equal(pfe_insn_bl(pc, pc + 0x8000000), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_bl(pc, pc - 0x8000004), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_bl(pc, pc + 2), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_bl(pc + 1, pc + 8), PFE_INSN_BAD);

	assert_int_equal(pfe_insn_b(pc, pc), 0x14000000);
	assert_int_equal(pfe_insn_b(pc, pc + 4), 0x14000001);
	assert_int_equal(pfe_insn_b(pc, pc - 4), 0x17ffffff);
	assert_int_equal(pfe_insn_b(pc, pc + 0x7fffffc), 0x15ffffff);
	assert_int_equal(pfe_insn_b(pc, pc - 0x8000000), 0x16000000);
	assert_int_equal(pfe_insn_b(pc, pc + 0x8000000), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_b(pc, pc - 0x8000004), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_b(pc, pc + 6), PFE_INSN_BAD);
}

static void test_branch_decode(void **state)
{
	uintptr_t pc = 0x40000000, t = 0;

	assert_true(pfe_insn_branch_target(pc, 0x95ffffff, &t));
	assert_int_equal(t, pc + 0x7fffffc);
	assert_true(pfe_insn_branch_target(pc, 0x96000000, &t));
	assert_int_equal(t, pc - 0x8000000);
	assert_true(pfe_insn_branch_target(pc, 0x17ffffff, &t));
	assert_int_equal(t, pc - 4);
	assert_true(pfe_insn_is_bl(0x94000000));
	assert_false(pfe_insn_is_b(0x94000000));
	assert_true(pfe_insn_is_b(0x14000000));
	assert_false(pfe_insn_is_bl(0x14000000));

	/* Neither B nor BL: the target is left alone. */
	static const uint32_t others[] = {PFE_INSN_NOP,
					  PFE_INSN_MOV_X9_X30,
					  PFE_INSN_BTI_C,
					  PFE_INSN_BAD,
					  0x54000000 /* b.eq */,
					  0xb4000000 /* cbz */,
					  0xd63f0200 /* blr x16 */,
					  0x18000000,
					  0xd4000000};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		t = 0x1234;
		assert_false(pfe_insn_branch_target(pc, others[i], &t));
		assert_int_equal(t, 0x1234);
		assert_false(pfe_insn_is_b(others[i]));
		assert_false(pfe_insn_is_bl(others[i]));
	}
}

/* Every (strided) imm26: encode, decode and the range predicate agree. */
static void test_branch_roundtrip(void **state)
{
	for (size_t k = 0; k < sizeof(pcs) / sizeof(pcs[0]); k++) {
		uintptr_t pc = pcs[k];
		/* The first pc gets the full stride; the others sample. */
		uint64_t step = k == 0 ? PFE_INSN_STRIDE : 4099;
		unsigned long n = 0;

		for (uint64_t imm = 0; imm <= 0x3ffffff; imm += step) {
			int64_t off = ((int64_t)imm - (imm & 0x2000000 ? 0x4000000 : 0)) * 4;
			uintptr_t target = pc + (uintptr_t)off, got = 0;
			bool wraps = off >= 0 ? target < pc : target > pc;

			if (wraps) {
				/* Would need to wrap around the address space. */
				assert_false(pfe_insn_reachable_by_bl(pc, target));
				assert_int_equal(pfe_insn_bl(pc, target), PFE_INSN_BAD);
				continue;
			}
			assert_true(pfe_insn_reachable_by_bl(pc, target));
			assert_int_equal(pfe_insn_bl(pc, target), 0x94000000 | imm);
			assert_int_equal(pfe_insn_b(pc, target), 0x14000000 | imm);
			assert_true(pfe_insn_branch_target(pc, 0x94000000 | (uint32_t)imm, &got));
			assert_int_equal(got, target);
			assert_true(pfe_insn_branch_target(pc, 0x14000000 | (uint32_t)imm, &got));
			assert_int_equal(got, target);
			n++;
		}
		if (k == 0)
			assert_int_equal(n, (0x3ffffffu / PFE_INSN_STRIDE) + 1);
	}
}

static void test_mov_ldr_br(void **state)
{
	uintptr_t pc = 0x40000000;

	assert_int_equal(pfe_insn_mov_reg(0, 1), 0xaa0103e0);
	assert_int_equal(pfe_insn_mov_reg(30, 9), 0xaa0903fe);
	assert_int_equal(pfe_insn_mov_reg(31, 0), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_mov_reg(0, 31), PFE_INSN_BAD);

	assert_int_equal(pfe_insn_ldr_lit(pc, pc + 8, 16), 0x58000050);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc, 0), 0x58000000);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc + MIB - 4, 17), 0x587ffff1);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc - MIB, 1), 0x58800001);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc - 4, 2), 0x58ffffe2);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc + MIB, 16), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc - MIB - 4, 16), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc + 6, 16), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_ldr_lit(pc + 2, pc + 8, 16), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_ldr_lit(pc, pc + 8, 31), PFE_INSN_BAD);

	assert_int_equal(pfe_insn_br(16), 0xd61f0200);
	assert_int_equal(pfe_insn_blr(17), 0xd63f0220);
	assert_int_equal(pfe_insn_ret(30), 0xd65f03c0);
	assert_int_equal(pfe_insn_ret(16), 0xd65f0200);
	assert_int_equal(pfe_insn_br(31), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_blr(31), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_ret(31), PFE_INSN_BAD);

	/* stp x9, x10, [sp, #-80]! and the extremes of imm7. */
	assert_int_equal(pfe_insn_stp_push(9, 10, 80), 0xa9bb2be9);
	assert_int_equal(pfe_insn_stp_push(9, 10, 464), 0xa9a32be9);
	assert_int_equal(pfe_insn_stp_push(29, 30, 512), 0xa9a07bfd);
	assert_int_equal(pfe_insn_stp_push(29, 30, 8), 0xa9bffbfd);
	assert_int_equal(pfe_insn_stp_push(9, 10, 0), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_stp_push(9, 10, 520), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_stp_push(9, 10, 84), PFE_INSN_BAD);
	assert_int_equal(pfe_insn_stp_push(31, 10, 80), PFE_INSN_BAD);
}

#ifdef __aarch64__
/* The assembler's own encodings, each placed at its own address. */
__asm__(".pushsection .rodata.pfe_insn_ref, \"a\"\n"
	".balign 4\n"
	"insn_ref:\n"
	"	bl	. + 0x7fffffc\n"	  /* 0 */
	"	bl	. - 0x8000000\n"	  /* 1 */
	"	b	. + 0x7fffffc\n"	  /* 2 */
	"	b	. - 0x8000000\n"	  /* 3 */
	"	bl	. + 0x123454\n"		  /* 4 */
	"	b	. - 0x40\n"		  /* 5 */
	"	ldr	x16, . + 8\n"		  /* 6 */
	"	ldr	x17, . + 0xffffc\n"	  /* 7 */
	"	ldr	x0, . - 0x100000\n"	  /* 8 */
	"	br	x16\n"			  /* 9 */
	"	blr	x17\n"			  /* 10 */
	"	ret	x16\n"			  /* 11 */
	"	mov	x9, x30\n"		  /* 12 */
	"	nop\n"				  /* 13 */
	"	hint	#34\n"			  /* 14: bti c */
	"	brk	#0x5fe\n"		  /* 15 */
	"	stp	x9, x10, [sp, #-464]!\n"  /* 16 */
	"	stp	x29, x30, [sp, #-512]!\n" /* 17 */
	".popsection\n");
extern const uint32_t insn_ref[] __attribute__((visibility("hidden")));

static void test_assembler_agrees(void **state)
{
	const uint32_t *r = insn_ref;
#define AT(i) ((uintptr_t)&r[i])
	assert_int_equal(pfe_insn_bl(AT(0), AT(0) + 0x7fffffc), r[0]);
	assert_int_equal(pfe_insn_bl(AT(1), AT(1) - 0x8000000), r[1]);
	assert_int_equal(pfe_insn_b(AT(2), AT(2) + 0x7fffffc), r[2]);
	assert_int_equal(pfe_insn_b(AT(3), AT(3) - 0x8000000), r[3]);
	assert_int_equal(pfe_insn_bl(AT(4), AT(4) + 0x123454), r[4]);
	assert_int_equal(pfe_insn_b(AT(5), AT(5) - 0x40), r[5]);
	assert_int_equal(pfe_insn_ldr_lit(AT(6), AT(6) + 8, 16), r[6]);
	assert_int_equal(pfe_insn_ldr_lit(AT(7), AT(7) + 0xffffc, 17), r[7]);
	assert_int_equal(pfe_insn_ldr_lit(AT(8), AT(8) - 0x100000, 0), r[8]);
	assert_int_equal(pfe_insn_br(16), r[9]);
	assert_int_equal(pfe_insn_blr(17), r[10]);
	assert_int_equal(pfe_insn_ret(16), r[11]);
	assert_int_equal(PFE_INSN_MOV_X9_X30, r[12]);
	assert_int_equal(PFE_INSN_NOP, r[13]);
	assert_int_equal(PFE_INSN_BTI_C, r[14]);
	assert_int_equal(PFE_INSN_BAD, r[15]);
	assert_int_equal(pfe_insn_stp_push(9, 10, 464), r[16]);
	assert_int_equal(pfe_insn_stp_push(29, 30, 512), r[17]);
#undef AT
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_constants),	     cmocka_unit_test(test_reachable_ends),
	    cmocka_unit_test(test_branch_ends),	     cmocka_unit_test(test_branch_decode),
	    cmocka_unit_test(test_branch_roundtrip), cmocka_unit_test(test_mov_ldr_br),
#ifdef __aarch64__
	    cmocka_unit_test(test_assembler_agrees),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
