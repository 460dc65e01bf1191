/* SPDX-License-Identifier: MIT */
/*
 * text.c: batched writes to executable pages. Asserts the exact number of
 * protection changes per batch, the words in memory, that every page gets its
 * exact original rights back and that no page of the process is left
 * writable and executable, the /proc/self/mem path, and refused input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit/patch_util.h"

#define NPAGES 8

static uintptr_t ps;

/* NPAGES fresh pages of NOPs with the given rights, page by page. */
static uint32_t *region(const int *prot)
{
	uint32_t *p =
	    mmap(NULL, NPAGES * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	for (size_t i = 0; i < NPAGES * ps / 4; i++)
		p[i] = PFE_INSN_NOP;
	for (int i = 0; i < NPAGES; i++)
		assert_int_equal(mprotect((char *)p + i * ps, ps, prot[i]), 0);
	return p;
}

static uint32_t *word(uint32_t *base, int page, int idx)
{
	return (uint32_t *)((char *)base + page * ps) + idx;
}

static void assert_rights(uint32_t *base, const int *prot)
{
	for (int i = 0; i < NPAGES; i++) {
		int got = pfe_text_prot_at((uintptr_t)base + i * ps);

		if (prot[i] < 0 && got == -ENOENT)
			continue;

		if (got != prot[i])
			fail_msg("page %d: rights %#x, expected %#x", i, got, prot[i]);
	}
}

static const int rx[NPAGES] = {[0 ... NPAGES - 1] = PROT_READ | PROT_EXEC};

/* N writes over pages {0,1,2}, {4}, {6,7}: three runs, six mprotect calls. */
static void test_batch_runs(void **state)
{
	uint32_t *base = region(rx);
	static const int pages[] = {0, 0, 1, 2, 2, 2, 4, 6, 7, 7};
	enum { N = sizeof(pages) / sizeof(pages[0]) };
	struct pfe_text_write w[N];
	struct pfe_text_stats before = pfe_text_stats;
	size_t mism = 99;

	/* Listed out of order: text.c sorts. */
	for (int i = 0; i < N; i++) {
		int k = N - 1 - i;

		w[i] = (struct pfe_text_write){(uintptr_t)word(base, pages[k], 2 * k + 1),
					       PFE_INSN_NOP, PFE_INSN_MOV_X9_X30};
	}
	assert_int_equal(pfe_text_apply(w, N, &mism), N);
	assert_int_equal(mism, 0);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 6);
	assert_int_equal(pfe_text_stats.runs - before.runs, 3);
	assert_int_equal(pfe_text_stats.applies - before.applies, 1);
	assert_int_equal(pfe_text_stats.words - before.words, N);
	assert_int_equal(pfe_text_stats.procmem - before.procmem, 0);
	for (int k = 0; k < N; k++) {
		assert_int_equal(*word(base, pages[k], 2 * k + 1), PFE_INSN_MOV_X9_X30);
		assert_int_equal(*word(base, pages[k], 2 * k), PFE_INSN_NOP);
	}
	assert_rights(base, rx);
	assert_wx_clean(0, 0);
	munmap(base, NPAGES * ps);
}

/*
 * Mixed rights come back exactly; an rwx page needs no change at all. Pages
 * of other rights are kept apart by holes: qemu-user's emulated maps leave
 * out neighbours whose rights differ only in ways its host mapping hides.
 */
