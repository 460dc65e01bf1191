/* SPDX-License-Identifier: MIT */
/*
 * arch/arm64/site.c on words in a buffer (nothing is executed or written):
 * the exact slot, old and new word of each verb, -EINVAL for a pc that is no
 * instruction address and -ERANGE (with the write left alone) for no target
 * or one out of BL reach; the state each pair of slot words decodes to; and
 * where pfe_arch_find_callable_addr sends a site: the trampoline without an
 * object, the object's veneer, the memo's one answer per object in a batch,
 * and the enabled site's own target without creating anything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch.h"
#include "insn.h"
#include "core.h"

#define MIB ((uintptr_t)1 << 20)

static uint32_t code[8] __attribute__((aligned(16)));

static struct pfe_site site_at(unsigned i)
{
	return (struct pfe_site){.pc = (uintptr_t)&code[i], .nops = 2};
}

static const struct pfe_text_write untouched = {1, 2, 3, 4};

static void test_verbs(void **state)
{
	struct pfe_site s = site_at(2);
	uintptr_t t = s.pc + 64 * MIB;
	struct pfe_text_write w = untouched;

	assert_int_equal(pfe_arch_init_nop(&s, &w), 0);
	assert_int_equal(w.addr, s.pc);
	assert_int_equal(w.old, PFE_INSN_NOP);
	assert_int_equal(w.new, PFE_INSN_MOV_X9_X30);
	assert_int_equal(w.keep, untouched.keep);

	assert_int_equal(pfe_arch_make_call(&s, t, &w), 0);
	assert_int_equal(w.addr, s.pc + 4);
	assert_int_equal(w.old, PFE_INSN_NOP);
	assert_int_equal(w.new, pfe_insn_bl(s.pc + 4, t));

	assert_int_equal(pfe_arch_make_nop(&s, t, &w), 0);
	assert_int_equal(w.addr, s.pc + 4);
	assert_int_equal(w.old, pfe_insn_bl(s.pc + 4, t));
	assert_int_equal(w.new, PFE_INSN_NOP);
}

static void test_refused(void **state)
{
	struct pfe_site s = site_at(2), odd = s;
	struct pfe_text_write w = untouched;

	/* No target (0), out of reach (the first byte past +128 MiB), misaligned. */
	assert_int_equal(pfe_arch_make_call(&s, 0, &w), -ERANGE);
	assert_int_equal(pfe_arch_make_nop(&s, 0, &w), -ERANGE);
	assert_int_equal(pfe_arch_make_call(&s, s.pc + 4 + 128 * MIB, &w), -ERANGE);
	assert_int_equal(pfe_arch_make_nop(&s, s.pc + 4 + 128 * MIB, &w), -ERANGE);
	assert_int_equal(pfe_arch_make_call(&s, s.pc + 2, &w), -ERANGE);
	odd.pc += 2;
	assert_int_equal(pfe_arch_init_nop(&odd, &w), -EINVAL);
	assert_int_equal(pfe_arch_make_call(&odd, s.pc + 64, &w), -EINVAL);
	assert_int_equal(pfe_arch_make_nop(&odd, s.pc + 64, &w), -EINVAL);
	assert_int_equal(w.addr, untouched.addr);
	assert_int_equal(w.old, untouched.old);
	assert_int_equal(w.new, untouched.new);
	/* The last reachable word still is. */
	assert_int_equal(pfe_arch_make_call(&s, s.pc + 4 + 128 * MIB - 4, &w), 0);
}

static void test_decode(void **state)
{
	struct pfe_site s = site_at(4), odd = s;
	uint32_t bl = pfe_insn_bl(s.pc + 4, s.pc + 4096);
	static const struct {
		uint32_t s0, s1;
		int state;
	} cases[] = {
	    {PFE_INSN_NOP, PFE_INSN_NOP, PFE_SITE_COMPILED},
	    {PFE_INSN_MOV_X9_X30, PFE_INSN_NOP, PFE_SITE_INIT},
	    {PFE_INSN_MOV_X9_X30, 0 /* bl, below */, PFE_SITE_CALL},
	    {PFE_INSN_NOP, 0 /* bl */, -EILSEQ},
	    {PFE_INSN_MOV_X9_X30, PFE_INSN_BAD, -EILSEQ},
	    {PFE_INSN_BTI_C, PFE_INSN_NOP, -EILSEQ},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		code[4] = cases[i].s0;
		code[5] = cases[i].s1 ? cases[i].s1 : bl;
		assert_int_equal(pfe_arch_site_decode(&s), cases[i].state);
	}
	code[4] = code[5] = PFE_INSN_NOP;
	odd.pc += 2;
	assert_int_equal(pfe_arch_site_decode(&odd), -EILSEQ);
}

static void test_callable(void **state)
{
	struct pfe_object obj = {.lo = (uintptr_t)code, .hi = (uintptr_t)code + sizeof(code)};
	struct pfe_site lone = site_at(0), a = site_at(2), b = site_at(4);
	struct pfe_callable_memo memo = {0};
	uintptr_t saved = pfe_tramp_addr, v = (uintptr_t)code + 32 * MIB;
	bool stub = true;

	/* Without an object: the trampoline, created or not. */
	pfe_tramp_addr = (uintptr_t)code + 16 * MIB;
	assert_int_equal(pfe_arch_find_callable_addr(&lone, &memo, &stub), pfe_tramp_addr);
	assert_false(stub);
	assert_int_equal(pfe_arch_find_callable_addr(&lone, NULL, NULL), pfe_tramp_addr);
	/* A pc that is no instruction address: none, and the memo untouched. */
	lone.pc += 2;
	lone.obj = &obj;
	assert_int_equal(pfe_arch_find_callable_addr(&lone, &memo, NULL), 0);
	assert_null(memo.obj);

	/* An object that has its veneer, and no stubs (no arena). */
	obj.veneer = v;
	a.obj = b.obj = &obj;
	stub = true;
	assert_int_equal(pfe_arch_find_callable_addr(&a, &memo, &stub), v);
	assert_false(stub);
	/* One answer per object in a batch: the memo, not the object again. */
	obj.veneer = v + 4096;
	assert_int_equal(pfe_arch_find_callable_addr(&b, &memo, NULL), v);
	/* Enabled sites: what the object holds now, nothing created. */
	assert_int_equal(pfe_arch_find_callable_addr(&b, NULL, &stub), v + 4096);
	assert_false(stub);
	obj.veneer = 0;
	assert_int_equal(pfe_arch_find_callable_addr(&b, NULL, NULL), pfe_tramp_addr);
	/* A site marked as calling its stub, whose stub is not live: none. */
	b.flags |= PFE_SITE_STUB;
	assert_int_equal(pfe_arch_find_callable_addr(&b, NULL, &stub), 0);
	assert_true(stub);
	pfe_tramp_addr = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verbs),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_callable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
