/* SPDX-License-Identifier: MIT */
/*
 * urcu-bp's read side, entered once per dispatch: its own reader protocol
 * (urcu/static/urcu-bp.h, _urcu_bp_read_lock/_unlock), with what the inline
 * functions repeat done once. For lib/hooks/dispatch.c and lib/hooks/exit.c, which
 * define _LGPL_SOURCE before including urcu-bp.h.
 *
 *  - The reader slot is looked up in TLS once and passed from lock to
 *    unlock (a thread's slot does not change while it runs hooks).
 *  - A section that nests in none (the common case) stores the grace-period
 *    counter at lock and 0 at unlock: urcu-bp's writer reads a nesting count
 *    of 0 as "not reading" whatever the phase bits (urcu_bp_reader_state), so
 *    0 is what liburcu's ctr - count would store, without the load. Anything
 *    nested in our section (a hook's own, a signal handler's) is balanced by
 *    the time we unlock.
 *  - liburcu's choice of barrier (urcu_bp_has_sys_membarrier, fixed by its
 *    constructor before any of ours runs) is read once for both sides.
 *
 * Memory ordering, as in liburcu: the store of the grace-period counter into
 * our slot must be visible to a writer's synchronize_rcu() before any load
 * of the protected data, and every such load must complete before the store
 * that ends the section. With sys_membarrier the writer's membarrier() puts
 * a full barrier into every running thread at the point it scans the slots,
 * so a compiler barrier suffices here; without it, each side is a dmb ish
 * (pairing with the smp_mb() in synchronize_rcu around its scan).
 *
 * A nested section (the program or libpfe already inside an urcu-bp
 * read-side section on this thread) and a thread's first section (not
 * registered yet) take liburcu's own functions: both are as rare as they
 * are correct there. Signals: a handler that runs a section of its own
 * between our load and our store leaves it balanced, so the nesting count
 * is 0 again and our store is what the writer sees, as with liburcu's.
 */
#ifndef PFE_READSIDE_H
#define PFE_READSIDE_H

#include <stdbool.h>
#include <urcu-bp.h>

extern __thread struct urcu_bp_reader *urcu_bp_reader __attribute__((tls_model("initial-exec")));

/* Enter; returns what pfe_read_unlock needs: our slot, or NULL when the
 * section nests (liburcu's functions were used). */
static inline struct urcu_bp_reader *pfe_read_lock(void)
{
	struct urcu_bp_reader *r = urcu_bp_reader;

	if (__builtin_expect(!r || (r->ctr & URCU_BP_GP_CTR_NEST_MASK), 0)) {
		rcu_read_lock();
		return NULL;
	}
	CMM_STORE_SHARED(r->ctr, CMM_LOAD_SHARED(urcu_bp_gp.ctr));
	if (!urcu_bp_has_sys_membarrier)
		cmm_smp_mb();
	else
		cmm_barrier();
	return r;
}

static inline void pfe_read_unlock(struct urcu_bp_reader *r)
{
	if (__builtin_expect(!r, 0)) {
		rcu_read_unlock();
		return;
	}
	if (!urcu_bp_has_sys_membarrier)
		cmm_smp_mb();
	else
		cmm_barrier();
	CMM_STORE_SHARED(r->ctr, 0);
}

#endif /* PFE_READSIDE_H */
