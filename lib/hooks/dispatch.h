/* SPDX-License-Identifier: MIT */
/*
 * What the registry (registry.c) publishes and the dispatcher (dispatch.c)
 * reads: the per-site hook vectors, the body-address hash table, and the
 * trampoline's stack frame. Everything here is hidden.
 *
 * Readers (the trampoline's dispatcher, in any thread, in signal handlers)
 * take no lock: every pointer they follow is published with
 * rcu_assign_pointer() and read with rcu_dereference() under urcu-bp's
 * rcu_read_lock(). Writers hold pfe_patch_lock() and free what they replace
 * only after a grace period.
 */
#ifndef PFE_DISPATCH_H
#define PFE_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "thread.h"

struct pfe_pattern;

/*
 * A hook's fused form (the graph tracer's, tracer/trace_graph.c): when it is
 * the only hook of a site, its entry takes the shadow stack's common push
 * inline and arch/arm64/ret_tramp.S its common pop, and both hand the hook what it
 * would otherwise look up, so that a traced call costs no generic
 * dispatch. Anything unusual (a thread's first call, coroutine or signal
 * stacks, a stale frame, PFE_DEPTH reached) takes the hook's ordinary entry
 * and exit functions instead, which must do the same.
 */
struct pfe_hook_fused {
	/* The vector's single entry, called with the vector as @data inside
	 * the hooks' read-side section and guard: the common case with
	 * lib/hooks/shadow.h's pfe_shadow_reserve() and pfe_shadow_commit(), the
	 * rest by pfe_exit_enter_one(site, regs, data). NULL: the hook is not
	 * fused, only its frames keep @exit (pfe_hook_add_kept()). */
	pfe_entry_fn entry;
	/* For a call that returns (or, with PFE_RET_UNWOUND in @ret->flags,
	 * is closed), inside a read-side section and the guard: its @level
	 * and entry time @t0. It runs for every call whose frame the fused
	 * form pushed, also after the hook was detached (lib/hooks/exit.c),
	 * so it must not rely on the hook: pfe_exit_run_ordinary() runs the
	 * ordinary exit functions of the hooks the site has now. */
	void (*exit)(const struct pfe_site *site, struct pfe_ret_regs *ret, unsigned level,
		     uint64_t t0);
};

/* One hook at one site. */
struct pfe_hook_ent {
	pfe_entry_fn fn;
	void *data;
	struct pfe_hook *hook;
};

/*
 * The hooks of one site, in attach order, followed by an entry with fn ==
 * NULL (the loop in pfe_dispatch needs no count). Immutable once published:
 * a writer builds a new vector and swaps site->hooks, so a reader iterating
 * an old one never sees a torn state.
 */
struct pfe_hook_vec {
	/* What the per-site trampoline calls, loading both with one load
	 * pair (arch/arm64/regs_tramp.S):
	 * the hook's fn and data when the vector holds exactly one hook and
	 * it has neither an exit hook nor a signature; otherwise
	 * pfe_dispatch_walk and this vector. Never NULL, so the trampoline
	 * tests nothing before the call. */
	pfe_entry_fn single;
	void *single_data;
	size_t n;
	/* Some hook here has an exit hook or a signature: the dispatcher then
	 * takes the path that records the current hook and pushes exit frames.
	 * Computed once when the vector is built, so hooks without either pay
	 * nothing for them per call. */
	bool ext;
	/* The single hook's fused form, or NULL: lib/hooks/exit.c's returns take
	 * it without walking the vector. */
	const struct pfe_hook_fused *fused;
	/* The single hook's fused or kept form, or NULL: what the frames it
	 * pushes keep (lib/hooks/exit.c). */
	const struct pfe_hook_fused *keep;
	struct pfe_hook_ent e[]; /* n + 1 entries */
};

