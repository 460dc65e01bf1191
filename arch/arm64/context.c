/* SPDX-License-Identifier: MIT */
/*
 * A thread's saved contexts on arm64: the ucontext a signal handler gets
 * (uc_mcontext: regs[31], sp, pc) and the C library's jmp_buf.
 *
 * A parked thread (lib/core/park.c) stopped at slot 1 of a site whose slot 0
 * was just initialised never ran the new `mov x9, x30` (it fetched the NOP):
 * its context gets the x9 the MOV would have set, so that a BL written into
 * slot 1 later finds the return address there (site.c draws the site).
 *
 * glibc's jmp_buf on arm64 holds x19-x28, x29, x30 (mangled), a spare word
 * and sp (mangled): the mangling XORs the pointer guard, a private
 * process-wide value on arm64. We learn the guard once from a setjmp of our
 * own at a known sp, as sanitizers do, and check it from two depths: a
 * jmp_buf of another layout does not give the same guard twice.
 */
#include <errno.h>
#include <setjmp.h>
#include <ucontext.h>

#include "arch.h"
#include "core.h"

#define REG_X9	9
#define REG_X30 30
/* The mangled sp's index in __jmpbuf. */
#define JB_SP 13

void pfe_arch_init_nop_parked(ucontext_t *uc, const struct pfe_object *obj)
{
	uintptr_t pc = uc->uc_mcontext.pc;
	struct pfe_site *s;

	if (pc < obj->lo || pc >= obj->hi)
		return;
	s = pfe_sitetab_by_pc(&obj->tab, pc - 4);
	if (s && pfe_arch_site_decode(s) == PFE_SITE_INIT)
		uc->uc_mcontext.regs[REG_X9] = uc->uc_mcontext.regs[REG_X30];
}

uintptr_t pfe_arch_context_sp(const ucontext_t *uc)
{
	return uc->uc_mcontext.sp;
}

static __attribute__((noinline)) uintptr_t probe_guard(void)
{
	jmp_buf jb;
	uintptr_t sp;

	/* _setjmp is a leaf on arm64: it stores the sp it is called with,
	 * which is ours from after the prologue on. */
	sp = pfe_arch_sp();
	if (_setjmp(jb))
		return 0;
	return ((uintptr_t *)jb[0].__jmpbuf)[JB_SP] ^ sp;
}

static __attribute__((noinline)) uintptr_t probe_guard_deeper(void)
{
	volatile char pad[256];

	pad[0] = 0;
	return probe_guard() + pad[0];
}

int pfe_arch_jmpbuf_guard(uintptr_t *guard)
{
	uintptr_t g1 = probe_guard(), g2 = probe_guard_deeper();

	*guard = g1;
	return g1 == g2 ? 0 : -ENOTSUP;
}

uintptr_t pfe_arch_jmpbuf_sp(const struct __jmp_buf_tag *env, uintptr_t guard)
{
	uintptr_t sp = ((const uintptr_t *)env->__jmpbuf)[JB_SP] ^ guard;

	/* The AAPCS64 keeps sp 16-byte aligned at every public interface. */
	return sp & 15 ? 0 : sp;
}
