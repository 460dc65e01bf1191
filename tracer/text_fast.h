/* SPDX-License-Identifier: MIT */
/*
 * The writer thread's fast path for PFE_TRACE text (text_fast.c): the lines
 * of the common events, assembled in place from texts rendered once and
 * kept in a cache of the writer's own. The hits are inline here, for the
 * writer's loop (trace_rec.c); what a miss renders is in text_fast.c.
 */
#ifndef PFE_TEXT_FAST_H
#define PFE_TEXT_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "record.h"
#include "trace_rec.h"
#include "trace_text.h"

#define PFE_TEXT_SLOTS	    4096 /* per kind, direct-mapped */
#define PFE_TEXT_ARENA	    (256u << 10)
#define PFE_TEXT_INDENT_MAX 100 /* trace_text.c's GRAPH_INDENT_MAX */

struct pfe_text_slot {
	uintptr_t key; /* site id + 1, or return address; 0: empty */
	uint32_t off;  /* text in the arena */
	uint32_t len;
};

/* A flat line's "name <- caller+0xoff\n": site and return address. */
struct pfe_text_pair {
	uintptr_t ra;
	uint32_t id1; /* site id + 1; 0: empty */
	uint32_t off, len;
};

struct pfe_text_cache {
	unsigned gen;
	uint32_t tid; /* "tid " and "tid | " of the last thread seen */
	uint8_t ntid, ngtid, nsec;
	uint64_t sec; /* "s." of the last second seen, which starts at sec ns */
	char tid_text[16], gtid_text[32], sec_text[32];
	char triples[1000][4]; /* "000" to "999" */
	uint32_t used;
	struct pfe_text_slot sites[PFE_TEXT_SLOTS], callers[PFE_TEXT_SLOTS];
	struct pfe_text_pair pairs[PFE_TEXT_SLOTS];
	char arena[PFE_TEXT_ARENA] __attribute__((aligned(16)));
};

extern __thread struct pfe_text_cache *pfe_text_cache __attribute__((tls_model("initial-exec")));
extern unsigned pfe_text_gen;
extern const char pfe_text_spaces[2 * PFE_TEXT_INDENT_MAX + 16];
extern const char pfe_text_pairs[201];

/* The cold halves (text_fast.c): each renders what was missing, false or
 * NULL when it cannot (a name too long, the arena full). */
struct pfe_text_cache *pfe_text_prep(struct pfe_text_cache *c, uint32_t tid);
const struct pfe_text_pair *pfe_text_pair_fill(struct pfe_text_cache *c, uint32_t id, uintptr_t ra);
const struct pfe_text_slot *pfe_text_site_fill(struct pfe_text_cache *c, uint32_t id);
void pfe_text_sec(struct pfe_text_cache *c, uint64_t ns);
char *pfe_text_dec(char *p, uint64_t v);

/* The calling thread (the writer) keeps a cache from now on. */
void pfe_text_fast_own(void);

/* An object goes: return addresses may name another one from now on. */
void pfe_text_fast_forget(void);

/* Whole 16-byte blocks: up to 15 bytes past @n are written, and read from
 * a source padded for it (16 bytes when @n is 0). */
static inline __attribute__((always_inline)) char *pfe_text_copy(char *p, const char *s, size_t n)
{
	if (n <= 16) {
		/* Most names and indentations: one block, no loop. */
		memcpy(p, s, 16);
		return p + n;
	}
	for (size_t i = 0; i < n; i += 16)
		memcpy(p + i, s + i, 16);
	return p + n;
}

/* "<s>.<us>" of @ns (trace_text.c's add_time), the seconds from the cache. */
static inline __attribute__((always_inline)) char *pfe_text_time(struct pfe_text_cache *c, char *p,
								 uint64_t ns)
{
	unsigned f;

	if (__builtin_expect(ns - c->sec >= 1000000000u, 0))
		pfe_text_sec(c, ns);
	f = (unsigned)(ns - c->sec) / 1000u;
	memcpy(p, c->sec_text, 16);
	p += c->nsec;
	memcpy(p, c->triples[f / 1000], 4);
	memcpy(p + 3, c->triples[f % 1000], 4);
	return p + 6;
}

/*
 * The cache for a batch of lines of thread @tid (one ring's), or NULL when
 * the calling thread has none: pfe_text_format() writes every line. An
 * object's unload drains the rings first, waiting for a batch in progress,
 * so a batch sees no unload.
 */
static inline __attribute__((always_inline)) struct pfe_text_cache *pfe_text_batch(uint32_t tid)
{
	struct pfe_text_cache *c = pfe_text_cache;

	if (c && (c->gen != __atomic_load_n(&pfe_text_gen, __ATOMIC_ACQUIRE) || c->tid != tid))
		return pfe_text_prep(c, tid);
	return c;
}

