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
