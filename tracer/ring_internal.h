/* SPDX-License-Identifier: MIT */
/*
 * The tracer's per-thread event rings: what their files share, and nothing
 * else includes (the contract is trace_rec.h, the event encoding event.h).
 *
 *   ring_put.c      the traced thread's side: claiming a ring, putting
 *                   events, writing its own ring out when it is full
 *   ring_consume.c  consuming a ring: its events to the sinks (text lines,
 *                   recordings, the summary's table)
 *   ring_filter.c   graph text's filters (PFE_MIN_DURATION, depth)
 *   ring_open.c     the calls each thread has open, closed at the end
 *   ring_writer.c   the writer thread, and what only it does to a ring
 *   trace_rec.c     the process's life: start, flushes, exit, fatal
 *                   signals, fork, the run-time settings
 *
 * Why: formatting and symbolizing a line on the traced thread cost ~580
 * guest instructions per call, and graph mode ~1,700; storing a 16-byte
 * event costs a few dozen. So a hook only stores events, and the consumer
 * turns them into PFE_TRACE text (trace_text.c) or PFE_RECORD files
 * (rec_meta.c for the metadata), in another thread.
 *
 * Each thread owns one ring: a single-producer single-consumer queue in an
 * mmap'ed area. The owner is the only writer of head; whoever holds the
 * ring's busy word (the writer thread, a flush, or the owner itself when
 * the ring is full) is the only writer of tail:
 *
 *   owner:    ev[head] = e;  store-release head + 1
 *   consumer: h = load-acquire head; read ev[tail, h); store-release tail = h
 *   owner:    seen = load-acquire tail (only when head - seen reaches room)
 *
 * The acquire/release pairs make an event complete before it is consumed
 * and consumed before its slot is reused. The fast path reads no shared
 * cache line: head, seen and room are the owner's.
 *
 * When a ring is full (PFE_BUFFER=<size>: the default is 1 MiB, 65,536
 * events per thread) the owner wakes the writer and waits, on a futex and
 * for 20 ms at most without progress, until it has freed an eighth of the
 * ring; failing that (or with no writer running) it takes the ring and
 * writes it out itself. With PFE_BUFFER=...,drop it counts what it cannot
 * store instead and records a LOST event when there is room again. Nothing
 * is ever lost silently and the program never blocks on a lock: the busy
 * word is only spun on while another thread holds it for one batch, which
 * needs no lock of the program's.
 *
 * Rings are slots of a static table, not thread-local storage: flushes
 * (exit, exec, fork, a fatal signal) must reach the events of every thread,
 * running or gone, and a dead thread's TLS is freed with its stack. A
 * thread claims a slot on its first event; its pthread key destructor marks
 * the slot ENDING, and the writer frees it once it is empty and the thread
 * is gone (tgkill(tid, 0) fails), so that events of the thread's last
 * destructors still have a ring.
 */
#ifndef PFE_RING_INTERNAL_H
#define PFE_RING_INTERNAL_H

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "trace_rec.h"
#include "text_fast.h"
#include "trace_text.h"

/* struct pfe_ring's state. */
enum { RING_FREE, RING_CLAIMING, RING_LIVE, RING_ENDING };

#define NRINGS	    4096
#define OUT_BYTES   PIPE_BUF /* one write(2): atomic on a pipe too */
#define TEXT_BYTES  512	     /* an ARGS/RETVAL payload is cut here */
#define EV_MIN	    4096
#define EV_DEFAULT  65536 /* 1 MiB */
#define EV_MAX	    (1u << 26)
#define PAYLOAD_MAX (TEXT_BYTES / 16)

/* A recording's thread file is its own, so its writes need not be atomic:
 * one write(2), and one check of the descriptor (outfile.c), per 4,096
 * events rather than per 256 (consume_record). */
#define REC_OUT_BYTES 65536

/* rings[0, nrings) were ever claimed (trace_rec.c defines both). */
extern struct pfe_ring pfe_ring_slots[NRINGS];

/* What the rings' files share. Set at start (trace_rec.c) unless said. */
struct pfe_rings {
	unsigned nrings; /* slots ever claimed; grows (ring_put.c) */
	bool started;	 /* pfe_ring_start succeeded in this image */
	bool graph;	 /* graph text (PFE_GRAPH, control) */
	bool drop;	 /* PFE_BUFFER=...,drop */
	bool final;	 /* after the last flush: every event at once */
	bool summary;	 /* PFE_SUMMARY's table instead of lines */
	/* An ARGS or RETVAL payload was ever put (ring_put.c): until then the
	 * consumer does not look for one after each event. */
	bool payloads;
	/* Graph text filters: PFE_MIN_DURATION at start, then each change
	 * (pfe_ring_set_filters) with the time it applies from (ring_filter.c). */
	struct pfe_ring_filter {
		uint64_t at; /* ticks since the start */
		uint64_t min_dur;
		unsigned depth;
	} filters[16];
	unsigned nfilters;		   /* changes so far; filters[n % 16] is the latest */
	int out_fd;			   /* text output, -1 when recording */
	uint64_t nev;			   /* events per ring, a power of two */
	uint64_t clock_base;		   /* the counter at start, modulo 2^48 */
	uint64_t full_base;		   /* the counter at start */
	pthread_key_t end_key;		   /* its destructor: pfe_ring_end */
	pthread_mutex_t meta_lock;	   /* PFE_RECORD's metadata files */
	uint64_t events_total, lost_total; /* relaxed atomics */
	/* Batches a full ring's owner wrote out itself (ring_put.c): the
	 * writer was not running or freed nothing in time. Relaxed. */
	uint64_t self_drains;
	uint32_t wake_word; /* the writer's futex */
	/* The main thread ran its key destructors: it called pthread_exit
	 * (exit and a return from main run none). */
	int main_ended;
	/* A fatal signal is being handled: only async-signal-safe work from
	 * now on (no new object listed, no lock waited for). */
	int in_fatal;
	int writer_running; /* not in a fork child */
};
extern struct pfe_rings pfe_rings;

