/* SPDX-License-Identifier: MIT */
/*
 * Exit hooks: per-thread shadow stacks of real return addresses.
 *
 * When a site has a hook with an exit function, pfe_dispatch calls
 * pfe_exit_push after the entry hooks: the real return address (regs->lr),
 * the entry sp, the site and a timestamp go on a shadow stack and regs->lr
 * becomes the return trampoline (arch/arm64/ret_tramp.S). The function returns
 * there; pfe_exit_dispatch finds the frame by the sp it returns with, runs
 * the exit hooks (ret->flags 0) and hands the real address back. The
 * common case, the top frame of a call on the thread's own stack, the
 * trampoline pops itself (the layout is in shadow.h); a hook that is alone
 * at its site may push its frame inline too (shadow.h, struct
 * pfe_hook_fused).
 *
 * One shadow stack per machine stack. A thread may run on its own stack, on
 * coroutine stacks (makecontext/swapcontext) and on a sigaltstack; ctxsw.c
 * learns their ranges from the calls that switch to them. A frame is filed
 * under the stack its sp lies in, so switching away and back leaves every
 * frame where it was, and the return finds it by sp on that stack.
 *
 * The entry sp identifies a frame: a function returns with the sp it was
 * entered with (the calling convention, arch/arm64/abi.c), and on one stack
 * deeper calls have lower sp. So
 * on one stack a frame below an sp the program continues at is gone, and is
 * closed: its exit hooks run with PFE_RET_UNWOUND, innermost first, when
 * that is noticed:
 *   longjmp/siglongjmp, setcontext, swapcontext: ctxsw.c interposes them and
 *     calls pfe_exit_switch with the target sp before jumping;
 *   C++ exceptions, pthread_exit, pthread_cancel: the unwinder walks through
 *     the return trampoline's unwind entry and its personality
 *     (pfe_ret_personality) closes the frame in the cleanup phase;
 *   anything else (an exit we do not see): the next push or return on that
 *     stack closes what lies below its sp;
 *   the thread ends with frames open (a coroutine never resumed, exit()
 *     from nested calls): a key destructor or atexit handler closes them.
 *
 * A frame pushed for a hook with a fused or kept form (dispatch.h: the
 * graph tracer's) keeps that form, and the call's exit runs its exit function
 * whatever the site's hooks are by then, as ftrace's function_graph keeps
 * the return hooks of functions already entered: the fused exit is static
 * code that outlives the hook. So a tracer that detaches and attaches
 * again (PFE_CONTROL's switches) sees the exit of every call whose entry
 * it saw, once, and no exit of a call whose entry it did not. Frames of
 * other hooks run the exit functions of the site's hooks at their exit,
 * as the API promises for the exits that come before pfe_hook_remove()
 * returns.
 *
 * Tail calls: a traced function tail-calling another traced one hands it lr
 * = the trampoline and the same sp; both frames are pushed with equal sp,
 * the second popped first, its "real" return being the trampoline, which
 * pops the first: both exit hooks run, in order.
 *
 * The thread's own stack (stack 0) also holds whatever stack libpfe was not
 * told about; there, frames are only closed within PFE_NEAR below the sp
 * seen, so a frame on an unknown stack far away is never taken for a stale
 * one. Frames closed by that guess are kept in a small ring: if one returns
 * after all, it is found there (counted as mismatched) and returns right.
 *
 * Memory: each shadow stack is an anonymous mapping reserved for PFE_DEPTH
 * frames (MAP_NORESERVE) the first time the thread uses that stack; the
 * kernel supplies pages as the depth reaches them, so growth costs no code
 * on the hot path and cannot race with a signal handler. Beyond PFE_DEPTH a
 * call gets no exit frame; it is counted (pfe_exit_take_lost).
 *
 * Signal safety: a handler may push and pop on any stack at any point. A
 * push fills its slot only after raising the count (with sp 0 first, a
 * value no check discards), so a handler works above it; a pop copies its
 * frame before lowering the count. Mappings are installed with a
 * compare-and-swap; a handler that lost the race unmaps its own.
 *
 * Pointer authentication: the patch site runs before the function signs its
 * return address, so the function signs and authenticates the trampoline's
 * address and never sees the real one (for unwinding see
 * arch/arm64/ret_tramp.S and pfe_arch_signs_lr, arch/arm64/arch-inline.h).
 */
