/* SPDX-License-Identifier: MIT */
/*
 * A ring's output side (ring_internal.h): its busy word, its output buffer
 * and the lines written into it. Below every consumer (ring_consume.c,
 * ring_filter.c, ring_open.c, the writer), which all write through here.
 */
#include <string.h>

#include "base.h"
#include "ring_internal.h"

bool pfe_ring_lock(struct pfe_ring *g, uint32_t me)
{
	int free_ = 0;

	return __atomic_compare_exchange_n(&g->busy, &free_, (int)me, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

void pfe_ring_unlock(struct pfe_ring *g)
{
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}

void pfe_ring_out_flush(struct pfe_ring *g)
{
	int fd = pfe_ring_record ? g->fd : pfe_rings.out_fd;

	if (g->nout && fd >= 0 && !g->failed)
		pfe_output_write(fd, g->out, g->nout);
	g->nout = 0;
}

void pfe_ring_out_add(struct pfe_ring *g, const void *p, size_t n)
{
	if (g->nout + n > OUT_BYTES)
		pfe_ring_out_flush(g);
	memcpy(g->out + g->nout, p, n);
	g->nout += (uint32_t)n;
}

bool pfe_ring_pending(struct pfe_ring *g)
{
	int st = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE);

	return (st == RING_LIVE || st == RING_ENDING) &&
	       __atomic_load_n(&g->head, __ATOMIC_ACQUIRE) != g->tail;
}

void pfe_ring_write_line(struct pfe_ring *g, const struct pfe_text_ev *x)
{
	pfe_ring_line(g, pfe_text_batch(g->tid), x);
}
