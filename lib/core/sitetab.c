/* SPDX-License-Identifier: MIT */
/*
 * Site table: decode __patchable_function_entries into patch sites and name
 * them from the symbol table (symtab.c). Pure code: the instructions come through the caller's
 * reader, so the same rules run on a live process, on a synthetic buffer in the unit tests, and on
 * the build host under ASan.
 *
 * Where the two patchable NOPs are (sitetab.h has the drawing): callers enter
 * at the function symbol, so the NOPs libpfe may patch are the first two at or
 * after the symbol, past a call landing pad. NOPs before the symbol
 * (-fpatchable-function-entry=N,M with M > 0) are never executed by a normal
 * call and are left alone. Patching NOPs anywhere else would be wrong: slot 0's
 * return-address saver (arch/arm64/site.c) in the middle of a body clobbers a
 * live register and saves a return address that is not the caller's, so such
 * entries are refused. What a NOP and a landing pad are, arch/arm64/insn.h
 * says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"
#include "sitetab.h"

static const char *const refusal_names[PFE_REFUSE_NR] = {
    [PFE_REFUSE_NOT_NOP] = "not two NOPs",
    [PFE_REFUSE_OUTSIDE] = "outside text",
    [PFE_REFUSE_MISALIGNED] = "misaligned",
    [PFE_REFUSE_DUPLICATE] = "duplicate",
    [PFE_REFUSE_NOT_ENTRY] = "not at a function entry",
};

struct decoder {
	const struct pfe_sitetab_src *src;
	const struct pfe_sitetab *t;
	const struct pfe_range *last; /* range_of's last hit */
	size_t sym;		      /* sym_lower_bound's last answer */
};

static bool in_range(const struct pfe_range *r, uintptr_t addr, size_t len)
{
	return addr >= r->start && r->end - r->start >= len && addr <= r->end - len;
}

/* The range holding [addr, addr + len), or NULL. The range of the last hit
 * first: entries come in address order, and each site asks for a few words
 * (issue 25: start-up per site). */
static inline const struct pfe_range *range_of(struct decoder *d, uintptr_t addr, size_t len)
{
	if (d->last && in_range(d->last, addr, len))
		return d->last;
	for (size_t i = 0; i < d->src->ntext; i++) {
		const struct pfe_range *r = &d->src->text[i];

		if (in_range(r, addr, len))
			return d->last = r;
	}
	return NULL;
}

static bool in_text(struct decoder *d, uintptr_t addr, size_t len)
{
	return range_of(d, addr, len) != NULL;
}

/* The word at @addr of range @r, which holds it. */
static inline uint32_t word(const struct pfe_range *r, uintptr_t addr)
{
	uint32_t insn;

	memcpy(&insn, (const char *)r->mem + (addr - r->start), sizeof(insn));
	return insn;
}

/* The word at @off of the fast loop's range (pfe_sitetab_build). */
static inline uint32_t fast_word(const char *mem, uintptr_t off)
{
	uint32_t insn;

	memcpy(&insn, mem + off, sizeof(insn));
	return insn;
}

/* Only text is ever read: an entry pointing at an unmapped page must not
 * make the decoder fault. */
static bool is_nop(struct decoder *d, uintptr_t addr)
{
	const struct pfe_range *r = range_of(d, addr, 4);

	return r && pfe_insn_is_nop(word(r, addr));
}

/* A landing pad for calls (arch/arm64/insn.h). */
static bool is_bti(struct decoder *d, uintptr_t addr)
{
	const struct pfe_range *r = range_of(d, addr, 4);

	return r && pfe_insn_is_bti_call(word(r, addr));
}

/* The NOPs from @addr on: within @addr's range by plain loads, word by
 * word past its end (text ranges may touch). */
static unsigned nop_run(struct decoder *d, uintptr_t addr)
{
	const struct pfe_range *r = range_of(d, addr, 4);
	unsigned n = 0, max;

	if (!r)
		return 0;
	max = (r->end - addr) / 4 < PFE_SITETAB_MAX_NOPS ? (unsigned)((r->end - addr) / 4)
							 : PFE_SITETAB_MAX_NOPS;
	while (n < max && pfe_insn_is_nop(word(r, addr + 4 * (uintptr_t)n)))
		n++;
	if (n < max)
		return n;
	while (n < PFE_SITETAB_MAX_NOPS && is_nop(d, addr + 4 * (uintptr_t)n))
		n++;
	return n;
}

