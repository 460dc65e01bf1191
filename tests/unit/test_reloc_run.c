/* SPDX-License-Identifier: MIT */
/*
 * Relocated sequences run for real (under qemu, or on an arm64 machine),
 * against tests/unit/reloc_sim.h's run of the original instruction: the
 * host test (tests/host/test_reloc.c) shows simulated original == simulated
 * sequence over millions of cases; this shows the simulator's reading of
 * the originals is what the processor does with the sequences, so the two
 * together do not rest on one person's reading of the architecture.
 *
 * An executable region holds an entry stub, the sequence at `to`, and a copy
 * of an exit stub at the sequence's end and at the branch target. The entry
 * loads x0-x30, NZCV and q0-q31 from a block and branches to `to`; the exit
 * stores them back with sp and its own address. Literal targets hold the
 * simulator's memory bytes. The original lives at an address `from` chosen
 * so its target lands in the region; it is only simulated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "insn.h"
#include "reloc.h"
#include "unit/reloc_sim.h"

#define MIB	    (UINT64_C(1) << 20)
#define REGION_SIZE (8 * MIB)
#define CASES	    2000

struct run_block {
	uint64_t x[31];	    /* 0 */
	uint64_t sp;	    /* 248: out, at the exit */
	uint64_t nzcv;	    /* 256: NZCV in bits 31..28 */
	uint64_t exit_pc;   /* 264: out, the exit's adr */
	uint64_t q[32][2];  /* 272 */
	uint64_t host[12];  /* 784: x19-x30 of the caller */
	uint64_t host_sp;   /* 880 */
	uint64_t entry_sp;  /* 888: sp the sequence starts with */
	uint64_t host_d[8]; /* 896: d8-d15 of the caller */
};

_Static_assert(offsetof(struct run_block, q) == 272, "run_block layout");
_Static_assert(offsetof(struct run_block, host) == 784, "run_block layout");
_Static_assert(offsetof(struct run_block, host_d) == 896, "run_block layout");

/*
 * Copied into the region, so they live in .rodata: position independent.
 * Hidden globals: a GOT reference to a local label would lose its offset
 * into the section.
 */
