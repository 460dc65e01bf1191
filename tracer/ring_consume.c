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
	pfe_ring_tail_publish(g, t, false);
}

/* A line the fast path does not take (text_fast.h): a payload, a name too
 * long for the cache, a LOST or DEEP event, no cache (not the writer).
 * Out of line: the consumer's loop keeps its registers for the fast path. */
static __attribute__((noinline)) void format_line(struct pfe_ring *g, const struct pfe_text_ev *x)
{
	char *at = g->out + g->nout;

	pfe_ring_line_done(g, at, pfe_text_format(at, PFE_TEXT_LINE_MAX, x));
}

/*
 * Summary mode's common events in a loop of their own, from @t towards @h
 * (issue 25: at most 150 instructions per call counted, which the general
 * loop's registers did not leave room for): an entry noted as open, the
 * exit of a call entered in summary mode added to its row, as the general
 * loop does them. Returns where it stopped: @h, or the first event left to
 * the general loop (another type, a call entered in graph text before a
 * switch, an exit of no open call, a level beyond those kept, the ring's
 * first events, which map the open calls and the levels).
 */
static __attribute__((noinline)) uint64_t consume_summary(struct pfe_ring *g, uint64_t t,
							  uint64_t h, uint64_t *lastp, uint64_t *np)
{
	const uint64_t base = pfe_rings.clock_base, mask = g->mask, mult = pfe_ring_ns_mult();
	const struct pfe_rec *ev = g->ev;
	struct pfe_open_frame *o = g->open;
	uint64_t *acc = g->levels, last = *lastp, n = *np;
	unsigned nopen = g->nopen;

	if (!o || !acc)
		return t;
	while (t != h) {
		struct pfe_rec e = ev[t & mask];
		unsigned type = pfe_rec_type(&e), lvl = pfe_rec_depth(&e);
		uint32_t site = pfe_rec_site(&e);
		uint64_t full = pfe_rec_unwrap(last, ((e.w0 >> 16) - base) & PFE_REC_TIME_MASK);

		if (type == PFE_REC_ENTRY && lvl < PFE_OPEN_LEVELS) {
			unsigned below = lvl < nopen ? lvl : nopen;

			o[lvl] = (struct pfe_open_frame){
			    site, PFE_SINK_SUMMARY, (below ? o[below - 1].hid : 0) + 1,
			    mult ? (uint64_t)((unsigned __int128)full * mult >> 32) : full};
			nopen = lvl + 1;
		} else if ((type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND) && lvl < nopen &&
			   o[lvl].site == site && o[lvl].sink == PFE_SINK_SUMMARY &&
			   site < PFE_SUMMARY_SITES) {
			nopen = lvl;
			pfe_summary_add(acc, site, lvl, pfe_ring_dur_unpack(e.w1));
		} else {
			break;
		}
		last = full;
		t++;
		if (!(++n % 64)) {
			g->nopen = nopen;
			give_back(g, t);
		}
	}
	g->nopen = nopen;
	*lastp = last;
	*np = n;
	return t;
}

/*
 * A recording's events in a loop of their own (issue 25: a recorded zstd
 * at most 1.5 times the plain run): each is stored as it is, its time made
 * relative to the clock's base, straight into the output buffer with two
 * 64-bit stores. The general loop's pfe_ring_out_add() called memcpy for
 * every 16 bytes, and under qemu the C library's memcpy (SVE under -cpu
 * max) costs the writer more than all the rest of its work. The output
 * goes out in writes of REC_OUT_BYTES, as the slots are handed back.
 * Returns where it stopped: @h, or the first event with payload units or a
 * LOST count, left to the general loop.
 */
static __attribute__((noinline)) uint64_t consume_record(struct pfe_ring *g, uint64_t t, uint64_t h,
							 uint64_t *lastp, uint64_t *np)
{
	const uint64_t base = pfe_rings.clock_base, mask = g->mask;
	/* Handed back at least 16 times a ring: a full ring's owner has room
	 * again soon. */
	const uint64_t every =
	    (mask + 1) / 16 < REC_OUT_BYTES / 16 ? (mask + 1) / 16 : REC_OUT_BYTES / 16;
	const struct pfe_rec *ev = g->ev;
	uint64_t last = *lastp, n = *np;

	while (t != h) {
		struct pfe_rec e = ev[t & mask];
		uint64_t rel = ((e.w0 >> 16) - base) & PFE_REC_TIME_MASK;

		if (pfe_rec_units(&e) || pfe_rec_type(&e) == PFE_REC_LOST)
			break;
		if (__builtin_expect(g->nout + 16 > REC_OUT_BYTES, 0))
			pfe_ring_out_flush(g);
		last = pfe_rec_unwrap(last, rel);
		pfe_rec_store(g->out + g->nout,
			      (struct pfe_rec){(e.w0 & 0xffff) | rel << 16, e.w1});
		g->nout += 16;
		t++;
		if (!(++n % every))
			give_back(g, t);
	}
	*lastp = last;
	*np = n;
	return t;
}

