/* SPDX-License-Identifier: MIT */
/*
 * Exit hooks through the public API (pfe_hook_add_ops) with the real patch
 * engine, trampolines and shadow stacks: hand-made sites in this program
 * (`bti c; mov x9, x30; nop; b <C body>`), published on the object list.
 * Asserts the exact sequence of exit-hook calls and their ret->flags: 0 for
 * a return, PFE_RET_UNWOUND for a frame left by longjmp, a coroutine switch
 * or pthread_exit, innermost first and at the moment it is left; the depth
 * on coroutine stacks; the PFE_DEPTH bound. Each case runs twice: with an
 * ordinary hook, and with a fused one (lib/hooks/dispatch.h) whose entry pushes
 * through lib/hooks/shadow.h and whose exit arch/arm64/ret_tramp.S calls with the
 * level and entry time: the same log, the common cases never in C.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <cmocka.h>

#include "hooks.h"
#include "exit.h"
#include "interpose.h"
#include "shadow.h"

#define NOINL __attribute__((noinline, noclone, optimize("no-optimize-sibling-calls")))

/* An initialised site whose body is the C function @impl. */
#define FN(name, impl)                                                                             \
	".text\n.p2align 4\n.globl " #name "\n.type " #name ", %function\n" #name ":\n"            \
	"bti c\nmov x9, x30\nnop\nb " #impl "\n.size " #name ", .-" #name "\n"

long ex_a(long), ex_b(long), ex_c(long), ex_rec(long), ex_co(long), ex_yield(long), ex_resume(long);
long a_impl(long), b_impl(long), c_impl(long), rec_impl(long), co_impl(long), yield_impl(long),
    resume_impl(long);

__asm__(FN(ex_a, a_impl) FN(ex_b, b_impl) FN(ex_c, c_impl) FN(ex_rec, rec_impl) FN(ex_co, co_impl)
	    FN(ex_yield, yield_impl) FN(ex_resume, resume_impl));

#define NSITES 7
static struct pfe_object obj;
static struct pfe_site sites[NSITES];

/* -------------------------------------------------------------- bodies */

static jmp_buf jb;
static long jump_at;		/* ex_c longjmps when its argument is this */
static struct pfe_hook *detach; /* ex_c detaches it when its argument is -3 */

NOINL long c_impl(long x)
{
	if (x == jump_at)
		longjmp(jb, 1);
	if (x == -3) {
		assert_int_equal(pfe_hook_remove(detach), 0);
		detach = NULL;
	}
	if (x == -2)
		pthread_exit(NULL);
	return x + 100;
}

NOINL long b_impl(long x)
{
	return ex_c(x) + 10;
}

NOINL long a_impl(long x)
{
	return ex_b(x) + 1;
}

NOINL long rec_impl(long n)
{
	return n ? ex_rec(n - 1) + 1 : 0;
}

static ucontext_t main_uc, co_uc;

NOINL long yield_impl(long x)
{
	swapcontext(&co_uc, &main_uc);
	return x;
}

/* On the coroutine stack: yields from two frames down, twice. */
NOINL long co_impl(long x)
{
	ex_yield(x);
	ex_yield(x + 1);
	return x;
}

static void co_entry(void)
{
	ex_co(5);
}

NOINL long resume_impl(long x)
{
	swapcontext(&main_uc, &co_uc);
	return x;
}

static void co_make(char *stack, size_t size)
{
	getcontext(&co_uc);
	co_uc.uc_stack.ss_sp = stack;
	co_uc.uc_stack.ss_size = size;
	co_uc.uc_link = &main_uc;
	makecontext(&co_uc, co_entry, 0);
}

/* ---------------------------------------------------------------- hooks */

#define LOG_MAX 64

static struct {
	char who; /* a, b, c, r, o (co), y */
	uint64_t flags;
	unsigned depth;
} log_[LOG_MAX];
static int nlog;
static long result_add;

static char who(const struct pfe_site *site)
{
	const char *n = pfe_site_name(site);

	return !strcmp(n, "ex_co") ? 'o' : !strcmp(n, "ex_resume") ? 'z' : n[3];
}

/* Hooks where pfe_exit_now (the graph tracer's level and room, set by
 * exit.c without a lookup) disagreed with pfe_exit_depth/room. */
static int now_wrong;

static void h_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	if (pfe_exit_now_level() != pfe_exit_depth() || pfe_exit_now_room() != pfe_exit_room())
		now_wrong++;
}

static void h_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns, void *data)
{
	if (pfe_exit_now_level() != pfe_exit_depth())
		now_wrong++;
	if (nlog < LOG_MAX) {
		log_[nlog].who = who(site);
		log_[nlog].flags = ret->flags;
		log_[nlog].depth = pfe_exit_now_level();
		nlog++;
	}
	if (!ret->flags)
		ret->x[0] += result_add;
}

