/* SPDX-License-Identifier: MIT */
/*
 * stub.c with the real patch engine and trampoline: sites of hand-made
 * objects (functions of this program, and a copy 8 GiB away) are enabled
 * through their per-site stubs. Asserts slot 1's BL, the stub's exact words
 * and literal, the arena's placement and rights, one page commit (two
 * mprotects) per run of pages, reuse of a stub when a site is enabled
 * again, the far object's veneer inside its arena, calls that run the hook
 * with the right site (single hook and a vector of two), the fallback to
 * the common trampoline for a site outside its object's table, and the
 * arena unmapped by pfe_stubs_free().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "unit/patch_util.h"

#define GIB ((uintptr_t)1 << 30)
#define MIB ((uintptr_t)1 << 20)

/* An initialised site (`bti c; mov x9, x30; nop`) whose body returns x0 + @k. */
#define FN(name, k)                                                                                \
	".text\n.p2align 4\n.globl " #name "\n.type " #name ", %function\n" #name ":\n"            \
	"bti c\nmov x9, x30\nnop\nadd x0, x0, #" #k "\nret\n.size " #name ", .-" #name "\n"

long stub_a(long), stub_b(long), stub_c(long);
__asm__(FN(stub_a, 1) FN(stub_b, 2) FN(stub_c, 3));

/* int f(int x) { return x + 1; } with two patchable NOPs, position
 * independent so that it runs wherever it is copied. */
static const uint32_t far_code[] = {PFE_INSN_NOP, PFE_INSN_NOP, 0x11000400 /* add w0, w0, #1 */,
				    0xd65f03c0 /* ret */};

static uintptr_t ps;

static uintptr_t distance(uintptr_t a, uintptr_t b)
{
	return a > b ? a - b : b - a;
}

static long call(uintptr_t fn, long x)
{
	long (*volatile f)(long) = (long (*)(long))fn;

	return f(x);
}

/* --------------------------------------------------------------- hooks */

struct seen {
	int calls;
	const struct pfe_site *site;
	uint64_t x0;
};

static void h_seen(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	struct seen *s = data;

	s->calls++;
	s->site = site;
	s->x0 = regs->x[0];
}

static void h_add100(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x[0] += 100;
}

/* A vector as the registry builds it (registry.c vec_build). */
static struct pfe_hook_vec *vec_of(pfe_entry_fn f1, void *d1, pfe_entry_fn f2, void *d2)
{
	size_t n = f2 ? 2 : 1;
	struct pfe_hook_vec *v = calloc(1, sizeof(*v) + (n + 1) * sizeof(v->e[0]));

	assert_non_null(v);
	v->n = n;
	v->e[0] = (struct pfe_hook_ent){f1, d1, NULL};
	if (f2)
		v->e[1] = (struct pfe_hook_ent){f2, d2, NULL};
	pfe_hook_vec_seal(v);
	return v;
}

/* The stub's words: ldr x10, .+8; b <target>; .quad site. */
static void assert_stub(uintptr_t stub, const struct pfe_site *site, uintptr_t target)
{
	uintptr_t lit = 0, to = 0;

	assert_int_equal(insn_at(stub), pfe_insn_ldr_lit(stub, stub + 8, PFE_REG_X10));
	assert_int_equal(insn_at(stub), 0x5800004a);
	assert_true(pfe_insn_is_b(insn_at(stub + 4)));
	assert_true(pfe_insn_branch_target(stub + 4, insn_at(stub + 4), &to));
	assert_int_equal(to, target);
	memcpy(&lit, (const void *)(stub + 8), sizeof(lit));
	assert_int_equal(lit, (uintptr_t)site);
}

static uintptr_t trampoline(bool far)
{
	bool membarrier = pfe_dispatch_prepare();

	if (far)
		return membarrier ? (uintptr_t)pfe_site_trampoline_far
				  : (uintptr_t)pfe_site_trampoline_mb_far;
	return membarrier ? (uintptr_t)pfe_site_trampoline : (uintptr_t)pfe_site_trampoline_mb;
}

/* ---------------------------------------------------------------- tests */

