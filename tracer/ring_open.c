/* SPDX-License-Identifier: MIT */
/*
 * The calls each thread has entered and not left, as the consumer of its
 * ring sees them in graph and summary mode (ring_internal.h), so that the
 * end of the process closes them: in graph text with the words pfe replay
 * uses for a recording, "(D us, still open at the end)", and in the
 * summary's table counted with the time they had run. A thread blocked in
 * a traced function when another calls exit() would otherwise leave its
 * frames open and the graph unbalanced.
 *
 * A fork child's thread goes on inside the calls its parent's thread had
 * open: they close in the child, under the child's thread id, and its own
 * calls nest in them. So the child's graph text opens them first, each
 * line ending in an "inherited at fork" comment, and is balanced on its
 * own, as the parent's is. Their arguments are not known again: "name()".
 *
 * Each call also keeps where its entry went, so that its exit goes there
 * too when the mode changed in between (PFE_CONTROL's graph and summary
 * commands): a call entered in graph text closes with its "}" line in
 * flat or summary mode as well, and one entered in summary mode is counted
 * in the table, not closed by a "}" that has no "{". The exit of a call
 * entered while the hook was attached comes whatever the hooks are by then
 * (lib/hooks/exit.c).
 */
#include <sched.h>
#include <time.h>
#include <sys/mman.h>
#include <urcu-bp.h>

#include "ring_internal.h"
#include "trace_summary.h"

/* Open frames below level @lvl whose entry is in no graph text (entered in
 * summary mode): graph text nests what they call where they would be, as
 * if they were not there. Levels beyond those known nest on the last. */
static unsigned hidden_below(const struct pfe_ring *g, unsigned lvl)
{
	if (lvl > g->nopen)
		lvl = g->nopen;
	return lvl ? g->open[lvl - 1].hid : 0;
}

/* What the inline half (ring_internal.h) leaves: the first entry (the
 * frames' mapping), levels beyond PFE_OPEN_LEVELS, DEEP events. */
struct pfe_open_note pfe_ring_open_note_slow(struct pfe_ring *g, struct pfe_rec e, uint64_t ns,
					     int sink)
{
	unsigned type = pfe_rec_type(&e), lvl = pfe_rec_depth(&e);
	unsigned hidden = type == PFE_REC_ENTRY || type == PFE_REC_EXIT ||
				  type == PFE_REC_EXIT_UNWOUND || type == PFE_REC_DEEP
			      ? hidden_below(g, lvl)
			      : 0;

	if (type == PFE_REC_ENTRY && sink != PFE_SINK_FLAT) {
		if (lvl >= PFE_OPEN_LEVELS)
			return (struct pfe_open_note){sink, hidden};
		if (!g->open) {
			void *m =
			    mmap(NULL, PFE_OPEN_LEVELS * sizeof(*g->open), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (m == MAP_FAILED)
				return (struct pfe_open_note){sink, hidden};
			g->open = m;
		}
		g->open[lvl] = (struct pfe_open_frame){pfe_rec_site(&e), sink,
						       hidden + (sink != PFE_SINK_GRAPH), ns};
		g->nopen = lvl + 1;
	} else if (type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND) {
		if (lvl < g->nopen) {
			/* Its own entry, not another call's at that level
			 * whose exit was never seen (a coroutine set aside). */
			if (g->open[lvl].site == pfe_rec_site(&e))
				sink = g->open[lvl].sink;
			g->nopen = lvl;
		}
	}
	return (struct pfe_open_note){sink, hidden};
}

void pfe_ring_open_inherited(struct pfe_ring *g)
{
	uint64_t now = pfe_ring_clock() - pfe_rings.full_base, limit;
	unsigned depth;

	g->inherited = false;
	if (pfe_ring_record)
		return;
	pfe_ring_filters_at(now, &limit, &depth);
	for (unsigned k = 0; k < g->nopen && (!depth || k < depth); k++) {
		struct pfe_text_ev x = {.tid = g->tid,
					.ns = pfe_ring_ns(now),
					.graph = true,
					.time = pfe_ring_graph_time,
					.inherited = true};

		if (g->open[k].sink != PFE_SINK_GRAPH)
			continue; /* its exit goes to the table */
		x.r = pfe_rec_entry(0, g->open[k].site, k - hidden_below(g, k));
		pfe_ring_write_line(g, &x);
	}
}

/* Close @g's open calls, innermost first, at @now ticks since the start. */
static void close_ring(struct pfe_ring *g, uint64_t now)
{
	uint64_t ns = pfe_ring_ns(now), limit;
	unsigned depth;

	pfe_ring_filters_at(now, &limit, &depth);
	for (unsigned k = g->nopen; k-- > 0;) {
		const struct pfe_open_frame *f = &g->open[k];
		uint64_t dur = ns > f->ns ? ns - f->ns : 0;
		struct pfe_text_ev x = {.tid = g->tid,
					.ns = ns,
					.graph = true,
					.time = pfe_ring_graph_time,
					.open_at_end = true};

		if (f->sink == PFE_SINK_SUMMARY) {
			pfe_summary_add_any(&g->levels, f->site, k, dur);
			continue;
		}
		x.r = pfe_rec_exit(0, f->site, k - hidden_below(g, k), false);
		x.r.w1 |= pfe_ring_dur_pack(dur);
		if (limit || depth)
			pfe_ring_filter_line(g, &x, limit, depth);
		else
			pfe_ring_write_line(g, &x);
	}
	g->nopen = 0;
	pfe_ring_out_flush(g);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pfe_ring_open_close_all(void)
{
	unsigned n = __atomic_load_n(&pfe_rings.nrings, __ATOMIC_ACQUIRE);
	uint64_t now = pfe_ring_clock() - pfe_rings.full_base;
	uint32_t me = pfe_ring_tid();

	/* Flat mode too: calls entered in graph text before a switch. */
	if (pfe_ring_record)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct pfe_ring *g = &pfe_ring_slots[i];

		/* A ring that never noted a graph or summary entry (flat mode
		 * all along) has nothing open: not waited for. */
		if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) == RING_FREE || g->ended ||
		    !__atomic_load_n(&g->open, __ATOMIC_RELAXED))
			continue;
		/* The writer may hold the ring for a whole batch of a busy
		 * thread (an exec while main keeps calling): wait for it, up to
		 * 2 s, rather than a number of yields, which a batch of tens of
		 * thousands of lines outlasts under qemu and leaves the ring's
		 * calls unclosed. */
		for (uint64_t t0 = now_ms(); !pfe_ring_lock(g, me);) {
			if (__atomic_load_n(&g->busy, __ATOMIC_RELAXED) == (int)me ||
			    now_ms() - t0 > 2000)
				goto next;
			sched_yield();
		}
		/* Lines made later for calls closed here would unbalance the
		 * graph; a ring with nothing open goes on (a coroutine's frames
		 * set aside, which exit.c closes itself, come later). */
		if (g->nopen) {
			rcu_read_lock();
			if (g->inherited)
				pfe_ring_open_inherited(g);
			close_ring(g, now);
			rcu_read_unlock();
			g->ended = true;
		}
		pfe_ring_unlock(g);
	next:;
	}
}
