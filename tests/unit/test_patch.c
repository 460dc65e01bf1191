/* SPDX-License-Identifier: MIT */
/*
 * patch.c: the site state machine on real functions of this program, built
 * with patchable_function_entry(2, 0). Asserts the exact words in both slots
 * after every transition, that the test trampoline runs exactly when the
 * site is enabled and the function still returns the right value, that
 * wrong-state and wrong-word transitions are refused and change nothing,
 * and the number of protection changes per batch.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "unit/patch_util.h"

#define PATCHABLE __attribute__((patchable_function_entry(2, 0), noipa, used))

static PATCHABLE int pf_add1(int x)
{
	return x + 1;
}

static PATCHABLE int pf_procmem(int x)
{
	return x * 7;
}

/* Sixteen patchable functions; each PF(n) is a definition, not a statement. */
/* clang-format off */
#define PF(n)                                                                                      \
	static PATCHABLE int pf_##n(int x)                                                         \
	{                                                                                          \
		return x * 2 + n;                                                                  \
	}
PF(0)
PF(1)
PF(2)
PF(3)
PF(4)
PF(5)
PF(6)
PF(7)
PF(8)
PF(9)
PF(10)
PF(11)
PF(12)
PF(13)
PF(14)
PF(15)
#undef PF
/* clang-format on */

typedef int (*int_fn)(int);
static int_fn const batch_fns[] = {pf_0, pf_1, pf_2,  pf_3,  pf_4,  pf_5,  pf_6,  pf_7,
				   pf_8, pf_9, pf_10, pf_11, pf_12, pf_13, pf_14, pf_15};
#define NBATCH (sizeof(batch_fns) / sizeof(batch_fns[0]))

static struct pfe_object obj;

/* n for pf_n */
static int fn_index(int_fn fn)
{
	for (size_t i = 0; i < NBATCH; i++) {
		if (batch_fns[i] == fn)
			return (int)i;
	}
	fail();
	return -1;
}

/* Call through a volatile pointer: the compiler must not fold the call. */
static int call(int_fn fn, int x)
{
	int_fn volatile f = fn;

	return f(x);
}

static void site_of(struct pfe_site *s, int_fn fn, const char *name)
{
	*s = (struct pfe_site){
	    .pc = site_pc_of((void (*)(void))fn),
	    .func = (uintptr_t)fn,
	    .name = name,
	    .obj = &obj,
	    .state = PFE_SITE_COMPILED,
	    .nops = 2,
	};
	if (s->pc != s->func)
		s->flags |= PFE_SITE_BTI;
	/* As compiled: two NOPs. */
	assert_int_equal(insn_at(s->pc), PFE_INSN_NOP);
	assert_int_equal(insn_at(s->pc + 4), PFE_INSN_NOP);
}

static void assert_slots(const struct pfe_site *s, uint32_t slot0, uint32_t slot1)
{
	assert_int_equal(insn_at(s->pc), slot0);
	assert_int_equal(insn_at(s->pc + 4), slot1);
}

/* Enabled: mov x9, x30; bl <test_tramp>, decoded back to the trampoline. */
static void assert_enabled(const struct pfe_site *s)
{
	uintptr_t target = 0;

	assert_int_equal(s->state, PFE_SITE_CALL);
	assert_int_equal(insn_at(s->pc), PFE_INSN_MOV_X9_X30);
	assert_true(pfe_insn_is_bl(insn_at(s->pc + 4)));
	assert_true(pfe_insn_branch_target(s->pc + 4, insn_at(s->pc + 4), &target));
	assert_int_equal(target, (uintptr_t)test_tramp);
	assert_int_equal(insn_at(s->pc + 4), pfe_insn_bl(s->pc + 4, (uintptr_t)test_tramp));
}

