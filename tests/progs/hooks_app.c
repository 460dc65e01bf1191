/* SPDX-License-Identifier: MIT */
/*
 * A program that attaches its own hooks through libpfe's public API, found
 * with dlsym(RTLD_DEFAULT) so that it also runs (unhooked) without libpfe.
 * Built with -fpatchable-function-entry=2 by tests/integ/t_hooks*.sh, which
 * compare its output with the exact expected lines.
 *
 * It checks what a hook may rely on and what it may change: 8 integer, 8
 * double and struct-return (x8) arguments arrive intact while a hook doing
 * FP arithmetic (and clobbering every caller-saved register) runs; a nested
 * function's static chain (x18) survives; a hook can change an argument,
 * replace the function (pc) and the return address (lr); detaching restores
 * `mov x9, x30; nop` and the hook stops running.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pfe.h"

#define NOINL __attribute__((noinline, noclone))

struct big {
	long a, b, c, d;
	double e;
};

NOINL long sum8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + b * 10 + c * 100 + d * 1000 + e * 10000 + f * 100000 + g * 1000000 +
	       h * 10000000;
}

NOINL double dsum8(double a, double b, double c, double d, double e, double f, double g, double h)
{
	return a + b * 2 + c * 4 + d * 8 + e * 16 + f * 32 + g * 64 + h * 128;
}

NOINL struct big mkbig(long x, double y)
{
	struct big r = {x, x * 2, x * 3, x * 4, y * 1.5};

	return r;
}

/* GCC passes the enclosing frame to a nested function in x18 (the static
 * chain): the nested function's own patch site must keep it. */
NOINL long outer(long n)
{
	long base = n * 3;

	NOINL long inner(long k)
	{
		return base + k;
	}
	return inner(1) + inner(2);
}

NOINL long twice(long x)
{
	return 2 * x;
}

NOINL long original(long x)
{
	return x + 1;
}

NOINL long replacement(long x)
{
	return x * 1000;
}

NOINL long lr_target(long x)
{
	return x;
}

/* Returns 3, or 2 when lr_target returns one instruction late. */
long call_lr(void);
__asm__(".text\n.p2align 4\n.globl call_lr\n.type call_lr, %function\ncall_lr:\n"
	"hint #34\n" /* bti c */
	"stp x29, x30, [sp, #-16]!\nmov x29, sp\nmov x0, #0\nbl lr_target\n"
	"add x0, x0, #1\nadd x0, x0, #2\nldp x29, x30, [sp], #16\nret\n"
	".size call_lr, .-call_lr\n");

/* ------------------------------------------------------------- hooks */

static long fp_calls;
static volatile double fp_acc;

/* FP arithmetic on the saved arguments, then every caller-saved register
 * a C function may touch is wrecked: only the trampoline can restore them. */
static void h_fp(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	double acc = 0.25;

	for (int i = 0; i < 8; i++)
		acc = acc * 1.5 + regs->v[i].d / 3.0 + (double)regs->x[i];
	fp_acc = acc;
	__asm__ volatile("movi v0.16b, #0x55\n movi v1.16b, #0x55\n movi v2.16b, #0x55\n"
			 "movi v3.16b, #0x55\n movi v4.16b, #0x55\n movi v5.16b, #0x55\n"
			 "movi v6.16b, #0x55\n movi v7.16b, #0x55\n"
			 "mov x0, #-1\n mov x1, #-1\n mov x2, #-1\n mov x3, #-1\n mov x4, #-1\n"
			 "mov x5, #-1\n mov x6, #-1\n mov x7, #-1\n mov x8, #-1\n mov x18, #-1\n" ::
			     : "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "x0", "x1", "x2",
			       "x3", "x4", "x5", "x6", "x7", "x8", "x18", "memory");
	fp_calls++;
}

static void h_arg(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->x[0] += 100;
}

static void h_pc(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->pc = (uintptr_t)replacement;
}