/* An attached hook (the public struct pfe_hook). Owned by registry.c. */
struct pfe_hook {
	pfe_entry_fn fn;
	void *data;
	struct pfe_pattern *pat; /* kept for objects loaded later */
	char *spec;		 /* the pattern text as given */
	struct pfe_site **sites; /* where it is attached */
	size_t nsites, cap;
	struct pfe_hook *next; /* live hooks, attach order; patch lock */
	/* exit.c, wrap.c: set before the hook is published, never changed. */
	pfe_exit_fn exit;		    /* NULL: entry only */
	struct pfe_sig *sig;		    /* NULL: no signature */
	const struct pfe_hook_fused *fused; /* NULL, or with exit (and no sig
					     * unless its entry is NULL) */
};

/*
 * The trampoline's stack frame (arch/arm64/regs_tramp.S), lowest address first.
 * Two frame records make a frame-pointer backtrace from a hook read
 * hook -> pfe_dispatch -> trampoline -> traced function -> its caller:
 *   tramp_rec   {fp = &func_rec, lr = the body}: the trampoline's own record,
 *               as if the traced function had called it from its body;
 *   func_rec    {fp = caller's fp, lr = caller's return address}: the traced
 *               function's record. It is private: the trampoline restores fp
 *               from here, so a hook writing regs->fp changes nothing.
 */
struct pfe_tramp_frame {
	/* At the base, so that the store of the first two registers also
	 * allocates the frame and their load frees it (arch/arm64/regs_tramp.S). */
	struct pfe_regs regs;
	uint64_t tramp_rec[2];
	uint64_t func_rec[2];
	/* pfe_site_trampoline: the guard's and the urcu-bp reader slot's
	 * addresses, kept across the hook call for the unlock. */
	uint64_t save[2];
};

/*
 * What pfe_site_trampoline's read side needs, in one place it loads with
 * two instructions: the thread-pointer offsets of the recursion guard and
 * of urcu-bp's reader-slot pointer (initial-exec TLS: the same offset in
 * every thread), and urcu-bp's grace-period counter. Set by
 * pfe_dispatch_prepare() before the first stub exists; constant after.
 */
struct pfe_fast {
	intptr_t guard_tpoff;
	intptr_t reader_tpoff;
	unsigned long *gp_ctr;
	/* For pfe_ret_trampoline: pfe_thread.shadow's offset (0 until set),
	 * and nonzero when urcu-bp has no sys_membarrier (dmb ish each side). */
	intptr_t shadow_tpoff;
	uint64_t mb;
};
extern struct pfe_fast pfe_fast;
/* Fill pfe_fast; returns whether urcu-bp uses sys_membarrier (then the
 * read side needs no barrier instruction: pfe_site_trampoline, else
 * pfe_site_trampoline_mb). Patch lock. */
bool pfe_dispatch_prepare(void);
/* arch/arm64/regs_tramp.S: pfe_site_trampoline for a urcu-bp without
 * sys_membarrier, with a dmb ish on each side of the hooks. */
void pfe_site_trampoline_mb(void);
void pfe_site_trampoline_mb_far(void);
/* Finish a vector whose n and e[0..n-1] are set: its terminator, ext and
 * single entry. Before it is published. */
void pfe_hook_vec_seal(struct pfe_hook_vec *v);
/* A vector's single entry when it is not a single plain hook: walk @vec
 * (a struct pfe_hook_vec). Called by pfe_site_trampoline inside its
 * read-side section, guard set. */
void pfe_dispatch_walk(const struct pfe_site *site, struct pfe_regs *regs, void *vec);

/* Test hooks and the registry's growth step: make room for @n more sites in
 * the dispatch table so that a batch of inserts cannot fail half-way. Under
 * the patch lock; may wait for a grace period. */
int pfe_dispatch_reserve(size_t n);
/* The site whose body is at @body, for tests; under rcu_read_lock. */
struct pfe_site *pfe_dispatch_lookup(uintptr_t body);
/* Number of live entries, for tests. */
size_t pfe_dispatch_count(void);

/* True while this thread runs hooks (the recursion guard). */
int pfe_dispatch_in_hook(void);

/* ------------------------------------------------ exit.c, wrap.c */
/* The recursion guard above, for the return trampoline's dispatcher and for
 * pfe_call_original (which lets the original's callees be hooked). Nonzero:
 * no hook runs in this thread; 1 while hooks run, PFE_GUARD_OWN (guard.h)
 * while libpfe's own entry points do. */