#pragma GCC visibility push(hidden)
extern const uint32_t run_entry[], run_entry_end[], run_exit[], run_exit_adr[], run_exit_end[];
#pragma GCC visibility pop
__asm__(".section .rodata\n"
	".balign 4\n"
	".globl run_entry, run_entry_end, run_exit, run_exit_adr, run_exit_end\n"
	".hidden run_entry, run_entry_end, run_exit, run_exit_adr, run_exit_end\n"
	"run_entry:\n"
	"	add x1, x0, #784\n"
	"	stp x19, x20, [x1, #0]\n"
	"	stp x21, x22, [x1, #16]\n"
	"	stp x23, x24, [x1, #32]\n"
	"	stp x25, x26, [x1, #48]\n"
	"	stp x27, x28, [x1, #64]\n"
	"	stp x29, x30, [x1, #80]\n"
	"	stp d8, d9, [x1, #112]\n"
	"	stp d10, d11, [x1, #128]\n"
	"	stp d12, d13, [x1, #144]\n"
	"	stp d14, d15, [x1, #160]\n"
	"	mov x2, sp\n"
	"	str x2, [x1, #96]\n"
	"	str x0, [sp, #-16]!\n"
	"	mov x2, sp\n"
	"	str x2, [x1, #104]\n"
	"	ldr x2, [x0, #256]\n"
	"	msr nzcv, x2\n"
	"	add x1, x0, #272\n"
	"	ldp q0, q1, [x1, #0]\n"
	"	ldp q2, q3, [x1, #32]\n"
	"	ldp q4, q5, [x1, #64]\n"
	"	ldp q6, q7, [x1, #96]\n"
	"	ldp q8, q9, [x1, #128]\n"
	"	ldp q10, q11, [x1, #160]\n"
	"	ldp q12, q13, [x1, #192]\n"
	"	ldp q14, q15, [x1, #224]\n"
	"	ldp q16, q17, [x1, #256]\n"
	"	ldp q18, q19, [x1, #288]\n"
	"	ldp q20, q21, [x1, #320]\n"
	"	ldp q22, q23, [x1, #352]\n"
	"	ldp q24, q25, [x1, #384]\n"
	"	ldp q26, q27, [x1, #416]\n"
	"	ldp q28, q29, [x1, #448]\n"
	"	ldp q30, q31, [x1, #480]\n"
	"	ldp x2, x3, [x0, #16]\n"
	"	ldp x4, x5, [x0, #32]\n"
	"	ldp x6, x7, [x0, #48]\n"
	"	ldp x8, x9, [x0, #64]\n"
	"	ldp x10, x11, [x0, #80]\n"
	"	ldp x12, x13, [x0, #96]\n"
	"	ldp x14, x15, [x0, #112]\n"
	"	ldp x16, x17, [x0, #128]\n"
	"	ldp x18, x19, [x0, #144]\n"
	"	ldp x20, x21, [x0, #160]\n"
	"	ldp x22, x23, [x0, #176]\n"
	"	ldp x24, x25, [x0, #192]\n"
	"	ldp x26, x27, [x0, #208]\n"
	"	ldp x28, x29, [x0, #224]\n"
	"	ldr x30, [x0, #240]\n"
	"	ldr x1, [x0, #8]\n"
	"	ldr x0, [x0]\n"
	"	nop\n" /* becomes b <to> */
	"run_entry_end:\n"
	"run_exit:\n"
	"	stp x0, x1, [sp, #-16]!\n"
	"	ldr x0, [sp, #16]\n"
	"	stp x2, x3, [x0, #16]\n"
	"	stp x4, x5, [x0, #32]\n"
	"	stp x6, x7, [x0, #48]\n"
	"	stp x8, x9, [x0, #64]\n"
	"	stp x10, x11, [x0, #80]\n"
	"	stp x12, x13, [x0, #96]\n"
	"	stp x14, x15, [x0, #112]\n"
	"	stp x16, x17, [x0, #128]\n"
	"	stp x18, x19, [x0, #144]\n"
	"	stp x20, x21, [x0, #160]\n"
	"	stp x22, x23, [x0, #176]\n"
	"	stp x24, x25, [x0, #192]\n"
	"	stp x26, x27, [x0, #208]\n"
	"	stp x28, x29, [x0, #224]\n"
	"	str x30, [x0, #240]\n"
	"	ldp x2, x3, [sp], #16\n"
	"	stp x2, x3, [x0, #0]\n"
	"	mov x2, sp\n"
	"	str x2, [x0, #248]\n"
	"	mrs x2, nzcv\n"
	"	str x2, [x0, #256]\n"
	"run_exit_adr:\n"
	"	adr x2, .\n"
	"	str x2, [x0, #264]\n"
	"	add x1, x0, #272\n"
	"	stp q0, q1, [x1, #0]\n"
	"	stp q2, q3, [x1, #32]\n"
	"	stp q4, q5, [x1, #64]\n"
	"	stp q6, q7, [x1, #96]\n"
	"	stp q8, q9, [x1, #128]\n"
	"	stp q10, q11, [x1, #160]\n"
	"	stp q12, q13, [x1, #192]\n"
	"	stp q14, q15, [x1, #224]\n"
	"	stp q16, q17, [x1, #256]\n"
	"	stp q18, q19, [x1, #288]\n"
	"	stp q20, q21, [x1, #320]\n"
	"	stp q22, q23, [x1, #352]\n"
	"	stp q24, q25, [x1, #384]\n"
	"	stp q26, q27, [x1, #416]\n"
	"	stp q28, q29, [x1, #448]\n"
	"	stp q30, q31, [x1, #480]\n"
	"	add x1, x0, #784\n"
	"	ldp x19, x20, [x1, #0]\n"
	"	ldp x21, x22, [x1, #16]\n"
	"	ldp x23, x24, [x1, #32]\n"
	"	ldp x25, x26, [x1, #48]\n"
	"	ldp x27, x28, [x1, #64]\n"
	"	ldp x29, x30, [x1, #80]\n"
	"	ldp d8, d9, [x1, #112]\n"
	"	ldp d10, d11, [x1, #128]\n"
	"	ldp d12, d13, [x1, #144]\n"
	"	ldp d14, d15, [x1, #160]\n"
	"	ldr x2, [x1, #96]\n"
	"	mov sp, x2\n"
	"	ret\n"
	"run_exit_end:\n"
	".previous\n");

static uint8_t *region;

static size_t words(const uint32_t *a, const uint32_t *b)
{
	return (size_t)(b - a);
}

static void put(uint64_t at, const uint32_t *w, size_t n)
{
	memcpy((void *)(uintptr_t)at, w, 4 * n);
}

static void put_exit(uint64_t at)
{
	put(at, run_exit, words(run_exit, run_exit_end));
}

/* The address the exit copied at @at stores. */
static uint64_t exit_id(uint64_t at)
{
	return at + 4 * words(run_exit, run_exit_adr);
}

static int setup(void **state)
{
	void *p =
	    mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	region = p;
	return 0;
}

static int teardown(void **state)
{
	munmap(region, REGION_SIZE);
	return 0;
}

/*
 * One case: @insn at @from relocated to @to, with its target (branch or
 * literal) at @t inside the region. Runs the sequence for real from @init
 * and compares with the simulated original.
 */