/* The log as "<who><r or u><depth> ...": r returned, u unwound. */
static const char *log_text(void)
{
	static char b[LOG_MAX * 4 + 1];
	size_t n = 0;

	for (int i = 0; i < nlog; i++) {
		b[n++] = log_[i].who;
		b[n++] = log_[i].flags == 0 ? 'r' : log_[i].flags == PFE_RET_UNWOUND ? 'u' : '?';
		b[n++] = (char)('0' + (log_[i].depth > 9 ? 9 : log_[i].depth));
		b[n++] = ' ';
	}
	b[n ? n - 1 : 0] = '\0';
	assert_int_equal(now_wrong, 0);
	return b;
}

/* ---------------------------------------------------------- fused hooks */

static bool fused; /* attach() makes fused hooks */
static unsigned fast_entries, slow_entries, fused_exits, t0_wrong;
static unsigned long slow_returns0;

/* The entry times of the frames pushed since attach() and not yet exited:
 * each fused exit must get one of them. */
#define ISSUED_MAX 8192
static uint64_t issued[ISSUED_MAX];
static unsigned nissued;

static void issue(uint64_t t0)
{
	if (nissued < ISSUED_MAX)
		issued[nissued++] = t0;
}

static bool consume(uint64_t t0)
{
	for (unsigned i = nissued; i-- > 0;)
		if (issued[i] == t0) {
			issued[i] = issued[--nissued];
			return true;
		}
	return false;
}

static uint64_t now_ticks(void)
{
	uint64_t t;

	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t));
	return t;
}

static const struct pfe_hook_fused f_ops;

/* Shaped like the graph tracer's: the common push inline, the rest the
 * ordinary way (which calls h_entry). */
static void f_entry(const struct pfe_site *site, struct pfe_regs *regs, void *vec)
{
	struct pfe_shadow *s = pfe_shadow_reserve(regs->sp);
	unsigned level;
	uint64_t t0;

	if (!s) {
		slow_entries++;
		pfe_exit_enter_one(site, regs, vec);
		/* The frame it pushed, if any: the top of its stack. */
		s = pfe_thread.shadow;
		if (s && regs->lr == (uintptr_t)pfe_ret_trampoline) {
			const struct pfe_stack *k = &s->stk[pfe_stack_of(s, regs->sp)];

			if (k->n && k->f[k->n - 1].sp == regs->sp)
				issue(k->f[k->n - 1].t0);
		}
		return;
	}
	fast_entries++;
	level = pfe_shadow_level(s);
	if (level != pfe_exit_depth())
		now_wrong++;
	t0 = now_ticks();
	issue(t0);
	pfe_shadow_commit(s, level, site, regs, t0, &f_ops);
}

static void f_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, unsigned level,
		   uint64_t t0)
{
	fused_exits++;
	if (level != pfe_exit_depth())
		now_wrong++;
	/* The time its entry took, not another's. */
	if (!consume(t0))
		t0_wrong++;
	if (pfe_exit_lost) {
		pfe_exit_run_ordinary(site, ret, level, t0); /* h_exit */
		return;
	}
	if (nlog < LOG_MAX) {
		log_[nlog].who = who(site);
		log_[nlog].flags = ret->flags;
		log_[nlog].depth = level;
		nlog++;
	}
	if (!ret->flags)
		ret->x[0] += result_add;
}

static const struct pfe_hook_fused f_ops = {f_entry, f_exit};

static struct pfe_hook *attach(const char *pattern)
{
	struct pfe_hook_ops ops = {h_entry, h_exit, NULL};
	struct pfe_hook *h = fused ? pfe_hook_add_fused(pattern, &ops, &f_ops, 0)
				   : pfe_hook_add_ops(pattern, &ops, NULL);

	assert_non_null(h);
	nlog = 0;
	result_add = 0;
	fast_entries = slow_entries = fused_exits = t0_wrong = nissued = 0;
	slow_returns0 = pfe_exit_stats.slow_returns;
	return h;
}

/* Since attach(): returns the trampoline left to C. */
static unsigned long slow_returns(void)
{
	return pfe_exit_stats.slow_returns - slow_returns0;
}

/* In fused mode: @fast entries took the inline push and the rest fell
 * back; every exit was the fused one; t0 reached it intact. */
static void check_fused(unsigned fast, unsigned slow, unsigned exits)
{
	if (!fused)
		return;
	assert_int_equal(fast_entries, fast);
	assert_int_equal(slow_entries, slow);
	assert_int_equal(fused_exits, exits);
	assert_int_equal(t0_wrong, 0);
}