/*
 * The writer's text lines in a loop of their own, as consume_summary() is
 * for the table (issue 25: at most 200 instructions per line): entries and
 * exits from @t towards @h, formatted in place from the writer's cache
 * @tc (text_fast.h). The caller has seen to the rest: no recording, no
 * summary mode, no payloads, no filters from @from on. (One loop for both
 * cost summary mode 199 instructions per call, text 6 more per line.) Returns where it
 * stopped: @h, or the first event left to the general loop (another type,
 * one stamped before @from).
 */
static __attribute__((noinline)) uint64_t consume_text(struct pfe_ring *g,
						       struct pfe_text_cache *tc, uint64_t t,
						       uint64_t h, uint64_t from, uint64_t *lastp,
						       uint64_t *np)
{
	const uint64_t base = pfe_rings.clock_base, mask = g->mask, mult = pfe_ring_ns_mult();
	const struct pfe_rec *ev = g->ev;
	const bool gr = pfe_rings.graph, tm = pfe_ring_graph_time;
	const int mode = gr ? PFE_SINK_GRAPH : PFE_SINK_FLAT;
	uint64_t last = *lastp, n = *np;

	while (t != h) {
		struct pfe_rec e = ev[t & mask];
		unsigned type = pfe_rec_type(&e);
		uint64_t full = pfe_rec_unwrap(last, ((e.w0 >> 16) - base) & PFE_REC_TIME_MASK), ns;
		struct pfe_open_note to = {mode, 0};

		if ((type != PFE_REC_ENTRY && type != PFE_REC_EXIT &&
		     type != PFE_REC_EXIT_UNWOUND) ||
		    full < from)
			break;
		ns = mult ? (uint64_t)((unsigned __int128)full * mult >> 32) : full;
		if (gr || type != PFE_REC_ENTRY)
			to = pfe_ring_open_note(g, e, ns, mode);
		last = full;
		t++;
		if (__builtin_expect(to.sink == PFE_SINK_SUMMARY, 0)) {
			/* An exit whose entry was counted (a switch between). */
			if (type != PFE_REC_ENTRY)
				pfe_summary_add_any(&g->levels, pfe_rec_site(&e), pfe_rec_depth(&e),
						    pfe_ring_dur_unpack(e.w1));
		} else {
			char *at = g->out + g->nout;
			size_t len;

			if (__builtin_expect(to.hidden != 0, 0) && to.sink == PFE_SINK_GRAPH)
				e.w1 -= to.hidden; /* the level: never below it */
			len = pfe_text_fast(tc, at, &e, ns, to.sink == PFE_SINK_GRAPH, tm);
			if (__builtin_expect(len != 0, 1)) {
				pfe_ring_line_done(g, at, len);
			} else {
				struct pfe_text_ev x = {.r = e,
							.tid = g->tid,
							.ns = ns,
							.graph = to.sink == PFE_SINK_GRAPH,
							.time = tm};

				format_line(g, &x);
			}
		}
		if (!(++n % 64))
			give_back(g, t);
	}
	*lastp = last;
	*np = n;
	return t;
}

/* The ring's events [tail, head) to the output. The caller holds busy and
 * an RCU read-side section. */
