/* SPDX-License-Identifier: MIT */
/*
 * Graph text's filters (ring_internal.h): PFE_MIN_DURATION and control's
 * "min-duration" and "depth", applied by the consumer of a ring before a
 * line is written.
 */
#include <string.h>
#include <sys/mman.h>

#include "ring_internal.h"

/* PFE_MIN_DURATION: an entry held back until its call is known to be long
 * enough, or a callee of it is. Arguments are kept up to PEND_TEXT bytes. */
#define PEND_LEVELS 4096
#define PEND_TEXT   104
struct pfe_pend {
	struct pfe_rec e;
	uint64_t ns;
	bool open, written, has_text;
	uint8_t ntext;
	char text[PEND_TEXT];
};

#define KEPT (sizeof(pfe_rings.filters) / sizeof(pfe_rings.filters[0]))

/*
 * A change applies to the events stamped after it, and the events stored
 * before it keep the filters they were made under, without the control
 * thread waiting for the rings to be written out: a wait for rings that a
 * busy thread keeps filling stalled "depth" and "min-duration" for seconds.
 * Each change is kept with its time, the last KEPT of them; entries are
 * written by the control thread alone, each before the count publishes it.
 */
void pfe_ring_set_filters(uint64_t min_ns, unsigned depth)
{
	unsigned n = __atomic_load_n(&pfe_rings.nfilters, __ATOMIC_RELAXED) + 1;
	struct pfe_ring_filter *f = &pfe_rings.filters[n % KEPT];

	f->at = pfe_ring_clock() - pfe_rings.full_base;
	f->min_dur = min_ns;
	f->depth = depth;
	/* Pairs with the acquire load in pfe_ring_filters_at. */
	__atomic_store_n(&pfe_rings.nfilters, n, __ATOMIC_RELEASE);
}

void pfe_ring_filters_at(uint64_t full, uint64_t *limit, unsigned *depth)
{
	unsigned n = __atomic_load_n(&pfe_rings.nfilters, __ATOMIC_ACQUIRE), k = n;

	while (k > 0 && n - k < KEPT - 1 && pfe_rings.filters[k % KEPT].at > full)
		k--;
	if (n - k >= KEPT - 1)
		k = n - (KEPT - 2); /* older than what is kept: the oldest kept */
	*limit = pfe_rings.filters[k % KEPT].min_dur;
	*depth = pfe_rings.filters[k % KEPT].depth;
}

/*
 * Graph text through the filters. A call shorter than min_dur is not
 * written, but every caller of a call that is written is, before it: its
 * entry waits in g->pend until its call ends (long enough: written) or a
 * callee is written (then it is long enough too). Entries whose level is
 * show_depth or more are not written at all.
 */
void pfe_ring_filter_line(struct pfe_ring *g, const struct pfe_text_ev *x, uint64_t limit,
			  unsigned depth)
{
	unsigned type = pfe_rec_type(&x->r), lvl;
	struct pfe_pend *p;

	if (type == PFE_REC_ENTRY)
		lvl = (unsigned)(x->r.w1 & 0xffff);
	else if (type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND)
		lvl = pfe_rec_depth(&x->r);
	else if (type == PFE_REC_DEEP)
		lvl = (unsigned)(x->r.w1 & 0xffff) + 1;
	else
		lvl = 0;
	if (depth && lvl >= depth && type != PFE_REC_LOST)
		return;
	if (!limit ||
	    (type != PFE_REC_ENTRY && type != PFE_REC_EXIT && type != PFE_REC_EXIT_UNWOUND)) {
		pfe_ring_write_line(g, x);
		return;
	}
	if (!g->pend) {
		void *m = mmap(NULL, PEND_LEVELS * sizeof(struct pfe_pend), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED) {
			pfe_ring_write_line(g, x);
			return;
		}
		g->pend = m;
	}
	if (lvl >= PEND_LEVELS) {
		pfe_ring_write_line(g, x);
		return;
	}
	p = &g->pend[lvl];
	if (type == PFE_REC_ENTRY) {
		p->e = x->r;
		p->ns = x->ns;
		p->open = true;
		p->written = false;
		p->has_text = x->text != NULL;
		p->ntext = (uint8_t)(x->ntext < PEND_TEXT ? x->ntext : PEND_TEXT);
		if (x->text)
			memcpy(p->text, x->text, p->ntext);
		return;
	}
	if (pfe_ring_dur_unpack(x->r.w1) >= limit || (p->open && p->written)) {
		for (unsigned k = 0; k <= lvl; k++) {
			struct pfe_pend *a = &g->pend[k];
			struct pfe_text_ev y = *x;

			if (!a->open || a->written)
				continue;
			y.r = a->e;
			y.ns = a->ns;
			y.text = a->has_text ? a->text : NULL;
			y.ntext = a->ntext;
			pfe_ring_write_line(g, &y);
			a->written = true;
		}
		pfe_ring_write_line(g, x);
	}
	p->open = false;
}