/* The same for the decoder, whose entries mostly come in address order:
 * from the last answer on when @addr is at most a few symbols further. */
static size_t dec_lower_bound(struct decoder *d, uintptr_t addr)
{
	const struct pfe_sitetab *t = d->t;
	size_t i = d->sym;

	if (i <= t->nsyms && (i == 0 || t->syms[i - 1].addr < addr)) {
		for (size_t k = 0; k < 4 && i < t->nsyms && t->syms[i].addr < addr; k++)
			i++;
		if (i == t->nsyms || t->syms[i].addr >= addr)
			return d->sym = i;
	}
	return d->sym = pfe_symtab_lower_bound(t, addr);
}

/*
 * One entry -> one site, or the reason it is refused (returned; PFE_REFUSE_NR
 * means accepted). With symbols, the entry belongs to the function whose
 * symbol lies within or just after the entry's NOP run (M NOPs before the
 * symbol, maybe a landing pad between), or else to the sized function
 * containing the entry (landing pad at the symbol, table entry at symbol + 4). Without a
 * symbol the layout is inferred from the NOP run alone.
 */
/* Out of line: the fast loop in pfe_sitetab_build keeps its registers. */
static __attribute__((noinline)) enum pfe_refusal decode(struct decoder *d, uintptr_t e,
							 struct pfe_site *s)
{
	const struct pfe_sitetab *t = d->t;
	const struct pfe_range *r = d->last;
	uintptr_t func, pc;
	unsigned run;
	size_t i;

	/*
	 * The common layouts, -fpatchable-function-entry=2 with or without a
	 * landing pad: two NOPs then the body, in the range of the last entry,
	 * the symbol at e (or at the landing pad before it, sized past e): what
	 * the general path below finds for them, in a few loads (issue 25:
	 * start-up per site).
	 */
	if (r && !(e & 3) && e >= r->start + 4 && e < r->end && r->end - e >= 12 &&
	    pfe_insn_is_nop(word(r, e)) && pfe_insn_is_nop(word(r, e + 4)) &&
	    !pfe_insn_is_nop(word(r, e + 8))) {
		/* The symbol after the last site's, as a rule; symbols are
		 * sorted with one per address, so one at e is the lower bound. */
		i = d->sym;
		if (i < t->nsyms && t->syms[i].addr < e)
			i++;
		if (i < t->nsyms && t->syms[i].addr == e)
			d->sym = i;
		else
			i = dec_lower_bound(d, e);
		if (i < t->nsyms && t->syms[i].addr == e) {
			*s = (struct pfe_site){
			    .pc = e, .func = e, .nops = 2, .name = t->strings + t->syms[i].name};
			return PFE_REFUSE_NR;
		}
		if (i > 0 && (i == t->nsyms || t->syms[i].addr - e > 8) &&
		    t->syms[i - 1].addr == e - 4 && t->syms[i - 1].size > 4 &&
		    pfe_insn_is_bti_call(word(r, e - 4))) {
			*s = (struct pfe_site){.pc = e,
					       .func = e - 4,
					       .nops = 2,
					       .flags = PFE_SITE_BTI,
					       .name = t->strings + t->syms[i - 1].name};
			return PFE_REFUSE_NR;
		}
	}

	memset(s, 0, sizeof(*s));
	if (e & 3)
		return PFE_REFUSE_MISALIGNED;
	if (!in_text(d, e, 4))
		return PFE_REFUSE_OUTSIDE;
	run = nop_run(d, e);
	if (run == 0)
		return PFE_REFUSE_NOT_NOP;

	i = dec_lower_bound(d, e);
	if (i < t->nsyms && t->syms[i].addr - e <= 4 * (uintptr_t)run) {
		/* [e, symbol) holds only NOPs */
	} else if (i > 0 && t->syms[i - 1].size && e - t->syms[i - 1].addr < t->syms[i - 1].size) {
		i--;
	} else {
		i = t->nsyms;
	}

