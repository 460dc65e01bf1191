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

#define PFE_SUMMARY_SITES  (1u << 21) /* rows; calls of sites beyond are counted apart */
#define PFE_SUMMARY_LEVELS 4096

/* A function's row. Consumers of different rings add to one at once: its
 * fields change by atomic operations. */
struct pfe_summary_row {
	uint64_t calls, total, self;
	uint64_t min; /* plus one, so that 0 means "none yet" */
	uint64_t max;
};
extern struct pfe_summary_row *pfe_summary_rows;

void pfe_summary_add_slow(uint64_t **levels, uint32_t id, unsigned level, uint64_t ns);

/*
 * One call of site @id at nesting @level that took @ns, seen by the
 * consumer of a ring whose per-level callee times are @acc (their mapping
 * by pfe_summary_add_slow, at the ring's first exit). Lock-free,
 * allocation-free, async-signal-safe; any number of consumers of different
 * rings at once. Inline for the consumer's loop (issue 25: at most 150
 * instructions per call counted): min and max are compared before they are
 * exchanged, and rarely change.
 */
static inline __attribute__((always_inline)) void pfe_summary_add(uint64_t *acc, uint32_t id,
								  unsigned level, uint64_t ns)
{
	struct pfe_summary_row *r = &pfe_summary_rows[id];
	uint64_t child, cur;

	if (level >= PFE_SUMMARY_LEVELS - 1)
		level = PFE_SUMMARY_LEVELS - 2;
	child = acc[level + 1];
	acc[level + 1] = 0;
	acc[level] += ns;
	cur = __atomic_load_n(&r->min, __ATOMIC_RELAXED);
	while ((!cur || ns + 1 < cur) &&
	       !__atomic_compare_exchange_n(&r->min, &cur, ns + 1, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	cur = __atomic_load_n(&r->max, __ATOMIC_RELAXED);
	while (ns > cur && !__atomic_compare_exchange_n(&r->max, &cur, ns, true, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
		;
	__atomic_fetch_add(&r->total, ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->self, ns - (child < ns ? child : ns), __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->calls, 1, __ATOMIC_RELAXED);
}

/* pfe_summary_add for any ring: its first exit, any site id. */
static inline void pfe_summary_add_any(uint64_t **levels, uint32_t id, unsigned level, uint64_t ns)
{
	if (__builtin_expect(*levels && id < PFE_SUMMARY_SITES, 1))
		pfe_summary_add(*levels, id, level, ns);
	else
		pfe_summary_add_slow(levels, id, level, ns);
}

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