static inline uint32_t pfe_ring_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* Ticks since the tracer's start, modulo 2^48. */
static inline uint64_t pfe_ring_now(void)
{
	return (pfe_ring_clock() - pfe_rings.clock_base) & PFE_REC_TIME_MASK;
}

/* ---------------------------------------------------------- ring_put.c */
/* pthread key destructor: the thread ends; the writer frees the ring.
 * The main thread holds pfe_ring_main_mark until it claims a ring, so that
 * its pthread_exit is seen either way. */
extern char pfe_ring_main_mark;
void pfe_ring_end(void *arg);

/* The low 32 bits of @g's tail: the word a waiting owner sleeps on. */
static inline uint32_t *pfe_ring_tail_word(struct pfe_ring *g)
{
	return (uint32_t *)&g->tail + (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
}

/* A full ring's owner waits until this many slots are free (ring_put.c):
 * woken once per wait, not after every few dozen events handed back. */
static inline uint64_t pfe_ring_wait_room(const struct pfe_ring *g)
{
	return (g->mask + 1) / 8;
}

/*
 * The consumer hands the slots before @t back to the owner, at the end of
 * its batch (@end) or within it. Pairs with the owner's acquire load of
 * tail. The fence orders the store before the load of waiting, as the
 * owner's orders its store of waiting before its load of tail: one of the
 * two sees the other's (the futex compares the word too, and the owner's
 * wait is timed in any case).
 */
static inline void pfe_ring_tail_publish(struct pfe_ring *g, uint64_t t, bool end)
{
	__atomic_store_n(&g->tail, t, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(__atomic_load_n(&g->waiting, __ATOMIC_RELAXED), 0) &&
	    (end || g->mask + 1 - (__atomic_load_n(&g->head, __ATOMIC_RELAXED) - t) >=
			pfe_ring_wait_room(g)))
		syscall(SYS_futex, pfe_ring_tail_word(g), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The output buffer's size before its line and payload room. */
static inline size_t pfe_ring_out_cap(void)
{
	return pfe_ring_record ? REC_OUT_BYTES : OUT_BYTES;
}

/* ------------------------------------------------------ ring_consume.c */
/* The consumer lock of @g, for thread @me; false when another holds it. */
bool pfe_ring_lock(struct pfe_ring *g, uint32_t me);
void pfe_ring_unlock(struct pfe_ring *g);
/* True when @g is claimed and holds events not yet consumed. */
bool pfe_ring_pending(struct pfe_ring *g);
/* The ring's events [tail, head) to the output. The caller holds busy and
 * an RCU read-side section. */
void pfe_ring_consume(struct pfe_ring *g);
/* One pass over every ring; returns whether it wrote anything. @wait:
 * also rings another consumer holds now (flushes), except one held by the
 * calling thread itself (a signal in the middle of its own flush).
 * @writer: the writer thread's pass (keeps idle rings' time, frees ended
 * ones). */
bool pfe_ring_consume_all(bool wait, bool writer);
/* Bytes to the ring's output buffer, written out when it is full or at
 * pfe_ring_out_flush. Consumer only. */
void pfe_ring_out_add(struct pfe_ring *g, const void *p, size_t n);
void pfe_ring_out_flush(struct pfe_ring *g);
/* One text line of @x to the ring's output. Consumer only. */
void pfe_ring_write_line(struct pfe_ring *g, const struct pfe_text_ev *x);

/* ------------------------------------------------------- ring_filter.c */
/* The filters in force for an event stamped @full (ticks since the start):
 * what was set last before it. Consumer only. */
void pfe_ring_filters_at(uint64_t full, uint64_t *limit, unsigned *depth);
/* Graph text @x through the filters: calls shorter than @limit ns, lines
 * @depth levels deep or deeper are not written. Consumer only. */
void pfe_ring_filter_line(struct pfe_ring *g, const struct pfe_text_ev *x, uint64_t limit,
			  unsigned depth);

/* --------------------------------------------------------- ring_open.c */
/* Where an event goes: flat text lines, graph text, the summary's table. */
enum { PFE_SINK_FLAT, PFE_SINK_GRAPH, PFE_SINK_SUMMARY };

#define PFE_OPEN_LEVELS 4096 /* calls kept open per thread; deeper nest on the last */

/* A call entered and not left, as the consumer saw it (ring_open.c). */
struct pfe_open_frame {
	uint32_t site;
	int sink;     /* where its entry went: PFE_SINK_GRAPH or _SUMMARY */
	unsigned hid; /* frames up to this one whose entry is in no graph text */
	uint64_t ns;  /* when it was entered, since the start */
};

/* Where an event goes, and the levels its graph line has fewer. */
struct pfe_open_note {
	int sink;
	unsigned hidden;
};

struct pfe_open_note pfe_ring_open_note_slow(struct pfe_ring *g, struct pfe_rec e, uint64_t ns,
					     int sink);

/*
 * Consumer of @g: note ENTRY or EXIT @e, stamped @ns, and say where it
 * goes: an exit where its entry went (a mode switch came between them),
 * anything else to @sink, the mode now. Entries are noted in graph and
 * summary mode only (flat ones carry no level). In .hidden, the levels its
 * graph line has fewer: the calls open below it whose entry is in no graph
 * text (entered in summary mode).
 *
 * Inline, and by value, for the consumer's loop: a call of its own cost
 * the writer some 50 instructions per line (issue 25), for a few stores,
 * and an event or a result in memory more. An entry with the frames
 * mapped and an exit of an open level are done here, the rest by
 * pfe_ring_open_note_slow().
 */
static inline __attribute__((always_inline)) struct pfe_open_note
pfe_ring_open_note(struct pfe_ring *g, struct pfe_rec e, uint64_t ns, int sink)
{
	unsigned type = pfe_rec_type(&e), lvl = pfe_rec_depth(&e), nopen = g->nopen;
	struct pfe_open_frame *o = g->open;

	if (type == PFE_REC_ENTRY && sink != PFE_SINK_FLAT && o && lvl < PFE_OPEN_LEVELS) {
		unsigned below = lvl < nopen ? lvl : nopen;
		unsigned hidden = below ? o[below - 1].hid : 0;

		o[lvl] = (struct pfe_open_frame){pfe_rec_site(&e), sink,
						 hidden + (sink != PFE_SINK_GRAPH), ns};
		g->nopen = lvl + 1;
		return (struct pfe_open_note){sink, hidden};
	}
	if ((type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND) && lvl < nopen) {
		unsigned hidden = lvl ? o[lvl - 1].hid : 0;

		if (o[lvl].site == pfe_rec_site(&e))
			sink = o[lvl].sink;
		g->nopen = lvl;
		return (struct pfe_open_note){sink, hidden};
	}
	return pfe_ring_open_note_slow(g, e, ns, sink);
}

/* Consumer of a fork child's ring @g: its inherited open calls as graph
 * text entries, before its first events. Inside a read-side section. */
void pfe_ring_open_inherited(struct pfe_ring *g);
/* The image ends: close every ring's open calls (graph text lines "still
 * open at the end", or the summary's rows), and write no more lines of
 * theirs. After the last flush; async-signal-safe. */
void pfe_ring_open_close_all(void);

/* ------------------------------------------------------- ring_writer.c */
/* Start the writer thread; 0 or -errno after one line. */
int pfe_ring_writer_start(void);
/* Wake the writer early (a ring fills); nothing without one. */
void pfe_ring_writer_wake(void);
/* The writer's care of @g after a pass: an idle ring's time is moved on,
 * an ended thread's empty ring is freed. */

/* ring_state.c: the counter's frequency, read once at start (0: unknown);
 * from then on pfe_ring_ns converts. */
uint64_t pfe_ring_clock_init(void);

/* ring_out.c: one line formatted in place at the end of the output;
 * inline for the consumer's loop. */
/*
 * A line is formatted in place, where it belongs in the output, and moved
 * only when it does not fit the OUT_BYTES written at once (issue 25): the
 * writer's lines from texts it keeps rendered (text_fast.h, @c), the others
 * by pfe_text_format(). The buffer has PFE_TEXT_LINE_MAX bytes after those
 * OUT_BYTES, and the payload after that.
 */
/* The line of @len bytes formatted at @at, the end of the output, is in. */
static inline __attribute__((always_inline)) void pfe_ring_line_done(struct pfe_ring *g, char *at,
								     size_t len)
{
	if (__builtin_expect(g->nout + len > OUT_BYTES, 0)) {
		pfe_ring_out_flush(g);
		memmove(g->out, at, len);
	}
	g->nout += (uint32_t)len;
}

static inline __attribute__((always_inline)) void
pfe_ring_line(struct pfe_ring *g, struct pfe_text_cache *c, const struct pfe_text_ev *x)
{
	char *at = g->out + g->nout;
	size_t len = x->text || x->open_at_end || x->inherited
			 ? 0
			 : pfe_text_fast(c, at, &x->r, x->ns, x->graph, x->time);

	if (__builtin_expect(!len, 0))
		len = pfe_text_format(at, PFE_TEXT_LINE_MAX, x);
	pfe_ring_line_done(g, at, len);
}

#endif /* PFE_RING_INTERNAL_H */
