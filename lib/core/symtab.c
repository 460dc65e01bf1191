/* SPDX-License-Identifier: MIT */
/*
 * An object's symbol table (sitetab.h): function symbols sorted by address,
 * one name per address chosen the same way whatever the order of .symtab,
 * and the lookups that name an address. Pure, as sitetab.c, which decodes
 * the sites and names them from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sitetab.h"

/*
 * Whether @v is in order already: n - 1 comparisons instead of a sort's
 * n log n, for the tables that come sorted (issue 25: sorting was most of
 * the start-up per site).
 */
bool pfe_sorted_r(const void *v, size_t n, size_t size,
		  int (*cmp)(const void *, const void *, void *), void *arg)
{
	for (size_t i = 1; i < n; i++)
		if (cmp((const char *)v + (i - 1) * size, (const char *)v + i * size, arg) > 0)
			return false;
	return true;
}

/* First symbol at or above @addr (nsyms when none). */
size_t pfe_symtab_lower_bound(const struct pfe_sitetab *t, uintptr_t addr)
{
	size_t lo = 0, hi = t->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static unsigned leading_underscores(const char *s)
{
	unsigned n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* Among aliases at one address, the one that names it comes first: sized,
 * lowest rank (global before weak before local), fewest leading
 * underscores (malloc before __libc_malloc), then alphabetical, so that the
 * choice never depends on the order of the symbol table. */
static int cmp_alias(const struct pfe_sym_in *x, const struct pfe_sym_in *y)
{
	unsigned ux, uy;

	if (!x->size != !y->size)
		return x->size ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	ux = leading_underscores(x->name);
	uy = leading_underscores(y->name);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int cmp_key_addr(const void *a, const void *b, void *arg)
{
	const struct pfe_sym_in *s = arg;
	uintptr_t x = s[*(const uint32_t *)a].addr, y = s[*(const uint32_t *)b].addr;

	return x < y ? -1 : x > y;
}

/*
 * @ord (the @n indices of the named symbols, in table order) in address
 * order, aliases in any order. A symbol table is in no order by address (a
 * linker's hash order), and sorting it was most of the start-up per site
 * (issue 25): the caller checks that it is sorted already, else a radix sort of
 * 64-bit keys (offset from the lowest address, index) over the offset's
 * bits, at most 11 a pass. A failed allocation goes to qsort_r.
 */
#define RADIX_BITS 11
static void sort_syms(const struct pfe_sym_in *syms, uint32_t *ord, size_t n, uintptr_t lo,
		      uintptr_t hi)
{
	unsigned ibits = 1, abits, passes, dbits;
	uint64_t *a, *b;
	size_t *cnt;

	while (ibits < 32 && (size_t)1 << ibits <= ord[n - 1]) /* ord ascends */
		ibits++;
	abits = 64 - (unsigned)__builtin_clzl(hi - lo);
	a = abits + ibits <= 64 ? malloc(2 * n * sizeof(*a) + (sizeof(*cnt) << RADIX_BITS)) : NULL;
	if (!a) {
		qsort_r(ord, n, sizeof(*ord), cmp_key_addr, (void *)syms);
		return;
	}
	b = a + n;
	cnt = (size_t *)(b + n);
	for (size_t i = 0; i < n; i++)
		a[i] = (uint64_t)(syms[ord[i]].addr - lo) << ibits | ord[i];
	/* The fewest passes of at most RADIX_BITS, their digits as narrow as
	 * they allow: fewer counters to clear and sum for a small table. */
	passes = (abits + RADIX_BITS - 1) / RADIX_BITS;
	dbits = (abits + passes - 1) / passes;
	for (unsigned sh = ibits; sh < ibits + abits; sh += dbits) {
		const size_t mask = ((size_t)1 << dbits) - 1;
		uint64_t *t;
		size_t sum = 0;

		memset(cnt, 0, sizeof(*cnt) << dbits);
		for (size_t i = 0; i < n; i++)
			cnt[a[i] >> sh & mask]++;
		for (size_t d = 0; d <= mask; d++) {
			size_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[a[i] >> sh & mask]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (uint32_t)(a[i] & (((uint64_t)1 << ibits) - 1));
	free(a < b ? a : b);
}

/*
 * One symbol per address, the alias that names it (cmp_alias). Names are
 * in the table's own pool, so that nothing refers to the ELF reader's
 * memory once it is closed: src->strtab copied whole when it holds them
 * all (their offsets stay), else each name copied.
 */
int pfe_symtab_build(struct pfe_sitetab *t, const struct pfe_sitetab_src *src)
{
	const struct pfe_sym_in *syms = src->syms;
	/* Offset 0 must stay the empty name: a table starting otherwise is
	 * copied name by name. */
	const char *st = src->strtab && src->strtab_len && !src->strtab[0] ? src->strtab : NULL;
	size_t n = 0, pool = 1, k = 0;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	bool sorted = true, cxx = false;
	uint32_t *ord;
	char *p;

	if (!src->nsyms)
		return 0;
	if (src->nsyms > UINT32_MAX)
		return -ENOMEM;
	ord = malloc(src->nsyms * sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (size_t i = 0; i < src->nsyms; i++) {
		const char *name = syms[i].name;
		uintptr_t x = syms[i].addr;

		if (!name || !name[0])
			continue;
		ord[n++] = (uint32_t)i;
		cxx |= name[0] == '_' && name[1] == 'Z';
		if (st && (name < st || name >= st + src->strtab_len))
			st = NULL;
		sorted &= x >= hi;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	if (!sorted)
		sort_syms(syms, ord, n, lo, hi);
	t->cxx_names = cxx;

	if (st) {
		pool = src->strtab_len;
	} else {
		for (size_t i = 0; i < n; i++)
			pool += strlen(syms[ord[i]].name) + 1;
	}
	if (pool > UINT32_MAX) {
		free(ord);
		return -ENOMEM;
	}
	t->syms = malloc((n ? n : 1) * sizeof(*t->syms));
	t->strings = malloc(pool);
	if (!t->syms || !t->strings) {
		free(ord);
		return -ENOMEM;
	}
	p = t->strings;
	if (st)
		memcpy(p, st, pool);
	*p++ = '\0'; /* offset 0: the empty name (an ELF string table's too) */
	for (size_t i = 0, j; i < n; i = j) {
		const struct pfe_sym_in *s = &syms[ord[i]];

		for (j = i + 1; j < n && syms[ord[j]].addr == s->addr; j++)
			if (cmp_alias(&syms[ord[j]], s) < 0)
				s = &syms[ord[j]];
		t->syms[k].addr = s->addr;
		t->syms[k].size = s->size > UINT32_MAX ? UINT32_MAX : (uint32_t)s->size;
		if (st) {
			t->syms[k].name = (uint32_t)(s->name - st);
		} else {
			size_t len = strlen(s->name) + 1;

			t->syms[k].name = (uint32_t)(p - t->strings);
			memcpy(p, s->name, len);
			p += len;
		}
		k++;
	}
	t->nsyms = k;
	free(ord);
	return 0;
}

const struct pfe_sym *pfe_sitetab_sym_at(const struct pfe_sitetab *t, uintptr_t addr,
					 uintptr_t *end)
{
	/* The last symbol at or below addr. */
	size_t i = pfe_symtab_lower_bound(t, addr);
	const struct pfe_sym *s;

	if (i < t->nsyms && t->syms[i].addr == addr)
		i++;
	if (i == 0)
		return NULL;
	s = &t->syms[i - 1];
	if (s->size)
		*end = s->addr + s->size;
	else
		*end = i < t->nsyms ? t->syms[i].addr : UINTPTR_MAX;
	return addr < *end ? s : NULL;
}

const char *pfe_sitetab_symbolize(const struct pfe_sitetab *t, uintptr_t addr, uintptr_t *off)
{
	uintptr_t end;
	const struct pfe_sym *s = pfe_sitetab_sym_at(t, addr, &end);

	if (!s)
		return NULL;
	if (off)
		*off = addr - s->addr;
	return t->strings + s->name;
}