static void test_lifecycle(void **state)
{
	struct pfe_site s;
	struct pfe_text_stats before;
	uint64_t calls;
	struct pfe_map text;

	site_of(&s, pf_add1, "pf_add1");
	assert_int_equal(call(pf_add1, 41), 42);

	/* Compiled: only init_nop is allowed. */
	assert_int_equal(pfe_site_make_call(&s), -EINVAL);
	assert_int_equal(pfe_site_make_nop(&s), -EINVAL);
	assert_slots(&s, PFE_INSN_NOP, PFE_INSN_NOP);
	assert_int_equal(s.state, PFE_SITE_COMPILED);

	before = pfe_text_stats;
	assert_int_equal(pfe_site_init_nop(&s), 0);
	assert_int_equal(s.state, PFE_SITE_INIT);
	assert_slots(&s, PFE_INSN_MOV_X9_X30, PFE_INSN_NOP);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 2);
	assert_int_equal(pfe_text_stats.words - before.words, 1);
	calls = tramp_calls;
	assert_int_equal(call(pf_add1, 1), 2);
	assert_int_equal(tramp_calls, calls);
	assert_int_equal(pfe_site_init_nop(&s), -EINVAL);
	assert_int_equal(pfe_site_make_nop(&s), -EINVAL);
	assert_slots(&s, PFE_INSN_MOV_X9_X30, PFE_INSN_NOP);

	for (int round = 0; round < 3; round++) {
		before = pfe_text_stats;
		assert_int_equal(pfe_site_make_call(&s), 0);
		assert_enabled(&s);
		assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 2);
		assert_int_equal(pfe_site_make_call(&s), -EINVAL);
		assert_int_equal(pfe_site_init_nop(&s), -EINVAL);
		assert_enabled(&s);

		tramp_calls = tramp_lr = tramp_body = 0;
		assert_int_equal(call(pf_add1, 10 * round), 10 * round + 1);
		assert_int_equal(call(pf_add1, -5), -4);
		assert_int_equal(tramp_calls, 2);
		assert_int_equal(tramp_body, s.pc + 8);
		/* x9 held the caller's return address: just after its BLR. */
		assert_int_equal(mapping_of(tramp_lr).prot, PROT_READ | PROT_EXEC);
		assert_int_equal(insn_at(tramp_lr - 4) & 0xfffffc1f, 0xd63f0000);

		assert_int_equal(pfe_site_make_nop(&s), 0);
		assert_int_equal(s.state, PFE_SITE_INIT);
		assert_slots(&s, PFE_INSN_MOV_X9_X30, PFE_INSN_NOP);
		assert_int_equal(call(pf_add1, 7), 8);
		assert_int_equal(tramp_calls, 2);
		assert_int_equal(pfe_site_make_nop(&s), -EINVAL);
	}
	text = mapping_of(s.pc);
	assert_int_equal(text.prot, PROT_READ | PROT_EXEC);
	assert_wx_clean(0, 0);
}

/* Number of runs of contiguous pages the slots of @s touch. */
static size_t page_runs(const struct pfe_site *s, size_t n, unsigned slot)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE), last = 0;
	size_t runs = 0;

	/* The functions are laid out in order; sort would be needed otherwise. */
	for (size_t i = 0; i < n; i++) {
		uintptr_t page = (s[i].pc + 4 * slot) & ~(ps - 1);

		assert_true(page >= last);
		if (!runs || page > last + ps)
			runs++;
		last = page;
	}
	return runs;
}

static void test_batch(void **state)
{
	struct pfe_site s[NBATCH], *p[NBATCH];
	struct pfe_text_stats before;
	size_t runs;

	for (size_t i = 0; i < NBATCH; i++) {
		site_of(&s[i], batch_fns[i], "pf_n");
		p[i] = &s[i];
	}
	if (s[0].pc > s[NBATCH - 1].pc) { /* laid out backwards */
		for (size_t i = 0; i < NBATCH / 2; i++) {
			struct pfe_site t = s[i];

			s[i] = s[NBATCH - 1 - i];
			s[NBATCH - 1 - i] = t;
		}
	}
	runs = page_runs(s, NBATCH, 0);

	before = pfe_text_stats;
	assert_int_equal(pfe_sites_init_nop(p, NBATCH), 0);
	assert_int_equal(pfe_text_stats.applies - before.applies, 1);
	assert_int_equal(pfe_text_stats.runs - before.runs, runs);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 2 * runs);
	assert_int_equal(pfe_text_stats.words - before.words, NBATCH);

	before = pfe_text_stats;
	assert_int_equal(pfe_sites_make_call(p, NBATCH), 0);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 2 * page_runs(s, NBATCH, 1));
	tramp_calls = 0;
	for (size_t i = 0; i < NBATCH; i++) {
		int_fn fn = (int_fn)s[i].func;

		assert_enabled(&s[i]);
		assert_int_equal(call(fn, 100), 200 + fn_index(fn));
	}
	assert_int_equal(tramp_calls, NBATCH);

	/* A batch with one site in the wrong state: that site alone is refused. */
	assert_int_equal(pfe_site_make_nop(&s[3]), 0);
	before = pfe_text_stats;
	assert_int_equal(pfe_sites_make_nop(p, NBATCH), -EINVAL);
	assert_int_equal(pfe_text_stats.words - before.words, NBATCH - 1);
	for (size_t i = 0; i < NBATCH; i++) {
		assert_int_equal(s[i].state, PFE_SITE_INIT);
		assert_slots(&s[i], PFE_INSN_MOV_X9_X30, PFE_INSN_NOP);
	}
	tramp_calls = 0;
	for (size_t i = 0; i < NBATCH; i++)
		assert_int_equal(call((int_fn)s[i].func, 1), 2 + fn_index((int_fn)s[i].func));
	assert_int_equal(tramp_calls, 0);
	assert_int_equal(pfe_sites_make_nop(p, 0), 0);
	assert_wx_clean(0, 0);
}