/* ---------------------------------------------------------------- tests */

static void test_return(void **state)
{
	struct pfe_hook *h = attach("ex_a,ex_b,ex_c");

	jump_at = -1;
	assert_int_equal(ex_a(1), 112);
	assert_string_equal(log_text(), "cr2 br1 ar0");
	nlog = 0;
	result_add = 1000;
	/* Each exit hook adds 1000 to its function's result. */
	assert_int_equal(ex_a(1), 3112);
	assert_int_equal(pfe_exit_depth(), 0);
	check_fused(6, 0, 6);
	assert_int_equal(slow_returns(), 0);
	assert_int_equal(pfe_hook_remove(h), 0);
}

static void test_longjmp(void **state)
{
	struct pfe_hook *h = attach("ex_a,ex_b,ex_c");
	volatile int round = 0;

	jump_at = 7;
	if (setjmp(jb)) {
		/* Closed by the longjmp itself, innermost first. */
		assert_string_equal(log_text(), "cu2 bu1 au0");
		assert_int_equal(pfe_exit_depth(), 0);
		if (++round == 3)
			goto done;
	}
	nlog = 0;
	ex_a(7);
	fail_msg("ex_a returned");
done:
	nlog = 0;
	assert_int_equal(ex_a(1), 112);
	assert_string_equal(log_text(), "cr2 br1 ar0");
	/* The closings are fused exits too, flagged unwound. */
	check_fused(12, 0, 12);
	assert_int_equal(slow_returns(), 0);
	assert_int_equal(pfe_hook_remove(h), 0);
}

static void test_depth_bound(void **state)
{
	struct pfe_hook *h = attach("ex_rec");
	unsigned limit = pfe_exit_limit();
	long n = limit + 500;
	int i;

	assert_int_equal(limit, PFE_DEPTH_DEFAULT);
	pfe_exit_take_lost();
	assert_int_equal(ex_rec(n), n);
	/* n + 1 calls, the deepest 501 beyond the bound: counted, no exit. */
	assert_int_equal(nlog, LOG_MAX);
	for (i = 0; i < LOG_MAX; i++)
		assert_int_equal(log_[i].flags, 0);
	/* Beyond the bound the fused entry falls back, and the exit after
	 * the lost calls takes the ordinary exit (which would report them). */
	check_fused(limit, n + 1 - limit, limit);
	assert_int_equal(slow_returns(), 0);
	assert_int_equal(pfe_exit_take_lost(), n + 1 - limit);
	assert_int_equal(pfe_exit_take_lost(), 0);
	assert_int_equal(pfe_exit_depth(), 0);
	assert_int_equal(pfe_hook_remove(h), 0);
}

static void test_coroutine(void **state)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct pfe_hook *h = attach("ex_a,ex_b,ex_c,ex_co,ex_yield,ex_resume");

	jump_at = -1;
	co_make(stack, sizeof(stack));
	/* Switched to from ex_resume: ex_co and ex_yield are open on the
	 * coroutine stack, nested under it, when it returns. */
	assert_int_equal(ex_resume(3), 3);
	assert_string_equal(log_text(), "zr0");
	assert_int_equal(pfe_exit_depth(), 0);
	/* Calls here nest as if the coroutine were not there. */
	nlog = 0;
	assert_int_equal(ex_a(1), 112);
	assert_string_equal(log_text(), "cr2 br1 ar0");
	/* Resumed: its first yield returns at its level under ex_resume. */
	nlog = 0;
	ex_resume(4);
	assert_string_equal(log_text(), "yr2 zr0");
	/* Resumed from here (no hooked frame): its frames nest at 0; the
	 * second yield returns, then ex_co, and uc_link comes back. */
	nlog = 0;
	swapcontext(&main_uc, &co_uc);
	assert_string_equal(log_text(), "yr1 or0");
	assert_int_equal(pfe_exit_depth(), 0);
	/* Two stacks: pushes and returns the long way, with the same log. */
	if (fused) {
		assert_true(slow_entries > 0);
		assert_int_equal(t0_wrong, 0);
	}
	assert_true(slow_returns() > 0);
	assert_int_equal(pfe_hook_remove(h), 0);
}

/* The hook is detached while three of its frames are open: a fused hook's
 * exits still come, each once, as the fused form outlives the hook (the
 * tracer's switches rely on it); an ordinary hook's do not, as the API
 * says (they run only before pfe_hook_remove returns). */
static void test_detached(void **state)
{
	detach = attach("ex_a,ex_b,ex_c");
	jump_at = -1;
	assert_int_equal(ex_a(-3), 108);
	assert_null(detach);
	assert_string_equal(log_text(), fused ? "cr2 br1 ar0" : "");
	check_fused(3, 0, 3);
	assert_int_equal(pfe_exit_depth(), 0);
}

