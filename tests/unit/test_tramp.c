/* SPDX-License-Identifier: MIT */
/*
 * The regs trampoline and the dispatcher, without the patch engine: the fake
 * functions below are written as an enabled site looks (`bti c; mov x9, x30;
 * bl pfe_regs_trampoline`) followed by a body, and hand-made sites for them
 * go straight into the dispatch table.
 *
 * TRAMP_VARIANT runs the same tests through the per-site path instead
 * (test_tramp_site.c, test_tramp_mb.c): slot 1 is `bl <name>_stub`, a
 * stand-in for arch/arm64/stub.c's stub that loads the site into x10 and enters
 * pfe_site_trampoline (1: the variant matching urcu-bp's barrier choice;
 * 2: the dmb variant) through its far entry, as an arena's veneer does.
 */
#include <arm_neon.h>
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <urcu-bp.h>

#include "arch.h"
#include "dispatch.h"

/* ---------------------------------------------------- fake patched functions */

#ifndef TRAMP_VARIANT
#define TRAMP_VARIANT 0
#endif
#if TRAMP_VARIANT == 0
#define SLOT1(name) "bl pfe_regs_trampoline\n"
#else
#define SLOT1(name) "bl " #name "_stub\n"
#endif

/* An enabled site whose body tail-branches to @target (a C function of the
 * same signature: the registers are exactly as at the call). */
#define FAKE(name, target)                                                                         \
	".text\n.p2align 4\n.globl " #name "\n.type " #name ", %function\n" #name                  \
	":\n.cfi_startproc\nbti c\nmov x9, x30\n" SLOT1(name) "b " #target                         \
							      "\n.cfi_endproc\n.size " #name       \
							      ", .-" #name "\n"

/* The same with an assembly body. */
#define FAKE_ASM(name, body)                                                                       \
	".text\n.p2align 4\n.globl " #name "\n.type " #name ", %function\n" #name                  \
	":\n.cfi_startproc\nbti c\nmov x9, x30\n" SLOT1(name) body ".cfi_endproc\n.size " #name    \
								   ", .-" #name "\n"

struct big {
	long a[5];
};

long fake_ints(long, long, long, long, long, long, long, long);
long fake_redir(long, long, long, long, long, long, long, long);
double fake_dbls(double, double, double, double, double, double, double, double);
float fake_vecs(float32x4_t, float32x4_t, float32x4_t, float32x4_t, float32x4_t, float32x4_t,
		float32x4_t, float32x4_t);
struct big fake_all(long, long, long, long, long, long, long, long, double, double, double, double,
		    double, double, double, double);
long fake_sig(long);
long fake_x18(void);
void fake_probe(void *);
void fake_ret(void *);

/* Callers written in assembly, to know sp, fp, lr and x18 exactly. */
struct probe {
	uint64_t call_sp, call_lr, call_fp; /* as the caller set them up */
	uint64_t body_sp, body_lr, body_fp; /* as the body saw them */
};
void call_probe(struct probe *p);
long call_x18(long x18);
long call_lr_test(void);

__asm__(FAKE(fake_ints, ints_impl) FAKE(fake_redir, ints_impl) FAKE(fake_dbls, dbls_impl)
	    FAKE(fake_vecs, vecs_impl) FAKE(fake_all, all_impl) FAKE(fake_sig, sig_impl)
		FAKE_ASM(fake_x18, "mov x0, x18\nret\n")
		    FAKE_ASM(fake_probe, "mov x1, sp\nstr x1, [x0, #24]\n"
					 "str x30, [x0, #32]\nstr x29, [x0, #40]\nret\n")
			FAKE_ASM(fake_ret, "ret\n"));

