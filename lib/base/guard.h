/* SPDX-License-Identifier: MIT */
/*
 * The recursion guard around libpfe's own entry points (guard.h).
 *
 * The dispatcher runs no hook while the calling thread's pfe_in_hook is set
 * (lib/hooks/dispatch.c). Hooks set it; so must every other way into libpfe that
 * can reach the program's code: the constructor, atexit and fork handlers,
 * the control thread, the dlopen and exec wrappers. Otherwise a program that
 * defines a traced function libpfe calls (malloc, free, memcpy, write)
 * shows libpfe's calls as its own, e.g. "free <- libpfe.so+0x108a4".
 *
 * The guard's value is PFE_GUARD_OWN, not the 1 of a running hook: libpfe's
 * own work may attach and detach hooks (the constructor starts the tracer),
 * which the registry refuses inside a hook (pfe_dispatch_in_hook). enter and
 * leave nest: leave restores what enter found, and an entry point reached
 * from a hook (a hook calling dlopen) stays "in a hook".
 */
#ifndef PFE_GUARD_H
#define PFE_GUARD_H

#include "thread.h"

#define PFE_GUARD_OWN 2

static inline int pfe_guard_enter(void)
{
	int old = __atomic_load_n(&pfe_in_hook, __ATOMIC_RELAXED);

	if (!old)
		__atomic_store_n(&pfe_in_hook, PFE_GUARD_OWN, __ATOMIC_RELAXED);
	/* A signal arriving from here on sees the guard set. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return old;
}

static inline void pfe_guard_leave(int old)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&pfe_in_hook, old, __ATOMIC_RELAXED);
}

#endif /* PFE_GUARD_H */
