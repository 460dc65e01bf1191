/* SPDX-License-Identifier: MIT */
/*
 * The tracer's per-thread event rings (trace_rec.c): what a traced thread
 * does per call is to store one or two 16-byte events (tracer/record.h) into
 * its own ring and publish them with one release store. Everything else,
 * naming sites and callers, formatting PFE_TRACE lines, writing PFE_RECORD
 * files, happens in libpfe's writer thread, or at flush and exit. How an
 * event is encoded in memory: event.h.
 */
#ifndef PFE_TRACE_REC_H
#define PFE_TRACE_REC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch.h"
#include "event.h"
#include "thread.h"

struct pfe_object;

struct pfe_ring {
	/* Written by the owner thread only (plus room, see trace_rec.c). */
	uint64_t head;	    /* events [tail, head) await the writer */
	uint64_t seen;	    /* tail as the owner last read it */
	uint64_t room;	    /* fast path while head - seen < room; 0: always slow */
	uint64_t mask;	    /* events in the ring - 1 */
	struct pfe_rec *ev; /* mask + 1 events */
	uint64_t lost;	    /* PFE_BUFFER=...,drop: dropped, not yet reported */
	uint32_t tid;

	/* The consumer's: whoever holds busy (the writer, or the owner when
	 * its ring is full, or a flush). */
	uint64_t tail __attribute__((aligned(64)));
	int busy; /* consumer lock */
	/* The owner waits for room (ring_put.c): the consumer wakes it on
	 * the low 32 bits of tail when it hands slots back. */
	int waiting;
	int state; /* RING_FREE, RING_LIVE, RING_ENDING (trace_rec.c) */
	int fd;	   /* PFE_RECORD: <tid>.dat, -1 until opened */
	bool failed;
	uint64_t last;	       /* time of the last event consumed (ticks since base) */
	uint64_t *levels;      /* PFE_SUMMARY: callee time per level (trace_summary.c) */
	struct pfe_pend *pend; /* PFE_MIN_DURATION: entries not yet written */
	char *out;	       /* PFE_RING_OUT bytes of formatted output */
	uint32_t nout;
	struct pfe_open_frame *open; /* graph, summary: calls entered, not left */
	unsigned nopen;		     /* ... their number (ring_open.c) */
	bool ended;		     /* its calls were closed at the end: no more lines */
	bool inherited;		     /* a fork child's: its open calls not yet shown */
} __attribute__((aligned(64)));

/* pfe_my_ring (lib/base/thread.h): the calling thread's ring, NULL before its first event. */

/* True in PFE_RECORD mode: events go to files as they are. */
extern bool pfe_ring_record __attribute__((visibility("hidden")));

void pfe_ring_put_slow(const struct pfe_rec *v, unsigned n);
/* pfe_ring_put_slow() of one event passed in registers: a tail call that
 * leaves pfe_ring_put()'s callers without a frame on their fast path. */
void pfe_ring_put_one(uint64_t w0, uint64_t w1);

/* The architecture's counter, read in program order: time never goes back
 * within a thread (the format relies on it). */
static inline uint64_t pfe_ring_clock(void)
{
	return pfe_arch_counter_fenced();
}

/* The calling thread's ring when one more event fits in it now, else NULL:
 * for a caller with a slow path of its own (pfe_ring_put's, or one that
 * does everything the long way), so that its fast path makes no call. */
static inline struct pfe_ring *pfe_ring_ready(void)
{
	struct pfe_ring *g = pfe_my_ring;

	if (__builtin_expect(g != 0 && g->head - g->seen < g->room, 1))
		return g;
	return 0;
}

/* Append @r to @g, which pfe_ring_ready() returned in this hook. */
static inline void pfe_ring_store(struct pfe_ring *g, struct pfe_rec r)
{
	uint64_t h = g->head;

	g->ev[h & g->mask] = r;
	/* Pairs with the consumer's acquire load of head: the event is
	 * complete before it is counted. */
	__atomic_store_n(&g->head, h + 1, __ATOMIC_RELEASE);
}

/*
 * Append one event for the calling thread. Lock-free, malloc-free, no
 * system call unless the thread's ring is new or full; async-signal-safe.
 * Callers run under the recursion guard (in a hook), so a thread never
 * re-enters its own ring.
 */
static inline void pfe_ring_put(struct pfe_rec r)
{
	struct pfe_ring *g = pfe_ring_ready();

	if (__builtin_expect(g != 0, 1))
		pfe_ring_store(g, r);
	else
		pfe_ring_put_one(r.w0, r.w1);
}

/* An event and the text payload that follows it (PFE_REC_ARGS/RETVAL),
 * published together. */
void pfe_ring_put_text(struct pfe_rec r, unsigned type, const char *text, size_t len);

/*
 * Start the rings and the writer thread: text to @out_fd (PFE_TRACE,
 * graph: PFE_GRAPH text; @summary: PFE_SUMMARY's table at the end instead
 * of graph lines) or, when @record_dir is set, PFE_RECORD files there.
 * Constructor or control thread, under the guard. 0 or -errno after one
 * line.
 */
int pfe_ring_start(int out_fd, const char *record_dir, bool graph, bool summary);
/* Time 0 of the traces (the constructor), if before pfe_ring_start. */
void pfe_ring_note_start(void);
/* PFE_GRAPH=time: graph lines carry the time as flat lines do. Before
 * pfe_ring_start. */
extern bool pfe_ring_graph_time;
/* Text goes to @fd from now on (a fork child's own PFE_OUTPUT). */
void pfe_ring_set_out_fd(int fd);
/* True once pfe_ring_start succeeded in this process image. */
bool pfe_ring_started(void);
/* This image ends (execve): PFE_RECORD's info gets its end line. */
void pfe_ring_image_end(void);
/* The process ends now (_exit): pfe_ring_image_end's work that a signal
 * handler may do; no summary table. */
void pfe_ring_quit(void);
/*
 * Change what the writer makes of events at run time (PFE_CONTROL): graph
 * text (@time: with times) or flat lines, or the summary's table. The
 * caller has detached the hooks, waited for a grace period and drained the
 * rings, so that no event of the old mode is left. -ENOTSUP when recording
 * (PFE_RECORD's mode is in its files), -ENOMEM for the summary's table.
 */
int pfe_ring_set_mode(bool graph, bool time, bool summary);
/* Graph text filters, applied by the writer before anything is written:
 * calls shorter than @min_ns are not written (their callers are), nor
 * lines @depth levels deep or deeper; 0: no filter. For the events
 * stamped from now on; those stored before keep the filters they were made
 * under. Returns at once. Control thread only (ring_filter.c). */
void pfe_ring_set_filters(uint64_t min_ns, unsigned depth);
/* The summary's table now (control's "summary"); -ENOENT without one. */
int pfe_ring_summary_now(void);
/* Nanoseconds since the tracer's start for a time in the in-memory format. */
uint64_t pfe_ring_ns(uint64_t ticks);
/* pfe_ring_ns() is ticks * this >> 32, or ticks when this is 0. */
uint64_t pfe_ring_ns_mult(void);
/* Write out every ring now (flush, exec, exit, fatal signal); @final: and
 * from now on every event as it comes (process exit). */
void pfe_ring_drain(bool final);
/* Before an object's sites are freed (dlclose): no event may name them
 * afterwards, so write out what does now. */
void pfe_ring_before_unload(const struct pfe_object *obj);
/* An object was just published (dlopen), its sites not yet enabled: a
 * recording writes its names now. */
void pfe_ring_after_load(const struct pfe_object *obj);

#endif /* PFE_TRACE_REC_H */