__asm__(".text\n.p2align 4\n.globl call_probe\n.type call_probe, %function\n"
	"call_probe:\n.cfi_startproc\nbti c\n"
	"stp x29, x30, [sp, #-32]!\n.cfi_def_cfa_offset 32\n"
	".cfi_offset x29, -32\n.cfi_offset x30, -24\nmov x29, sp\n"
	"mov x1, sp\nstr x1, [x0]\nadr x1, 1f\nstr x1, [x0, #8]\nstr x29, [x0, #16]\n"
	"bl fake_probe\n"
	"1: ldp x29, x30, [sp], #32\n.cfi_def_cfa_offset 0\nret\n.cfi_endproc\n"
	".size call_probe, .-call_probe\n"

	".p2align 4\n.globl call_x18\n.type call_x18, %function\n"
	"call_x18:\nbti c\nstp x29, x30, [sp, #-32]!\nmov x29, sp\nstr x18, [sp, #16]\n"
	"mov x18, x0\nbl fake_x18\nldr x18, [sp, #16]\nldp x29, x30, [sp], #32\nret\n"
	".size call_x18, .-call_x18\n"

	/* Returns 3; 2 when the callee returns one instruction late. */
	".p2align 4\n.globl call_lr_test\n.type call_lr_test, %function\n"
	"call_lr_test:\nbti c\nstp x29, x30, [sp, #-16]!\nmov x29, sp\nmov x0, #0\n"
	"bl fake_ret\nadd x0, x0, #1\nadd x0, x0, #2\nldp x29, x30, [sp], #16\nret\n"
	".size call_lr_test, .-call_lr_test\n");

#if TRAMP_VARIANT
/* arch/arm64/stub.c's stub and arena veneer in one: x10 = the site, then the
 * trampoline's far entry through x16 (BTI: `bti c` accepts br x16). */
#define STUB(name)                                                                                 \
	".text\n.p2align 2\n" #name "_stub:\nadrp x10, " #name "_site\n"                           \
	"ldr x10, [x10, :lo12:" #name "_site]\nadrp x16, site_tramp\n"                             \
	"ldr x16, [x16, :lo12:site_tramp]\nbr x16\n"
struct pfe_site *fake_ints_site, *fake_redir_site, *fake_dbls_site, *fake_vecs_site, *fake_all_site,
    *fake_sig_site, *fake_x18_site, *fake_probe_site, *fake_ret_site;
uintptr_t site_tramp;
__asm__(STUB(fake_ints) STUB(fake_redir) STUB(fake_dbls) STUB(fake_vecs) STUB(fake_all)
	    STUB(fake_sig) STUB(fake_x18) STUB(fake_probe) STUB(fake_ret));
#endif

/* ------------------------------------------------------------- bodies */

static int ints_calls;

__attribute__((used, noinline)) long ints_impl(long a, long b, long c, long d, long e, long f,
					       long g, long h);
long ints_impl(long a, long b, long c, long d, long e, long f, long g, long h)
{
	__atomic_add_fetch(&ints_calls, 1, __ATOMIC_RELAXED);
	return a + b * 10 + c * 100 + d * 1000 + e * 10000 + f * 100000 + g * 1000000 +
	       h * 10000000;
}

__attribute__((used, noinline)) double dbls_impl(double a, double b, double c, double d, double e,
						 double f, double g, double h);
double dbls_impl(double a, double b, double c, double d, double e, double f, double g, double h)
{
	return a + b * 2 + c * 4 + d * 8 + e * 16 + f * 32 + g * 64 + h * 128;
}

__attribute__((used, noinline)) float vecs_impl(float32x4_t a, float32x4_t b, float32x4_t c,
						float32x4_t d, float32x4_t e, float32x4_t f,
						float32x4_t g, float32x4_t h);
float vecs_impl(float32x4_t a, float32x4_t b, float32x4_t c, float32x4_t d, float32x4_t e,
		float32x4_t f, float32x4_t g, float32x4_t h)
{
	float32x4_t v[8] = {a, b, c, d, e, f, g, h};
	float sum = 0;
	int i, j;

	/* Every lane weighted differently: a lost upper half shows. */
	for (i = 0; i < 8; i++)
		for (j = 0; j < 4; j++)
			sum += v[i][j] * (float)(i * 4 + j + 1);
	return sum;
}

__attribute__((used, noinline)) struct big all_impl(long a, long b, long c, long d, long e, long f,
						    long g, long h, double p, double q, double r,
						    double s, double t, double u, double v,
						    double w);
struct big all_impl(long a, long b, long c, long d, long e, long f, long g, long h, double p,
		    double q, double r, double s, double t, double u, double v, double w)
{
	struct big out = {
	    {a * b, c * d, e * f, g * h,
	     (long)(p * 1 + q * 3 + r * 5 + s * 7 + t * 11 + u * 13 + v * 17 + w * 19)}};
	return out;
}