/* The inline urcu-bp read side, as in dispatch.c (which says why). */
#define _LGPL_SOURCE
#define URCU_DEREFERENCE_USE_VOLATILE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unwind.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "env.h"
#include "exit.h"
#include "readside.h"
#include "shadow.h"

/* The thread's shadow: pfe_thread.shadow (lib/base/thread.h), NULL until its first push. */

struct pfe_exit_stats pfe_exit_stats;

/* Frames on stack 0 below a new sp by at most this much are stale. */
#define PFE_NEAR (64 * 1024)

unsigned pfe_exit_depth_limit = PFE_DEPTH_DEFAULT;
static pthread_key_t end_key;
static bool have_key;

static inline uint64_t ticks(void)
{
	return pfe_arch_counter();
}

/* d * 10^9 / the counter's frequency as d * mult >> 32 (exit.h): a multiply
 * on every exit, not a 128-bit division (~100 instructions, a library call). */
uint64_t pfe_exit_ns_mult;

static void ns_mult_init(void)
{
	uint64_t f = pfe_arch_counter_hz();

	if (!f)
		f = 1000000000;
	pfe_exit_ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / f);
}

static inline void stat_add(unsigned long *c, unsigned long n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline bool is_tramp(uintptr_t a)
{
	return a == (uintptr_t)pfe_ret_trampoline;
}

static inline uintptr_t cur_sp(void)
{
	return pfe_arch_sp();
}

/* ------------------------------------------------------------ memory */

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static size_t frames_len(void)
{
	return (size_t)pfe_exit_depth_limit * sizeof(struct pfe_shadow_frame);
}

/* This thread's shadow, created on first use (any context: mmap is
 * async-signal-safe); NULL when memory is short. */
static __attribute__((noinline, cold)) struct pfe_shadow *shadow_get(void)
{
	struct pfe_shadow *s = pfe_thread.shadow, *none = NULL;

	if (__builtin_expect(s != NULL, 1))
		return s;
	s = map_anon(sizeof(*s));
	if (!s)
		return NULL;
	s->nstk = 1;
	if (!__atomic_compare_exchange_n(&pfe_thread.shadow, &none, s, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED)) {
		munmap(s, sizeof(*s)); /* a signal handler was first */
		return none;
	}
	/* The key's destructor closes what is left open when the thread
	 * ends. Our key was created first, so this does not allocate. */
	if (have_key)
		pthread_setspecific(end_key, s);
	return s;
}

/* Give @k its frame array; false when memory is short. */
static __attribute__((noinline, cold)) bool stack_map(struct pfe_stack *k)
{
	struct pfe_shadow_frame *f = map_anon(frames_len()), *none = NULL;

	if (!f)
		return false;
	if (!__atomic_compare_exchange_n(&k->f, &none, f, false, __ATOMIC_RELAXED,
					 __ATOMIC_RELAXED))
		munmap(f, frames_len());
	return true;
}

/* ------------------------------------------------------------ stacks */

/* Nesting level of the next frame on stack @r. An empty coroutine or
 * signal stack nests under the stack used last. */
static unsigned level_of(const struct pfe_shadow *s, unsigned r)
{
	const struct pfe_stack *k = &s->stk[r], *l;

	if (!r || k->n)
		return k->base + k->n;
	if (s->last == r)
		return k->base;
	l = &s->stk[s->last];
	return l->base + l->n;
}

/* The stack lo..hi, known from now on; 0 when there is no room. */
static unsigned stack_add(struct pfe_shadow *s, uintptr_t lo, uintptr_t hi, bool alt)
{
	unsigned i, free = 0;

	for (i = 1; i < s->nstk; i++) {
		if (s->stk[i].lo == lo && s->stk[i].hi == hi) {
			s->stk[i].alt = alt;
			return i;
		}
		if (!free && !s->stk[i].n && s->stk[i].hi < s->stk[i].lo)
			free = i;
	}
	if (!free && s->nstk < PFE_STACKS)
		free = s->nstk;
	if (!free) {
		pfe_err_once("more than %d stacks in one thread: frames on the others are kept "
			     "with the thread's own",
			     PFE_STACKS - 1);
		return 0;
	}
	/* Invalid (empty) while being filled, so pfe_stack_of skips it. */
	s->stk[free].lo = PFE_STACK_NONE;
	s->stk[free].hi = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s->stk[free].n = 0;
	s->stk[free].base = 0;
	s->stk[free].alt = alt;
	s->stk[free].lo = lo;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	s->stk[free].hi = hi;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (free == s->nstk)
		s->nstk = free + 1;
	return free;
}

/* A known stack that holds no frames and overlaps lo..hi is forgotten: the
 * memory now is something else (a freed coroutine stack reused). */
static void stack_forget_overlaps(struct pfe_shadow *s, uintptr_t lo, uintptr_t hi)
{
	for (unsigned i = 1; i < s->nstk; i++) {
		struct pfe_stack *k = &s->stk[i];

		if (!k->n && k->lo <= hi && lo <= k->hi && !(k->lo == lo && k->hi == hi))
			k->hi = 0, k->lo = PFE_STACK_NONE, k->alt = false;
	}
}

/* ------------------------------------------------------------ closing */

/* Each exit function of vector @v of @site, for a call entered at @t0 at
 * nesting @level: what they read of the call is in pfe_exit_now and
 * pfe_cur_hook, kept as they were around them (a return inside a hook's
 * closing of frames). */
static __attribute__((noinline)) void run_exit_vec(const struct pfe_site *site,
						   const struct pfe_hook_vec *v, uint64_t t0,
						   struct pfe_ret_regs *ret, unsigned level)
{
	uint64_t ns = pfe_exit_ticks_to_ns(ticks() - t0);
	const struct pfe_site *old_site = pfe_cur_site;
	struct pfe_hook *old_hook = pfe_cur_hook;
	uint64_t old_now = pfe_exit_now;

	pfe_exit_now = level;
	pfe_cur_site = site;
	for (const struct pfe_hook_ent *e = v->e; e->fn; e++) {
		pfe_exit_fn fn = e->hook ? e->hook->exit : NULL;

		if (!fn)
			continue;
		pfe_cur_hook = e->hook;
		fn(site, ret, ns, e->data);
	}
	pfe_cur_hook = old_hook;
	pfe_cur_site = old_site;
	pfe_exit_now = old_now;
}

/* The exit hooks of a call of @site entered at @t0, at nesting @level: the
 * fused form @keep that pushed its frame, else a fused hook's (dispatch.h)
 * directly, else the vector's. */
static void run_exit_hooks(const struct pfe_site *site, const struct pfe_hook_fused *keep,
			   uint64_t t0, struct pfe_ret_regs *ret, unsigned level)
{
	struct urcu_bp_reader *rd = pfe_read_lock();
	const struct pfe_hook_vec *v = keep ? NULL : rcu_dereference(site->hooks);

	if (keep)
		keep->exit(site, ret, level, t0);
	else if (v && v->fused)
		v->fused->exit(site, ret, level, t0);
	else if (v)
		run_exit_vec(site, v, t0, ret, level);
	pfe_read_unlock(rd);
}

void pfe_exit_run_ordinary(const struct pfe_site *site, struct pfe_ret_regs *ret, unsigned level,
			   uint64_t t0)
{
	const struct pfe_hook_vec *v = rcu_dereference(site->hooks);

	if (v)
		run_exit_vec(site, v, t0, ret, level);
}

/* Run the exit hooks of a call of @site unless this thread is in a hook
 * already (then a traced function called from a hook returns: no hooks).
 * @held: the caller is the dispatcher and holds the guard for us. */
static void exit_hooks(const struct pfe_site *site, const struct pfe_hook_fused *keep, uint64_t t0,
		       struct pfe_ret_regs *ret, bool held, unsigned level)
{
	if (held) {
		run_exit_hooks(site, keep, t0, ret, level);
		return;
	}
	if (__atomic_load_n(&pfe_in_hook, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&pfe_in_hook, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	run_exit_hooks(site, keep, t0, ret, level);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&pfe_in_hook, 0, __ATOMIC_RELAXED);
}

/* Take the top frame of stack @r off and run its exit hooks as unwound.
 * @guess: closed on a guess (stack 0): keep a copy to return through. */
static void close_top(struct pfe_shadow *s, unsigned r, bool held, bool guess)
{
	struct pfe_stack *k = &s->stk[r];
	struct pfe_shadow_frame f = k->f[k->n - 1];
	struct pfe_ret_regs ret;
	unsigned old = s->closing;

	if (guess) {
		s->grave[s->ngrave % PFE_GRAVE] = f;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		s->ngrave++;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	k->n--;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	stat_add(&pfe_exit_stats.skipped, 1);
	if (!f.sp)
		return; /* a push interrupted before it filled the slot */
	memset(&ret, 0, sizeof(ret));
	ret.flags = PFE_RET_UNWOUND;
	s->closing = r + 1;
	exit_hooks(f.site, f.keep, f.t0, &ret, held, level_of(s, r));
	s->closing = old;
}

/* Close the frames of stack @r with sp below @sp, or at @sp too when
 * @equal. On stack 0 only those within PFE_NEAR unless @sure. */
static __attribute__((noinline, cold)) void
close_below(struct pfe_shadow *s, unsigned r, uintptr_t sp, bool equal, bool sure, bool held)
{
	struct pfe_stack *k = &s->stk[r];

	sure |= r != 0;
	while (k->n) {
		uintptr_t fsp = k->f[k->n - 1].sp;

		/* sp 0: a push this code interrupted (a signal handler). */
		if (!fsp || fsp > sp || (fsp == sp && !equal) || (!sure && sp - fsp > PFE_NEAR))
			break;
		close_top(s, r, held, !sure);
	}
}

/* ------------------------------------------------------------ push */

/* Does a call entered with @sp and @lr show that the top frame of @k is
 * gone? Below it on the same stack, or at the same sp and not a tail call
 * from it. The common answer, no, without a call. */
static inline bool top_stale(const struct pfe_stack *k, uintptr_t sp, uintptr_t lr)
{
	uintptr_t top = k->n ? k->f[k->n - 1].sp : UINTPTR_MAX;

	return top < sp || (top == sp && !is_tramp(lr));
}

/* Before the entry hooks of a call with exit hooks (dispatch.c), so that
 * the frames it shows are gone are closed before its entry is seen. */
static inline __attribute__((always_inline)) void prune_on(struct pfe_shadow *s, unsigned r,
							   const struct pfe_regs *regs)
{
	if (__builtin_expect(top_stale(&s->stk[r], regs->sp, regs->lr), 0))
		close_below(s, r, regs->sp, !is_tramp(regs->lr), false, true);
	/* What pfe_exit_depth() and pfe_exit_room() would say in the entry
	 * hooks, once: they run on this stack. */
	pfe_exit_now = level_of(s, r) | (uint64_t)(s->stk[r].n >= pfe_exit_depth_limit) << 32;
}

/* A thread on one stack (the common case) gets prune_on() with r known to
 * be 0, so the compiler folds the lookups. */
static inline __attribute__((always_inline)) void prune(const struct pfe_regs *regs)
{
	struct pfe_shadow *s = pfe_thread.shadow;

	if (!s)
		pfe_exit_now = 0;
	else if (__builtin_expect(s->nstk == 1, 1))
		prune_on(s, 0, regs);
	else
		prune_on(s, pfe_stack_of(s, regs->sp), regs);
}

void pfe_exit_prune(const struct pfe_regs *regs)
{
	prune(regs);
}

/* pfe_exit_push() when it is not the common case. */
static __attribute__((noinline, cold)) void
push_slow(const struct pfe_site *site, struct pfe_regs *regs, const struct pfe_hook_fused *keep)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	struct pfe_stack *k;
	uintptr_t sp = regs->sp;
	bool now = regs->pc == regs->lr; /* a hook returns at once */
	unsigned r, d;

	if (__builtin_expect(!s, 0) && !(s = shadow_get()))
		goto lost;
	r = pfe_stack_of(s, sp);
	k = &s->stk[r];
	if (__builtin_expect(!k->f, 0) && !stack_map(k))
		goto lost;
	/* What lies below this call on its stack is gone; at the same sp
	 * too, unless this is a tail call from it (lr is the trampoline).
	 * Normally pfe_exit_prune did that before the entry hooks. */
	if (__builtin_expect(top_stale(k, sp, regs->lr), 0))
		close_below(s, r, sp, !is_tramp(regs->lr), false, true);
	d = k->n;
	if (d == pfe_exit_depth_limit)
		goto lost;
	if (!d && r)
		k->base = level_of(s, r);
	pfe_shadow_fill(s, r, d, site, regs, ticks(), keep);
	if (now)
		regs->pc = (uintptr_t)pfe_ret_trampoline;
	return;
lost:
	stat_add(&pfe_exit_stats.overflow, 1);
	pfe_exit_lost++;
}

/*
 * The common case without a call, so that it needs no frame of its own: a
 * thread with its shadow, a stack already mapped, nothing stale on top (the
 * usual answer: pfe_exit_prune has just closed what was), room left.
 * Everything else, and the same steps in full, in push_slow().
 */
static inline __attribute__((always_inline)) void
push(const struct pfe_site *site, struct pfe_regs *regs, const struct pfe_hook_fused *keep)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	struct pfe_stack *k;
	uintptr_t sp = regs->sp;
	unsigned r, d;

	if (__builtin_expect(!s, 0))
		goto slow;
	r = pfe_stack_of(s, sp);
	k = &s->stk[r];
	d = k->n;
	if (__builtin_expect(!k->f || top_stale(k, sp, regs->lr) || d == pfe_exit_depth_limit ||
				 (!d && r) || regs->pc == regs->lr,
			     0))
		goto slow;
	pfe_shadow_fill(s, r, d, site, regs, ticks(), keep);
	return;
slow:
	push_slow(site, regs, keep);
}

void pfe_exit_push(const struct pfe_site *site, struct pfe_regs *regs,
		   const struct pfe_hook_fused *keep)
{
	push(site, regs, keep);
}

void pfe_exit_enter_one(const struct pfe_site *site, struct pfe_regs *regs, void *vec)
{
	const struct pfe_hook_vec *v = vec;
	struct pfe_hook *h = v->e[0].hook;

	pfe_cur_site = site;
	prune(regs);
	pfe_cur_hook = h; /* exit.c, wrap.c */
	v->e[0].fn(site, regs, v->e[0].data);
	pfe_cur_hook = NULL;
	if (h->exit)
		push(site, regs, v->keep);
}

/* ------------------------------------------------------------ return */

/* The frame returning with @sp on stack @r: the newest with that sp; the
 * frames above it on that stack are gone and closed first. False if @r
 * has none. */
static __attribute__((noinline, cold)) bool pop_from(struct pfe_shadow *s, unsigned r, uintptr_t sp,
						     struct pfe_shadow_frame *out)
{
	struct pfe_stack *k = &s->stk[r];
	unsigned d = k->n;

	while (d && k->f[d - 1].sp != sp)
		d--;
	if (!d)
		return false;
	/* Frames above it: on a known stack all of them are deeper and gone;
	 * on stack 0 those far below may live on a stack we do not know: a
	 * frame returning from among them is moved down over them. */
	while (k->n > d) {
		uintptr_t fsp = k->f[k->n - 1].sp;

		if (r && fsp && fsp < sp) {
			close_top(s, r, false, false);
			continue;
		}
		if (!r && fsp && fsp < sp && sp - fsp <= PFE_NEAR) {
			close_top(s, r, false, true);
			continue;
		}
		/* Keep it: copy our frame out and close the gap. */
		*out = k->f[d - 1];
		memmove(&k->f[d - 1], &k->f[d], (k->n - d) * sizeof(k->f[0]));
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		k->n--;
		s->last = r;
		return true;
	}
	*out = k->f[d - 1];
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	k->n = d - 1;
	s->last = r;
	return true;
}

/* A frame closed on a guess returns after all. */
static bool pop_grave(struct pfe_shadow *s, uintptr_t sp, struct pfe_shadow_frame *out)
{
	unsigned n = s->ngrave < PFE_GRAVE ? s->ngrave : PFE_GRAVE;

	for (unsigned i = 1; i <= n; i++) {
		struct pfe_shadow_frame *g = &s->grave[(s->ngrave - i) % PFE_GRAVE];

		if (g->sp == sp) {
			*out = *g;
			g->sp = 0;
			return true;
		}
	}
	return false;
}

/* shadow_pop() when the top frame of @sp's stack @r is not the one. */
static __attribute__((noinline, cold)) bool pop_slow(struct pfe_shadow *s, unsigned r, uintptr_t sp,
						     struct pfe_shadow_frame *out)
{
	if (pop_from(s, r, sp, out))
		return true;
	/* Pushed before libpfe knew the stack it is on. */
	for (unsigned i = s->nstk; i-- > 0;)
		if (i != r && pop_from(s, i, sp, out))
			return true;
	if (pop_grave(s, sp, out)) {
		stat_add(&pfe_exit_stats.mismatched, 1);
		return true;
	}
	return false;
}

/*
 * Take off the frame returning with @sp: its real return address, site and
 * entry time, and in *@level its nesting level as pfe_exit_depth() would
 * say in its exit hooks. Only what arch/arm64/ret_tramp.S leaves comes here (a
 * return inside a hook, on a coroutine or signal stack, while frames are
 * being closed...), but the top frame of the stack is still the usual
 * answer: it reads the fields it needs before the count drops (a signal
 * handler may push over the slot from then on) and copies nothing else.
 * False when no frame has that sp.
 */
static bool shadow_pop(uintptr_t sp, uintptr_t *real, const struct pfe_site **site,
		       const struct pfe_hook_fused **keep, uint64_t *t0, unsigned *level)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	struct pfe_stack *k;
	unsigned r;

	if (!s)
		return false;
	r = pfe_stack_of(s, sp);
	k = &s->stk[r];
	if (k->n && k->f[k->n - 1].sp == sp) {
		const struct pfe_shadow_frame *top = &k->f[k->n - 1];

		*real = top->ret;
		*site = top->site;
		*keep = top->keep;
		*t0 = top->t0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		k->n--;
		s->last = r;
	} else {
		struct pfe_shadow_frame f;

		if (!pop_slow(s, r, sp, &f))
			return false;
		*real = f.ret;
		*site = f.site;
		*keep = f.keep;
		*t0 = f.t0;
	}
	*level = s->closing ? level_of(s, s->closing - 1) : level_of(s, r);
	return true;
}

