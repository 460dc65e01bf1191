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

#include "pfe_internal.h"

struct pfe_pattern;

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
	size_t n;
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
};

/*
 * The trampoline's stack frame (asm/regs_tramp.S), lowest address first.
 * Two frame records make a frame-pointer backtrace from a hook read
 * hook -> pfe_dispatch -> trampoline -> traced function -> its caller:
 *   tramp_rec   {fp = &func_rec, lr = the body}: the trampoline's own record,
 *               as if the traced function had called it from its body;
 *   func_rec    {fp = caller's fp, lr = caller's return address}: the traced
 *               function's record. It is private: the trampoline restores fp
 *               from here, so a hook writing regs->fp changes nothing.
 */
struct pfe_tramp_frame {
	uint64_t tramp_rec[2];
	uint64_t func_rec[2];
	struct pfe_regs regs;
};

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

#endif /* PFE_DISPATCH_H */
