/* SPDX-License-Identifier: MIT */
/*
 * PFE_SUMMARY=1: a per-function table instead of trace lines
 * (trace_summary.c).
 */
#ifndef PFE_TRACE_SUMMARY_H
#define PFE_TRACE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

/* Reserve the table; false after one line when it cannot be had. */
bool pfe_summary_start(void);

/*
 * One call of site @id at nesting @level that took @ns, seen by the
 * consumer of a ring whose per-level callee times are *@levels (NULL at
 * first: mapped here). Lock-free, allocation-free, async-signal-safe; any
 * number of consumers of different rings at once.
 */
void pfe_summary_add(uint64_t **levels, uint32_t id, unsigned level, uint64_t ns);

/* In a fork child: the table starts empty (the parent's calls are the
 * parent's). */
void pfe_summary_forked(void);

/* @obj is about to be unloaded: keep the names of its sites that had
 * calls, so that the table names them (one row per function however often
 * its object was loaded). Patch lock; allocates. */
struct pfe_object;
void pfe_summary_before_unload(const struct pfe_object *obj);

/* Write the table, sorted by total time and headed by "# pid <pid>:
 * <command>", to @fd. Allocates: at the end of
 * the process image only, not in a signal handler. */
void pfe_summary_write(int fd);

#endif /* PFE_TRACE_SUMMARY_H */