uintptr_t pfe_exit_dispatch(struct pfe_ret_regs *ret, uintptr_t sp)
{
	const struct pfe_hook_fused *keep;
	const struct pfe_site *site;
	uintptr_t real;
	uint64_t t0;
	unsigned level;

	/* Not the common case of arch/arm64/ret_tramp.S: a thread's first stack
	 * switch, a return inside a hook, a frame not on top... */
	stat_add(&pfe_exit_stats.slow_returns, 1);
	ret->flags = 0;
	if (!shadow_pop(sp, &real, &site, &keep, &t0, &level)) {
		/* Only a frame we never pushed gets here: the trampoline is
		 * reached only through a pushed frame's lr, and frames are
		 * dropped only when provably gone (or kept in the grave). */
		pfe_err("return trampoline reached with sp 0x%lx, which no shadow frame has; "
			"aborting",
			(unsigned long)sp);
		abort();
	}
	if (site)
		exit_hooks(site, keep, t0, ret, false, level);
	return real;
}

/* ------------------------------------------------------------ queries */

unsigned pfe_exit_depth(void)
{
	struct pfe_shadow *s = pfe_thread.shadow;

	if (!s)
		return 0;
	if (s->closing)
		return level_of(s, s->closing - 1);
	return level_of(s, pfe_stack_of(s, cur_sp()));
}