	if (i < t->nsyms) {
		func = t->syms[i].addr;
		pc = func;
		if (is_bti(d, func)) {
			pc += 4;
			s->flags |= PFE_SITE_BTI;
		}
		/* Everything between e and pc is a NOP or the landing pad; an
		 * entry past pc points into the function, not at its entry. */
		if (pc < e)
			return PFE_REFUSE_NOT_ENTRY;
		s->name = t->strings + t->syms[i].name;
	} else {
		uintptr_t end = e + 4 * (uintptr_t)run;

		if (is_bti(d, end) && nop_run(d, end + 4) >= 2) {
			/* nop...; func: landing pad; nop; nop */
			pc = end + 4;
		} else if (run >= 2) {
			/* The last two NOPs of the run: at or after the symbol in
			 * every layout whose callers enter at or before them. */
			pc = end - 8;
		} else {
			return PFE_REFUSE_NOT_NOP;
		}
		func = pc;
		if (is_bti(d, pc - 4)) {
			func = pc - 4;
			s->flags |= PFE_SITE_BTI;
		}
	}

	if (!in_text(d, pc, 8))
		return PFE_REFUSE_OUTSIDE;
	if ((pc != e || run < 2) && (!is_nop(d, pc) || !is_nop(d, pc + 4)))
		return PFE_REFUSE_NOT_NOP;
	s->pc = pc;
	s->func = func;
	/* The common layout, entry at the function: its run is known. */
	s->nops = (uint16_t)(pc == e ? run : nop_run(d, pc));
	return PFE_REFUSE_NR;
}

static int cmp_site_pc(const void *a, const void *b)
{
	const struct pfe_site *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* Sites are already sorted by pc, so the index breaks ties between
 * functions of the same name in pc order. */
static int cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct pfe_site *sites = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(sites[x].name, sites[y].name);

	return c ? c : (x < y ? -1 : x > y);
}

int pfe_sitetab_build(struct pfe_sitetab *t, const struct pfe_sitetab_src *src)
{
	struct decoder d = {.src = src, .t = t};
	bool unsorted = false;
	const uintptr_t *entries = src->entries;
	size_t n = 0, i, k, sym = 0, nsyms, nentries = src->nentries;
	uintptr_t lo = 1, span = 0, prev = 0; /* no fast range before decode() has one */
	const char *mem = NULL, *strings;
	const struct pfe_sym *syms;
	struct pfe_site *sites;
	int err;

	memset(t, 0, sizeof(*t));
	err = pfe_symtab_build(t, src);
	if (err)
		goto fail;

	t->sites = sites = malloc((src->nentries ? src->nentries : 1) * sizeof(*t->sites));
	if (!sites)
		goto nomem;
	syms = t->syms;
	nsyms = t->nsyms;
	strings = t->strings;
	/* The table lists entries in address order as a rule: checked, and
	 * duplicates dropped, as they come; a sort only for a table out of
	 * order. */
	for (i = 0; i < nentries; i++) {
		uintptr_t e;
		struct pfe_site *s;
		enum pfe_refusal r;

		/*
		 * The commonest layout, =2 without a landing pad, as decode()'s
		 * fast path takes it, in address order after the last site, in
		 * a loop of its own with its state in locals: stores into the
		 * sites cannot alias them, and nothing else is live (issue 25:
		 * start-up per site). prev is 0 before the first site, and no
		 * entry here is 0 (mem covers no page 0).
		 */
		for (; i < nentries; i++) {
			uintptr_t off;

			e = entries[i];
			off = e - lo;
			if ((e & 3) || off > span || e <= prev ||
			    !pfe_insn_is_nop(fast_word(mem, off)) ||
			    !pfe_insn_is_nop(fast_word(mem, off + 4)) ||
			    pfe_insn_is_nop(fast_word(mem, off + 8)))
				break;
			if (sym < nsyms && syms[sym].addr < e)
				sym++;
			if (sym == nsyms || syms[sym].addr != e)
				break;
			sites[n++] = (struct pfe_site){
			    .pc = e, .func = e, .nops = 2, .name = strings + syms[sym].name};
			prev = e;
		}
		if (i == nentries)
			break;
		e = entries[i];
		s = &sites[n];
		d.sym = sym;
		r = decode(&d, e, s);
		sym = d.sym;
		if (d.last && d.last->end - d.last->start >= 16) {
			/* e in [start + 4, end - 12]: the fast path's words. */
			lo = d.last->start + 4;
			span = d.last->end - d.last->start - 16;
			mem = (const char *)d.last->mem + 4;
		}
		if (r != PFE_REFUSE_NR) {
			t->refused[r]++;
			continue;
		}
		if (n > 0 && s->pc <= prev) {
			if (s->pc == prev) {
				t->refused[PFE_REFUSE_DUPLICATE]++;
				continue;
			}
			unsorted = true;
		}
		prev = s->pc;
		n++;
	}
	k = n;
	if (unsorted) {
		qsort(t->sites, n, sizeof(*t->sites), cmp_site_pc);
		for (i = k = 0; i < n; i++) {
			if (k > 0 && t->sites[k - 1].pc == t->sites[i].pc) {
				t->refused[PFE_REFUSE_DUPLICATE]++;
				continue;
			}
			t->sites[k++] = t->sites[i];
		}
	}
	t->nsites = k;
	return 0;

nomem:
	err = -ENOMEM;
fail:
	pfe_sitetab_free(t);
	return err;
}