static void on_usr1(int sig);
static long sig_inner_result;

__attribute__((used, noinline)) long sig_impl(long x);
long sig_impl(long x)
{
	if (x == 1001)
		raise(SIGUSR1);
	return x;
}

/* --------------------------------------------------------------- sites */

enum { S_INTS, S_REDIR, S_DBLS, S_VECS, S_ALL, S_SIG, S_X18, S_PROBE, S_RET, S_NR };

static struct pfe_site sites[S_NR];

static void site_init(struct pfe_site *s, void *fn, const char *name)
{
	/* After `bti c`: slot 0 at fn + 4, the body at fn + 12. */
	memset(s, 0, sizeof(*s));
	s->func = (uintptr_t)fn;
	s->pc = s->func + 4;
	s->name = name;
	s->state = PFE_SITE_CALL;
	s->flags = PFE_SITE_BTI;
	s->nops = 2;
}

static struct pfe_hook_vec *vec_new(size_t n)
{
	struct pfe_hook_vec *v = calloc(1, sizeof(*v) + (n + 1) * sizeof(v->e[0]));

	assert_non_null(v);
	v->n = n;
	return v;
}

/* Publish @v (may be NULL) as @s's hooks and free the old vector after a
 * grace period, as the registry does. */
static void set_hooks(struct pfe_site *s, struct pfe_hook_vec *v)
{
	struct pfe_hook_vec *old = s->hooks;

	if (v)
		pfe_hook_vec_seal(v); /* as the registry does */
	rcu_assign_pointer(s->hooks, v);
	synchronize_rcu();
	free(old);
}

static void set_hook(struct pfe_site *s, pfe_entry_fn fn, void *data)
{
	struct pfe_hook_vec *v = vec_new(1);

	v->e[0].fn = fn;
	v->e[0].data = data;
	set_hooks(s, v);
}

static int setup(void **state)
{
	static const struct {
		void *fn;
		const char *name;
	} fakes[S_NR] = {
	    [S_INTS] = {(void *)fake_ints, "fake_ints"},
	    [S_REDIR] = {(void *)fake_redir, "fake_redir"},
	    [S_DBLS] = {(void *)fake_dbls, "fake_dbls"},
	    [S_VECS] = {(void *)fake_vecs, "fake_vecs"},
	    [S_ALL] = {(void *)fake_all, "fake_all"},
	    [S_SIG] = {(void *)fake_sig, "fake_sig"},
	    [S_X18] = {(void *)fake_x18, "fake_x18"},
	    [S_PROBE] = {(void *)fake_probe, "fake_probe"},
	    [S_RET] = {(void *)fake_ret, "fake_ret"},
	};
	int i;

	for (i = 0; i < S_NR; i++) {
		site_init(&sites[i], fakes[i].fn, fakes[i].name);
		assert_int_equal(pfe_dispatch_insert(&sites[i]), 0);
	}
#if TRAMP_VARIANT
	fake_ints_site = &sites[S_INTS];
	fake_redir_site = &sites[S_REDIR];
	fake_dbls_site = &sites[S_DBLS];
	fake_vecs_site = &sites[S_VECS];
	fake_all_site = &sites[S_ALL];
	fake_sig_site = &sites[S_SIG];
	fake_x18_site = &sites[S_X18];
	fake_probe_site = &sites[S_PROBE];
	fake_ret_site = &sites[S_RET];
	/* What stub.c does before the first stub exists. */
	if (pfe_dispatch_prepare() && TRAMP_VARIANT == 1)
		site_tramp = (uintptr_t)pfe_site_trampoline_far;
	else
		site_tramp = (uintptr_t)pfe_site_trampoline_mb_far;
#endif
	return 0;
}

static int teardown_hooks(void **state)
{
	int i;

	for (i = 0; i < S_NR; i++)
		set_hooks(&sites[i], NULL);
	return 0;
}

/* --------------------------------------------------------------- hooks */

/* Uses the FP/SIMD unit and then wrecks every caller-saved register a C
 * function may wreck, so that only the trampoline can have kept them. */
