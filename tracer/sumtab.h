/* SPDX-License-Identifier: MIT */
/*
 * The per-function table of `pfe report` and of PFE_SUMMARY (sumtab.c): one
 * layout, one sort, written by both the host tool (tools/pfe/report.c) and
 * libpfe at exit (tracer/trace_summary.c). Pure: rows in, text out.
 *
 *     Total (us)      Self (us)      Calls     Min (us)     Avg (us)     Max (us)  Function
 *     ==========      =========      =====     ========     ========     ========  ========
 *        812.400        301.250          2      400.100      406.200      412.300  work
 *
 * Times in microseconds with nanosecond precision. A recursive function's
 * total counts the inner calls again (as `pfe report` always did).
 */
#ifndef PFE_SUMTAB_H
#define PFE_SUMTAB_H

#include <stddef.h>
#include <stdint.h>

struct pfe_sum_row {
	const char *name;
	uint64_t total, self, calls, min, max; /* nanoseconds; calls >= 1 */
};

/* Sort keys (`pfe report -s`). */
enum pfe_sum_key { PFE_SUM_TOTAL, PFE_SUM_SELF, PFE_SUM_CALLS, PFE_SUM_AVG, PFE_SUM_MAX };

/* "total", "self", "calls", "avg", "max": 0 and the key, or -EINVAL. */
int pfe_sum_parse_key(const char *s, enum pfe_sum_key *key);

/* One call of @dur ns of which @child ns in traced callees, added to @r
 * (zeroed before its first call). */
void pfe_sum_add(struct pfe_sum_row *r, uint64_t dur, uint64_t child);

/* Sort @rows, largest @key first, then by name. */
void pfe_sum_sort(struct pfe_sum_row *rows, size_t n, enum pfe_sum_key key);

/* Into @buf of @len bytes (cut to fit, NUL-terminated; PFE_SUM_LINE_MAX is
 * always enough), returning the length: the two header lines with their
 * newlines; the columns of row @r up to its name (which the caller writes
 * whatever its length, then a newline). */
#define PFE_SUM_LINE_MAX 256
size_t pfe_sum_fmt_header(char *buf, size_t len);
size_t pfe_sum_fmt_row(char *buf, size_t len, const struct pfe_sum_row *r);

#endif /* PFE_SUMTAB_H */
