/* SPDX-License-Identifier: MIT */
/*
 * The hook registry with the real patch engine: hand-made objects whose sites
 * are functions of this test program, written as the constructor leaves them
 * (`bti c; mov x9, x30; nop`), published on the object list; pfe_hook_add()
 * and pfe_hook_remove() then patch this program's own text.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <urcu-bp.h>

#include "arch.h"
#include "dispatch.h"
#include "insn.h"
#include "live.h"

/* An initialised site (`mov x9, x30; nop`) whose body returns x0 + @k. */
#define FN(name, k)                                                                                \
	".text\n.p2align 4\n.globl " #name "\n.type " #name ", %function\n" #name ":\n"            \
	"bti c\nmov x9, x30\nnop\nadd x0, x0, #" #k "\nret\n.size " #name ", .-" #name "\n"

long reg_a(long), reg_b(long), reg_c(long), reg_d(long), other_x(long), bad_site(long);
long late_a(long), late_b(long);

__asm__(FN(reg_a, 1) FN(reg_b, 2) FN(reg_c, 3) FN(reg_d, 4) FN(other_x, 5)
	/* slot 1 is not a NOP: the patch engine must refuse this one */
	".p2align 4\n.globl bad_site\n.type bad_site, %function\nbad_site:\n"
	"bti c\nmov x9, x30\nadd x0, x0, #0\nadd x0, x0, #6\nret\n"
	".size bad_site, .-bad_site\n"
	/* for the object published after the hooks */
	FN(late_a, 7) FN(late_b, 8));

struct fake_obj {
	struct pfe_object obj;
	struct pfe_site sites[8];
};

static struct fake_obj main_obj, late_obj;