static void h_clobber(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	volatile double acc = 0.25;
	int i;

	for (i = 0; i < 8; i++)
		acc = acc * 1.5 + regs->v[i].d / 3.0 + (double)regs->x[i];
	__asm__ volatile("movi v0.16b, #0x55\n movi v1.16b, #0x55\n movi v2.16b, #0x55\n"
			 "movi v3.16b, #0x55\n movi v4.16b, #0x55\n movi v5.16b, #0x55\n"
			 "movi v6.16b, #0x55\n movi v7.16b, #0x55\n movi v16.16b, #0x55\n"
			 "mov x0, #-1\n mov x1, #-1\n mov x2, #-1\n mov x3, #-1\n mov x4, #-1\n"
			 "mov x5, #-1\n mov x6, #-1\n mov x7, #-1\n mov x8, #-1\n mov x9, #-1\n"
			 "mov x10, #-1\n mov x16, #-1\n mov x17, #-1\n mov x18, #-1\n" ::
			     : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "x0", "x1",
			       "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x16", "x17",
			       "x18", "memory");
	(*(int *)data)++;
}

static void h_count(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	__atomic_add_fetch((int *)data, 1, __ATOMIC_RELAXED);
}

static void h_add100(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x[0] += 100;
}

static void h_redirect(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->pc = (uintptr_t)data;
}

static void h_lr_skip(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->lr += 4;
}

static void h_copy(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	memcpy(data, regs, sizeof(*regs));
}

static void h_set_x18(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x18 = (uintptr_t)data;
}

/* ---------------------------------------------------------------- tests */

static void test_ints_survive(void **state)
{
	int n = 0;

	set_hook(&sites[S_INTS], h_clobber, &n);
	ints_calls = 0;
	assert_int_equal(fake_ints(1, 2, 3, 4, 5, 6, 7, 8), 87654321);
	assert_int_equal(fake_ints(8, 7, 6, 5, 4, 3, 2, 1), 12345678);
	assert_int_equal(n, 2);
	assert_int_equal(ints_calls, 2);
}

static void test_doubles_survive(void **state)
{
	double want = dbls_impl(1.5, -2.25, 3.125, 4e10, -5.5, 6.75, 7.0625, 1e-3);
	int n = 0;

	set_hook(&sites[S_DBLS], h_clobber, &n);
	assert_true(fake_dbls(1.5, -2.25, 3.125, 4e10, -5.5, 6.75, 7.0625, 1e-3) == want);
	assert_int_equal(n, 1);
}

static void test_vectors_survive(void **state)
{
	float32x4_t v[8];
	float want;
	int n = 0, i, j;

	for (i = 0; i < 8; i++)
		for (j = 0; j < 4; j++)
			v[i][j] = (float)(i * 4 + j) + 0.5f;
	want = vecs_impl(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
	set_hook(&sites[S_VECS], h_clobber, &n);
	assert_true(fake_vecs(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) == want);
	assert_int_equal(n, 1);
}

static void test_struct_return_and_all_args(void **state)
{
	struct big want =
	    all_impl(2, 3, 5, 7, 11, 13, 17, 19, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5);
	struct big got;
	struct pfe_regs seen;
	struct pfe_hook_vec *v = vec_new(2);
	int n = 0;

	v->e[0].fn = h_copy;
	v->e[0].data = &seen;
	v->e[1].fn = h_clobber;
	v->e[1].data = &n;
	set_hooks(&sites[S_ALL], v);
	memset(&got, 0, sizeof(got));
	got = fake_all(2, 3, 5, 7, 11, 13, 17, 19, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5);
	assert_memory_equal(&got, &want, sizeof(want));
	assert_int_equal(n, 1);
	/* The hook saw the arguments where the ABI puts them. */
	assert_int_equal(seen.x[0], 2);
	assert_int_equal(seen.x[7], 19);
	assert_true(seen.v[0].d == 0.5);
	assert_true(seen.v[7].d == 7.5);
	assert_int_equal(seen.pc, sites[S_ALL].pc + 8);
}

/* Rewrites every argument register: x0-x7 and all 128 bits of q0-q7. */
static void h_rewrite(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	const float32x4_t *v = data;

	for (int i = 0; i < 8; i++) {
		regs->x[i] = (uint64_t)(100 + i);
		memcpy(&regs->v[i], &v[i], sizeof(v[i]));
	}
}

static void test_rewrite_all_args(void **state)
{
	float32x4_t in[8], out[8];
	float want;
	int i, j;

	for (i = 0; i < 8; i++)
		for (j = 0; j < 4; j++) {
			in[i][j] = (float)(i * 4 + j) + 0.5f;
			out[i][j] = (float)(i * 8 + j * 3) - 0.25f;
		}
	set_hook(&sites[S_INTS], h_rewrite, out);
	ints_calls = 0;
	assert_int_equal(fake_ints(1, 2, 3, 4, 5, 6, 7, 8),
			 ints_impl(100, 101, 102, 103, 104, 105, 106, 107));
	assert_int_equal(ints_calls, 2); /* the call above and the reference */
	/* Every lane of every q register comes from the hook. */
	want = vecs_impl(out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7]);
	assert_true(vecs_impl(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]) != want);
	set_hook(&sites[S_VECS], h_rewrite, out);
	assert_true(fake_vecs(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]) == want);
}

