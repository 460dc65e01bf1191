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

static int cmp_plain(const void *a, const void *b, void *arg)
{
	return ((int (*)(const void *, const void *))arg)(a, b);
}

bool pfe_sorted(const void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	return pfe_sorted_r(v, n, size, cmp_plain, (void *)cmp);
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

/* Symbols by address; among aliases the one that names the address first:
 * sized, lowest rank (global before weak before local), fewest leading
 * underscores (malloc before __libc_malloc), then alphabetical, so that the
 * choice never depends on the order of the symbol table. */
static int cmp_sym_in(const void *a, const void *b)
{
	const struct pfe_sym_in *x = *(const struct pfe_sym_in *const *)a;
	const struct pfe_sym_in *y = *(const struct pfe_sym_in *const *)b;
	unsigned ux, uy;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
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

/*
 * Symbols in cmp_sym_in's order. A symbol table is in no order by address
 * (a linker's hash order), and sorting it was most of the start-up per
 * site (issue 25): a radix sort by address, 11 bits a pass over the bits
 * that differ, then cmp_sym_in within each address's aliases. Small tables
 * and a failed allocation go to qsort.
 */
#define RADIX_BITS 11
static void sort_syms(const struct pfe_sym_in **v, size_t n)
{
	const struct pfe_sym_in **a = v, **b, **m;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	size_t *cnt;

	for (size_t i = 0; i < n; i++) {
		lo = v[i]->addr < lo ? v[i]->addr : lo;
		hi = v[i]->addr > hi ? v[i]->addr : hi;
	}
	m = n >= 256 && hi > lo ? malloc(n * sizeof(*m) + (sizeof(*cnt) << RADIX_BITS)) : NULL;
	if (!m) {
		if (!pfe_sorted(v, n, sizeof(*v), cmp_sym_in))
			qsort(v, n, sizeof(*v), cmp_sym_in);
		return;
	}
	b = m;
	cnt = (size_t *)(m + n);
	for (unsigned sh = 0; sh < 64 - (unsigned)__builtin_clzl(hi - lo); sh += RADIX_BITS) {
		const struct pfe_sym_in **t;
		size_t sum = 0;

		memset(cnt, 0, sizeof(*cnt) << RADIX_BITS);
		for (size_t i = 0; i < n; i++)
			cnt[(a[i]->addr - lo) >> sh & ((1u << RADIX_BITS) - 1)]++;
		for (size_t d = 0; d < (1u << RADIX_BITS); d++) {
			size_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i]->addr - lo) >> sh & ((1u << RADIX_BITS) - 1)]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	if (a != v)
		memcpy(v, a, n * sizeof(*v));
	free(m);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && v[j]->addr == v[i]->addr; j++)
			;
		if (j - i > 1)
			qsort(v + i, j - i, sizeof(*v), cmp_sym_in);
	}
}

/* One symbol per address, names copied into the table's own pool so that
 * nothing refers to the ELF reader's memory once it is closed. */
int pfe_symtab_build(struct pfe_sitetab *t, const struct pfe_sitetab_src *src)
{
	const struct pfe_sym_in **v;
	size_t n = 0, pool = 1, k = 0;
	char *p;

	if (!src->nsyms)
		return 0;
	v = malloc(src->nsyms * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < src->nsyms; i++)
		if (src->syms[i].name && src->syms[i].name[0])
			v[n++] = &src->syms[i];
	sort_syms(v, n);

	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i]->addr != v[i - 1]->addr)
			pool += strlen(v[i]->name) + 1;
	if (pool > UINT32_MAX) {
		free(v);
		return -ENOMEM;
	}
	t->syms = malloc((n ? n : 1) * sizeof(*t->syms));
	t->strings = malloc(pool);
	if (!t->syms || !t->strings) {
		free(v);
		return -ENOMEM;
	}
	p = t->strings;
	*p++ = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (i > 0 && v[i]->addr == v[i - 1]->addr)
			continue;
		len = strlen(v[i]->name) + 1;
		t->syms[k].addr = v[i]->addr;
		t->syms[k].size = v[i]->size > UINT32_MAX ? UINT32_MAX : (uint32_t)v[i]->size;
		t->syms[k].name = (uint32_t)(p - t->strings);
		memcpy(p, v[i]->name, len);
		p += len;
		k++;
	}
	t->nsyms = k;
	free(v);
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