bool pfe_exit_room(void)
{
	struct pfe_shadow *s = pfe_thread.shadow;

	return !s || s->stk[pfe_stack_of(s, cur_sp())].n < pfe_exit_depth_limit;
}

unsigned pfe_exit_limit(void)
{
	return pfe_exit_depth_limit;
}

/* ------------------------------------------------------------ switches */

void pfe_exit_switch(uintptr_t sp, uintptr_t lo, uintptr_t hi, bool leaving)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	unsigned from, to;

	if (!s)
		return;
	from = pfe_stack_of(s, cur_sp());
	if (hi > lo && (from == 0 || !pfe_stack_has(&s->stk[from], sp))) {
		stack_forget_overlaps(s, lo, hi);
		to = stack_add(s, lo, hi, false);
	} else {
		to = pfe_stack_of(s, sp);
	}
	s->entered = to;
	/* Left for good: the current stack's frames are the innermost. */
	if (leaving && to != from)
		while (s->stk[from].n)
			close_top(s, from, false, false);
	/* A coroutine resumed with frames: they nest under the switcher,
	 * also those closed right now. */
	if (to != from && to && s->stk[to].n)
		s->stk[to].base = level_of(s, from);
	/* The target continues at sp: below it on its stack nothing lives. */
	close_below(s, to, sp, true, true, false);
	if (to != from)
		s->last = from;
}

