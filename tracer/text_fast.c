/* SPDX-License-Identifier: MIT */
/*
 * The writer thread's fast path for PFE_TRACE text (text_fast.h): the cache
 * and what a miss renders.
 *
 * Why: naming a site and a caller (a symbol table search, strlen, a byte
 * loop over each name) and formatting every number cost the writer some
 * 700 guest instructions per line, and the writer bounds what text modes
 * keep up with (README.md, Performance). What a line is made of repeats: a
 * thread id, the seconds of its time, a site's name, a return address's
 * "<- caller+0xoff". Each is rendered once into a cache kept by the writer
 * thread and copied into the line 16 bytes at a time; only the fraction
 * of the time, the indentation and a duration are made per line.
 *
 * The cache: site names by site id (ids are never reused, so a name never
 * goes stale), callers by return address and flat lines' "name <- caller"
 * by both (an unloaded object's addresses may name another object later:
 * pfe_text_fast_forget() empties the cache before the next line), texts in
 * an arena, each padded so that a copy of whole 16-byte blocks reads only
 * the arena. Only the writer thread owns one: its signals are blocked, so
 * nothing formats in the middle of an update; flushes by other threads
 * take pfe_text_format()'s own path, which writes the same bytes.
 */
#include <sys/mman.h>

#include "core.h"
#include "text_fast.h"
#include "tracer.h"

__thread struct pfe_text_cache *pfe_text_cache __attribute__((tls_model("initial-exec")));
unsigned pfe_text_gen = 1; /* bumped by pfe_text_fast_forget */

const char pfe_text_spaces[2 * PFE_TEXT_INDENT_MAX + 16] = {[0 ... 2 * PFE_TEXT_INDENT_MAX + 15] =
								' '};

/* "00" to "99" */
const char pfe_text_pairs[201] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";

