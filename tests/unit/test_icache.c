/* SPDX-License-Identifier: MIT */
/*
 * Cache maintenance after every write to text. qemu keeps its translations
 * coherent with stores, so a missing dc cvau / ic ivau passes every other
 * test and breaks only on hardware. This program is linked with
 * -Wl,--wrap=pfe_sync_icache (Makefile): each call libpfe makes lands in
 * __wrap_pfe_sync_icache, which records the range and then does the real
 * maintenance. Every write path must ask for exactly the words it wrote
 * (text.c: once per run of pages, from its first to its last written word):
 * plain stores with and without an mprotect pair, /proc/self/mem (forced,
 * after W+X is refused, after mprotect fails), slot 0 of an object loaded
 * while the program runs (both ways), a veneer, and the site transitions.
 * tests/integ/t_icache.sh checks that pfe_sync_icache itself issues the
 * instructions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "interpose.h"
#include "unit/patch_util.h"

#define MAXR 64
#define GIB  (1ul << 30)

void __real_pfe_sync_icache(const void *start, const void *end);
void __wrap_pfe_sync_icache(const void *start, const void *end);

static struct range {
	uintptr_t start, end;
} got[MAXR];
static int ngot;

void __wrap_pfe_sync_icache(const void *start, const void *end)
{
	if (ngot < MAXR)
		got[ngot] = (struct range){(uintptr_t)start, (uintptr_t)end};
	ngot++;
	__real_pfe_sync_icache(start, end);
}

static uintptr_t ps;

static int cmp_range(const void *a, const void *b)
{
	uintptr_t x = ((const struct range *)a)->start, y = ((const struct range *)b)->start;

	return x < y ? -1 : x > y;
}

/* The recorded calls are exactly the ranges @exp (text.c: one per run). */
static void assert_ranges(struct range *exp, int n)
{
	if (ngot != n) {
		for (int i = 0; i < ngot && i < MAXR; i++)
			print_error("synced %#lx-%#lx\n", (unsigned long)got[i].start,
				    (unsigned long)got[i].end);
		fail_msg("%d cache maintenance calls, expected %d", ngot, n);
	}
	qsort(got, ngot, sizeof(got[0]), cmp_range);
	qsort(exp, n, sizeof(exp[0]), cmp_range);
	for (int i = 0; i < n; i++)
		if (got[i].start != exp[i].start || got[i].end != exp[i].end)
			fail_msg("synced %#lx-%#lx, expected %#lx-%#lx",
				 (unsigned long)got[i].start, (unsigned long)got[i].end,
				 (unsigned long)exp[i].start, (unsigned long)exp[i].end);
	ngot = 0;
}

/* The recorded calls are exactly one [w, w + len) for each w of @want. */
static void assert_synced(const uintptr_t *want, int n, uintptr_t len)
{
	struct range exp[MAXR];

	assert_true(n <= MAXR);
	for (int i = 0; i < n; i++)
		exp[i] = (struct range){want[i], want[i] + len};
	assert_ranges(exp, n);
}

/* Three pages of NOPs with rights @prot. */
static uint32_t *nop_pages(int prot)
{
	uint32_t *p =
	    mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	for (size_t i = 0; i < 3 * ps / 4; i++)
		p[i] = PFE_INSN_NOP;
	assert_int_equal(mprotect(p, 3 * ps, prot), 0);
	return p;
}

/* Five words over three contiguous pages, one run, plus one whose old word
 * does not match: four written, synced once from the first to the last
 * written word, the mismatch (after q[3]) not. */
static void write_batch(int prot)
{
	uint32_t *p = nop_pages(prot);
	uint32_t *const q = (uint32_t *)((char *)p + 2 * ps);
	uintptr_t want[] = {(uintptr_t)&p[1], (uintptr_t)&p[ps / 4 + 7], (uintptr_t)&p[ps / 4 + 8],
			    (uintptr_t)&q[3]};
	struct pfe_text_write w[5];
	size_t mism = 9;

	for (int i = 0; i < 4; i++)
		w[i] = (struct pfe_text_write){want[i], PFE_INSN_NOP, PFE_INSN_MOV_X9_X30};
	w[4] = (struct pfe_text_write){(uintptr_t)&q[9], PFE_INSN_MOV_X9_X30, PFE_INSN_NOP};
	ngot = 0;
	assert_int_equal(pfe_text_apply(w, 5, &mism), 4);
	assert_int_equal(mism, 1);
	assert_int_equal(p[1], PFE_INSN_MOV_X9_X30);
	assert_int_equal(q[3], PFE_INSN_MOV_X9_X30);
	assert_ranges((struct range[]){{want[0], want[3] + 4}}, 1);
	munmap(p, 3 * ps);
}

/* R-X pages: an mprotect pair around plain stores. */
static void test_text_mprotect(void **state)
{
	write_batch(PROT_READ | PROT_EXEC);
}

