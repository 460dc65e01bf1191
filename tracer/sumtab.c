/* SPDX-License-Identifier: MIT */
/* The per-function table of pfe report and PFE_SUMMARY (sumtab.h). Pure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sumtab.h"

int pfe_sum_parse_key(const char *s, enum pfe_sum_key *key)
{
	static const char *const names[] = {"total", "self", "calls", "avg", "max"};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*key = (enum pfe_sum_key)i;
			return 0;
		}
	}
	return -EINVAL;
}

void pfe_sum_add(struct pfe_sum_row *r, uint64_t dur, uint64_t child)
{
	if (!r->calls || dur < r->min)
		r->min = dur;
	if (dur > r->max)
		r->max = dur;
	r->total += dur;
	r->self += dur - (child < dur ? child : dur);
	r->calls++;
}

static uint64_t key_of(const struct pfe_sum_row *r, enum pfe_sum_key key)
{
	switch (key) {
	case PFE_SUM_SELF:
		return r->self;
	case PFE_SUM_CALLS:
		return r->calls;
	case PFE_SUM_AVG:
		return r->calls ? r->total / r->calls : 0;
	case PFE_SUM_MAX:
		return r->max;
	default:
		return r->total;
	}
}

/* qsort has no context argument: the key of the sort in progress. Sorting
 * is not reentrant, which neither caller needs. */
static enum pfe_sum_key sort_key;

static int cmp_rows(const void *a, const void *b)
{
	const struct pfe_sum_row *x = a, *y = b;
	uint64_t kx = key_of(x, sort_key), ky = key_of(y, sort_key);

	if (kx != ky)
		return kx > ky ? -1 : 1;
	return strcmp(x->name, y->name);
}

void pfe_sum_sort(struct pfe_sum_row *rows, size_t n, enum pfe_sum_key key)
{
	sort_key = key;
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_rows);
}

static size_t clip(int n, size_t len)
{
	if (n < 0 || !len)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

size_t pfe_sum_fmt_header(char *buf, size_t len)
{
	return clip(snprintf(buf, len,
			     "%14s %14s %10s %12s %12s %12s  %s\n"
			     "%14s %14s %10s %12s %12s %12s  %s\n",
			     "Total (us)", "Self (us)", "Calls", "Min (us)", "Avg (us)", "Max (us)",
			     "Function", "==========", "=========", "=====", "========", "========",
			     "========", "========"),
		    len);
}

/* "<us>.<ns>" */
static const char *us(uint64_t ns, char *b, size_t len)
{
	snprintf(b, len, "%llu.%03llu", (unsigned long long)(ns / 1000),
		 (unsigned long long)(ns % 1000));
	return b;
}

size_t pfe_sum_fmt_row(char *buf, size_t len, const struct pfe_sum_row *r)
{
	char a[32], b[32], d[32], e[32], g[32];

	return clip(snprintf(buf, len, "%14s %14s %10llu %12s %12s %12s  ",
			     us(r->total, a, sizeof(a)), us(r->self, b, sizeof(b)),
			     (unsigned long long)r->calls, us(r->min, d, sizeof(d)),
			     us(r->calls ? r->total / r->calls : 0, e, sizeof(e)),
			     us(r->max, g, sizeof(g))),
		    len);
}