static void test_x18_survives(void **state)
{
	int n = 0;

	set_hook(&sites[S_X18], h_clobber, &n);
	assert_int_equal(call_x18(0x1234567890abcdefL), 0x1234567890abcdefL);
	assert_int_equal(n, 1);
	set_hook(&sites[S_X18], h_set_x18, (void *)77);
	assert_int_equal(call_x18(5), 77);
}

static void test_sp_fp_lr(void **state)
{
	struct probe p;
	struct pfe_regs seen;

	set_hook(&sites[S_PROBE], h_copy, &seen);
	memset(&p, 0, sizeof(p));
	call_probe(&p);
	assert_int_equal(seen.lr, p.call_lr);
	assert_int_equal(seen.sp, p.call_sp);
	assert_int_equal(seen.fp, p.call_fp);
	assert_int_equal(seen.pc, (uintptr_t)fake_probe + 12);
	assert_int_equal(seen.x[0], (uintptr_t)&p);
	/* The body runs with the caller's sp, fp and return address. */
	assert_int_equal(p.body_sp, p.call_sp);
	assert_int_equal(p.body_lr, p.call_lr);
	assert_int_equal(p.body_fp, p.call_fp);
}

static void test_change_arg(void **state)
{
	set_hook(&sites[S_INTS], h_add100, NULL);
	assert_int_equal(fake_ints(1, 2, 3, 4, 5, 6, 7, 8), 87654321 + 100);
}

__attribute__((noinline)) static long replacement(long a, long b, long c, long d, long e, long f,
						  long g, long h)
{
	return -(a + b + c + d + e + f + g + h);
}

static void test_redirect_pc(void **state)
{
	set_hook(&sites[S_REDIR], h_redirect, (void *)replacement);
	ints_calls = 0;
	assert_int_equal(fake_redir(1, 2, 3, 4, 5, 6, 7, 8), -36);
	assert_int_equal(ints_calls, 0);
}

static void test_change_lr(void **state)
{
	assert_int_equal(call_lr_test(), 3);
	set_hook(&sites[S_RET], h_lr_skip, NULL);
	assert_int_equal(call_lr_test(), 2);
}

static long recursed;

static void h_recurse(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	(*(int *)data)++;
	assert_true(pfe_dispatch_in_hook());
	recursed = fake_ints(1, 1, 1, 1, 1, 1, 1, 1);
}

static void test_recursion_guard(void **state)
{
	int n = 0;

	set_hook(&sites[S_INTS], h_recurse, &n);
	ints_calls = 0;
	assert_false(pfe_dispatch_in_hook());
	assert_int_equal(fake_ints(1, 2, 3, 4, 5, 6, 7, 8), 87654321);
	assert_int_equal(recursed, 11111111);
	assert_int_equal(n, 1);
	assert_int_equal(ints_calls, 2);
	assert_false(pfe_dispatch_in_hook());
}

static void h_log(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	char *log = (char *)regs->x[0];

	strncat(log, data, 15 - strlen(log));
}

static void test_order(void **state)
{
	struct pfe_hook_vec *v = vec_new(3);
	char buf[16] = "";

	v->e[0].fn = h_log;
	v->e[0].data = "a";
	v->e[1].fn = h_log;
	v->e[1].data = "b";
	v->e[2].fn = h_log;
	v->e[2].data = "c";
	set_hooks(&sites[S_RET], v);
	fake_ret(buf);
	assert_string_equal(buf, "abc");
}