/* @v < 1000 in decimal, without leading zeros. */
static inline __attribute__((always_inline)) char *pfe_text_upto3(struct pfe_text_cache *c, char *p,
								  unsigned v)
{
	unsigned skip = (v < 10) + (v < 100);

	memcpy(p, c->triples[v] + skip, 4);
	return p + 3 - skip;
}

/* A duration's "<us>.<frac>": up to 999,999 us from the triples, longer
 * ones by pfe_text_dec. */
static inline __attribute__((always_inline)) char *pfe_text_us(struct pfe_text_cache *c, char *p,
							       uint64_t ns)
{
	uint64_t us = ns / 1000u;
	unsigned frac = (unsigned)(ns - us * 1000u);

	if (us < 1000) {
		p = pfe_text_upto3(c, p, (unsigned)us);
	} else if (us < 1000000) {
		p = pfe_text_upto3(c, p, (unsigned)us / 1000u);
		memcpy(p, c->triples[(unsigned)us % 1000u], 4);
		p += 3;
	} else {
		p = pfe_text_dec(p, us);
	}
	*p = '.';
	memcpy(p + 1, c->triples[frac], 4);
	return p + 4;
}

/*
 * Format event @r, stamped @ns, of the batch of @c (pfe_text_batch), into @buf (PFE_TEXT_LINE_MAX
 * bytes, of which the line may overwrite up to 16 past its end) as pfe_text_format() would for a
 * line without a payload, flat or @graph (with times: @time), and return the length; or 0 when
 * this path does not take the event (not the writer thread, a LOST or DEEP event, a name too long
 * for the cache, a level beyond the indentation), and pfe_text_format()'s own code does. Scalars,
 * not a struct pfe_text_ev, so that the consumer's loop keeps them in registers. Inside an RCU
 * read-side section.
 */
static inline __attribute__((always_inline)) size_t
pfe_text_fast(struct pfe_text_cache *c, char *buf, const struct pfe_rec *r, uint64_t ns, bool graph,
	      bool time)
{
	unsigned type = pfe_rec_type(r), level;
	uint32_t id = pfe_rec_site(r);
	const struct pfe_text_slot *name;
	char *p = buf;

	if (__builtin_expect(!c, 0))
		return 0;
	if (!graph) {
		uintptr_t ra = pfe_rec_ret(r);
		const struct pfe_text_pair *pr =
		    &c->pairs[(ra >> 2 ^ id * 0x9e5u) & (PFE_TEXT_SLOTS - 1)];

		if (type != PFE_REC_ENTRY)
			return 0;
		if (__builtin_expect(pr->ra != ra || pr->id1 != id + 1, 0)) {
			pr = pfe_text_pair_fill(c, id, ra);
			if (!pr)
				return 0;
		}
		memcpy(p, c->tid_text, 16);
		p = pfe_text_time(c, p + c->ntid, ns);
		*p++ = ' ';
		return (size_t)(pfe_text_copy(p, c->arena + pr->off, pr->len) - buf);
	}
	if (type == PFE_REC_ENTRY || type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND)
		level = (unsigned)(r->w1 & 0xffff); /* the level, or the exit's depth */
	else
		return 0;
	name = &c->sites[id & (PFE_TEXT_SLOTS - 1)];
	if (__builtin_expect(name->key != (uintptr_t)id + 1, 0)) {
		name = pfe_text_site_fill(c, id);
		if (!name)
			return 0;
	}
	if (__builtin_expect(level > PFE_TEXT_INDENT_MAX, 0))
		return 0;
	if (time) {
		memcpy(p, c->tid_text, 16);
		p = pfe_text_time(c, p + c->ntid, ns);
		memcpy(p, " | ", 4);
		p += 3;
	} else {
		memcpy(p, c->gtid_text, 32);
		p += c->ngtid;
	}
	p = pfe_text_copy(p, pfe_text_spaces, 2 * level);
	if (type == PFE_REC_ENTRY) {
		p = pfe_text_copy(p, c->arena + name->off, name->len);
		memcpy(p, "() {\n\0\0\0", 8);
		return (size_t)(p + 5 - buf);
	}
	memcpy(p, "} ", 2);
	p = pfe_text_copy(p + 2, c->arena + name->off, name->len);
	memcpy(p, " (", 2);
	p = pfe_text_us(c, p + 2, pfe_ring_dur_unpack(r->w1));
	if (type == PFE_REC_EXIT) {
		memcpy(p, " us)\n\0\0\0", 8);
		p += 5;
	} else {
		memcpy(p, " us, unwound)\n\0\0", 16);
		p += 14;
	}
	return (size_t)(p - buf);
}

#endif /* PFE_TEXT_FAST_H */