static int cmp_site(const void *a, const void *b)
{
	const struct pfe_site *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void fake_obj_init(struct fake_obj *f, const char *path, const char *name,
			  long (*const *fns)(long), const char *const *names, size_t n)
{
	struct pfe_object *o = &f->obj;

	memset(f, 0, sizeof(*f));
	o->path = (char *)path;
	o->name = name;
	o->lo = UINTPTR_MAX;
	for (size_t i = 0; i < n; i++) {
		struct pfe_site *s = &f->sites[i];

		s->func = (uintptr_t)fns[i];
		s->pc = s->func + 4; /* after bti c */
		s->name = names[i];
		s->obj = o;
		s->state = PFE_SITE_INIT;
		s->flags = PFE_SITE_BTI;
		s->nops = 2;
		if (s->func < o->lo)
			o->lo = s->func;
		if (s->func + 20 > o->hi)
			o->hi = s->func + 20;
	}
	qsort(f->sites, n, sizeof(f->sites[0]), cmp_site);
	o->tab.sites = f->sites;
	o->tab.nsites = n;
}

static struct pfe_site *site_of(struct fake_obj *f, void *fn)
{
	for (size_t i = 0; i < f->obj.tab.nsites; i++)
		if (f->sites[i].func == (uintptr_t)fn)
			return &f->sites[i];
	return NULL;
}

/* The two slots of @fn, as memory holds them. */
static uint32_t slot(void *fn, int i)
{
	return __atomic_load_n((uint32_t *)((uintptr_t)fn + 4 + 4 * i), __ATOMIC_RELAXED);
}

static void assert_nop(void *fn)
{
	assert_int_equal(slot(fn, 0), PFE_INSN_MOV_X9_X30);
	assert_int_equal(slot(fn, 1), PFE_INSN_NOP);
}

/*
 * Slot 1 is a BL to the site's own stub (arch/arm64/stub.c), whose words load the
 * site into x10 and branch to the per-site trampoline.
 */
static void assert_bl(void *fn)
{
	const struct pfe_site *site =
	    site_of(&main_obj, fn) ? site_of(&main_obj, fn) : site_of(&late_obj, fn);
	uintptr_t target = 0, stub, tramp = 0, lit;

	assert_non_null(site);
	assert_int_equal(slot(fn, 0), PFE_INSN_MOV_X9_X30);
	assert_true(pfe_insn_is_bl(slot(fn, 1)));
	assert_true(pfe_insn_branch_target((uintptr_t)fn + 8, slot(fn, 1), &target));
	stub = pfe_stub_live(site);
	assert_true(site->flags & PFE_SITE_STUB);
	assert_int_equal(target, stub);
	assert_int_equal(*(uint32_t *)stub, pfe_insn_ldr_lit(stub, stub + 8, PFE_REG_X10));
	memcpy(&lit, (void *)(stub + 8), sizeof(lit));
	assert_int_equal(lit, (uintptr_t)site);
	assert_true(pfe_insn_branch_target(stub + 4, *(uint32_t *)(stub + 4), &tramp));
	assert_int_equal(tramp, (uintptr_t)pfe_site_trampoline);
	assert_int_equal(tramp, pfe_stub_target(site));
}

static int setup(void **state)
{
	static long (*const fns[])(long) = {reg_a, reg_b, reg_c, reg_d, other_x, bad_site};
	static const char *const names[] = {"reg_a", "reg_b",	"reg_c",
					    "reg_d", "other_x", "bad_site"};

	/* What the constructor does in a preloaded libpfe (fork.c). */
	pfe_fork_init();
	fake_obj_init(&main_obj, "/fake/test_registry", "test_registry", fns, names, 6);
	pfe_patch_lock();
	assert_int_equal(pfe_object_publish(&main_obj.obj), 0);
	pfe_patch_unlock();
	return 0;
}

/* Every test leaves no hook behind. */
static int teardown(void **state)
{
	for (size_t i = 0; i < main_obj.obj.tab.nsites; i++) {
		assert_null(main_obj.sites[i].hooks);
		if (main_obj.sites[i].func != (uintptr_t)bad_site)
			assert_nop((void *)main_obj.sites[i].func);
	}
	assert_int_equal(pfe_dispatch_count(), 0);
	return 0;
}

/* ---------------------------------------------------------------- hooks */

static void h_count(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	__atomic_add_fetch((long *)data, 1, __ATOMIC_RELAXED);
}

static void h_add(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x[0] += (uintptr_t)data;
}

/* x0 = x0 * 10 + digit: the order hooks ran in, readable in the result. */
static void h_digit(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x[0] = regs->x[0] * 10 + (uintptr_t)data;
}

static const struct pfe_site *seen_site;

static void h_site(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	seen_site = site;
}

/* ---------------------------------------------------------------- tests */

static void test_add_remove(void **state)
{
	long n = 0;
	struct pfe_hook *h;

	assert_nop(reg_a);
	assert_int_equal(reg_a(10), 11);
	h = pfe_hook_add("reg_a", h_count, &n);
	assert_non_null(h);
	assert_int_equal(pfe_hook_nsites(h), 1);
	assert_bl(reg_a);
	assert_nop(reg_b);
	assert_int_equal(reg_a(10), 11);
	assert_int_equal(reg_b(10), 12);
	assert_int_equal(n, 1);
	assert_int_equal(pfe_hook_remove(h), 0);
	assert_nop(reg_a);
	assert_int_equal(reg_a(10), 11);
	assert_int_equal(n, 1);
}

static void test_site_accessors(void **state)
{
	struct pfe_hook *h = pfe_hook_add("reg_c", h_site, NULL);

	assert_non_null(h);
	seen_site = NULL;
	reg_c(0);
	assert_non_null(seen_site);
	assert_string_equal(pfe_site_name(seen_site), "reg_c");
	assert_string_equal(pfe_site_object(seen_site), "/fake/test_registry");
	assert_int_equal(pfe_site_func(seen_site), (uintptr_t)reg_c);
	assert_int_equal(pfe_hook_remove(h), 0);
	assert_null(pfe_site_name(NULL));
}

static void test_glob_and_object(void **state)
{
	long n = 0;
	struct pfe_hook *h;

	h = pfe_hook_add("reg_*,!reg_d", h_count, &n);
	assert_non_null(h);
	assert_int_equal(pfe_hook_nsites(h), 3);
	assert_bl(reg_a);
	assert_bl(reg_b);
	assert_bl(reg_c);
	assert_nop(reg_d);
	assert_nop(other_x);
	reg_a(0);
	reg_b(0);
	reg_c(0);
	reg_d(0);
	other_x(0);
	assert_int_equal(n, 3);
	assert_int_equal(pfe_hook_remove(h), 0);

	h = pfe_hook_add("other_x@test_reg*", h_count, &n);
	assert_non_null(h);
	assert_int_equal(pfe_hook_nsites(h), 1);
	assert_int_equal(pfe_hook_remove(h), 0);
	errno = 0;
	assert_null(pfe_hook_add("other_x@libc.so*", h_count, &n));
	assert_int_equal(errno, ENOENT);
}

static void test_errors(void **state)
{
	errno = 0;
	assert_null(pfe_hook_add("no_such_function", h_count, NULL));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(pfe_hook_add("reg_a,", h_count, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pfe_hook_add("reg_[a", h_count, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pfe_hook_add("reg_a", NULL, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pfe_hook_add(NULL, h_count, NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pfe_hook_remove(NULL), -EINVAL);
	assert_int_equal(pfe_hook_nsites(NULL), 0);
}

/* Several hooks at one site run in attach order; removing one leaves the
 * others and the BL; removing the last restores the NOP. */
static void test_order_and_partial_remove(void **state)
{
	struct pfe_hook *h1, *h2, *h3;

	h1 = pfe_hook_add("reg_b", h_digit, (void *)1);
	h2 = pfe_hook_add("reg_b,reg_c", h_digit, (void *)2);
	h3 = pfe_hook_add("reg_b", h_digit, (void *)3);
	assert_non_null(h1);
	assert_non_null(h2);
	assert_non_null(h3);
	assert_int_equal(pfe_hook_nsites(h2), 2);
	/* ((0*10+1)*10+2)*10+3 = 123, then the body adds 2 */
	assert_int_equal(reg_b(0), 125);
	assert_int_equal(reg_c(0), 2 + 3);

	assert_int_equal(pfe_hook_remove(h2), 0);
	assert_int_equal(reg_b(0), 13 + 2);
	assert_nop(reg_c);
	assert_bl(reg_b);
	assert_int_equal(reg_c(0), 3);

	assert_int_equal(pfe_hook_remove(h1), 0);
	assert_int_equal(reg_b(0), 3 + 2);
	assert_bl(reg_b);
	assert_int_equal(pfe_hook_remove(h3), 0);
	assert_nop(reg_b);
	assert_int_equal(reg_b(0), 2);
}

/* A batch with a site the patch engine refuses fails as a whole: the sites
 * that were switched go back to NOP, no vector stays published. */
static void test_rollback(void **state)
{
	long n = 0;
	size_t before = pfe_dispatch_count();

	errno = 0;
	assert_null(pfe_hook_add("reg_a,reg_b,bad_site", h_count, &n));
	assert_int_equal(errno, EILSEQ);
	assert_nop(reg_a);
	assert_nop(reg_b);
	assert_null(site_of(&main_obj, reg_a)->hooks);
	assert_int_equal(site_of(&main_obj, reg_a)->state, PFE_SITE_INIT);
	assert_int_equal(pfe_dispatch_count(), before);
	reg_a(0);
	reg_b(0);
	assert_int_equal(n, 0);
	/* The refused site itself is untouched. */
	assert_int_equal(slot(bad_site, 1), 0x91000000u); /* add x0, x0, #0 */
	/* A hook that was there before the failed attach keeps working. */
	struct pfe_hook *h = pfe_hook_add("reg_a", h_add, (void *)100);

	assert_non_null(h);
	assert_null(pfe_hook_add("reg_a,bad_site", h_count, &n));
	assert_bl(reg_a);
	assert_int_equal(reg_a(0), 101);
	assert_int_equal(n, 0);
	assert_int_equal(pfe_hook_remove(h), 0);
}

static struct pfe_hook *inner_hook, *outer_hook;
static int inner_errno;
static int inner_remove;

static void h_writer(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	errno = 0;
	inner_hook = pfe_hook_add("reg_d", h_count, NULL);
	inner_errno = errno;
	inner_remove = pfe_hook_remove(outer_hook);
}

static void test_writer_inside_hook(void **state)
{
	struct pfe_hook *h = pfe_hook_add("reg_c", h_writer, NULL);

	assert_non_null(h);
	outer_hook = h;
	reg_c(0);
	assert_null(inner_hook);
	assert_int_equal(inner_errno, EDEADLK);
	assert_int_equal(inner_remove, -EDEADLK);
	assert_int_equal(pfe_hook_remove(h), 0);
}

/* Hooks attached before an object is published apply to it, in attach
 * order, and detach from it with the rest. */
static void test_apply_object(void **state)
{
	static long (*const fns[])(long) = {late_a, late_b};
	static const char *const names[] = {"late_a", "late_b"};
	struct pfe_hook *h1, *h2, *h3;

	h1 = pfe_hook_add("reg_a,late_*", h_digit, (void *)1);
	h2 = pfe_hook_add("late_b@late.so", h_digit, (void *)2);
	assert_null(h2); /* nothing matches yet */
	assert_int_equal(errno, ENOENT);
	h2 = pfe_hook_add("reg_a,late_b@late.so", h_digit, (void *)2);
	h3 = pfe_hook_add("late_a@other.so,reg_a", h_digit, (void *)3);
	assert_non_null(h1);
	assert_non_null(h2);
	assert_non_null(h3);

	fake_obj_init(&late_obj, "/fake/late.so", "late.so", fns, names, 2);
	pfe_patch_lock();
	assert_int_equal(pfe_object_publish(&late_obj.obj), 0);
	assert_int_equal(pfe_hooks_apply_object(&late_obj.obj), 0);
	pfe_patch_unlock();

	assert_bl(late_a);
	assert_bl(late_b);
	assert_int_equal(pfe_hook_nsites(h1), 3);
	assert_int_equal(pfe_hook_nsites(h2), 2);
	assert_int_equal(pfe_hook_nsites(h3), 1);
	assert_int_equal(late_a(0), 1 + 7);
	assert_int_equal(late_b(0), 12 + 8);
	assert_int_equal(reg_a(0), 123 + 1);

	assert_int_equal(pfe_hook_remove(h1), 0);
	assert_nop(late_a);
	assert_int_equal(late_b(0), 2 + 8);
	assert_int_equal(pfe_hook_remove(h2), 0);
	assert_nop(late_b);
	assert_int_equal(pfe_hook_remove(h3), 0);
	assert_int_equal(late_b(0), 8);
	for (size_t i = 0; i < late_obj.obj.tab.nsites; i++)
		assert_null(late_obj.sites[i].hooks);
}

/* Threads call a function while the main thread attaches and detaches a
 * hook around them. When pfe_hook_remove returns, the hook's data is dead:
 * the test poisons it and checks that nothing touches it afterwards. */
static volatile int stop;

static void *caller(void *arg)
{
	long bad = 0;

	while (!stop)
		if (reg_d(5) != 9)
			bad++;
	return (void *)bad;
}

static void test_concurrent_attach_detach(void **state)
{
	pthread_t t[2];
	void *bad;
	int round, k;

	stop = 0;
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, caller, NULL), 0);
	for (round = 0; round < 20; round++) {
		long *n = malloc(sizeof(*n));
		struct pfe_hook *h;

		*n = 0;
		h = pfe_hook_add("reg_d", h_count, n);
		assert_non_null(h);
		while (__atomic_load_n(n, __ATOMIC_RELAXED) < 3)
			sched_yield();
		assert_int_equal(pfe_hook_remove(h), 0);
		*n = -1000000;
		for (k = 0; k < 20; k++)
			sched_yield();
		assert_int_equal(*n, -1000000);
		free(n);
	}
	stop = 1;
	for (k = 0; k < 2; k++) {
		pthread_join(t[k], &bad);
		assert_null(bad);
	}
}

/* fork() while another thread attaches and detaches, so that urcu-bp's
 * grace-period lock is often held: a child that does not exec must still be
 * able to wait for a grace period, and its hooks run. (A child starting a
 * thread would be the other case, but qemu-user cannot run threads in a
 * child forked from a threaded process.) The child blocks all signals while
 * it waits, so the parent is the one to give up on it. The handlers are
 * fork.c's; without them 5 of 30 children hung here. */
static void *churn(void *arg)
{
	long n = 0;
	struct pfe_hook *base = pfe_hook_add("reg_c", h_count, &n);

	/* With a hook already there, both attach and detach wait for a grace
	 * period (attach retires the old vector). */
	while (!stop) {
		struct pfe_hook *h = pfe_hook_add("reg_c", h_count, &n);

		if (h)
			pfe_hook_remove(h);
	}
	pfe_hook_remove(base);
	return NULL;
}

static int wait_child(pid_t pid)
{
	int st, i;

	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1; /* hung */
}

static void test_fork_while_detaching(void **state)
{
	struct pfe_hook *h;
	pthread_t t;
	long n = 0;
	int i, hung = 0, bad = 0;

	h = pfe_hook_add("reg_d", h_count, &n);
	assert_non_null(h);
	stop = 0;
	assert_int_equal(pthread_create(&t, NULL, churn, NULL), 0);
	for (i = 0; i < 30; i++) {
		pid_t pid = fork();
		int rc;

		if (!pid) {
			synchronize_rcu();
			_exit(reg_d(5) == 9 && n == 1 + i ? 0 : 1);
		}
		assert_true(pid > 0);
		rc = wait_child(pid);
		hung += rc < 0;
		bad += rc > 0;
		reg_d(5);
	}
	stop = 1;
	pthread_join(t, NULL);
	assert_int_equal(hung, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(n, 30);
	assert_int_equal(pfe_hook_remove(h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_add_remove, teardown),
	    cmocka_unit_test_teardown(test_site_accessors, teardown),
	    cmocka_unit_test_teardown(test_glob_and_object, teardown),
	    cmocka_unit_test_teardown(test_errors, teardown),
	    cmocka_unit_test_teardown(test_order_and_partial_remove, teardown),
	    cmocka_unit_test_teardown(test_rollback, teardown),
	    cmocka_unit_test_teardown(test_writer_inside_hook, teardown),
	    cmocka_unit_test_teardown(test_apply_object, teardown),
	    cmocka_unit_test_teardown(test_concurrent_attach_detach, teardown),
	    cmocka_unit_test_teardown(test_fork_while_detaching, teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
