/* SPDX-License-Identifier: MIT */
/*
 * Exit hooks: the per-thread shadow stack of real return addresses.
 *
 * When a site has a hook with an exit function, pfe_dispatch calls
 * pfe_exit_push after the entry hooks: the real return address (regs->lr),
 * the entry sp, the site and a timestamp go on this thread's shadow stack
 * and regs->lr becomes the return trampoline (asm/ret_tramp.S). The
 * function returns there; pfe_exit_dispatch pops the frame, runs the exit
 * hooks and hands the real address back to the trampoline.
 *
 * The entry sp identifies a frame: a function returns with the sp it was
 * entered with (AAPCS64), and frames deeper in the call chain have lower sp.
 * That is what keeps the stack right when functions do not return:
 *   longjmp/siglongjmp, exceptions: the skipped frames are left above the
 *     frame being popped; a pop discards every frame whose sp is below the
 *     returning sp, and a push those within 64 KiB below the new entry's sp
 *     (further away may be a signal handler on another stack) and one at the
 *     same sp unless this entry is a tail call from it (see stale());
 *   tail calls: a traced function tail-calling another traced one hands it
 *     lr = the trampoline and the same sp; both frames are pushed with equal
 *     sp, the second popped first, its "real" return being the trampoline,
 *     which pops the first: both exit hooks run, in order;
 *   pthread_exit: the stack lives in the thread's static TLS and goes with it;
 *   overflow: beyond PFE_SHADOW_MAX frames the call runs entry hooks only and
 *     is counted; nothing is ever written past the array.
 * Pointer authentication: the patch site runs before the function's
 * paciasp, so the function signs and authenticates the trampoline's address
 * and never sees the real one (for unwinding see ret_tramp.S).
 *
 * Signal safety: a handler may push and pop on the same stack at any point.
 * A push fills in its slot only after raising the depth (with sp 0 first, a
 * value no check discards), so a handler works above it; a pop copies its
 * frame before lowering the depth.
 *
 * The stack is static TLS (initial-exec, like the recursion guard in
 * dispatch.c): allocation-free, one tpidr_el0-relative access.
 */
#include <stdlib.h>
#include <unwind.h>
#include <urcu-bp.h>

#include "dispatch.h"
#include "exit.h"

struct pfe_shadow_frame {
	uintptr_t ret; /* the real return address */
	uintptr_t sp;  /* sp at entry: the function's CFA */
	const struct pfe_site *site;
	uint64_t t0; /* cntvct_el0 at entry */
};

struct pfe_shadow {
	unsigned depth;
	struct pfe_shadow_frame f[PFE_SHADOW_MAX];
};

static __thread struct pfe_shadow pfe_shadow __attribute__((tls_model("initial-exec")));

struct pfe_exit_stats pfe_exit_stats;

/* Frames below a new entry's sp by at most this much are stale. */
#define PFE_SHADOW_NEAR (64 * 1024)

static inline uint64_t ticks(void)
{
	uint64_t t;

	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t));
	return t;
}

static uint64_t ticks_to_ns(uint64_t d)
{
	static uint64_t freq;
	uint64_t f = __atomic_load_n(&freq, __ATOMIC_RELAXED);

	if (!f) {
		__asm__("mrs %0, cntfrq_el0" : "=r"(f));
		if (!f)
			f = 1000000000;
		__atomic_store_n(&freq, f, __ATOMIC_RELAXED);
	}
	return (uint64_t)((unsigned __int128)d * 1000000000u / f);
}