void pfe_exit_note_stack(uintptr_t lo, uintptr_t hi)
{
	struct pfe_shadow *s = shadow_get();

	if (!s)
		return;
	if (hi > lo) {
		stack_forget_overlaps(s, lo, hi);
		stack_add(s, lo, hi, true);
		return;
	}
	/* Disabled: the memory is the program's again. */
	for (unsigned i = 1; i < s->nstk; i++)
		if (s->stk[i].alt && !s->stk[i].n)
			s->stk[i].hi = 0, s->stk[i].lo = PFE_STACK_NONE, s->stk[i].alt = false;
}

unsigned pfe_exit_here(void)
{
	struct pfe_shadow *s = pfe_thread.shadow;

	return s ? pfe_stack_of(s, cur_sp()) : 0;
}

void pfe_exit_back(unsigned stk)
{
	struct pfe_shadow *s = pfe_thread.shadow;

	if (s && stk < s->nstk)
		s->entered = stk;
}

static void close_all(bool held)
{
	struct pfe_shadow *s = pfe_thread.shadow;

	if (!s)
		return;
	/* Other stacks' frames nest deeper than the thread's own; those of a
	 * coroutine left suspended nest under what is open now. */
	for (unsigned i = s->nstk; i-- > 0;) {
		if (i && s->stk[i].n)
			s->stk[i].base = level_of(s, 0);
		while (s->stk[i].n)
			close_top(s, i, held, false);
	}
}

