/* SPDX-License-Identifier: MIT */
/*
 * The calls that move a thread to another stack pointer without returning:
 * longjmp, _longjmp, siglongjmp, __longjmp_chk, setcontext, swapcontext;
 * and sigaltstack, which says where signal handlers will run. libpfe
 * defines them under the C library's versions, so the program's calls reach
 * these first (LD_PRELOAD); each tells the shadow stacks (exit.c) where the
 * thread continues, so the frames it leaves are closed when it leaves them,
 * then calls the C library's.
 *
 * longjmp's target sp is in the jmp_buf, mangled by the C library with its
 * pointer guard, which the architecture's code learns once
 * (arch/arm64/context.c). A jmp_buf that does not decode to a sensible sp
 * (another layout) is not used: then the frames are closed at the next call
 * or return on that stack.
 *
 * A ucontext says its target sp (pfe_arch_context_sp) and, when made by
 * makecontext, its stack in uc_stack: that is how libpfe learns coroutine
 * stacks. getcontext/swapcontext leave uc_stack alone, so a coroutine's
 * saved context still names its stack.
 *
 * All of these may be called from signal handlers: nothing here allocates
 * or locks; the real functions are looked up in the constructor.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <ucontext.h>

#include "arch.h"
#include "exit.h"
#include "interpose.h"

#define WRAP_API __attribute__((visibility("default")))

/* Exported under the C library's names (the .symver at the end). */
WRAP_API __attribute__((noreturn)) void pfe_longjmp(struct __jmp_buf_tag *env, int val);
WRAP_API __attribute__((noreturn)) void pfe__longjmp(struct __jmp_buf_tag *env, int val);
WRAP_API __attribute__((noreturn)) void pfe_siglongjmp(struct __jmp_buf_tag *env, int val);
WRAP_API __attribute__((noreturn)) void pfe_longjmp_chk(struct __jmp_buf_tag *env, int val);
WRAP_API int pfe_setcontext(const ucontext_t *ucp);
WRAP_API int pfe_swapcontext(ucontext_t *oucp, const ucontext_t *ucp);
WRAP_API int pfe_sigaltstack(const stack_t *ss, stack_t *old);
WRAP_API void *pfe_cxa_begin_catch(void *exc);

typedef void (*jmp_fn)(struct __jmp_buf_tag *env, int val);
typedef int (*setctx_fn)(const ucontext_t *ucp);
typedef int (*swapctx_fn)(ucontext_t *oucp, const ucontext_t *ucp);
typedef int (*altstack_fn)(const stack_t *ss, stack_t *old);
typedef void *(*catch_fn)(void *exc);

static jmp_fn real_longjmp, real__longjmp, real_siglongjmp, real_longjmp_chk;
static setctx_fn real_setcontext;
static swapctx_fn real_swapcontext;
static altstack_fn real_sigaltstack;
static catch_fn real_begin_catch;
static uintptr_t guard;
static bool guard_ok;

static void *real(const char *name)
{
	void *p =
	    dlvsym(RTLD_NEXT, name, name[0] == '_' && name[2] == 'c' ? "CXXABI_1.3" : "GLIBC_2.17");

	return p ? p : dlsym(RTLD_NEXT, name);
}

/* Before the constructor ran (a library initialised earlier calls us),
 * look it up now; nothing to do without it. */
static void *need(void *p, const char *name)
{
	if (!p)
		p = real(name);
	if (!p) {
		pfe_err("%s: not found in the C library; aborting", name);
		abort();
	}
	return p;
}

/* The sp @env continues at, or 0 when it cannot be told. */
static uintptr_t jmp_target(struct __jmp_buf_tag *env)
{
	return guard_ok ? pfe_arch_jmpbuf_sp(env, guard) : 0;
}

static void leave_for(struct __jmp_buf_tag *env)
{
	uintptr_t sp = jmp_target(env);

	if (sp)
		pfe_exit_switch(sp, 0, 0, true);
}

WRAP_API __attribute__((noreturn)) void pfe_longjmp(struct __jmp_buf_tag *env, int val)
{
	leave_for(env);
	need(real_longjmp, "longjmp");
	real_longjmp(env, val);
	__builtin_unreachable();
}

WRAP_API __attribute__((noreturn)) void pfe__longjmp(struct __jmp_buf_tag *env, int val)
{
	leave_for(env);
	need(real__longjmp, "_longjmp");
	real__longjmp(env, val);
	__builtin_unreachable();
}