static int cmp_site(const void *a, const void *b)
{
	const struct pfe_site *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void near_object(struct pfe_object *o, struct pfe_site *s)
{
	long (*const fns[])(long) = {stub_a, stub_b, stub_c};

	memset(o, 0, sizeof(*o));
	o->name = "near";
	o->lo = UINTPTR_MAX;
	for (size_t i = 0; i < 3; i++) {
		s[i] = (struct pfe_site){.func = (uintptr_t)fns[i],
					 .pc = (uintptr_t)fns[i] + 4,
					 .name = "stub_fn",
					 .obj = o,
					 .state = PFE_SITE_INIT,
					 .flags = PFE_SITE_BTI,
					 .nops = 2};
		if (s[i].func < o->lo)
			o->lo = s[i].func & ~(uintptr_t)3;
		if (s[i].func + 20 > o->hi)
			o->hi = s[i].func + 20;
	}
	qsort(s, 3, sizeof(s[0]), cmp_site);
	o->tab.sites = s;
	o->tab.nsites = 3;
}

static struct pfe_site *site_for(struct pfe_site *s, void *fn)
{
	for (size_t i = 0; i < 3; i++)
		if (s[i].func == (uintptr_t)fn)
			return &s[i];
	return NULL;
}

static void test_near_object(void **state)
{
	struct pfe_object o;
	struct pfe_site s[3], *a, *b, *batch[2];
	struct pfe_stub_stats before = pfe_stub_stats;
	struct seen seen_a = {0}, seen_b = {0};
	uintptr_t stub_a_addr, stub_b_addr, to = 0;

	near_object(&o, s);
	a = site_for(s, stub_a);
	b = site_for(s, stub_b);
	rcu_assign_pointer(a->hooks, vec_of(h_seen, &seen_a, NULL, NULL));
	rcu_assign_pointer(b->hooks, vec_of(h_seen, &seen_b, h_add100, NULL));
	batch[0] = a;
	batch[1] = b;
	assert_int_equal(pfe_sites_make_call(batch, 2), 0);

	/* One arena, one page made live for both: RW then R-X. */
	assert_int_equal(pfe_stub_stats.arenas, before.arenas + 1);
	assert_int_equal(pfe_stub_stats.pages, before.pages + 1);
	assert_int_equal(pfe_stub_stats.mprotects, before.mprotects + 2);
	assert_int_equal(pfe_stubs_bytes(&o), ps);

	stub_a_addr = pfe_stub_live(a);
	stub_b_addr = pfe_stub_live(b);
	assert_true(stub_a_addr && stub_b_addr);
	/* Stubs sit in table order, 16 bytes apart, after the veneer slot. */
	assert_int_equal(stub_b_addr - stub_a_addr, 16 * (size_t)(b - a));
	assert_int_equal(stub_a_addr % 16, 0);
	assert_true(a->flags & PFE_SITE_STUB);
	assert_int_equal(pfe_stub_target(a), trampoline(false));
	assert_stub(stub_a_addr, a, trampoline(false));
	assert_stub(stub_b_addr, b, trampoline(false));
	/* The table's third site is on the same page, so it has its stub too. */
	assert_stub(stub_a_addr + 16 * (size_t)(&s[2] - a), &s[2], trampoline(false));
	assert_int_equal(mapping_of(stub_a_addr).prot, PROT_READ | PROT_EXEC);

	/* Slot 1: bl <stub>. */
	assert_int_equal(insn_at(a->pc), PFE_INSN_MOV_X9_X30);
	assert_true(pfe_insn_is_bl(insn_at(a->pc + 4)));
	assert_true(pfe_insn_branch_target(a->pc + 4, insn_at(a->pc + 4), &to));
	assert_int_equal(to, stub_a_addr);

	/* The single hook (direct call) and a vector of two (the walk). */
	assert_int_equal(stub_a(41), 42);
	assert_int_equal(seen_a.calls, 1);
	assert_ptr_equal(seen_a.site, a);
	assert_int_equal(seen_a.x0, 41);
	assert_int_equal(stub_b(1), 103);
	assert_int_equal(seen_b.calls, 1);
	assert_ptr_equal(seen_b.site, b);
	assert_int_equal(stub_c(1), 4);

	/* Back to NOP, then enabled again: the same stub, nothing committed. */
	assert_int_equal(pfe_sites_make_nop(batch, 2), 0);
	assert_int_equal(insn_at(a->pc + 4), PFE_INSN_NOP);
	assert_false(a->flags & PFE_SITE_STUB);
	assert_int_equal(stub_a(41), 42);
	assert_int_equal(seen_a.calls, 1);
	before = pfe_stub_stats;
	assert_int_equal(pfe_site_make_call(a), 0);
	assert_int_equal(pfe_stub_stats.mprotects, before.mprotects);
	assert_true(pfe_insn_branch_target(a->pc + 4, insn_at(a->pc + 4), &to));
	assert_int_equal(to, stub_a_addr);
	assert_int_equal(stub_a(7), 8);
	assert_int_equal(seen_a.calls, 2);
	assert_int_equal(pfe_site_make_nop(a), 0);

	/* After the object's grace period: the arena is gone. */
	synchronize_rcu();
	free(a->hooks);
	free(b->hooks);
	pfe_stubs_free(&o);
	assert_null(o.stubs);
	assert_int_equal(pfe_text_prot_at(stub_a_addr), -ENOENT);
	assert_wx_clean(0, 0);
}

/* A page holding far_code, at least 4 GiB from this program. */
static uintptr_t map_far(void)
{
	uintptr_t hint = ((uintptr_t)pfe_site_trampoline & ~(ps - 1)) + 8 * GIB;
	void *p =
	    mmap((void *)hint, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	if (distance((uintptr_t)p, (uintptr_t)pfe_site_trampoline) < 4 * GIB)
		fail_msg("mmap(%#lx) gave %p, too close to the trampoline", (unsigned long)hint, p);
	memcpy(p, far_code, sizeof(far_code));
	assert_int_equal(mprotect(p, ps, PROT_READ | PROT_EXEC), 0);
	__builtin___clear_cache((char *)p, (char *)p + sizeof(far_code));
	return (uintptr_t)p;
}

/* The 8 GiB case: the stub is near the object, its B goes to the veneer at
 * the arena's start, which reaches the trampoline's far entry. */
static void test_far_object(void **state)
{
	uintptr_t far = map_far(), stub, base, to = 0, lit = 0;
	struct pfe_object o = {.name = "far", .lo = far, .hi = far + ps};
	struct pfe_site s = {.pc = far, .func = far, .name = "far_add1", .obj = &o, .nops = 2};
	struct pfe_site *sp = &s;
	struct seen seen = {0};

	o.tab.sites = &s;
	o.tab.nsites = 1;
	assert_int_equal(call(far, 41), 42);
	assert_int_equal(pfe_sites_init_nop(&sp, 1), 0);
	rcu_assign_pointer(s.hooks, vec_of(h_seen, &seen, h_add100, NULL));
	assert_int_equal(pfe_sites_make_call(&sp, 1), 0);
	assert_int_equal(s.state, PFE_SITE_CALL);
	assert_true(s.flags & PFE_SITE_STUB);

	stub = pfe_stub_live(&s);
	assert_true(stub);
	assert_true(distance(stub, far) < 128 * MIB);
	assert_true(pfe_insn_branch_target(far + 4, insn_at(far + 4), &to));
	assert_int_equal(to, stub);
	/* No veneer page of veneer.c: the arena holds it. */
	assert_int_equal(o.veneer, 0);

	base = stub - 16;
	assert_int_equal(pfe_stub_target(&s), base);
	assert_stub(stub, &s, base);
	/* ldr x16, .+8; br x16; .quad <far entry> */
	assert_int_equal(insn_at(base), 0x58000050);
	assert_int_equal(insn_at(base + 4), 0xd61f0200);
	memcpy(&lit, (const void *)(base + 8), sizeof(lit));
	assert_int_equal(lit, trampoline(true));
	assert_int_equal(insn_at(trampoline(true)), PFE_INSN_BTI_C);
	assert_int_equal(mapping_of(base).prot, PROT_READ | PROT_EXEC);

	assert_int_equal(call(far, 41), 142);
	assert_int_equal(seen.calls, 1);
	assert_ptr_equal(seen.site, &s);
	assert_int_equal(seen.x0, 41);

	assert_int_equal(pfe_sites_make_nop(&sp, 1), 0);
	assert_int_equal(insn_at(far + 4), PFE_INSN_NOP);
	assert_int_equal(call(far, 1), 2);
	assert_int_equal(seen.calls, 1);
	synchronize_rcu();
	free(s.hooks);
	pfe_stubs_free(&o);
	assert_int_equal(pfe_text_prot_at(base), -ENOENT);
	assert_wx_clean(0, 0);
	munmap((void *)far, ps);
}

/* A site that is not in its object's table has no stub: the common
 * trampoline, found by address. */
static void test_site_outside_table(void **state)
{
	struct pfe_object o;
	struct pfe_site s[3], lone, *lp = &lone;
	uintptr_t to = 0;

	near_object(&o, s);
	lone = s[0];
	lone.obj = &o;
	o.tab.sites = NULL;
	o.tab.nsites = 0;
	assert_int_equal(pfe_sites_make_call(&lp, 1), 0);
	assert_false(lone.flags & PFE_SITE_STUB);
	assert_int_equal(pfe_stub_live(&lone), 0);
	assert_true(pfe_insn_branch_target(lone.pc + 4, insn_at(lone.pc + 4), &to));
	assert_int_equal(to, pfe_tramp_addr);
	assert_int_equal(pfe_sites_make_nop(&lp, 1), 0);
	assert_int_equal(insn_at(lone.pc + 4), PFE_INSN_NOP);
	pfe_stubs_free(&o);
}

static int setup(void **state)
{
	ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_near_object),
	    cmocka_unit_test(test_far_object),
	    cmocka_unit_test(test_site_outside_table),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