void pfe_exit_close_all(void)
{
	close_all(false);
}

/* The thread ends: close what is open, give the memory back. */
static void thread_end(void *arg)
{
	struct pfe_shadow *s = arg;

	if (s != pfe_thread.shadow)
		return;
	pfe_exit_close_all();
	pfe_thread.shadow = NULL;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < s->nstk; i++)
		if (s->stk[i].f)
			munmap(s->stk[i].f, frames_len());
	munmap(s, sizeof(*s));
}

/* exit() from nested calls: the calling thread's frames never return. */
static void process_end(void)
{
	/* libpfe's atexit handlers run under the recursion guard (glibc.c):
	 * ours is the hooks' own business, so they run here regardless. */
	int g = __atomic_exchange_n(&pfe_in_hook, 1, __ATOMIC_RELAXED);

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	close_all(true);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&pfe_in_hook, g, __ATOMIC_RELAXED);
}

/* Before pfe_init (and the tracer) so that our key comes first, and so
 * our atexit handler runs after the tracer's drain, whose later lines are
 * written directly. */
__attribute__((constructor(101))) static void pfe_exit_init(void)
{
	const char *v = pfe_env("PFE_DEPTH");
	uint64_t n;

	if (v && *v) {
		if (pfe_parse_uint(v, PFE_DEPTH_MIN, PFE_DEPTH_MAX, &n))
			pfe_err("PFE_DEPTH='%s': expected a number of frames from %u to %u; using "
				"%u",
				v, PFE_DEPTH_MIN, PFE_DEPTH_MAX, PFE_DEPTH_DEFAULT);
		else
			pfe_exit_depth_limit = (unsigned)n;
	}
	ns_mult_init();
	have_key = pthread_key_create(&end_key, thread_end) == 0;
	pfe_atexit(process_end);
}