/* Two hooks at one site, both changing x0: the second sees the first's. */
static void test_hooks_compose(void **state)
{
	struct pfe_hook_vec *v = vec_new(2);

	v->e[0].fn = h_add100;
	v->e[1].fn = h_add100;
	set_hooks(&sites[S_INTS], v);
	assert_int_equal(fake_ints(0, 0, 0, 0, 0, 0, 0, 0), 200);
}

/* ----------------------------------------------------------- signals */

static int sig_hook_calls;

static void on_usr1(int sig)
{
	sig_inner_result = fake_sig(2);
}

static void h_sig(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	__atomic_add_fetch(&sig_hook_calls, 1, __ATOMIC_RELAXED);
	if (regs->x[0] == 3)
		raise(SIGUSR1); /* the handler's call runs inside this hook */
	regs->x[0] += 1000;
}

static void test_signal_from_body(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1};

	sigaction(SIGUSR1, &sa, NULL);
	set_hook(&sites[S_SIG], h_sig, NULL);
	sig_hook_calls = 0;
	sig_inner_result = 0;
	/* 1 -> hook -> 1001: the body raises; the handler's call is not
	 * inside a hook, so it is hooked too. */
	assert_int_equal(fake_sig(1), 1001);
	assert_int_equal(sig_inner_result, 1002);
	assert_int_equal(sig_hook_calls, 2);
}

static void test_signal_inside_hook(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr1};

	sigaction(SIGUSR1, &sa, NULL);
	set_hook(&sites[S_SIG], h_sig, NULL);
	sig_hook_calls = 0;
	sig_inner_result = 0;
	/* The hook raises: the handler interrupts the hook, its call runs
	 * without hooks. */
	assert_int_equal(fake_sig(3), 1003);
	assert_int_equal(sig_inner_result, 2);
	assert_int_equal(sig_hook_calls, 1);
}

static volatile int async_stop;
static long async_results[2]; /* handler calls that ran hooked / unhooked */
static int async_handled;

static void on_usr2(int sig)
{
	long r = fake_sig(4);

	async_handled++;
	if (r == 1004)
		async_results[0]++;
	else if (r == 4)
		async_results[1]++;
}

static void *sig_sender(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;
	int i;

	for (i = 0; i < 200 && !async_stop; i++) {
		pthread_kill(main_thread, SIGUSR2);
		sched_yield();
	}
	return NULL;
}

static void test_signal_async(void **state)
{
	struct sigaction sa = {.sa_handler = on_usr2};
	pthread_t self = pthread_self(), t;
	long bad = 0, i, calls = 0;

	sigaction(SIGUSR2, &sa, NULL);
	set_hook(&sites[S_SIG], h_sig, NULL);
	sig_hook_calls = 0;
	async_handled = 0;
	async_results[0] = async_results[1] = 0;
	async_stop = 0;
	assert_int_equal(pthread_create(&t, NULL, sig_sender, &self), 0);
	for (i = 0; i < 20000 && (i < 2000 || async_handled < 5); i++, calls++)
		if (fake_sig(0) != 1000)
			bad++;
	async_stop = 1;
	pthread_join(t, NULL);
	signal(SIGUSR2, SIG_DFL);
	assert_int_equal(bad, 0);
	assert_true(async_handled > 0);
	/* Every handler call returned either hooked or (when it interrupted a
	 * hook) unhooked, and the hook ran exactly once per hooked call. */
	assert_int_equal(async_results[0] + async_results[1], async_handled);
	assert_int_equal(sig_hook_calls, calls + async_results[0]);
}

/* ----------------------------------------------------------- threads */

static void *caller_thread(void *arg)
{
	long i, bad = 0;

	for (i = 0; i < 500; i++)
		if (fake_ints(i, 0, 0, 0, 0, 0, 0, 1) != i + 10000000)
			bad++;
	return (void *)bad;
}

static void test_threads(void **state)
{
	pthread_t t[4];
	int n = 0, i;
	void *bad;

	set_hook(&sites[S_INTS], h_count, &n);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, caller_thread, NULL), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &bad);
		assert_null(bad);
	}
	assert_int_equal(n, 2000);
}

