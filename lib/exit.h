/* SPDX-License-Identifier: MIT */
/*
 * Exit hooks (exit.c): the shadow stack's limits and counters, for tests and
 * the bench. The trampoline side is in dispatch.h.
 */
#ifndef PFE_EXIT_H
#define PFE_EXIT_H

#include <stdint.h>

/* Hooked frames one thread may have outstanding; deeper calls run entry
 * hooks only (counted in overflow). */
#define PFE_SHADOW_MAX 256

/* Since start-up, all threads; relaxed atomic counters. */
struct pfe_exit_stats {
	unsigned long overflow;	  /* entries beyond PFE_SHADOW_MAX: no exit hook */
	unsigned long skipped;	  /* frames left by longjmp, exceptions: discarded */
	unsigned long mismatched; /* a return whose sp matched no frame (a bug) */
	unsigned long unwound;	  /* trampoline frames an unwinder went through */
};
extern struct pfe_exit_stats pfe_exit_stats;

/* Frames on this thread's shadow stack. */
unsigned pfe_exit_depth(void);

#endif /* PFE_EXIT_H */
