/* SPDX-License-Identifier: MIT */
/*
 * Consuming a ring (ring_internal.h): whoever holds its busy word (the
 * writer thread, a flush, or its owner when it is full) takes its events
 * to one sink: PFE_RECORD's thread file as they are, PFE_SUMMARY's table
 * (trace_summary.c), or text lines (trace_text.c), graph text through the
 * filters (ring_filter.c).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "rec_meta.h"
#include "ring_internal.h"
#include "text_fast.h"
#include "trace_summary.h"

/* ---------------------------------------------------------- consuming */

/* PFE_RECORD: the thread's file, opened on its first events. */
static bool rec_file(struct pfe_ring *g)
{
	if (g->fd >= 0 || g->failed)
		return !g->failed;
	if (__atomic_load_n(&pfe_rings.in_fatal, __ATOMIC_RELAXED)
		? pthread_mutex_trylock(&pfe_rings.meta_lock)
		: pthread_mutex_lock(&pfe_rings.meta_lock))
		return false;
	g->fd = pfe_rec_meta_thread_fd(g->tid);
	pthread_mutex_unlock(&pfe_rings.meta_lock);
	g->failed = g->fd < 0;
	return !g->failed;
}

static void copy_units(const struct pfe_ring *g, uint64_t from, unsigned units, void *dst)
{
	for (unsigned i = 0; i < units; i++)
		memcpy((char *)dst + 16 * i, &g->ev[(from + i) & g->mask], 16);
}

/*
 * Hand the slots before @t back to the owner, whose ring may be full and
 * waiting: after every few dozen events, not only at the end of a batch of
 * up to 65,536. Their output is written first, so that a flush by the owner
 * never overtakes it.
 */
static void give_back(struct pfe_ring *g, uint64_t t)
{
	pfe_ring_out_flush(g);
	/* Pairs with the owner's acquire load of tail. */
	__atomic_store_n(&g->tail, t, __ATOMIC_RELEASE);
}

/* The ring's events [tail, head) to the output. The caller holds busy and
 * an RCU read-side section. */
void pfe_ring_consume(struct pfe_ring *g)
{
	uint64_t h = __atomic_load_n(&g->head, __ATOMIC_ACQUIRE), t = g->tail;
	char *text = g->out + OUT_BYTES + PFE_TEXT_LINE_MAX;
	uint64_t n = 0, lost = 0;
	/* Read once a batch: the loop calls out, so the compiler would load
	 * them again for every event (issue 25: the writer's cost per line).
	 * The filters are the ones in force at each event's time. */
	const uint64_t base = pfe_rings.clock_base, mask = g->mask, mult = pfe_ring_ns_mult();
	const struct pfe_rec *ev = g->ev;
	const bool record = pfe_ring_record, sum = pfe_rings.summary, gr = pfe_rings.graph,
		   tm = pfe_ring_graph_time;
	const int mode = !gr ? PFE_SINK_FLAT : sum ? PFE_SINK_SUMMARY : PFE_SINK_GRAPH;
	struct pfe_text_cache *tc = record || sum ? NULL : pfe_text_batch(g->tid);
	/* The latest filter change as the batch starts: an event stamped after
	 * it takes it without a search (pfe_ring_filters_at for the others). */
	const unsigned nf = __atomic_load_n(&pfe_rings.nfilters, __ATOMIC_ACQUIRE);
	const struct pfe_ring_filter *latest =
	    &pfe_rings.filters[nf % (sizeof(pfe_rings.filters) / sizeof(pfe_rings.filters[0]))];

	if (record && t != h)
		rec_file(g);
	if (g->inherited && t != h)
		pfe_ring_open_inherited(g);
	while (t != h) {
		struct pfe_rec e = ev[t & mask];
		unsigned type = pfe_rec_type(&e), units = pfe_rec_units(&e);
		uint64_t rel = ((e.w0 >> 16) - base) & PFE_REC_TIME_MASK;
		uint64_t full = pfe_rec_unwrap(g->last, rel);
		struct pfe_text_ev x;
		uint64_t ns, limit;
		unsigned depth, hidden;
		int sink;

		if (units > h - t - 1)
			units = (unsigned)(h - t - 1); /* cannot happen: published whole */
		g->last = full;
		n++;
		if (type == PFE_REC_LOST)
			lost += e.w1;
		if (record) {
			struct pfe_rec f = {(e.w0 & 0xffff) | rel << 16, e.w1};
			char b[16];

			pfe_rec_store(b, f);
			pfe_ring_out_add(g, b, 16);
			for (unsigned i = 0; i < units; i++)
				pfe_ring_out_add(g, &ev[(t + 1 + i) & mask], 16);
			t += 1 + units;
			if (!(n % 256))
				give_back(g, t);
			continue;
		}
		t += 1 + units;
		/* pfe_ring_ns(full), inline */
		ns = mult ? (uint64_t)((unsigned __int128)full * mult >> 32) : full;
		/* An exit goes where its entry went: a mode switch may have
		 * come between them (ring_open.c). Flat entries, the bulk of
		 * flat mode, are not noted: no call for them. */
		hidden = 0;
		sink = gr || type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND
			   ? pfe_ring_open_note(g, &e, ns, mode, &hidden)
			   : mode;
		if (g->ended) {
			/* Closed at the end of the image: nothing more. */
			if (!(n % 64))
				give_back(g, t);
			continue;
		}
		if (sink == PFE_SINK_SUMMARY) {
			/* Each exit adds to its function's row (trace_summary.c);
			 * nothing else is written. */
			if (type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND)
				pfe_summary_add(&g->levels, pfe_rec_site(&e), pfe_rec_depth(&e),
						pfe_ring_dur_unpack(e.w1));
			if (!(n % 64))
				give_back(g, t);
			continue;
		}
		/* Only text needs the event's line: made after the sinks above. */
		x = (struct pfe_text_ev){
		    .r = e, .tid = g->tid, .graph = sink == PFE_SINK_GRAPH, .time = tm};
		if (__builtin_expect(hidden != 0, 0) && x.graph)
			x.r.w1 -= hidden; /* the level: never below it */
		if ((type == PFE_REC_ENTRY || type == PFE_REC_EXIT ||
		     type == PFE_REC_EXIT_UNWOUND) &&
		    t != h) {
			struct pfe_rec p = ev[t & mask];
			unsigned pt = pfe_rec_type(&p), pu = pfe_rec_units(&p);

			if ((pt == PFE_REC_ARGS || pt == PFE_REC_RETVAL) && pu <= h - t - 1) {
				unsigned take = pu < PAYLOAD_MAX ? pu : PAYLOAD_MAX;

				copy_units(g, t + 1, take, text);
				x.text = text;
				x.ntext = p.w1 < 16u * take ? (size_t)p.w1 : 16u * take;
				t += 1 + pu;
			}
		}
		x.ns = ns;
		if (full >= latest->at) {
			limit = latest->min_dur;
			depth = latest->depth;
		} else {
			pfe_ring_filters_at(full, &limit, &depth);
		}
		if (x.graph && (limit || depth))
			pfe_ring_filter_line(g, &x, limit, depth);
		else
			pfe_ring_line(g, tc, &x);
		if (!(n % 64))
			give_back(g, t);
	}
	pfe_ring_out_flush(g);
	__atomic_fetch_add(&pfe_rings.events_total, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pfe_rings.lost_total, lost, __ATOMIC_RELAXED);
	/* Pairs with the owner's acquire load of tail: the slots are read
	 * before they are handed back. */
	__atomic_store_n(&g->tail, t, __ATOMIC_RELEASE);
}

