/* SPDX-License-Identifier: MIT */
/*
 * Fault-safe reads (lib/base/saferead.c): readable memory is copied exactly;
 * NULL, an unmapped page and a PROT_NONE guard page are refused without a
 * fault, also when only the end of the range reaches them; errno is kept.
 * Each case runs through process_vm_readv where the system has it and
 * through the futex probe (what qemu-user gets). Then a typed signature's
 * stack argument sitting on a guard page, as on a coroutine's stack.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "saferead.h"
#include "sig.h"

#define PG 4096

/* [rw page][PROT_NONE page][unmapped page] */
static char *map3(void)
{
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + PG, PG, PROT_NONE), 0);
	assert_int_equal(munmap(m + 2 * PG, PG), 0);
	for (int i = 0; i < PG; i++)
		m[i] = (char)(i * 7);
	return m;
}

static void cases(bool probe)
{
	char *m = map3();
	char buf[64];

	pfe_safe_read_force_probe = probe;
	memset(buf, 0, sizeof(buf));
	assert_true(pfe_safe_read(buf, (uintptr_t)m + 100, 64));
	assert_memory_equal(buf, m + 100, 64);
	/* The last readable bytes before the guard page. */
	assert_true(pfe_safe_read(buf, (uintptr_t)m + PG - 8, 8));
	assert_memory_equal(buf, m + PG - 8, 8);
	errno = 1234;
	assert_false(pfe_safe_read(buf, (uintptr_t)m + PG - 4, 8)); /* straddles */
	assert_int_equal(errno, 1234);
	assert_false(pfe_safe_read(buf, (uintptr_t)m + PG, 1));		/* PROT_NONE */
	assert_false(pfe_safe_read(buf, (uintptr_t)m + 2 * PG + 3, 4)); /* unmapped */
	assert_false(pfe_safe_read(buf, 0, 8));
	assert_false(pfe_safe_read(buf, UINTPTR_MAX - 2, 8)); /* wraps */
	assert_true(pfe_safe_read(buf, 0, 0));
	/* Text is readable too. */
	assert_true(pfe_safe_read(buf, (uintptr_t)&map3, 4));
	pfe_safe_read_force_probe = false;
	munmap(m, 2 * PG);
}

static void test_probe(void **state)
{
	cases(true);
}

static void test_default(void **state)
{
	cases(false);
}

static bool reader(uintptr_t addr, void *buf, size_t n)
{
	return pfe_safe_read(buf, addr, n);
}

/* f(x0..x7 ints, then two on the stack): the 9th at sp, the 10th at sp+8. */
static void test_stack_arg_on_guard_page(void **state)
{
	char *m = map3();
	struct pfe_regs regs = {{0}};
	struct pfe_sig sig;
	char why[160], out[256];

	assert_int_equal(
	    pfe_sig_parse("(int,int,int,int,int,int,int,int,long,long)", &sig, why, sizeof(why)),
	    0);
	for (int i = 0; i < 8; i++)
		regs.x[i] = (uint64_t)i;
	/* First stack slot readable, the second on the guard page. */
	regs.sp = (uintptr_t)m + PG - 8;
	*(long *)(m + PG - 8) = -42;
	pfe_sig_fmt_args(out, sizeof(out), &sig, &regs, reader);
	snprintf(why, sizeof(why), "0, 1, 2, 3, 4, 5, 6, 7, -42, (bad %#lx)",
		 (unsigned long)(m + PG));
	assert_string_equal(out, why);
	munmap(m, 2 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_default),
	    cmocka_unit_test(test_stack_arg_on_guard_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
