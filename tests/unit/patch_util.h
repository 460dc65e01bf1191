/* SPDX-License-Identifier: MIT */
/*
 * Shared by test_text.c, test_patch.c and test_veneer.c (each a separate
 * program): the W^X check over /proc/self/maps, mapping lookup, and a tiny
 * test trampoline standing in for arch/arm64/regs_tramp.S.
 */
#ifndef PFE_TEST_PATCH_UTIL_H
#define PFE_TEST_PATCH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "arch.h"
#include "insn.h"
#include "maps.h"
#include "hooks.h"

struct wx_check {
	uintptr_t allow_start, allow_end; /* a deliberate rwx range */
	int bad;
};

static int wx_cb(const struct pfe_map *m, void *ctx)
{
	struct wx_check *c = ctx;
	char perms[5];

	if ((m->prot & (PROT_WRITE | PROT_EXEC)) != (PROT_WRITE | PROT_EXEC))
		return 0;
	if (m->start >= c->allow_start && m->end <= c->allow_end)
		return 0;
	print_error("writable and executable: %#lx-%#lx %s\n", (unsigned long)m->start,
		    (unsigned long)m->end, pfe_maps_perms(m->prot, m->shared, perms));
	c->bad++;
	return 0;
}

/* No page of the process is writable and executable, except [lo, hi). */
static inline void assert_wx_clean(uintptr_t lo, uintptr_t hi)
{
	struct wx_check c = {lo, hi, 0};

	assert_int_equal(pfe_text_maps_walk(wx_cb, &c), 0);
	assert_int_equal(c.bad, 0);
}

struct find_map {
	uintptr_t addr;
	struct pfe_map m;
	int found;
};

static int find_cb(const struct pfe_map *m, void *ctx)
{
	struct find_map *f = ctx;

	if (f->addr < m->start || f->addr >= m->end)
		return 0;
	f->m = *m;
	f->m.path = NULL; /* points into text.c's buffer */
	f->found = 1;
	return 1;
}

/* The mapping holding @addr, as /proc/self/maps lists it. */
static inline struct pfe_map mapping_of(uintptr_t addr)
{
	struct find_map f = {.addr = addr};

	assert_int_equal(pfe_text_maps_walk(find_cb, &f), 1);
	assert_true(f.found);
	return f.m;
}

static inline uint32_t insn_at(uintptr_t addr)
{
	return __atomic_load_n((const uint32_t *)addr, __ATOMIC_RELAXED);
}

/*
 * The test trampoline, entered from slot 1's BL (directly or through a
 * veneer's BR x16) with x9 = the caller's return address and x30 = the
 * function body. It counts the call, records both, puts the caller's return
 * address back in x30 and continues into the body with `ret x16` (RET, not
 * BR: a BTI-guarded body has no landing pad). Only x16/x17 are clobbered.
 */
uint64_t tramp_calls, tramp_lr, tramp_body;
void test_tramp(void);
__asm__(".text\n"
	".balign 8\n"
	".globl test_tramp\n"
	".hidden test_tramp\n"
	".type test_tramp, %function\n"
	"test_tramp:\n"
	"	hint	#34\n" /* bti c */
	"	adrp	x16, tramp_calls\n"
	"	ldr	x17, [x16, :lo12:tramp_calls]\n"
	"	add	x17, x17, #1\n"
	"	str	x17, [x16, :lo12:tramp_calls]\n"
	"	adrp	x16, tramp_lr\n"
	"	str	x9, [x16, :lo12:tramp_lr]\n"
	"	adrp	x16, tramp_body\n"
	"	str	x30, [x16, :lo12:tramp_body]\n"
	"	mov	x16, x30\n"
	"	mov	x30, x9\n"
	"	ret	x16\n"
	".size test_tramp, . - test_tramp\n");

/* Where a compiled function's two NOPs are: after `bti c` if it has one. */
static inline uintptr_t site_pc_of(void (*fn)(void))
{
	uintptr_t f = (uintptr_t)fn;

	return insn_at(f) == PFE_INSN_BTI_C ? f + 4 : f;
}

#endif /* PFE_TEST_PATCH_UTIL_H */