/* ---------------------------------------------------------- unwinding */

/*
 * Does the function at @site sign its return address? Ask the architecture
 * about its code between its symbol and the next (arch/arm64/arch-inline.h).
 * Without a symbol, judge by the saved value @raw, which is wrong once in
 * 2^(PAC bits) signings.
 */
static bool signs_lr(const struct pfe_site *site, uintptr_t raw)
{
	const struct pfe_sitetab *t = site && site->obj ? &site->obj->tab : NULL;
	const struct pfe_sym *sym;
	uintptr_t end;

	sym = t ? pfe_sitetab_sym_at(t, site->func, &end) : NULL;
	if (!sym || sym->addr != site->func)
		return !is_tramp(raw);
	if (end == UINTPTR_MAX)
		end = site->func + 4096;
	if (end - site->func > 65536)
		end = site->func + 65536;
	return pfe_arch_signs_lr(site->func, end);
}

/*
 * The frames with sp @cfa on its stack, newest first: the real return
 * address (following tail-call frames, whose real return is the trampoline
 * itself, down to the first with another one) and the function whose frame
 * this is. False when there is none.
 */
static bool find_cfa(struct pfe_shadow *s, uintptr_t cfa, unsigned *stk, uintptr_t *ret,
		     const struct pfe_site **site)
{
	unsigned r0 = pfe_stack_of(s, cfa);

	*ret = 0;
	*site = NULL;
	for (unsigned j = 0; j <= s->nstk; j++) {
		/* Its own stack first, then the others (pushed before libpfe
		 * knew the stack). */
		unsigned r = j ? j - 1 : r0;
		const struct pfe_stack *k = &s->stk[r];

		if (j && r == r0)
			continue;
		for (unsigned d = k->n; d; d--) {
			if (k->f[d - 1].sp != cfa)
				continue;
			*ret = k->f[d - 1].ret;
			if (!*site)
				*site = k->f[d - 1].site;
			*stk = r;
			if (!is_tramp(*ret))
				return true;
		}
		if (*site)
			return false;
	}
	return false;
}

