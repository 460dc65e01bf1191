/* SPDX-License-Identifier: MIT */
/*
 * veneer.c: a patchable function copied more than 128 MiB away from the
 * trampoline (this program, which holds libpfe.a) is hooked through a veneer.
 * Asserts slot 1's BL lands on a veneer within BL range of the site, the
 * veneer's exact words and its target, its R-X rights, that calling the far
 * function runs the test trampoline and returns the right value, reuse of a
 * veneer by a neighbouring object, and the direct case.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "unit/patch_util.h"

#define GIB ((uintptr_t)1 << 30)
#define MIB ((uintptr_t)1 << 20)

/* int f(int x) { return x + 1; } built with two patchable NOPs, position
 * independent so it runs wherever it is copied. */
static const uint32_t far_code[] = {PFE_INSN_NOP, PFE_INSN_NOP, 0x11000400 /* add w0, w0, #1 */,
				    0xd65f03c0 /* ret */};

static uintptr_t ps;

static uintptr_t distance(uintptr_t a, uintptr_t b)
{
	return a > b ? a - b : b - a;
}

/* A page holding far_code, at least 4 GiB from this program. */
static uintptr_t map_far(uintptr_t offset)
{
	uintptr_t hint = (((uintptr_t)test_tramp & ~(ps - 1)) + 8 * GIB + offset);
	void *p =
	    mmap((void *)hint, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	if (distance((uintptr_t)p, (uintptr_t)test_tramp) < 4 * GIB)
		fail_msg("mmap(%#lx) gave %p, too close to the trampoline", (unsigned long)hint, p);
	assert_true(distance((uintptr_t)p, (uintptr_t)pfe_call_target) > 4 * GIB);
	memcpy(p, far_code, sizeof(far_code));
	assert_int_equal(mprotect(p, ps, PROT_READ | PROT_EXEC), 0);
	__builtin___clear_cache((char *)p, (char *)p + sizeof(far_code));
	return (uintptr_t)p;
}

static struct pfe_object object_at(uintptr_t page, const char *name)
{
	return (struct pfe_object){.name = name, .lo = page, .hi = page + ps};
}

static int call(uintptr_t fn, int x)
{
	int (*volatile f)(int) = (int (*)(int))fn;

	return f(x);
}

static void test_far_object(void **state)
{
	uintptr_t far = map_far(0), v = 0, target = 0;
	struct pfe_object obj = object_at(far, "far");
	struct pfe_site s = {.pc = far, .func = far, .name = "far_add1", .obj = &obj, .nops = 2};
	struct pfe_site *sp = &s;

	assert_int_equal(call(far, 41), 42);
	assert_int_equal(pfe_sites_init_nop(&sp, 1), 0);
	assert_int_equal(pfe_sites_make_call(&sp, 1), 0);
	assert_int_equal(s.state, PFE_SITE_CALL);

	/* Slot 1 branches to a veneer near the site, not to the trampoline. */
	assert_int_equal(insn_at(far), PFE_INSN_MOV_X9_X30);
	assert_true(pfe_insn_branch_target(far + 4, insn_at(far + 4), &v));
	assert_true(pfe_insn_is_bl(insn_at(far + 4)));
	assert_int_equal(v, obj.veneer);
	assert_true(v != (uintptr_t)test_tramp);
	assert_true(pfe_insn_reachable_by_bl(far + 4, v));
	assert_true(distance(v, far) < 128 * MIB);

	/* ldr x16, .+8; br x16; .quad test_tramp -- on an R-X page. */
	assert_int_equal(insn_at(v), 0x58000050);
	assert_int_equal(insn_at(v + 4), 0xd61f0200);
	memcpy(&target, (const void *)(v + 8), sizeof(target));
	assert_int_equal(target, (uintptr_t)test_tramp);
	assert_int_equal(mapping_of(v).prot, PROT_READ | PROT_EXEC);
	assert_int_equal(mapping_of(far).prot, PROT_READ | PROT_EXEC);

	tramp_calls = tramp_body = 0;
	assert_int_equal(call(far, 41), 42);
	assert_int_equal(call(far, -1), 0);
	assert_int_equal(tramp_calls, 2);
	assert_int_equal(tramp_body, far + 8);

	/* A neighbour within range shares the veneer; the call target is cached. */
	{
		uintptr_t near = map_far(16 * MIB);
		struct pfe_object obj2 = object_at(near, "near");

		assert_int_equal(pfe_call_target(&obj2), v);
		assert_int_equal(obj2.veneer, v);
		assert_int_equal(pfe_call_target(&obj), v);
		munmap((void *)near, ps);
	}

	assert_int_equal(pfe_sites_make_nop(&sp, 1), 0);
	assert_int_equal(insn_at(far + 4), PFE_INSN_NOP);
	assert_int_equal(call(far, 1), 2);
	assert_int_equal(tramp_calls, 2);
	assert_wx_clean(0, 0);
	munmap((void *)far, ps);
}

/* Objects within range of the trampoline branch to it directly. */
static void test_direct(void **state)
{
	struct pfe_map text = mapping_of((uintptr_t)test_tramp);
	struct pfe_object obj = {.name = "self", .lo = text.start, .hi = text.end};
	struct pfe_object bad = {.name = "empty"};

	assert_int_equal(pfe_call_target(&obj), (uintptr_t)test_tramp);
	assert_int_equal(obj.veneer, 0);
	/* An object with no executable span gets no target. */
	assert_int_equal(pfe_call_target(&bad), 0);
}

/* PROT_NONE reservation of exactly [@start, @start + @len), or 0. */
static uintptr_t reserve(uintptr_t start, uintptr_t len)
{
	void *p =
	    mmap((void *)start, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	if ((uintptr_t)p != start) {
		munmap(p, len);
		return 0;
	}
	return start;
}

/*
 * Every hint address is taken: the space within BL range on both sides is
 * reserved but for one page, which the search through /proc/self/maps must
 * find.
 */
static void test_gap(void **state)
{
	uintptr_t far = map_far(GIB), hole = far - 50 * MIB;
	uintptr_t below = reserve(far - 129 * MIB, 129 * MIB);
	uintptr_t above = reserve(far + ps, 129 * MIB);
	struct pfe_object obj = object_at(far, "crowded");

	if (!below || !above)
		skip();
	assert_int_equal(munmap((void *)hole, ps), 0);
	assert_int_equal(pfe_call_target(&obj), hole);
	assert_int_equal(insn_at(hole), 0x58000050);
	assert_int_equal(mapping_of(hole).prot, PROT_READ | PROT_EXEC);
	munmap((void *)below, 129 * MIB);
	munmap((void *)above, 129 * MIB);
	munmap((void *)far, ps);
}

static int setup(void **state)
{
	ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	pfe_tramp_addr = (uintptr_t)test_tramp;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_far_object),
	    cmocka_unit_test(test_direct),
	    cmocka_unit_test(test_gap),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