static int run_case(uint32_t insn, uint64_t from, uint64_t to, uint64_t t, bool branch,
		    const struct cpu *init)
{
	const uint64_t base = (uintptr_t)region;
	uint32_t seq[PFE_RELOC_MAX], b;
	struct run_block blk;
	struct cpu a = *init;
	uint64_t pc = 0;
	int n;

	n = pfe_reloc_insn(insn, from, to, seq, PFE_RELOC_MAX, NULL);
	if (n <= 0)
		fail_msg("%08x from %#llx to %#llx refused", insn, (unsigned long long)from,
			 (unsigned long long)to);
	put(base, run_entry, words(run_entry, run_entry_end));
	b = pfe_insn_b(base + 4 * words(run_entry, run_entry_end) - 4, to);
	put(base + 4 * words(run_entry, run_entry_end) - 4, &b, 1);
	put(to, seq, (size_t)n);
	put_exit(to + 4 * (uint64_t)n);
	if (branch)
		put_exit(t);
	else
		for (unsigned i = 0; i < 16; i++)
			region[t - base + i] = mem_byte(init, t + i);

	memset(&blk, 0, sizeof(blk));
	memcpy(blk.x, init->x, sizeof(blk.x));
	memcpy(blk.q, init->q, sizeof(blk.q));
	blk.nzcv = (uint64_t)init->nzcv << 28;
	assert_int_equal(mprotect(region, REGION_SIZE, PROT_READ | PROT_EXEC), 0);
	__builtin___clear_cache((char *)region, (char *)region + REGION_SIZE);
	((void (*)(struct run_block *))(uintptr_t)base)(&blk);
	assert_int_equal(mprotect(region, REGION_SIZE, PROT_READ | PROT_WRITE), 0);

	a.sp = blk.entry_sp;
	a.pc = from;
	if (!step(&a, insn))
		fail_msg("%08x: %s", insn, a.fault);
	if (blk.exit_pc == exit_id(to + 4 * (uint64_t)n))
		pc = from + 4;
	else if (branch && blk.exit_pc == exit_id(t))
		pc = t;
	else
		fail_msg("%08x: left through %#llx", insn, (unsigned long long)blk.exit_pc);
	if (pc != a.pc || blk.sp != blk.entry_sp || blk.nzcv >> 28 != a.nzcv ||
	    memcmp(blk.x, a.x, sizeof(blk.x)) || memcmp(blk.q, a.q, sizeof(blk.q))) {
		fprintf(stderr, "%08x from %#llx to %#llx (%d words): pc %#llx vs %#llx\n", insn,
			(unsigned long long)from, (unsigned long long)to, n, (unsigned long long)pc,
			(unsigned long long)a.pc);
		for (unsigned i = 0; i < 31; i++)
			if (blk.x[i] != a.x[i])
				fprintf(stderr, "x%u %#llx vs %#llx\n", i,
					(unsigned long long)blk.x[i], (unsigned long long)a.x[i]);
		for (unsigned i = 0; i < 32; i++)
			if (memcmp(blk.q[i], a.q[i], 16))
				fprintf(stderr, "q%u differs\n", i);
		fail_msg("real sequence differs from the simulated original");
	}
	return n;
}

/* Every PC-relative form, near (one word) and far (the long forms: adrp +
 * add, adrp + ldr, the x16 scratch, inverted test over b) from the new pc,
 * forwards and backwards, registers and flags at random. */
static void test_run(void **state)
{
	const uint64_t base = (uintptr_t)region;
	unsigned counts[PFE_RELOC_MAX + 1] = {0};

	for (unsigned i = 0; i < CASES; i++) {
		struct cpu init;
		bool back = i & 1, far = i & 2;
		/* `to` low or high in the region; targets 3 MiB or 2 KiB away. */
		uint64_t to = base + (back ? 6 * MIB : 0x1000);
		uint64_t t = back ? to - (far ? 3 * MIB : 0x800) : to + (far ? 3 * MIB : 0x800);
		unsigned kind = (i >> 2) % 9, rt = rnd() % 32;
		int64_t off = (int64_t)(rnd() % 0x7fff) * 4 - 0x10000 * (int64_t)(rnd() & 1);
		uint64_t from;
		uint32_t insn;
		bool branch = true;

		random_state(&init);
		t += (rnd() % 64) * 4;
		from = t - (uint64_t)off;
		switch (kind) {
		case 0: /* adr, adrp: no memory, any target */
			t += rnd() % 4;
			from &= ~UINT64_C(3);
			if (rnd() & 1)
				insn = mk_adr(rt, (int64_t)(t - from));
			else
				insn = mk_adrp(rt, ((int64_t)(t >> 12) - (int64_t)(from >> 12)));
			branch = false;
			break;
		case 1: /* ldr w, x, sw; prfm */
		case 2: /* ldr s, d, q */
			insn = mk_ldr_lit(rnd() % (kind == 1 ? 4 : 3), kind == 2, rt, off);
			branch = false;
			break;
		case 3:
			insn = mk_b(false, off);
			break;
		case 4:
			insn = mk_b(true, off);
			break;
		case 5:
		case 6:
			insn = mk_bcond(rnd() % 16, off);
			break;
		case 7:
			insn = mk_cb(rnd() & 1, rnd() & 1, rt, off);
			break;
		default:
			off = (off % 0x8000) & ~(int64_t)3;
			from = t - (uint64_t)off;
			insn = mk_tb(rnd() % 64, rnd() & 1, rt, off);
			break;
		}
		if (off == 0)
			continue; /* a self-loop: would loop for real */
		counts[run_case(insn, from, to, t, branch, &init)]++;
	}
	fprintf(stderr, "real runs by length: 1:%u 2:%u 3:%u 4:%u 5:%u\n", counts[1], counts[2],
		counts[3], counts[4], counts[5]);
	for (unsigned n = 1; n <= PFE_RELOC_MAX; n++)
		assert_true(counts[n] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