struct pfe_site *pfe_sitetab_by_pc(const struct pfe_sitetab *t, uintptr_t pc)
{
	size_t lo = 0, hi = t->nsites;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->sites[mid].pc < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nsites && t->sites[lo].pc == pc ? &t->sites[lo] : NULL;
}

/*
 * The name index, built on the first lookup by name rather than with the
 * table: most runs never look a site up by name, and checking or sorting
 * the names was a good part of the start-up per site (issue 25).
 */
static int index_names(struct pfe_sitetab *t)
{
	if (t->by_name)
		return 0;
	t->by_name = malloc((t->nsites ? t->nsites : 1) * sizeof(*t->by_name));
	if (!t->by_name)
		return -ENOMEM;
	t->nnamed = 0;
	for (size_t i = 0; i < t->nsites; i++)
		if (t->sites[i].name)
			t->by_name[t->nnamed++] = (uint32_t)i;
	if (!pfe_sorted_r(t->by_name, t->nnamed, sizeof(*t->by_name), cmp_by_name, t->sites))
		qsort_r(t->by_name, t->nnamed, sizeof(*t->by_name), cmp_by_name, t->sites);
	return 0;
}

struct pfe_site *pfe_sitetab_by_name(struct pfe_sitetab *t, const char *name)
{
	size_t lo = 0, hi;

	if (index_names(t)) {
		/* No memory for the index: the first in pc order, as it would give. */
		for (size_t i = 0; i < t->nsites; i++)
			if (t->sites[i].name && !strcmp(t->sites[i].name, name))
				return &t->sites[i];
		return NULL;
	}
	hi = t->nnamed;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(t->sites[t->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->nnamed && !strcmp(t->sites[t->by_name[lo]].name, name))
		return &t->sites[t->by_name[lo]];
	return NULL;
}

unsigned pfe_sitetab_nrefused(const struct pfe_sitetab *t)
{
	unsigned n = 0;

	for (int r = 0; r < PFE_REFUSE_NR; r++)
		n += t->refused[r];
	return n;
}

char *pfe_sitetab_refusals(const struct pfe_sitetab *t, char *buf, size_t len)
{
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (int r = 0; r < PFE_REFUSE_NR; r++) {
		int w;

		if (!t->refused[r] || n >= len)
			continue;
		w = snprintf(buf + n, len - n, "%s%u %s", n ? ", " : "", t->refused[r],
			     refusal_names[r]);
		if (w > 0)
			n += (size_t)w;
	}
	return buf;
}

void pfe_sitetab_free(struct pfe_sitetab *t)
{
	free(t->sites);
	free(t->by_name);
	free(t->syms);
	free(t->strings);
	while (t->labels) {
		struct pfe_label_chunk *c = t->labels;

		t->labels = c->next;
		free(c);
	}
	memset(t, 0, sizeof(*t));
}