void pfe_ring_consume(struct pfe_ring *g)
{
	uint64_t h = __atomic_load_n(&g->head, __ATOMIC_ACQUIRE), t = g->tail;
	char *text = g->out + pfe_ring_out_cap() + PFE_TEXT_LINE_MAX;
	uint64_t n = 0, lost = 0, last = g->last;
	/* Read once a batch: the loop calls out, so the compiler would load
	 * them again for every event (issue 25: the writer's cost per line).
	 * The filters are the ones in force at each event's time. busy is
	 * ours: nothing else changes g->ended, g->last or the open calls
	 * during the batch. */
	const uint64_t base = pfe_rings.clock_base, mask = g->mask, mult = pfe_ring_ns_mult();
	const struct pfe_rec *ev = g->ev;
	const bool record = pfe_ring_record, sum = pfe_rings.summary, gr = pfe_rings.graph,
		   tm = pfe_ring_graph_time, ended = g->ended,
		   payloads = __atomic_load_n(&pfe_rings.payloads, __ATOMIC_RELAXED);
	const int mode = !gr ? PFE_SINK_FLAT : sum ? PFE_SINK_SUMMARY : PFE_SINK_GRAPH;
	struct pfe_text_cache *tc = record || sum ? NULL : pfe_text_batch(g->tid);
	/* The latest filter change as the batch starts: an event stamped after
	 * it takes it without a search (pfe_ring_filters_at for the others). */
	const unsigned nf = __atomic_load_n(&pfe_rings.nfilters, __ATOMIC_ACQUIRE);
	const struct pfe_ring_filter *latest =
	    &pfe_rings.filters[nf % (sizeof(pfe_rings.filters) / sizeof(pfe_rings.filters[0]))];
	const uint64_t latest_at = latest->at, latest_limit = latest->min_dur;
	const unsigned latest_depth = latest->depth;
	const bool latest_none = !latest_limit && !latest_depth;
	/* The common events of summary mode and of the writer's text each
	 * have a loop of their own (consume_summary, consume_text); this one
	 * takes what they leave, and every event of the other cases. */
	const bool sum_fast = mode == PFE_SINK_SUMMARY && !record && !ended;
	/* A recording whose file is open (failing that, the general loop
	 * consumes the events and writes nothing). */
	const bool rec_fast = record && t != h && rec_file(g);
	/* No filter at all for consume_text: in flat mode too, an exit whose
	 * entry went to graph text is a graph line, which they filter. */
	const bool text_fast = tc && mode != PFE_SINK_SUMMARY && !ended && !payloads && latest_none;

	if (g->inherited && t != h)
		pfe_ring_open_inherited(g);
	while (t != h && (!rec_fast || (t = consume_record(g, t, h, &last, &n)) != h) &&
	       (!sum_fast || (t = consume_summary(g, t, h, &last, &n)) != h) &&
	       (!text_fast || (t = consume_text(g, tc, t, h, latest_at, &last, &n)) != h)) {
		struct pfe_rec e = ev[t & mask];
		unsigned type = pfe_rec_type(&e), units = pfe_rec_units(&e);
		uint64_t rel = ((e.w0 >> 16) - base) & PFE_REC_TIME_MASK;
		uint64_t full = pfe_rec_unwrap(last, rel);
		const char *payload = NULL;
		size_t npayload = 0;
		uint64_t ns, limit;
		unsigned depth, hidden;
		struct pfe_open_note to = {mode, 0};
		int sink;

		if (units > h - t - 1)
			units = (unsigned)(h - t - 1); /* cannot happen: published whole */
		last = full;
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
		if (gr || type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND)
			to = pfe_ring_open_note(g, e, ns, mode);
		sink = to.sink;
		hidden = to.hidden;
		if (ended) {
			/* Closed at the end of the image: nothing more. */
			if (!(n % 64))
				give_back(g, t);
			continue;
		}
		if (sink == PFE_SINK_SUMMARY) {
			/* Each exit adds to its function's row (trace_summary.c);
			 * nothing else is written. */
			if (type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND)
				pfe_summary_add_any(&g->levels, pfe_rec_site(&e), pfe_rec_depth(&e),
						    pfe_ring_dur_unpack(e.w1));
			if (!(n % 64))
				give_back(g, t);
			continue;
		}
		/* Only text needs the event's line: made after the sinks above. */
		if (__builtin_expect(hidden != 0, 0) && sink == PFE_SINK_GRAPH)
			e.w1 -= hidden; /* the level: never below it */
		if (payloads &&
		    (type == PFE_REC_ENTRY || type == PFE_REC_EXIT ||
		     type == PFE_REC_EXIT_UNWOUND) &&
		    t != h) {
			struct pfe_rec p = ev[t & mask];
			unsigned pt = pfe_rec_type(&p), pu = pfe_rec_units(&p);

			if ((pt == PFE_REC_ARGS || pt == PFE_REC_RETVAL) && pu <= h - t - 1) {
				unsigned take = pu < PAYLOAD_MAX ? pu : PAYLOAD_MAX;

				copy_units(g, t + 1, take, text);
				payload = text;
				npayload = p.w1 < 16u * take ? (size_t)p.w1 : 16u * take;
				t += 1 + pu;
			}
		}
		if (__builtin_expect(
			!payload && (sink != PFE_SINK_GRAPH || (latest_none && full >= latest_at)),
			1)) {
			/* The writer's lines: from its cache, in place. */
			char *at = g->out + g->nout;
			size_t len = pfe_text_fast(tc, at, &e, ns, sink == PFE_SINK_GRAPH, tm);

			if (__builtin_expect(len != 0, 1)) {
				pfe_ring_line_done(g, at, len);
				goto next;
			}
		}
		if (full >= latest_at) {
			limit = latest_limit;
			depth = latest_depth;
		} else {
			pfe_ring_filters_at(full, &limit, &depth);
		}
		{
			struct pfe_text_ev x = {.r = e,
						.tid = g->tid,
						.ns = ns,
						.text = payload,
						.ntext = npayload,
						.graph = sink == PFE_SINK_GRAPH,
						.time = tm};

			if (x.graph && (limit || depth))
				pfe_ring_filter_line(g, &x, limit, depth);
			else
				format_line(g, &x);
		}
	next:
		if (!(n % 64))
			give_back(g, t);
	}
	g->last = last;
	pfe_ring_out_flush(g);
	__atomic_fetch_add(&pfe_rings.events_total, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&pfe_rings.lost_total, lost, __ATOMIC_RELAXED);
	/* The slots are read before they are handed back. */
	pfe_ring_tail_publish(g, t, true);
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