void pfe_text_fast_own(void)
{
	void *p = mmap(NULL, sizeof(struct pfe_text_cache), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return;
	pfe_text_cache = p;
	for (unsigned i = 0; i < 1000; i++) {
		memcpy(pfe_text_cache->triples[i], pfe_text_pairs + 2 * (i / 10), 2);
		pfe_text_cache->triples[i][2] = (char)('0' + i % 10);
	}
}

void pfe_text_fast_forget(void)
{
	__atomic_fetch_add(&pfe_text_gen, 1, __ATOMIC_RELEASE);
}

/* @v in decimal (as trace_fmt.c's put_dec); writes 16 bytes at least. */
char *pfe_text_dec(char *p, uint64_t v)
{
	char d[40];
	size_t i = 24; /* the digits end here; a 16-byte copy stays in d */

	while (v >= 100) {
		i -= 2;
		memcpy(d + i, pfe_text_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(d + i, pfe_text_pairs + 2 * v, 2);
	} else {
		d[--i] = (char)('0' + v);
	}
	memcpy(p, d + i, 16);
	if (24 - i > 16)
		memcpy(p + 16, d + i + 16, 24 - i - 16);
	return p + 24 - i;
}

/* "s." of the second holding @ns, and where that second starts. */
void pfe_text_sec(struct pfe_text_cache *c, uint64_t ns)
{
	uint64_t s = ns / 1000000000u;
	char *q = pfe_text_dec(c->sec_text, s);

	*q++ = '.';
	c->nsec = (uint8_t)(q - c->sec_text);
	c->sec = s * 1000000000u;
}

static void reset(struct pfe_text_cache *c, unsigned g)
{
	memset(c->sites, 0, sizeof(c->sites));
	memset(c->callers, 0, sizeof(c->callers));
	memset(c->pairs, 0, sizeof(c->pairs));
	c->used = 0;
	c->gen = g;
	c->nsec = 0;
	c->sec = UINT64_C(1) << 63; /* no time is in this second */
}

/* The cache as it must be for lines of thread @tid. */
struct pfe_text_cache *pfe_text_prep(struct pfe_text_cache *c, uint32_t tid)
{
	unsigned g = __atomic_load_n(&pfe_text_gen, __ATOMIC_ACQUIRE);
	char *p;

	if (c->gen != g)
		reset(c, g);
	p = pfe_text_dec(c->tid_text, tid);
	*p++ = ' ';
	c->ntid = (uint8_t)(p - c->tid_text);
	p = pfe_text_dec(c->gtid_text, tid);
	memcpy(p, " | ", 3);
	c->ngtid = (uint8_t)(p + 3 - c->gtid_text);
	c->tid = tid;
	return c;
}

/* A text of @n bytes (@n + 16 reserved) in the arena, or NULL when full:
 * then nothing more is cached until the next reset. */
static char *arena_take(struct pfe_text_cache *c, struct pfe_text_slot *sl, uintptr_t key, size_t n)
{
	uint32_t need = (uint32_t)((n + 16 + 15) & ~(size_t)15);

	if (n > 2 * PFE_TRACE_NAME_MAX + 64 || need > PFE_TEXT_ARENA - c->used)
		return NULL;
	sl->key = key;
	sl->off = c->used;
	sl->len = (uint32_t)n;
	c->used += need;
	return c->arena + sl->off;
}

static char *put_hex(char *p, uint64_t v)
{
	int n = v ? (64 - __builtin_clzll(v) + 3) / 4 : 1;

	*p++ = '0';
	*p++ = 'x';
	for (int i = n - 1; i >= 0; i--) {
		p[i] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	}
	return p + n;
}

/* A site's name as trace_text.c's add_site writes it; NULL when too long
 * (longer names are cut in flat lines, not in graph lines). */
const struct pfe_text_slot *pfe_text_site_fill(struct pfe_text_cache *c, uint32_t id)
{
	struct pfe_text_slot *sl = &c->sites[id & (PFE_TEXT_SLOTS - 1)];
	const struct pfe_site *site = pfe_site_by_id(id);
	const char *name = site ? pfe_site_label(site) : NULL;
	size_t n = name ? strnlen(name, PFE_TRACE_NAME_MAX + 1) : 18;
	char *t, *p;

	/* Full enough: start again rather than stop caching (a text takes
	 * at most ~900 of the half left). */
	if (c->used > PFE_TEXT_ARENA / 2)
		reset(c, c->gen);
	if (n > PFE_TRACE_NAME_MAX)
		return NULL;
	t = arena_take(c, sl, (uintptr_t)id + 1, n);
	if (!t)
		return NULL;
	if (name)
		p = (char *)memcpy(t, name, n) + n;
	else if (site)
		p = put_hex(t, site->func);
	else
		p = (char *)memcpy(t, "?", 1) + 1;
	sl->len = (uint32_t)(p - t);
	return sl;
}

/* " <- caller+0xoff\n" for return address @ra (trace_fmt.c's line end). */
static const struct pfe_text_slot *caller_text(struct pfe_text_cache *c, uintptr_t ra)
{
	struct pfe_text_slot *sl = &c->callers[(ra >> 2) & (PFE_TEXT_SLOTS - 1)];
	struct pfe_caller who;
	char b[PFE_TRACE_NAME_MAX + 64], *p = b, *t;

	if (sl->key == ra && ra)
		return sl;
	pfe_trace_caller(ra, &who);
	memcpy(p, " <- ", 4);
	p += 4;
	if (who.kind != PFE_CALLER_ADDR) {
		size_t n = strnlen(who.name ? who.name : "?", PFE_TRACE_NAME_MAX);

		memcpy(p, who.name ? who.name : "?", n);
		p += n;
		*p++ = '+';
	}
	p = put_hex(p, who.off);
	*p++ = '\n';
	t = arena_take(c, sl, ra, (size_t)(p - b));
	if (!t)
		return NULL;
	memcpy(t, b, (size_t)(p - b));
	return sl;
}

/* The pair of site @id and caller @ra, from their own slots. */
const struct pfe_text_pair *pfe_text_pair_fill(struct pfe_text_cache *c, uint32_t id, uintptr_t ra)
{
	struct pfe_text_pair *pr = &c->pairs[(ra >> 2 ^ id * 0x9e5u) & (PFE_TEXT_SLOTS - 1)];
	const struct pfe_text_slot *name = &c->sites[id & (PFE_TEXT_SLOTS - 1)], *who;
	struct pfe_text_slot sl;
	char *t;

	if (c->used > PFE_TEXT_ARENA / 2) {
		reset(c, c->gen);
		name = &c->sites[id & (PFE_TEXT_SLOTS - 1)];
	}
	if (name->key != (uintptr_t)id + 1)
		name = pfe_text_site_fill(c, id);
	who = name ? caller_text(c, ra) : NULL;
	if (!who)
		return NULL;
	t = arena_take(c, &sl, 1, name->len + who->len);
	if (!t)
		return NULL;
	memcpy(t, c->arena + name->off, name->len);
	memcpy(t + name->len, c->arena + who->off, who->len);
	pr->ra = ra;
	pr->id1 = id + 1;
	pr->off = sl.off;
	pr->len = sl.len;
	return pr;
}