static void h_lr(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	regs->lr += 4;
}

/* ------------------------------------------------------------- driver */

static struct pfe_hook *(*hook_add)(const char *, pfe_entry_fn, void *);
static int (*hook_remove)(struct pfe_hook *);
static size_t (*hook_nsites)(const struct pfe_hook *);

/* What the two patchable NOPs of @fn hold now (after `bti c` if any). */
static const char *site_state(void *fn)
{
	const uint32_t *p = fn;

	if (p[0] == 0xd503245f) /* bti c */
		p++;
	if (p[0] == 0xd503201f && p[1] == 0xd503201f)
		return "nop; nop";
	if (p[0] == 0xaa1e03e9 && p[1] == 0xd503201f)
		return "mov x9, x30; nop";
	if (p[0] == 0xaa1e03e9 && (p[1] >> 26) == 0x25)
		return "mov x9, x30; bl";
	return "something else";
}

/* Opaque to the optimiser, so the calls below are real calls. */
static volatile long one = 1;
static volatile double half = 0.5;

static void calls(const char *when)
{
	long i = one;
	double d = half;
	struct big b = mkbig(7 * i, 2.5 * i);

	printf("%s: sum8 %ld\n", when, sum8(i, 2 * i, 3 * i, 4 * i, 5 * i, 6 * i, 7 * i, 8 * i));
	printf("%s: dsum8 %.3f\n", when, dsum8(d, d + 1, d + 2, d + 3, d + 4, d + 5, d + 6, d + 7));
	printf("%s: mkbig %ld %ld %ld %ld %.3f\n", when, b.a, b.b, b.c, b.d, b.e);
	printf("%s: outer %ld\n", when, outer(5 * i));
}

static struct pfe_hook *attach(const char *pattern, pfe_entry_fn fn)
{
	struct pfe_hook *h = hook_add(pattern, fn, NULL);

	if (!h)
		printf("attach %s: %s\n", pattern, strerror(errno));
	else
		printf("attach %s: %zu sites\n", pattern, hook_nsites(h));
	return h;
}

static void detach(struct pfe_hook *h)
{
	if (h)
		printf("detach: %d\n", hook_remove(h));
}

int main(void)
{
	struct pfe_hook *h;

	*(void **)&hook_add = dlsym(RTLD_DEFAULT, "pfe_hook_add");
	*(void **)&hook_remove = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	*(void **)&hook_nsites = dlsym(RTLD_DEFAULT, "pfe_hook_nsites");
	printf("libpfe: %s\n", hook_add && hook_remove && hook_nsites ? "present" : "absent");
	printf("sum8 site: %s\n", site_state((void *)sum8));
	calls("plain");
	printf("call_lr %ld\n", call_lr());
	if (!hook_add || !hook_remove || !hook_nsites)
		return 0;

	h = attach("sum8,dsum8,mkbig,inner*", h_fp);
	printf("sum8 site: %s\n", site_state((void *)sum8));
	calls("hooked");
	printf("hook calls %ld\n", fp_calls);
	detach(h);
	printf("sum8 site: %s\n", site_state((void *)sum8));
	calls("detached");
	printf("hook calls %ld\n", fp_calls);

	h = attach("twice", h_arg);
	printf("twice(21) %ld\n", twice(21 * one));
	detach(h);
	printf("twice(21) %ld\n", twice(21 * one));

	h = attach("original", h_pc);
	printf("original(5) %ld\n", original(5 * one));
	detach(h);
	printf("original(5) %ld\n", original(5 * one));

	h = attach("lr_target", h_lr);
	printf("call_lr %ld\n", call_lr());
	detach(h);
	printf("call_lr %ld\n", call_lr());
	printf("lr_target site: %s\n", site_state((void *)lr_target));

	attach("no_such_function", h_arg);
	attach("bad[", h_arg);
	return 0;
}