/* New objects (dlopen) are in the objects file before events name them. */
static void sync_objects(bool wait)
{
	/* Listing objects reads their files and allocates. */
	if (!pfe_ring_record || __atomic_load_n(&pfe_rings.in_fatal, __ATOMIC_RELAXED))
		return;
	if (wait ? pthread_mutex_lock(&pfe_rings.meta_lock)
		 : pthread_mutex_trylock(&pfe_rings.meta_lock))
		return;
	pfe_rec_meta_sync_objects(pfe_ring_now());
	pthread_mutex_unlock(&pfe_rings.meta_lock);
}

/* A ring whose thread is gone and whose events are written goes back. */
static void retire(struct pfe_ring *g)
{
	if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) != RING_ENDING ||
	    __atomic_load_n(&g->head, __ATOMIC_ACQUIRE) != g->tail ||
	    syscall(SYS_tgkill, getpid(), g->tid, 0) == 0 || errno != ESRCH)
		return;
	if (g->fd >= 0)
		pfe_fd_close(g->fd);
	g->fd = -1;
	__atomic_store_n(&g->state, RING_FREE, __ATOMIC_RELEASE);
}

/*
 * Times are 48 bits (tracer/record.h): a thread idle for 2^47 ticks (39 hours
 * at 1 GHz) would have its next event read as earlier than its last. So the
 * writer moves an idle ring's time on, and in a recording writes it as a
 * TIME event, long before. A little in the past (2^40 ticks, 18 minutes at
 * 1 GHz): an event whose owner read the clock just before being preempted
 * may still be on its way.
 */
#define TIME_MARGIN (UINT64_C(1) << 40)

static void keep_time(struct pfe_ring *g, uint32_t me)
{
	uint64_t now = pfe_ring_clock() - pfe_rings.full_base;
	int st = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE);
	struct pfe_rec r;
	char b[16];

	if ((st != RING_LIVE && st != RING_ENDING) || now < TIME_MARGIN ||
	    now - TIME_MARGIN - g->last < (UINT64_C(1) << 46) || pfe_ring_pending(g) ||
	    !pfe_ring_lock(g, me))
		return;
	if (!pfe_ring_pending(g) && now - TIME_MARGIN > g->last) {
		g->last = now - TIME_MARGIN;
		if (pfe_ring_record && g->fd >= 0) {
			r = pfe_rec_plain(PFE_REC_TIME, g->last, g->last);
			pfe_rec_store(b, r);
			pfe_ring_out_add(g, b, 16);
			pfe_ring_out_flush(g);
		}
	}
	pfe_ring_unlock(g);
}

/* One pass over every ring; returns whether it wrote anything. @wait:
 * also rings another consumer holds now (flushes), except one held by the
 * calling thread itself (a signal in the middle of its own flush). */
bool pfe_ring_consume_all(bool wait, bool writer)
{
	unsigned n = __atomic_load_n(&pfe_rings.nrings, __ATOMIC_ACQUIRE);
	uint32_t me = pfe_ring_tid();
	bool did = false;

	sync_objects(wait);
	for (unsigned i = 0; i < n; i++) {
		struct pfe_ring *g = &pfe_ring_slots[i];

		for (int tries = 0; pfe_ring_pending(g); tries++) {
			if (pfe_ring_lock(g, me)) {
				rcu_read_lock();
				pfe_ring_consume(g);
				rcu_read_unlock();
				pfe_ring_unlock(g);
				did = true;
				break;
			}
			if (!wait || __atomic_load_n(&g->busy, __ATOMIC_RELAXED) == (int)me ||
			    tries > 100000)
				break;
			sched_yield();
		}
		if (writer) {
			keep_time(g, me);
			retire(g);
		}
	}
	return did;
}