static void mark_thrown(struct pfe_stack *k, uintptr_t cfa)
{
	for (unsigned d = k->n; d; d--)
		if (k->f[d - 1].sp == cfa)
			k->f[d - 1].thrown = true;
}

void pfe_exit_caught(uintptr_t sp)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	struct pfe_stack *k;
	unsigned r;

	if (!s)
		return;
	r = pfe_stack_of(s, sp);
	k = &s->stk[r];
	/* The catching function runs at @sp: what the exception went through
	 * below it is gone. On stack 0 the search phase's marks say so even
	 * beyond PFE_NEAR. */
	while (k->n) {
		const struct pfe_shadow_frame *f = &k->f[k->n - 1];

		if (!f->sp || f->sp > sp || (!r && !f->thrown && sp - f->sp > PFE_NEAR))
			break;
		close_top(s, r, false, false);
	}
}

/*
 * The personality of the trampolines' unwind entries (ret_tramp.S): the
 * unwinder is at "the traced function whose CFA is @ctx's CFA returned to
 * the trampoline". Store the real return address where the function saved
 * its return-address register. In the cleanup phase (the exception's second pass, or the forced
 * unwind of pthread_exit and cancellation) the function's frame is being
 * left for good: close it, and what lies below it, innermost first.
 */
_Unwind_Reason_Code pfe_ret_personality(int version, _Unwind_Action actions,
					_Unwind_Exception_Class cls, struct _Unwind_Exception *ue,
					struct _Unwind_Context *ctx);
_Unwind_Reason_Code pfe_ret_personality(int version, _Unwind_Action actions,
					_Unwind_Exception_Class cls, struct _Unwind_Exception *ue,
					struct _Unwind_Context *ctx)
{
	struct pfe_shadow *s = pfe_thread.shadow;
	uintptr_t cfa = _Unwind_GetCFA(ctx), ret = 0;
	const struct pfe_site *site = NULL;
	unsigned r = 0;

	if (!s || !find_cfa(s, cfa, &r, &ret, &site)) {
		pfe_err_once("unwinding through the return trampoline at CFA 0x%lx: no "
			     "shadow frame",
			     (unsigned long)cfa);
		return actions & _UA_SEARCH_PHASE ? _URC_FATAL_PHASE1_ERROR
						  : _URC_FATAL_PHASE2_ERROR;
	}
	/* The function signed the trampoline's address: its FDE will
	 * authenticate what it finds there against its CFA, the sp it signed
	 * with. (A signed value may equal the bare address: its PAC can be 0.) */
	if (signs_lr(site, _Unwind_GetGR(ctx, PFE_ARCH_DWARF_LR)))
		ret = pfe_arch_pac_sign(ret, cfa);
	_Unwind_SetGR(ctx, PFE_ARCH_DWARF_LR, ret);
	stat_add(&pfe_exit_stats.unwound, 1);
	/* The search phase stored the real address where the function saved
	 * its return address: then the cleanup phase goes straight to the caller and we
	 * see the frame again only at the catch (pfe_exit_caught). */
	if (actions & _UA_SEARCH_PHASE)
		mark_thrown(&s->stk[r], cfa);
	if (actions & _UA_CLEANUP_PHASE)
		close_below(s, r, cfa, true, true, false);
	return _URC_CONTINUE_UNWIND;
}