/* Pages already writable: plain stores, no mprotect. */
static void test_text_writable(void **state)
{
	write_batch(PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* /proc/self/mem, as where W+X is never tried. */
static void test_text_procmem(void **state)
{
	pfe_text_force_procmem = true;
	write_batch(PROT_READ | PROT_EXEC);
	pfe_text_force_procmem = false;
}

static int refuse_wx(void *addr, size_t len, int prot)
{
	if ((prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		errno = EACCES;
		return -1;
	}
	return mprotect(addr, len, prot);
}

static int no_memory(void *addr, size_t len, int prot)
{
	errno = ENOMEM;
	return -1;
}

/* W+X refused (SELinux, PaX): /proc/self/mem from then on. */
static void test_text_wx_refused(void **state)
{
	pfe_text_mprotect = refuse_wx;
	write_batch(PROT_READ | PROT_EXEC);
	pfe_text_mprotect = mprotect;
	pfe_text_wx_refused = false;
}

/* mprotect failing otherwise (ENOMEM): /proc/self/mem for that run. */
static void test_text_enomem(void **state)
{
	pfe_text_mprotect = no_memory;
	write_batch(PROT_READ | PROT_EXEC);
	pfe_text_mprotect = mprotect;
}

/* An object loaded while the program runs: slot 0 of each site, written by
 * dlopen.c itself (not text.c) with the other threads parked. */
static void init_object(bool procmem)
{
	uint32_t *p = nop_pages(PROT_READ | PROT_EXEC);
	struct pfe_text_seg seg = {(uintptr_t)p, (uintptr_t)p + 3 * ps, PROT_READ | PROT_EXEC};
	static const size_t at[] = {0, 6, 1030, 2050};
	struct pfe_site sites[4];
	uintptr_t want[4];
	struct pfe_object obj = {.name = "loaded", .lo = seg.start, .hi = seg.end};

	for (int i = 0; i < 4; i++) {
		want[i] = (uintptr_t)&p[at[i] % (3 * ps / 4)];
		sites[i] = (struct pfe_site){
		    .pc = want[i], .func = want[i], .name = "f", .obj = &obj, .nops = 2};
	}
	obj.segs = &seg;
	obj.nsegs = 1;
	obj.tab.sites = sites;
	obj.tab.nsites = 4;
	pfe_text_wx_refused = procmem;
	ngot = 0;
	pfe_live_init_object(&obj);
	pfe_text_wx_refused = false;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(*(uint32_t *)want[i], PFE_INSN_MOV_X9_X30);
		assert_int_equal(sites[i].state, PFE_SITE_INIT);
	}
	assert_synced(want, 4, 4);
	munmap(p, 3 * ps);
}

static void test_loaded_object(void **state)
{
	init_object(false);
}

static void test_loaded_object_procmem(void **state)
{
	init_object(true);
}

/* A veneer is code too: its two instructions and literal are synced. */
static void test_veneer(void **state)
{
	uintptr_t hint = (((uintptr_t)pfe_call_target & ~(ps - 1)) + 8 * GIB);
	void *far =
	    mmap((void *)hint, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pfe_object obj = {.name = "far", .lo = (uintptr_t)far, .hi = (uintptr_t)far + ps};
	uintptr_t v;

	assert_true(far != MAP_FAILED);
	ngot = 0;
	v = pfe_call_target(&obj);
	if (!v || v == pfe_tramp_addr) {
		munmap(far, ps);
		skip();
	}
	assert_synced(&v, 1, 16);
	munmap(far, ps);
}

/* The site transitions: init (slot 0), make_call and make_nop (slot 1). */
static void test_site_transitions(void **state)
{
	uint32_t *p = nop_pages(PROT_READ | PROT_EXEC);
	struct pfe_object obj = {.name = "near", .lo = (uintptr_t)p, .hi = (uintptr_t)p + 3 * ps};
	struct pfe_site s[2] = {
	    {.pc = (uintptr_t)&p[4], .func = (uintptr_t)&p[4], .name = "a", .obj = &obj, .nops = 2},
	    {.pc = (uintptr_t)&p[ps / 4 + 2],
	     .func = (uintptr_t)&p[ps / 4 + 2],
	     .name = "b",
	     .obj = &obj,
	     .nops = 2},
	};
	struct pfe_site *sp[2] = {&s[0], &s[1]};
	uintptr_t slot0[2] = {s[0].pc, s[1].pc}, slot1[2] = {s[0].pc + 4, s[1].pc + 4};

	/* The BL target first: far from the trampoline it is a new veneer,
	 * synced on its own (test_veneer). */
	assert_true(pfe_call_target(&obj) != 0);
	ngot = 0;
	/* Both sites in one run of pages (0 and 1): one call each time. */
	assert_int_equal(pfe_sites_init_nop(sp, 2), 0);
	assert_ranges((struct range[]){{slot0[0], slot0[1] + 4}}, 1);
	assert_int_equal(pfe_sites_make_call(sp, 2), 0);
	assert_ranges((struct range[]){{slot1[0], slot1[1] + 4}}, 1);
	assert_int_equal(pfe_sites_make_nop(sp, 2), 0);
	assert_ranges((struct range[]){{slot1[0], slot1[1] + 4}}, 1);
	munmap(p, 3 * ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_mprotect),	  cmocka_unit_test(test_text_writable),
	    cmocka_unit_test(test_text_procmem),	  cmocka_unit_test(test_text_wx_refused),
	    cmocka_unit_test(test_text_enomem),		  cmocka_unit_test(test_loaded_object),
	    cmocka_unit_test(test_loaded_object_procmem), cmocka_unit_test(test_veneer),
	    cmocka_unit_test(test_site_transitions),
	};

	ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