/* pthread_exit two hooked frames down. */
static void *exiting_thread(void *arg)
{
	jump_at = -1;
	ex_a(-2);
	return NULL;
}

/* Returns with a coroutine suspended two hooked frames deep. */
static void *abandoning_thread(void *arg)
{
	co_make(arg, 64 * 1024);
	ex_resume(1);
	return NULL;
}

static void test_thread_end(void **state)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct pfe_hook *h = attach("ex_a,ex_b,ex_c,ex_co,ex_yield,ex_resume");
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, exiting_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(log_text(), "cu2 bu1 au0");
	nlog = 0;
	assert_int_equal(pthread_create(&t, NULL, abandoning_thread, stack), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(log_text(), "zr0 yu1 ou0");
	assert_int_equal(pfe_hook_remove(h), 0);
}

static int setup(void **state)
{
	static long (*const fns[NSITES])(long) = {ex_a,	 ex_b,	   ex_c,     ex_rec,
						  ex_co, ex_yield, ex_resume};
	static const char *const names[NSITES] = {"ex_a",  "ex_b",     "ex_c",	   "ex_rec",
						  "ex_co", "ex_yield", "ex_resume"};
	struct pfe_site tmp;

	pfe_fork_init();
	obj.path = (char *)"/fake/test_exit";
	obj.name = "test_exit";
	obj.lo = UINTPTR_MAX;
	for (size_t i = 0; i < NSITES; i++) {
		struct pfe_site *s = &sites[i];

		s->func = (uintptr_t)fns[i];
		s->pc = s->func + 4; /* after bti c */
		s->name = names[i];
		s->obj = &obj;
		s->state = PFE_SITE_INIT;
		s->flags = PFE_SITE_BTI;
		s->nops = 2;
		if (s->func < obj.lo)
			obj.lo = s->func;
		if (s->func + 16 > obj.hi)
			obj.hi = s->func + 16;
	}
	/* Sorted by address, as the site table is. */
	for (size_t i = 1; i < NSITES; i++)
		for (size_t j = i; j > 0 && sites[j].pc < sites[j - 1].pc; j--) {
			tmp = sites[j];
			sites[j] = sites[j - 1];
			sites[j - 1] = tmp;
		}
	obj.tab.sites = sites;
	obj.tab.nsites = NSITES;
	pfe_patch_lock();
	assert_int_equal(pfe_object_publish(&obj), 0);
	pfe_patch_unlock();
	return 0;
}

static int set_fused(void **state)
{
	fused = true;
	return 0;
}

static int set_ordinary(void **state)
{
	fused = false;
	return 0;
}

/* The thread's first hooked call pushes the long way (its shadow stack is
 * made then); the calls it makes, and every return, do not. */
static void test_fused_first_call(void **state)
{
	struct pfe_hook *h = attach("ex_a,ex_b,ex_c");

	jump_at = -1;
	assert_null(pfe_thread.shadow);
	assert_int_equal(ex_a(1), 112);
	assert_string_equal(log_text(), "cr2 br1 ar0");
	check_fused(2, 1, 3);
	assert_int_equal(slow_returns(), 0);
	assert_int_equal(pfe_hook_remove(h), 0);
}

int main(void)
{
	/* The common cases first, fused and ordinary, while the thread
	 * knows one stack; then on two stacks (test_coroutine), where only
	 * calls on the thread's own stack take the short ways. */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_fused_first_call, set_fused),
	    cmocka_unit_test_setup(test_return, set_fused),
	    cmocka_unit_test_setup(test_longjmp, set_fused),
	    cmocka_unit_test_setup(test_depth_bound, set_fused),
	    cmocka_unit_test_setup(test_detached, set_fused),
	    cmocka_unit_test_setup(test_return, set_ordinary),
	    cmocka_unit_test_setup(test_longjmp, set_ordinary),
	    cmocka_unit_test_setup(test_depth_bound, set_ordinary),
	    cmocka_unit_test_setup(test_detached, set_ordinary),
	    cmocka_unit_test_setup(test_coroutine, set_ordinary),
	    cmocka_unit_test_setup(test_thread_end, set_ordinary),
	    cmocka_unit_test_setup(test_coroutine, set_fused),
	    cmocka_unit_test_setup(test_thread_end, set_fused),
	    /* A coroutine stack is known now: calls on the thread's own
	     * stack still take neither long way. */
	    cmocka_unit_test_setup(test_return, set_fused),
	    cmocka_unit_test_setup(test_return, set_ordinary),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