WRAP_API __attribute__((noreturn)) void pfe_siglongjmp(struct __jmp_buf_tag *env, int val)
{
	leave_for(env);
	need(real_siglongjmp, "siglongjmp");
	real_siglongjmp(env, val);
	__builtin_unreachable();
}

WRAP_API __attribute__((noreturn)) void pfe_longjmp_chk(struct __jmp_buf_tag *env, int val)
{
	leave_for(env);
	need(real_longjmp_chk, "__longjmp_chk");
	real_longjmp_chk(env, val);
	__builtin_unreachable();
}

/* The target of @ucp, and its stack when uc_stack holds it. */
static void switch_to(const ucontext_t *ucp)
{
	uintptr_t sp, lo, hi;

	if (!ucp)
		return;
	sp = pfe_arch_context_sp(ucp);
	lo = (uintptr_t)ucp->uc_stack.ss_sp;
	hi = lo + ucp->uc_stack.ss_size;
	if (!lo || hi < lo || sp < lo || sp > hi)
		lo = hi = 0;
	pfe_exit_switch(sp, lo, hi, false);
}

WRAP_API int pfe_setcontext(const ucontext_t *ucp)
{
	switch_to(ucp);
	return ((setctx_fn)need(real_setcontext, "setcontext"))(ucp);
}

WRAP_API int pfe_swapcontext(ucontext_t *oucp, const ucontext_t *ucp)
{
	unsigned here = pfe_exit_here();
	int r;

	switch_to(ucp);
	r = ((swapctx_fn)need(real_swapcontext, "swapcontext"))(oucp, ucp);
	pfe_exit_back(here);
	return r;
}

WRAP_API int pfe_sigaltstack(const stack_t *ss, stack_t *old)
{
	int r = ((altstack_fn)need(real_sigaltstack, "sigaltstack"))(ss, old);

	if (!r && ss && !(ss->ss_flags & SS_DISABLE) && ss->ss_sp)
		pfe_exit_note_stack((uintptr_t)ss->ss_sp, (uintptr_t)ss->ss_sp + ss->ss_size);
	else if (!r && ss && (ss->ss_flags & SS_DISABLE))
		pfe_exit_note_stack(0, 0);
	return r;
}

/* A C++ handler is entered: the frames the exception left are closed now
 * (the unwinder's cleanup phase does not pass the return trampoline again,
 * see pfe_ret_personality). The handler's function called us: our CFA is
 * its sp. The C++ runtime may have been loaded after our constructor. */
WRAP_API void *pfe_cxa_begin_catch(void *exc)
{
	catch_fn fn = __atomic_load_n(&real_begin_catch, __ATOMIC_RELAXED);

	pfe_exit_caught((uintptr_t)__builtin_dwarf_cfa());
	if (!fn) {
		fn = (catch_fn)need(NULL, "__cxa_begin_catch");
		__atomic_store_n(&real_begin_catch, fn, __ATOMIC_RELAXED);
	}
	return fn(exc);
}

__asm__(".symver pfe_longjmp, longjmp@@GLIBC_2.17\n"
	".symver pfe__longjmp, _longjmp@@GLIBC_2.17\n"
	".symver pfe_siglongjmp, siglongjmp@@GLIBC_2.17\n"
	".symver pfe_longjmp_chk, __longjmp_chk@@GLIBC_2.17\n"
	".symver pfe_setcontext, setcontext@@GLIBC_2.17\n"
	".symver pfe_swapcontext, swapcontext@@GLIBC_2.17\n"
	".symver pfe_sigaltstack, sigaltstack@@GLIBC_2.17\n"
	".symver pfe_cxa_begin_catch, __cxa_begin_catch@@CXXABI_1.3\n");

__attribute__((constructor(101))) static void pfe_ctxsw_init(void)
{
	real_longjmp = real("longjmp");
	real__longjmp = real("_longjmp");
	real_siglongjmp = real("siglongjmp");
	real_longjmp_chk = real("__longjmp_chk");
	real_setcontext = real("setcontext");
	real_swapcontext = real("swapcontext");
	real_sigaltstack = real("sigaltstack");
	real_begin_catch = real("__cxa_begin_catch");
	guard_ok = !pfe_arch_jmpbuf_guard(&guard);
}
