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

/*
 * Sort keys: a symbol's address (or its offset from the lowest, or its
 * rank among the addresses) above its index in the source table, in
 * @ibits bits. Keys sort as their symbols by address, aliases next to each
 * other, and the output loop reads the index and the address's group from
 * one word.
 */
struct key_order {
	const struct pfe_sym_in *syms;
	uint64_t imask;
};

static int cmp_key_addr(const void *a, const void *b, void *arg)
{
	const struct key_order *o = arg;
	uintptr_t x = o->syms[*(const uint64_t *)a & o->imask].addr;
	uintptr_t y = o->syms[*(const uint64_t *)b & o->imask].addr;

	return x < y ? -1 : x > y;
}

/*
 * When no radix sort can take the keys (addresses too far apart for the
 * bits an index leaves, or no memory): qsort_r by address, then each key's
 * address replaced by its rank among the distinct addresses.
 */
static void sort_keys_qsort(uint64_t *key, size_t n, const struct pfe_sym_in *syms, unsigned ibits)
{
	struct key_order o = {syms, ((uint64_t)1 << ibits) - 1};
	uint64_t rank = 0;

	qsort_r(key, n, sizeof(*key), cmp_key_addr, &o);
	for (size_t i = 0; i < n; i++) {
		if (i && syms[key[i] & o.imask].addr != syms[key[i - 1] & o.imask].addr)
			rank++;
		key[i] = rank << ibits | (key[i] & o.imask);
	}
}

/*
 * The @n keys sorted by their bits [@sh, @sh + @bits): an LSD radix sort of
 * at most RADIX_BITS a pass. A symbol table is in no order by address (a
 * linker's hash order), and sorting it was most of the start-up per site
 * (issue 25). False without memory (@key untouched).
 */
#define RADIX_BITS 11
static bool radix_sort(uint64_t *key, size_t n, unsigned sh, unsigned bits)
{
	uint64_t *a = key, *b, *t;
	unsigned passes, dbits;
	size_t *cnt;

	b = malloc(n * sizeof(*b) + (sizeof(*cnt) << RADIX_BITS));
	if (!b)
		return false;
	cnt = (size_t *)(b + n);
	/* The fewest passes of at most RADIX_BITS, their digits as narrow as
	 * they allow: fewer counters to clear and sum for a small table. */
	passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
	dbits = (bits + passes - 1) / passes;
	for (unsigned end = sh + bits; sh < end; sh += dbits) {
		const size_t mask = ((size_t)1 << dbits) - 1;
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
	/* An odd number of passes leaves them in the other buffer. */
	if (a != key) {
		memcpy(key, a, n * sizeof(*a));
		b = a;
	}
	free(b);
	return true;
}

static unsigned bit_length(uint64_t x)
{
	return x ? 64 - (unsigned)__builtin_clzll(x) : 0;
}

/*
 * @key (the @n keys of the named symbols, in table order, each the
 * symbol's address above its index: the address's top bits may be lost)
 * in address order. The caller checked that they are not in order.
 */
static void sort_keys(uint64_t *key, size_t n, const struct pfe_sym_in *syms, unsigned ibits,
		      uintptr_t lo, uintptr_t hi)
{
	const uint64_t imask = ((uint64_t)1 << ibits) - 1;
	unsigned bits;

	if (bit_length(hi) + ibits <= 64) {
		const unsigned span = bit_length(hi - lo);

		/* The whole address is in the key; below their common top
		 * bits, the addresses differ in bits [0, bits). Offsets from
		 * the lowest when that saves a pass (100,000 functions of
		 * 16 bytes: 21 bits, where the addresses differed in 23). */
		bits = bit_length(lo ^ hi);
		if ((span + RADIX_BITS - 1) / RADIX_BITS < (bits + RADIX_BITS - 1) / RADIX_BITS) {
			for (size_t i = 0; i < n; i++)
				key[i] -= (uint64_t)lo << ibits;
			bits = span;
		}
	} else {
		bits = bit_length(hi - lo);
		if (bits + ibits > 64)
			goto wide;
		for (size_t i = 0; i < n; i++)
			key[i] =
			    (uint64_t)(syms[key[i] & imask].addr - lo) << ibits | (key[i] & imask);
	}
	if (radix_sort(key, n, ibits, bits))
		return;
wide:
	sort_keys_qsort(key, n, syms, ibits);
}

/*
 * One symbol per address, the alias that names it (cmp_alias). Names are
 * in the table's own pool, so that nothing refers to the ELF reader's
 * memory once it is closed: src->strtab copied whole when it holds them
 * all (their offsets stay), else each name copied. One pass over the
 * source gathers the sort keys and what the rest needs, one over the
 * sorted keys writes the table (issue 25: start-up per site).
 */
int pfe_symtab_build(struct pfe_sitetab *t, const struct pfe_sitetab_src *src)
{
	const struct pfe_sym_in *syms = src->syms;
	/* Offset 0 must stay the empty name: a table starting otherwise is
	 * copied name by name. */
	const char *st = src->strtab && src->strtab_len && !src->strtab[0] ? src->strtab : NULL;
	const uintptr_t st_len = st ? src->strtab_len : 0;
	size_t n = 0, pool = 1, k = 0;
	uintptr_t lo = UINTPTR_MAX, hi = 0, outside = 0;
	bool sorted = true, cxx = false;
	unsigned ibits = 1;
	uint64_t imask, *key;
	char *p;

	if (!src->nsyms)
		return 0;
	if (src->nsyms > UINT32_MAX)
		return -ENOMEM;
	while (ibits < 32 && (size_t)1 << ibits < src->nsyms)
		ibits++;
	imask = ((uint64_t)1 << ibits) - 1;
	key = malloc(src->nsyms * sizeof(*key));
	if (!key)
		return -ENOMEM;
	for (size_t i = 0; i < src->nsyms; i++) {
		const char *name = syms[i].name;
		uintptr_t x = syms[i].addr;

		if (!name || !name[0])
			continue;
		cxx |= name[0] == '_' && name[1] == 'Z';
		/* No name outside st: it is copied whole. */
		outside |= (uintptr_t)name - (uintptr_t)st >= st_len;
		sorted &= x >= hi;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
		key[n++] = (uint64_t)x << ibits | i;
	}
	if (outside)
		st = NULL;
	if (!sorted)
		sort_keys(key, n, syms, ibits, lo, hi);
	t->cxx_names = cxx;

	if (st) {
		pool = src->strtab_len;
	} else {
		for (size_t i = 0; i < n; i++)
			pool += strlen(syms[key[i] & imask].name) + 1;
	}
	if (pool > UINT32_MAX) {
		free(key);
		return -ENOMEM;
	}
	t->syms = malloc((n ? n : 1) * sizeof(*t->syms));
	t->strings = malloc(pool);
	if (!t->syms || !t->strings) {
		free(key);
		return -ENOMEM;
	}
	p = t->strings;
	if (st)
		memcpy(p, st, pool);
	*p++ = '\0'; /* offset 0: the empty name (an ELF string table's too) */
	for (size_t i = 0, j; i < n; i = j) {
		const struct pfe_sym_in *s = &syms[key[i] & imask];
		const uint64_t group = key[i] >> ibits; /* same for aliases only */

		for (j = i + 1; j < n && key[j] >> ibits == group; j++)
			if (cmp_alias(&syms[key[j] & imask], s) < 0)
				s = &syms[key[j] & imask];
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
	free(key);
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