/* ---------------------------------------------------------- backtrace */

static uintptr_t strip_pac(uintptr_t p)
{
	register uintptr_t x30 __asm__("x30") = p;

	/* XPACLRI is in the hint space: a NOP on CPUs without PAC. */
	__asm__("hint #7" : "+r"(x30));
	return x30;
}

struct bt {
	uintptr_t lr[5]; /* return addresses from frame records */
	uintptr_t fp[5];
	void *dw[8]; /* backtrace(3), DWARF */
	int ndw;
};

static void h_backtrace(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	struct bt *bt = data;
	uintptr_t *fp = __builtin_frame_address(0);
	int i;

	for (i = 0; i < 5 && fp; i++) {
		bt->fp[i] = (uintptr_t)fp;
		bt->lr[i] = strip_pac(fp[1]);
		fp = (uintptr_t *)fp[0];
	}
	bt->ndw = backtrace(bt->dw, 8);
}

static void test_backtrace(void **state)
{
	struct bt bt;
	struct probe p;
	void *warm[2];
	int i;

	backtrace(warm, 2); /* loads libgcc_s outside the hook */
	memset(&bt, 0, sizeof(bt));
	set_hook(&sites[S_PROBE], h_backtrace, &bt);
	call_probe(&p);
#if TRAMP_VARIANT == 0
	/* hook's record -> pfe_dispatch -> trampoline -> fake body -> caller */
	assert_true(bt.lr[0] > (uintptr_t)pfe_dispatch &&
		    bt.lr[0] < (uintptr_t)pfe_dispatch + 1024);
	assert_true(bt.lr[1] > (uintptr_t)pfe_regs_trampoline &&
		    bt.lr[1] < (uintptr_t)pfe_regs_trampoline + 256);
	assert_int_equal(bt.lr[2], (uintptr_t)fake_probe + 12);
	assert_int_equal(bt.lr[3], p.call_lr);
	assert_int_equal(bt.fp[4], p.call_fp);
#else
	/* The single hook is called by the trampoline itself:
	 * hook's record -> trampoline -> fake body -> caller */
	assert_true(bt.lr[0] > site_tramp && bt.lr[0] < site_tramp + 512);
	assert_int_equal(bt.lr[1], (uintptr_t)fake_probe + 12);
	assert_int_equal(bt.lr[2], p.call_lr);
	assert_int_equal(bt.fp[3], p.call_fp);
#endif
	/* The DWARF unwinder (CFI in the trampoline) agrees. */
	for (i = 0; i < bt.ndw; i++)
		if ((uintptr_t)bt.dw[i] == (uintptr_t)fake_probe + 12)
			break;
	assert_true(i + 1 < bt.ndw);
	assert_int_equal((uintptr_t)bt.dw[i + 1], p.call_lr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_ints_survive, teardown_hooks),
	    cmocka_unit_test_teardown(test_doubles_survive, teardown_hooks),
	    cmocka_unit_test_teardown(test_vectors_survive, teardown_hooks),
	    cmocka_unit_test_teardown(test_struct_return_and_all_args, teardown_hooks),
	    cmocka_unit_test_teardown(test_rewrite_all_args, teardown_hooks),
	    cmocka_unit_test_teardown(test_x18_survives, teardown_hooks),
	    cmocka_unit_test_teardown(test_sp_fp_lr, teardown_hooks),
	    cmocka_unit_test_teardown(test_change_arg, teardown_hooks),
	    cmocka_unit_test_teardown(test_redirect_pc, teardown_hooks),
	    cmocka_unit_test_teardown(test_change_lr, teardown_hooks),
	    cmocka_unit_test_teardown(test_recursion_guard, teardown_hooks),
	    cmocka_unit_test_teardown(test_order, teardown_hooks),
	    cmocka_unit_test_teardown(test_hooks_compose, teardown_hooks),
	    cmocka_unit_test_teardown(test_signal_from_body, teardown_hooks),
	    cmocka_unit_test_teardown(test_signal_inside_hook, teardown_hooks),
	    cmocka_unit_test_teardown(test_signal_async, teardown_hooks),
	    cmocka_unit_test_teardown(test_threads, teardown_hooks),
	    cmocka_unit_test_teardown(test_backtrace, teardown_hooks),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