#define HOLE (-1)
static void test_exact_rights(void **state)
{
	static const int prot[NPAGES] = {
	    PROT_READ | PROT_EXEC,
	    PROT_READ | PROT_WRITE | PROT_EXEC,
	    PROT_READ | PROT_EXEC,
	    HOLE,
	    PROT_EXEC,
	    HOLE,
	    PROT_READ,
	    HOLE,
	};
	const int mapped[NPAGES] = {5, 7, 5, 5, 5, 5, 5, 5};
	uint32_t *base = region(mapped);
	struct pfe_text_write w[] = {
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	    {(uintptr_t)word(base, 1, 0), PFE_INSN_NOP, PFE_INSN_BTI_C}, /* rwx: none */
	    {(uintptr_t)word(base, 2, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	    {(uintptr_t)word(base, 4, 5), PFE_INSN_NOP, PFE_INSN_BTI_C}, /* --x */
	    {(uintptr_t)word(base, 6, 9), PFE_INSN_NOP, PFE_INSN_BTI_C}, /* r-- */
	};
	enum { N = sizeof(w) / sizeof(w[0]) };
	struct pfe_text_stats before;

	for (int i = 0; i < NPAGES; i++) {
		if (prot[i] == HOLE)
			assert_int_equal(munmap(word(base, i, 0), ps), 0);
		else
			assert_int_equal(mprotect(word(base, i, 0), ps, prot[i]), 0);
	}
	assert_rights(base, prot);
	before = pfe_text_stats;
	assert_int_equal(pfe_text_apply(w, N, NULL), N);
	assert_int_equal(pfe_text_stats.runs - before.runs, 5);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 2 * 4);
	assert_int_equal(pfe_text_stats.procmem - before.procmem, 0);
	assert_int_equal(*word(base, 0, 0), PFE_INSN_BTI_C);
	assert_int_equal(*word(base, 1, 0), PFE_INSN_BTI_C);
	assert_int_equal(*word(base, 2, 0), PFE_INSN_BTI_C);
	assert_int_equal(*word(base, 6, 9), PFE_INSN_BTI_C);
	assert_rights(base, prot);
	assert_wx_clean((uintptr_t)base + ps, (uintptr_t)base + 2 * ps);
	assert_int_equal(mprotect(word(base, 4, 0), ps, PROT_READ), 0);
	assert_int_equal(*word(base, 4, 5), PFE_INSN_BTI_C);
	munmap(base, NPAGES * ps);
}

/* Writes whose old word differs are skipped and counted; the rest apply. */
static void test_mismatch(void **state)
{
	uint32_t *base = region(rx);
	struct pfe_text_write w[] = {
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30},
	    {(uintptr_t)word(base, 0, 1), PFE_INSN_BTI_C, PFE_INSN_MOV_X9_X30},
	    {(uintptr_t)word(base, 3, 0), PFE_INSN_MOV_X9_X30, PFE_INSN_NOP},
	    {(uintptr_t)word(base, 3, 1), PFE_INSN_NOP, PFE_INSN_BAD},
	};
	struct pfe_text_stats before = pfe_text_stats;
	size_t mism = 0;

	assert_int_equal(pfe_text_apply(w, 4, &mism), 2);
	assert_int_equal(mism, 2);
	assert_int_equal(pfe_text_stats.mismatched - before.mismatched, 2);
	assert_int_equal(pfe_text_stats.words - before.words, 2);
	assert_int_equal(*word(base, 0, 0), PFE_INSN_MOV_X9_X30);
	assert_int_equal(*word(base, 0, 1), PFE_INSN_NOP);
	assert_int_equal(*word(base, 3, 0), PFE_INSN_NOP);
	assert_int_equal(*word(base, 3, 1), PFE_INSN_BAD);
	assert_rights(base, rx);
	assert_wx_clean(0, 0);
	munmap(base, NPAGES * ps);
}

/* Forced /proc/self/mem: the words change, the rights never do. */
static void test_procmem(void **state)
{
	uint32_t *base = region(rx);
	struct pfe_text_write w[] = {
	    {(uintptr_t)word(base, 1, 3), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30},
	    {(uintptr_t)word(base, 1, 4), PFE_INSN_NOP, 0x94000000},
	    {(uintptr_t)word(base, 5, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	    {(uintptr_t)word(base, 5, 1), PFE_INSN_BTI_C, PFE_INSN_NOP}, /* mismatch */
	};
	struct pfe_text_stats before = pfe_text_stats;
	size_t mism = 0;

	pfe_text_force_procmem = true;
	assert_int_equal(pfe_text_apply(w, 4, &mism), 3);
	pfe_text_force_procmem = false;
	assert_int_equal(mism, 1);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 0);
	assert_int_equal(pfe_text_stats.procmem - before.procmem, 3);
	assert_int_equal(pfe_text_stats.words - before.words, 3);
	assert_int_equal(pfe_text_stats.runs - before.runs, 2);
	assert_int_equal(*word(base, 1, 3), PFE_INSN_MOV_X9_X30);
	assert_int_equal(*word(base, 1, 4), 0x94000000);
	assert_int_equal(*word(base, 5, 0), PFE_INSN_BTI_C);
	assert_int_equal(*word(base, 5, 1), PFE_INSN_NOP);
	assert_int_equal(*word(base, 1, 5), PFE_INSN_NOP);
	assert_rights(base, rx);
	assert_wx_clean(0, 0);
	munmap(base, NPAGES * ps);
}

/* A system that refuses writable+executable pages, as SELinux execmod does. */
static int refusing_calls;
static int refuse_wx(void *addr, size_t len, int prot)
{
	refusing_calls++;
	if ((prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		errno = EACCES;
		return -1;
	}
	return mprotect(addr, len, prot);
}

/* W+X refused: one attempt, then /proc/self/mem for this and later batches. */
static void test_wx_refused(void **state)
{
	uint32_t *base = region(rx);
	struct pfe_text_write w[] = {
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30},
	    {(uintptr_t)word(base, 2, 1), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30},
	    {(uintptr_t)word(base, 4, 2), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30},
	};
	struct pfe_text_write again = {(uintptr_t)word(base, 6, 3), PFE_INSN_NOP, PFE_INSN_BTI_C};
	struct pfe_text_stats before = pfe_text_stats;

	pfe_text_mprotect = refuse_wx;
	refusing_calls = 0;
	assert_int_equal(pfe_text_apply(w, 3, NULL), 3);
	assert_true(pfe_text_wx_refused);
	assert_int_equal(refusing_calls, 1);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 1);
	assert_int_equal(pfe_text_stats.procmem - before.procmem, 3);
	assert_int_equal(pfe_text_apply(&again, 1, NULL), 1);
	assert_int_equal(refusing_calls, 1);
	assert_int_equal(pfe_text_stats.procmem - before.procmem, 4);
	pfe_text_mprotect = mprotect;
	pfe_text_wx_refused = false;

	assert_int_equal(*word(base, 0, 0), PFE_INSN_MOV_X9_X30);
	assert_int_equal(*word(base, 2, 1), PFE_INSN_MOV_X9_X30);
	assert_int_equal(*word(base, 4, 2), PFE_INSN_MOV_X9_X30);
	assert_int_equal(*word(base, 6, 3), PFE_INSN_BTI_C);
	assert_rights(base, rx);
	assert_wx_clean(0, 0);
	munmap(base, NPAGES * ps);
}