/* pfe_in_hook: lib/base/thread.h. */
/* The hook whose fn runs now in this thread (pfe_call_original's signature). */
/* pfe_cur_hook: lib/base/thread.h. */
/* pfe_cur_site: lib/base/thread.h. */
/* Called by pfe_dispatch after the entry hooks when one of them has an exit
 * hook: push a shadow frame and point regs->lr at the return trampoline.
 * @keep: the vector's fused form, whose exit the call returns through even
 * once the hook is detached (exit.c), or NULL. */
void pfe_exit_push(const struct pfe_site *site, struct pfe_regs *regs,
		   const struct pfe_hook_fused *keep);
/* The single entry of a vector of one hook with an exit hook or a
 * signature (the graph tracer's): what pfe_dispatch does for it, with the
 * shadow stack looked up once. */
void pfe_exit_enter_one(const struct pfe_site *site, struct pfe_regs *regs, void *vec);
/* Called by pfe_dispatch before those entry hooks: close the frames this
 * call shows are gone (left by an exit libpfe did not see), so that their
 * exits come before this entry. */
void pfe_exit_prune(const struct pfe_regs *regs);
/* registry.c: pfe_hook_add with the exit hook and signature (owned by the
 * hook from then on, freed with it). */
/* Keep the hook when nothing matches yet instead of failing with ENOENT: it
 * is applied to objects loaded later (the tracer's PFE_TRACE). */
#define PFE_HOOK_KEEP 0x1
struct pfe_hook *pfe_hook_add_ext(const char *pattern, pfe_entry_fn fn, void *data,
				  pfe_exit_fn exit, struct pfe_sig *sig,
				  const struct pfe_hook_fused *fused, unsigned flags);
/* pfe_hook_add_ops_flags() of a hook with a fused form (@fused, static,
 * doing what @ops->entry and @ops->exit do; @ops has no signature). */
struct pfe_hook *pfe_hook_add_fused(const char *pattern, const struct pfe_hook_ops *ops,
				    const struct pfe_hook_fused *fused, unsigned flags);
/* pfe_hook_add_ops_flags() of a hook whose frames keep @keep's exit (static,
 * entry NULL) after it is detached (lib/hooks/exit.c), as a fused hook's
 * do: the graph tracer's hooks with a signature. */
struct pfe_hook *pfe_hook_add_kept(const char *pattern, const struct pfe_hook_ops *ops,
				   const struct pfe_hook_fused *keep, unsigned flags);
/* pfe_hook_add_ops() with PFE_HOOK_* flags. */
struct pfe_hook *pfe_hook_add_ops_flags(const char *pattern, const struct pfe_hook_ops *ops,
					void *data, unsigned flags);
struct pfe_sig;
void pfe_sig_free(struct pfe_sig *sig);

/* The return trampoline's frame (arch/arm64/ret_tramp.S): a frame record {fp, 0}
 * that ends frame-pointer backtraces from exit hooks, what its common case
 * keeps across the exit hook (the guard's and the urcu-bp reader slot's
 * addresses, the real return address), then the registers. */
struct pfe_ret_frame {
	uint64_t rec[2];
	uint64_t save[4];
	struct pfe_ret_regs regs;
};
/* arch/arm64/ret_tramp.S. Reached only by `ret` from a function whose lr was
 * rewritten. */
void pfe_ret_trampoline(void);
/* Called by the return trampoline: pop the frame, run exit hooks, return
 * the real return address. @sp is the sp the function returned with. */
uintptr_t pfe_exit_dispatch(struct pfe_ret_regs *ret, uintptr_t sp);
/* A fused exit's way back to the ordinary exit functions of @site's
 * hooks, for a call at @level entered at @t0 (struct pfe_hook_fused). */
void pfe_exit_run_ordinary(const struct pfe_site *site, struct pfe_ret_regs *ret, unsigned level,
			   uint64_t t0);

#endif /* PFE_DISPATCH_H */