/* The words in memory are not what the state says: refused, untouched. */
static void test_wrong_word(void **state)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	/* Near the trampoline if that address is free; skipped otherwise. */
	uintptr_t hint = ((uintptr_t)test_tramp & ~(ps - 1)) - ((uintptr_t)32 << 20);
	uint32_t *page =
	    mmap((void *)hint, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pfe_object o = {.name = "anon"};
	struct pfe_site s = {.pc = 0, .obj = &o, .state = PFE_SITE_INIT, .nops = 2};

	assert_true(page != MAP_FAILED);
	page[0] = PFE_INSN_MOV_X9_X30;
	page[1] = PFE_INSN_BTI_C;
	page[2] = PFE_INSN_NOP;
	page[3] = PFE_INSN_NOP;
	assert_int_equal(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
	o.lo = (uintptr_t)page;
	o.hi = o.lo + ps;
	s.pc = (uintptr_t)page;
	if (!pfe_insn_reachable_by_bl(s.pc + 4, pfe_tramp_addr)) {
		/* Keep this test about words, not veneers. */
		munmap(page, ps);
		skip();
	}
	assert_int_equal(pfe_site_make_call(&s), -EILSEQ);
	assert_int_equal(s.state, PFE_SITE_INIT);
	assert_int_equal(page[1], PFE_INSN_BTI_C);

	/* An enabled site whose slot holds a BL elsewhere is not disabled. */
	s.state = PFE_SITE_CALL;
	s.pc = (uintptr_t)&page[2];
	assert_int_equal(pfe_site_make_nop(&s), -EILSEQ);
	assert_int_equal(s.state, PFE_SITE_CALL);
	assert_int_equal(page[3], PFE_INSN_NOP);

	/* Misaligned pc or fewer than two NOPs. */
	s.pc = (uintptr_t)page + 2;
	s.state = PFE_SITE_INIT;
	assert_int_equal(pfe_site_make_call(&s), -EINVAL);
	s.pc = (uintptr_t)page;
	s.nops = 1;
	assert_int_equal(pfe_site_make_call(&s), -EINVAL);
	assert_int_equal(page[1], PFE_INSN_BTI_C);
	assert_int_equal(mapping_of((uintptr_t)page).prot, PROT_READ | PROT_EXEC);
	munmap(page, ps);
}

/* No trampoline within reach of a site without an object: refused. */
static void test_unreachable(void **state)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t hint = ((uintptr_t)test_tramp + ((uintptr_t)8 << 30)) & ~(ps - 1);
	uint32_t *page =
	    mmap((void *)hint, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pfe_site s = {.state = PFE_SITE_INIT, .nops = 2};
	uintptr_t saved = pfe_tramp_addr;

	assert_true(page != MAP_FAILED);
	page[0] = PFE_INSN_MOV_X9_X30;
	page[1] = PFE_INSN_NOP;
	assert_int_equal(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
	s.pc = (uintptr_t)page;
	assert_false(pfe_insn_reachable_by_bl(s.pc + 4, pfe_tramp_addr));
	assert_int_equal(pfe_site_make_call(&s), -ERANGE);
	assert_int_equal(s.state, PFE_SITE_INIT);
	assert_int_equal(page[1], PFE_INSN_NOP);
	/* No trampoline at all. */
	pfe_tramp_addr = 0;
	s.pc = (uintptr_t)site_pc_of((void (*)(void))pf_add1);
	assert_int_equal(pfe_site_make_call(&s), -ERANGE);
	pfe_tramp_addr = saved;
	munmap(page, ps);
}

/* Through /proc/self/mem: same words, no protection change. pf_procmem has
 * never run, so qemu-user (which cannot see this write) has no stale copy. */
static void test_procmem(void **state)
{
	struct pfe_site s;
	struct pfe_text_stats before = pfe_text_stats;

	site_of(&s, pf_procmem, "pf_procmem");
	pfe_text_force_procmem = true;
	assert_int_equal(pfe_site_init_nop(&s), 0);
	assert_int_equal(pfe_site_make_call(&s), 0);
	pfe_text_force_procmem = false;
	assert_enabled(&s);
	assert_int_equal(pfe_text_stats.mprotects - before.mprotects, 0);
	assert_int_equal(pfe_text_stats.procmem - before.procmem, 2);
	tramp_calls = 0;
	assert_int_equal(call(pf_procmem, 6), 42);
	assert_int_equal(tramp_calls, 1);
	assert_int_equal(tramp_body, s.pc + 8);
	assert_int_equal(mapping_of(s.pc).prot, PROT_READ | PROT_EXEC);
	assert_wx_clean(0, 0);
}

static PATCHABLE int pf_stress(int x)
{
	return x + 1000;
}

struct stress {
	volatile bool stop;
	unsigned long calls, wrong;
};

static void *stress_caller(void *arg)
{
	struct stress *st = arg;

	while (!st->stop) {
		int x = (int)(st->calls & 0xffff);

		if (call(pf_stress, x) != x + 1000)
			st->wrong++;
		st->calls++;
	}
	return NULL;
}

/*
 * Another thread calls the function all along while its site is switched
 * between NOP and BL: every call returns the right value, the trampoline
 * runs on some calls and never after the last make_nop.
 */
static void test_toggle_while_running(void **state)
{
	struct pfe_site s;
	struct stress st = {0};
	pthread_t t;
	unsigned long calls;
	int rounds = 100;

	site_of(&s, pf_stress, "pf_stress");
	assert_int_equal(pfe_site_init_nop(&s), 0);
	tramp_calls = 0;
	assert_int_equal(pthread_create(&t, NULL, stress_caller, &st), 0);
	for (int i = 0; i < rounds; i++) {
		assert_int_equal(pfe_site_make_call(&s), 0);
		sched_yield();
		assert_int_equal(pfe_site_make_nop(&s), 0);
	}
	/* A call that executed the BL before the last make_nop may still be on
	 * its way through the trampoline: let the caller finish two more calls
	 * (each starting after the NOP was in place) before taking the count. */
	for (unsigned long seen = __atomic_load_n(&st.calls, __ATOMIC_RELAXED);
	     __atomic_load_n(&st.calls, __ATOMIC_RELAXED) < seen + 2;)
		sched_yield();
	calls = __atomic_load_n(&tramp_calls, __ATOMIC_RELAXED);
	st.stop = true;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(st.wrong, 0);
	assert_true(st.calls > 0);
	assert_true(tramp_calls <= st.calls);
	/* Disabled before the thread stopped: no further trampoline calls. */
	assert_int_equal(tramp_calls, calls);
	assert_slots(&s, PFE_INSN_MOV_X9_X30, PFE_INSN_NOP);
	assert_int_equal(mapping_of(s.pc).prot, PROT_READ | PROT_EXEC);
	assert_wx_clean(0, 0);
	print_message("# %lu calls, %lu through the trampoline, %d toggles\n", st.calls,
		      (unsigned long)tramp_calls, rounds);
}

static int setup(void **state)
{
	struct pfe_map m = mapping_of((uintptr_t)pf_add1);
	static struct pfe_text_seg seg;

	seg = (struct pfe_text_seg){m.start, m.end, m.prot};
	obj = (struct pfe_object){.path = (char *)"test_patch",
				  .name = "test_patch",
				  .lo = m.start,
				  .hi = m.end,
				  .segs = &seg,
				  .nsegs = 1};
	pfe_tramp_addr = (uintptr_t)test_tramp;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifecycle),  cmocka_unit_test(test_batch),
	    cmocka_unit_test(test_wrong_word), cmocka_unit_test(test_unreachable),
	    cmocka_unit_test(test_procmem),    cmocka_unit_test(test_toggle_while_running),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