/* Rights that /proc/self/maps cannot show (PROT_BTI) stay on the page: both
 * the temporary and the restoring mprotect carry them. */
static int seen_prot[4], nseen;
static int record_prot(void *addr, size_t len, int prot)
{
	if (nseen < 4)
		seen_prot[nseen++] = prot;
	return mprotect(addr, len, prot & ~PFE_PROT_BTI);
}

static void test_keep_bti(void **state)
{
	uint32_t *base = region(rx);
	struct pfe_text_write w[] = {
	    {(uintptr_t)word(base, 1, 0), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30, PFE_PROT_BTI},
	    {(uintptr_t)word(base, 1, 5), PFE_INSN_NOP, PFE_INSN_MOV_X9_X30, PFE_PROT_BTI},
	};

	pfe_text_mprotect = record_prot;
	nseen = 0;
	assert_int_equal(pfe_text_apply(w, 2, NULL), 2);
	pfe_text_mprotect = mprotect;
	assert_int_equal(nseen, 2);
	assert_int_equal(seen_prot[0], PROT_READ | PROT_WRITE | PROT_EXEC | PFE_PROT_BTI);
	assert_int_equal(seen_prot[1], PROT_READ | PROT_EXEC | PFE_PROT_BTI);
	assert_int_equal(*word(base, 1, 5), PFE_INSN_MOV_X9_X30);
	assert_rights(base, rx);
	munmap(base, NPAGES * ps);
}

/* Input refused as a whole before anything is touched. */
static void test_refused(void **state)
{
	uint32_t *base = region(rx);
	struct pfe_text_stats before = pfe_text_stats;
	struct pfe_text_write misaligned[] = {
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	    {(uintptr_t)word(base, 0, 1) + 2, PFE_INSN_NOP, PFE_INSN_BTI_C},
	};
	struct pfe_text_write twice[] = {
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	};
	struct pfe_text_write hole[] = {
	    {(uintptr_t)word(base, 0, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	    {(uintptr_t)word(base, 2, 0), PFE_INSN_NOP, PFE_INSN_BTI_C},
	};
	uint32_t *shared;
	struct pfe_text_write sh;

	assert_int_equal(pfe_text_apply(misaligned, 2, NULL), -EINVAL);
	assert_int_equal(pfe_text_apply(twice, 2, NULL), -EINVAL);
	assert_int_equal(munmap(word(base, 2, 0), ps), 0);
	assert_int_equal(pfe_text_apply(hole, 2, NULL), -EFAULT);
	assert_int_equal(pfe_text_apply(NULL, 0, NULL), 0);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 0);
	assert_int_equal(pfe_text_stats.words - before.words, 0);
	assert_int_equal(*word(base, 0, 0), PFE_INSN_NOP);

	/* A shared mapping would carry the write elsewhere. */
	shared = mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	sh = (struct pfe_text_write){(uintptr_t)shared, 0, PFE_INSN_NOP};
	assert_int_equal(pfe_text_apply(&sh, 1, NULL), -EPERM);
	assert_int_equal(*shared, 0);
	assert_int_equal(pfe_text_stats.words - before.words, 0);
	munmap(shared, ps);
	munmap(base, NPAGES * ps);
}

/* The maps reader sees this program's own text as r-x and holes as holes. */
static void test_maps_walk(void **state)
{
	uint32_t *base = region(rx);

	assert_int_equal(pfe_text_prot_at((uintptr_t)test_maps_walk), PROT_READ | PROT_EXEC);
	assert_int_equal(pfe_text_prot_at((uintptr_t)base + ps), PROT_READ | PROT_EXEC);
	assert_int_equal(munmap(base, NPAGES * ps), 0);
	assert_int_equal(pfe_text_prot_at((uintptr_t)base + ps), -ENOENT);
	assert_int_equal(pfe_text_prot_at(0), -ENOENT);
}

static int setup(void **state)
{
	ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batch_runs), cmocka_unit_test(test_exact_rights),
	    cmocka_unit_test(test_mismatch),   cmocka_unit_test(test_procmem),
	    cmocka_unit_test(test_refused),    cmocka_unit_test(test_maps_walk),
	    cmocka_unit_test(test_wx_refused), cmocka_unit_test(test_keep_bti),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
