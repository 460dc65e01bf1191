/* SPDX-License-Identifier: MIT */
/*
 * Exit hooks (exit.c, ctxsw.c): the shadow stacks, their counters, and what
 * the stack-switch wrappers tell them. The trampoline side is in dispatch.h.
 */
#ifndef PFE_EXIT_H
#define PFE_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "thread.h"

/* Frames one stack of one thread may have outstanding unless PFE_DEPTH says
 * otherwise; deeper calls run no hooks that need an exit (counted). */
#define PFE_DEPTH_DEFAULT 4096
#define PFE_DEPTH_MIN	  16
#define PFE_DEPTH_MAX	  (1u << 22)

/* Stacks one thread may run on that libpfe tells apart: its own, plus
 * coroutine and signal stacks it learns of (ctxsw.c). */
#define PFE_STACKS 16

/* Since start-up, all threads; relaxed atomic counters. */
struct pfe_exit_stats {
	unsigned long overflow;	    /* entries beyond PFE_DEPTH: no exit hook */
	unsigned long skipped;	    /* frames closed as unwound */
	unsigned long mismatched;   /* a return found only among discarded frames */
	unsigned long unwound;	    /* trampoline frames an unwinder went through */
	unsigned long slow_returns; /* returns the return trampoline left to C */
};
extern struct pfe_exit_stats pfe_exit_stats;

/* Nesting level of a call entered now on this thread's current stack: the
 * frames below it on this stack plus, for a coroutine or signal stack, the
 * level of the function that switched to it. While unwound frames are being
 * closed, the level of the one being closed. Valid in any hook, at the
 * price of a lookup; the graph tracer reads pfe_exit_now (below) where that
 * is valid, and test_exit checks that both agree. */
unsigned pfe_exit_depth(void);
/* False when a call entered now would get no exit (beyond PFE_DEPTH): an
 * entry hook that prints a matching exit line skips its entry line. */
bool pfe_exit_room(void);
/* Calls not shown since the last call on this thread (beyond PFE_DEPTH);
 * resets the count. */
/* pfe_exit_lost: lib/base/thread.h. */
static inline unsigned long pfe_exit_take_lost(void)
{
	unsigned long n = pfe_exit_lost;

	if (n)
		pfe_exit_lost = 0;
	return n;
}
/*
 * pfe_exit_depth() and !pfe_exit_room() as one word, without a lookup:
 * level | (no room) << 32. Valid in the entry hooks of a hook with an exit
 * function (set before them, after the frames the call shows are gone were
 * closed) and in exit functions (the level of the call that returns or is
 * closed). The graph tracer's per-call path.
 */
/* pfe_exit_now: lib/base/thread.h. */
static inline unsigned pfe_exit_now_level(void)
{
	return (unsigned)pfe_exit_now;
}
static inline bool pfe_exit_now_room(void)
{
	return !(pfe_exit_now >> 32);
}
/* Counter ticks as nanoseconds: d * 10^9 / pfe_arch_counter_hz(), as d * mult >>
 * 32 with the multiplier set before any hook can run (a constructor). */
extern uint64_t pfe_exit_ns_mult __attribute__((visibility("hidden")));
static inline uint64_t pfe_exit_ticks_to_ns(uint64_t d)
{
	return (uint64_t)((unsigned __int128)d * pfe_exit_ns_mult >> 32);
}
/* Frames limit per stack (PFE_DEPTH). */
unsigned pfe_exit_limit(void);

/* ctxsw.c -> exit.c. The thread is about to continue at stack pointer @sp
 * (longjmp, setcontext, swapcontext): close the frames that this discards,
 * innermost first. @lo..@hi, when @hi is nonzero, is the stack @sp lives on
 * if known (a ucontext's uc_stack); @leaving: the current stack is left for
 * good (longjmp), so frames on it are closed too when @sp is elsewhere. */
void pfe_exit_switch(uintptr_t sp, uintptr_t lo, uintptr_t hi, bool leaving);
/* __cxa_begin_catch: a C++ handler runs in a function whose sp is @sp. */
void pfe_exit_caught(uintptr_t sp);
/* swapcontext: the stack the thread runs on now, and, when the call
 * returns, that it is back there (whoever switched back may not have said:
 * a coroutine's end returns through uc_link inside the C library). */
unsigned pfe_exit_here(void);
void pfe_exit_back(unsigned stk);
/* sigaltstack: signal handlers of this thread run on @lo..@hi; lo == hi:
 * no longer. */
void pfe_exit_note_stack(uintptr_t lo, uintptr_t hi);
/* Close every frame of this thread (it ends), innermost first. */
void pfe_exit_close_all(void);

#endif /* PFE_EXIT_H */