static inline void stat_add(unsigned long *c, unsigned long n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline bool is_tramp(uintptr_t a)
{
	return a == (uintptr_t)pfe_ret_trampoline;
}

/*
 * Is @f, on top of the stack, a frame a non-local exit left behind, seen from
 * a new entry with @sp and @lr? Below @sp (deeper) within PFE_SHADOW_NEAR:
 * its function is gone. At the same sp: a live function calls with a lower
 * sp, so the same sp is either a tail call from it (lr is the trampoline) or
 * a new call from the caller of a function that is gone.
 */
static inline bool stale(const struct pfe_shadow_frame *f, uintptr_t sp, uintptr_t lr)
{
	if (f->sp == sp)
		return !is_tramp(lr);
	return f->sp < sp && sp - f->sp <= PFE_SHADOW_NEAR;
}

void pfe_exit_push(const struct pfe_site *site, struct pfe_regs *regs)
{
	struct pfe_shadow *s = &pfe_shadow;
	struct pfe_shadow_frame *f;
	uintptr_t sp = regs->sp;
	unsigned d = s->depth, drop = 0;
	bool now = regs->pc == regs->lr; /* a hook returns at once */

	while (d && stale(&s->f[d - 1], sp, regs->lr)) {
		d--;
		drop++;
	}
	if (drop) {
		s->depth = d;
		stat_add(&pfe_exit_stats.skipped, drop);
	}
	if (d == PFE_SHADOW_MAX) {
		stat_add(&pfe_exit_stats.overflow, 1);
		return;
	}
	f = &s->f[d];
	f->sp = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s->depth = d + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	f->ret = regs->lr;
	f->site = site;
	f->t0 = ticks();
	f->sp = sp;
	regs->lr = (uintptr_t)pfe_ret_trampoline;
	if (now)
		regs->pc = (uintptr_t)pfe_ret_trampoline;
}

/* Copy the frame returning with @sp off the stack, discarding the frames a
 * non-local exit left above it. False when the stack is empty. */
static bool shadow_pop(uintptr_t sp, struct pfe_shadow_frame *out)
{
	struct pfe_shadow *s = &pfe_shadow;
	unsigned d = s->depth, drop = 0;

	while (d > 1 && s->f[d - 1].sp < sp) {
		d--;
		drop++;
	}
	if (!d)
		return false;
	if (drop)
		stat_add(&pfe_exit_stats.skipped, drop);
	if (s->f[d - 1].sp != sp)
		stat_add(&pfe_exit_stats.mismatched, 1);
	*out = s->f[d - 1];
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s->depth = d - 1;
	return true;
}

uintptr_t pfe_exit_dispatch(struct pfe_ret_regs *ret, uintptr_t sp)
{
	struct pfe_shadow_frame f;
	const struct pfe_hook_vec *v;
	const struct pfe_hook_ent *e;
	uint64_t ns;

	if (!shadow_pop(sp, &f)) {
		/* Nowhere to return to: nothing better than saying so. */
		pfe_err("return trampoline reached with an empty shadow stack (sp 0x%lx); "
			"aborting",
			(unsigned long)sp);
		abort();
	}
	ns = ticks_to_ns(ticks() - f.t0);
	if (__atomic_load_n(&pfe_in_hook, __ATOMIC_RELAXED))
		return f.ret;
	__atomic_store_n(&pfe_in_hook, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	rcu_read_lock();
	v = rcu_dereference(f.site->hooks);
	if (v) {
		pfe_cur_site = f.site;
		for (e = v->e; e->fn; e++) {
			pfe_exit_fn fn = e->hook ? e->hook->exit : NULL;

			if (!fn)
				continue;
			pfe_cur_hook = e->hook;
			fn(f.site, ret, ns, e->data);
		}
		pfe_cur_hook = NULL;
	}
	rcu_read_unlock();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&pfe_in_hook, 0, __ATOMIC_RELAXED);
	return f.ret;
}

unsigned pfe_exit_depth(void)
{
	return pfe_shadow.depth;
}

/* ---------------------------------------------------------- unwinding */

static uintptr_t pac_sign(uintptr_t v, uintptr_t modifier)
{
	register uintptr_t x17 __asm__("x17") = v;
	register uintptr_t x16 __asm__("x16") = modifier;

	__asm__("hint #8" /* pacia1716 */ : "+r"(x17) : "r"(x16));
	return x17;
}

#define PACIASP 0xd503233fu

/*
 * Does the function at @site sign its return address? With pac-ret it has a
 * paciasp somewhere (at its entry, or later when shrink-wrapped): look for
 * one between its symbol and the next. Without a symbol, judge by the saved
 * value @raw, which is wrong once in 2^(PAC bits) signings.
 */
static bool signs_lr(const struct pfe_site *site, uintptr_t raw)
{
	const struct pfe_sitetab *t = site && site->obj ? &site->obj->tab : NULL;
	size_t lo = 0, hi = t ? t->nsyms : 0;
	uintptr_t end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr < site->func)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!t || lo == t->nsyms || t->syms[lo].addr != site->func)
		return !is_tramp(raw);
	if (t->syms[lo].size)
		end = site->func + t->syms[lo].size;
	else
		end = lo + 1 < t->nsyms ? t->syms[lo + 1].addr : site->func + 4096;
	if (end - site->func > 65536)
		end = site->func + 65536;
	for (const uint32_t *p = (const uint32_t *)site->func; (uintptr_t)p < end; p++)
		if (*p == PACIASP)
			return true;
	return false;
}

/*
 * The personality of the trampolines' unwind entries (ret_tramp.S): the
 * unwinder is at "the traced function whose CFA is @ctx's CFA returned to
 * the trampoline". Store the real return address where the function saved
 * its x30, following tail-call frames (whose real return is the trampoline
 * itself) down to the first frame with another one.
 */
_Unwind_Reason_Code pfe_ret_personality(int version, _Unwind_Action actions,
					_Unwind_Exception_Class cls, struct _Unwind_Exception *ue,
					struct _Unwind_Context *ctx);
_Unwind_Reason_Code pfe_ret_personality(int version, _Unwind_Action actions,
					_Unwind_Exception_Class cls, struct _Unwind_Exception *ue,
					struct _Unwind_Context *ctx)
{
	struct pfe_shadow *s = &pfe_shadow;
	uintptr_t cfa = _Unwind_GetCFA(ctx), ret = 0;
	const struct pfe_site *site = NULL;
	unsigned d;

	for (d = s->depth; d; d--) {
		if (s->f[d - 1].sp != cfa)
			continue;
		ret = s->f[d - 1].ret;
		if (!site)
			site = s->f[d - 1].site; /* the function whose frame this is */
		if (!is_tramp(ret))
			break;
	}
	if (!ret || is_tramp(ret)) {
		pfe_err_once("unwinding through the return trampoline at CFA 0x%lx: no "
			     "shadow frame",
			     (unsigned long)cfa);
		return actions & _UA_SEARCH_PHASE ? _URC_FATAL_PHASE1_ERROR
						  : _URC_FATAL_PHASE2_ERROR;
	}
	/* The function signed the trampoline's address: its FDE will
	 * authenticate what it finds there against its CFA, the sp its paciasp
	 * used. (A signed value may equal the bare address: its PAC can be 0.) */
	if (signs_lr(site, _Unwind_GetGR(ctx, 30)))
		ret = pac_sign(ret, cfa);
	_Unwind_SetGR(ctx, 30, ret);
	stat_add(&pfe_exit_stats.unwound, 1);
	return _URC_CONTINUE_UNWIND;
}
