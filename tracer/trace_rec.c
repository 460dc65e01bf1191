/* SPDX-License-Identifier: MIT */
/*
 * The tracer's per-thread event rings and the writer thread (trace_rec.h).
 *
 * Why: formatting and symbolizing a line on the traced thread cost ~580
 * guest instructions per call, and graph mode ~1,700; storing a 16-byte
 * event costs a few dozen. So a hook only stores events, and this file
 * turns them into PFE_TRACE text (trace_text.c) or PFE_RECORD files
 * (rec_meta.c for the metadata) in another thread.
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
 * When a ring is full the owner wakes the writer and, rather than wait for
 * it, takes the ring and writes it out itself (PFE_BUFFER=<size>: the
 * default is 1 MiB, 65,536 events per thread), or with PFE_BUFFER=...,drop
 * counts what it cannot store and records a LOST event when there is room
 * again. Nothing is ever lost silently and the program never blocks on a
 * lock: the busy word is only spun on while another thread holds it for one
 * batch, which needs no lock of the program's.
 *
 * Rings are slots of a static table, not thread-local storage: flushes
 * (exit, exec, fork, a fatal signal) must reach the events of every thread,
 * running or gone, and a dead thread's TLS is freed with its stack. A
 * thread claims a slot on its first event; its pthread key destructor marks
 * the slot ENDING, and the writer frees it once it is empty and the thread
 * is gone (tgkill(tid, 0) fails), so that events of the thread's last
 * destructors still have a ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "interpose.h"
#include "rec_meta.h"
#include "trace_rec.h"
#include "trace_summary.h"
#include "text_fast.h"
#include "trace_text.h"

enum { RING_FREE, RING_CLAIMING, RING_LIVE, RING_ENDING };

#define NRINGS	    4096
#define OUT_BYTES   PIPE_BUF /* one write(2): atomic on a pipe too */
#define TEXT_BYTES  512	     /* an ARGS/RETVAL payload is cut here */
#define EV_MIN	    4096
#define EV_DEFAULT  65536 /* 1 MiB */
#define EV_MAX	    (1u << 26)
#define PAYLOAD_MAX (TEXT_BYTES / 16)

static struct pfe_ring rings[NRINGS];
static unsigned nrings; /* rings[0, nrings) were ever claimed */

/* pfe_my_ring: lib/base/thread.h */
bool pfe_ring_record;
bool pfe_ring_graph_time;

static bool started, graph, drop, final_, summary;
/* Graph text filters (pfe_ring_set_filters), read by consumers per event. */
static uint64_t min_dur;
static unsigned show_depth;

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
static int out_fd = -1;
static uint64_t nev = EV_DEFAULT;
static uint64_t clock_base, clock_hz; /* base: cntvct_el0 at start, modulo 2^48 */
static pthread_key_t end_key;
static pthread_mutex_t meta_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t events_total, lost_total; /* relaxed atomics */
static uint32_t wake_word;
/* A fatal signal is being handled: only async-signal-safe work from now on
 * (no new object listed, no lock waited for). */
static int in_fatal;
static int writer_running; /* not in a fork child */

static uint32_t my_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* ns = ticks * ns_mult >> 32: one multiply per event instead of a 128-bit
 * division, exact to a nanosecond per 4 s at any frequency up to 4 GHz. */
static uint64_t ns_mult;

uint64_t pfe_ring_ns(uint64_t ticks)
{
	return ns_mult ? (uint64_t)((unsigned __int128)ticks * ns_mult >> 32) : ticks;
}

static uint64_t now_rel(void)
{
	return (pfe_ring_clock() - clock_base) & PFE_REC_TIME_MASK;
}

/* ------------------------------------------------------------ claiming */

static size_t ring_map_len(void)
{
	return nev * sizeof(struct pfe_rec) + OUT_BYTES + PFE_TEXT_LINE_MAX + TEXT_BYTES;
}

static void set_room(struct pfe_ring *g)
{
	__atomic_store_n(&g->room, __atomic_load_n(&final_, __ATOMIC_ACQUIRE) ? 0 : g->mask + 1,
			 __ATOMIC_RELAXED);
}

static struct pfe_ring *ring_claim(void)
{
	for (unsigned i = 0; i < NRINGS; i++) {
		struct pfe_ring *g = &rings[i];
		int st = RING_FREE;
		unsigned n;

		if (__atomic_load_n(&g->state, __ATOMIC_RELAXED) != RING_FREE ||
		    !__atomic_compare_exchange_n(&g->state, &st, RING_CLAIMING, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		if (!g->ev) {
			void *p = mmap(NULL, ring_map_len(), PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (p == MAP_FAILED) {
				__atomic_store_n(&g->state, RING_FREE, __ATOMIC_RELEASE);
				pfe_err_once("PFE_TRACE: no memory for a thread's trace buffer "
					     "(PFE_BUFFER=%llu events); its calls are not traced",
					     (unsigned long long)nev);
				return NULL;
			}
			g->ev = p;
			g->mask = nev - 1;
			g->out = (char *)p + nev * sizeof(struct pfe_rec);
			g->fd = -1;
		}
		/* A freed ring is empty (head == tail); its indices carry on. */
		g->seen = g->tail;
		g->lost = 0;
		g->tid = my_tid();
		g->last = 0;
		g->failed = false;
		if (g->levels)
			memset(g->levels, 0, 4096 * sizeof(uint64_t));
		set_room(g);
		n = __atomic_load_n(&nrings, __ATOMIC_RELAXED);
		while (n <= i && !__atomic_compare_exchange_n(&nrings, &n, i + 1, false,
							      __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
		/* Pairs with the consumers' acquire load of state. */
		__atomic_store_n(&g->state, RING_LIVE, __ATOMIC_RELEASE);
		/* Our key is one of the first (constructor): setting it is a
		 * store into the thread's descriptor, safe in a handler. */
		pthread_setspecific(end_key, g);
		return g;
	}
	pfe_err_once("PFE_TRACE: more than %u threads at once; the calls of the others are "
		     "not traced",
		     NRINGS);
	return NULL;
}

static void report_lost(struct pfe_ring *g);

/* pthread key destructor: the thread ends; the writer frees the ring. */
static void ring_end(void *arg)
{
	struct pfe_ring *g = arg;

	/* Events dropped last are reported before the ring goes. */
	if (g->lost) {
		int guard = pfe_guard_enter();

		report_lost(g);
		pfe_guard_leave(guard);
	}
	__atomic_store_n(&g->state, RING_ENDING, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------- consuming */

static bool ring_lock(struct pfe_ring *g, uint32_t me)
{
	int free_ = 0;

	return __atomic_compare_exchange_n(&g->busy, &free_, (int)me, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

static void ring_unlock(struct pfe_ring *g)
{
	__atomic_store_n(&g->busy, 0, __ATOMIC_RELEASE);
}

static void out_flush(struct pfe_ring *g)
{
	int fd = pfe_ring_record ? g->fd : out_fd;

	if (g->nout && fd >= 0 && !g->failed)
		pfe_output_write(fd, g->out, g->nout);
	g->nout = 0;
}

static void out_add(struct pfe_ring *g, const void *p, size_t n)
{
	if (g->nout + n > OUT_BYTES)
		out_flush(g);
	memcpy(g->out + g->nout, p, n);
	g->nout += (uint32_t)n;
}

/* PFE_RECORD: the thread's file, opened on its first events. */
static bool rec_file(struct pfe_ring *g)
{
	if (g->fd >= 0 || g->failed)
		return !g->failed;
	if (__atomic_load_n(&in_fatal, __ATOMIC_RELAXED) ? pthread_mutex_trylock(&meta_lock)
							 : pthread_mutex_lock(&meta_lock))
		return false;
	g->fd = pfe_rec_meta_thread_fd(g->tid);
	pthread_mutex_unlock(&meta_lock);
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
	out_flush(g);
	/* Pairs with the owner's acquire load of tail. */
	__atomic_store_n(&g->tail, t, __ATOMIC_RELEASE);
}

/*
 * A line is formatted in place, where it belongs in the output, and moved
 * only when it does not fit the OUT_BYTES written at once (issue 25). The
 * buffer has PFE_TEXT_LINE_MAX bytes after those, and the payload after
 * that (consume).
 */
static inline __attribute__((always_inline)) void write_line(struct pfe_ring *g,
							     struct pfe_text_cache *c,
							     const struct pfe_text_ev *x)
{
	char *at = g->out + g->nout;
	size_t len = pfe_text_fast(c, at, x);

	if (!len)
		len = pfe_text_format(at, PFE_TEXT_LINE_MAX, x);

	if (g->nout + len > OUT_BYTES) {
		out_flush(g);
		memmove(g->out, at, len);
	}
	g->nout += (uint32_t)len;
}

/*
 * Graph text through the filters. A call shorter than min_dur is not
 * written, but every caller of a call that is written is, before it: its
 * entry waits in g->pend until its call ends (long enough: written) or a
 * callee is written (then it is long enough too). Entries whose level is
 * show_depth or more are not written at all.
 */
static void filter_line(struct pfe_ring *g, const struct pfe_text_ev *x, uint64_t limit,
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
		write_line(g, pfe_text_batch(g->tid), x);
		return;
	}
	if (!g->pend) {
		void *m = mmap(NULL, PEND_LEVELS * sizeof(struct pfe_pend), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED) {
			write_line(g, pfe_text_batch(g->tid), x);
			return;
		}
		g->pend = m;
	}
	if (lvl >= PEND_LEVELS) {
		write_line(g, pfe_text_batch(g->tid), x);
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
			write_line(g, pfe_text_batch(g->tid), &y);
			a->written = true;
		}
		write_line(g, pfe_text_batch(g->tid), x);
	}
	p->open = false;
}

/* The ring's events [tail, head) to the output. The caller holds busy and
 * an RCU read-side section. */
static void consume(struct pfe_ring *g)
{
	uint64_t h = __atomic_load_n(&g->head, __ATOMIC_ACQUIRE), t = g->tail;
	char *text = g->out + OUT_BYTES + PFE_TEXT_LINE_MAX;
	uint64_t n = 0, lost = 0;
	/* Read once a batch: the loop calls out, so the compiler would load
	 * them again for every event (issue 25: the writer's cost per line).
	 * Filters changed meanwhile apply from the next batch. */
	const uint64_t base = clock_base, mask = g->mask, mult = ns_mult;
	const struct pfe_rec *ev = g->ev;
	const bool record = pfe_ring_record, sum = summary, gr = graph, tm = pfe_ring_graph_time;
	struct pfe_text_cache *tc = record || sum ? NULL : pfe_text_batch(g->tid);
	const uint64_t limit = __atomic_load_n(&min_dur, __ATOMIC_RELAXED);
	const unsigned depth = __atomic_load_n(&show_depth, __ATOMIC_RELAXED);

	if (record && t != h)
		rec_file(g);
	while (t != h) {
		struct pfe_rec e = ev[t & mask];
		unsigned type = pfe_rec_type(&e), units = pfe_rec_units(&e);
		uint64_t rel = ((e.w0 >> 16) - base) & PFE_REC_TIME_MASK;
		uint64_t full = pfe_rec_unwrap(g->last, rel);
		struct pfe_text_ev x = {.r = e, .tid = g->tid, .graph = gr, .time = tm};

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
			out_add(g, b, 16);
			for (unsigned i = 0; i < units; i++)
				out_add(g, &ev[(t + 1 + i) & mask], 16);
			t += 1 + units;
			if (!(n % 256))
				give_back(g, t);
			continue;
		}
		t += 1 + units;
		if (sum) {
			/* Each exit adds to its function's row (trace_summary.c);
			 * nothing else is written. */
			if (type == PFE_REC_EXIT || type == PFE_REC_EXIT_UNWOUND)
				pfe_summary_add(&g->levels, pfe_rec_site(&e), pfe_rec_depth(&e),
						pfe_ring_dur_unpack(e.w1));
			if (!(n % 64))
				give_back(g, t);
			continue;
		}
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
		x.ns = mult ? (uint64_t)((unsigned __int128)full * mult >> 32) : full; /* pfe_ring_ns */
		if (gr && (limit || depth)) {
			filter_line(g, &x, limit, depth);
		} else {
			write_line(g, tc, &x);
		}
		if (!(n % 64))
			give_back(g, t);
	}
	out_flush(g);
	__atomic_fetch_add(&events_total, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&lost_total, lost, __ATOMIC_RELAXED);
	/* Pairs with the owner's acquire load of tail: the slots are read
	 * before they are handed back. */
	__atomic_store_n(&g->tail, t, __ATOMIC_RELEASE);
}

/* New objects (dlopen) are in the objects file before events name them. */
static void sync_objects(bool wait)
{
	/* Listing objects reads their files and allocates. */
	if (!pfe_ring_record || __atomic_load_n(&in_fatal, __ATOMIC_RELAXED))
		return;
	if (wait ? pthread_mutex_lock(&meta_lock) : pthread_mutex_trylock(&meta_lock))
		return;
	pfe_rec_meta_sync_objects(now_rel());
	pthread_mutex_unlock(&meta_lock);
}

static bool pending(struct pfe_ring *g)
{
	int st = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE);

	return (st == RING_LIVE || st == RING_ENDING) &&
	       __atomic_load_n(&g->head, __ATOMIC_ACQUIRE) != g->tail;
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

/* One pass over every ring; returns whether it wrote anything. @wait:
 * also rings another consumer holds now (flushes), except one held by the
 * calling thread itself (a signal in the middle of its own flush). */
/*
 * Times are 48 bits (tracer/record.h): a thread idle for 2^47 ticks (39 hours
 * at 1 GHz) would have its next event read as earlier than its last. So the
 * writer moves an idle ring's time on, and in a recording writes it as a
 * TIME event, long before. A little in the past (2^40 ticks, 18 minutes at
 * 1 GHz): an event whose owner read the clock just before being preempted
 * may still be on its way.
 */
#define TIME_MARGIN (UINT64_C(1) << 40)
static uint64_t full_base;

static void keep_time(struct pfe_ring *g, uint32_t me)
{
	uint64_t now = pfe_ring_clock() - full_base;
	int st = __atomic_load_n(&g->state, __ATOMIC_ACQUIRE);
	struct pfe_rec r;
	char b[16];

	if ((st != RING_LIVE && st != RING_ENDING) || now < TIME_MARGIN ||
	    now - TIME_MARGIN - g->last < (UINT64_C(1) << 46) || pending(g) || !ring_lock(g, me))
		return;
	if (!pending(g) && now - TIME_MARGIN > g->last) {
		g->last = now - TIME_MARGIN;
		if (pfe_ring_record && g->fd >= 0) {
			r = pfe_rec_plain(PFE_REC_TIME, g->last, g->last);
			pfe_rec_store(b, r);
			out_add(g, b, 16);
			out_flush(g);
		}
	}
	ring_unlock(g);
}

static bool consume_all(bool wait, bool writer)
{
	unsigned n = __atomic_load_n(&nrings, __ATOMIC_ACQUIRE);
	uint32_t me = my_tid();
	bool did = false;

	sync_objects(wait);
	for (unsigned i = 0; i < n; i++) {
		struct pfe_ring *g = &rings[i];

		for (int tries = 0; pending(g); tries++) {
			if (ring_lock(g, me)) {
				rcu_read_lock();
				consume(g);
				rcu_read_unlock();
				ring_unlock(g);
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

/* ------------------------------------------------------------- writer */

static void writer_wake(void)
{
	if (!__atomic_load_n(&writer_running, __ATOMIC_RELAXED))
		return;
	__atomic_fetch_add(&wake_word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Polls: 1 ms while there is work, backing off to 64 ms when idle, and
 * woken early when a ring fills. A 1 MiB ring holds 65,536 events, more
 * than a thread stores in 1 ms even natively.
 */
/*
 * main called pthread_exit and every thread of the program has ended since:
 * glibc would now end the process with exit(0) from the last thread, but
 * the writer is a thread too and keeps the process alive. So it does what
 * glibc would have done; atexit handlers and ring_fini then run here.
 */
static bool program_ended(void)
{
	return pfe_park_thread_ended(getpid()) && !pfe_park_other_threads();
}

static void *writer_main(void *arg)
{
	unsigned idle = 1;

	pfe_in_hook = PFE_GUARD_OWN; /* never traced, never hooked */
	pfe_text_fast_own();
	pfe_park_exempt((pid_t)my_tid());
	prctl(PR_SET_NAME, "pfe-writer", 0, 0, 0);
	for (;;) {
		uint32_t w = __atomic_load_n(&wake_word, __ATOMIC_ACQUIRE);
		struct timespec ts;

		if (consume_all(false, true))
			idle = 1;
		else if (idle < 64)
			idle *= 2;
		else if (program_ended())
			exit(0);
		ts = (struct timespec){0, (long)idle * 1000000};
		syscall(SYS_futex, &wake_word, FUTEX_WAIT_PRIVATE, w, &ts, NULL, 0);
	}
	return NULL;
}

static int writer_start(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	int r;

	/* The program's signals go to the program's threads. The writer runs
	 * none of the program's code: park.c need not stop it (exempt). */
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&th, &attr, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r) {
		pfe_err_once("PFE_TRACE: cannot start the writer thread: %s; traced threads "
			     "write their own events when their buffer fills",
			     strerror(r));
		return -r;
	}
	__atomic_store_n(&writer_running, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ------------------------------------------------------------ putting */

/* The owner writes its own full ring out: the writer is behind. */
static void self_drain(struct pfe_ring *g)
{
	if (!ring_lock(g, g->tid)) {
		sched_yield();
		return;
	}
	rcu_read_lock();
	consume(g);
	rcu_read_unlock();
	ring_unlock(g);
}

static void put_events(struct pfe_ring *g, const struct pfe_rec *v, unsigned n)
{
	uint64_t h = g->head;

	for (unsigned i = 0; i < n; i++)
		g->ev[(h + i) & g->mask] = v[i];
	__atomic_store_n(&g->head, h + n, __ATOMIC_RELEASE);
}

/* PFE_BUFFER=...,drop: the LOST event for what @g dropped, as soon as
 * there is room for it (the owner makes room if it must). */
static void report_lost(struct pfe_ring *g)
{
	struct pfe_rec l = pfe_rec_plain(PFE_REC_LOST, pfe_ring_clock(), g->lost);

	while (g->head - __atomic_load_n(&g->tail, __ATOMIC_ACQUIRE) > g->mask)
		self_drain(g);
	put_events(g, &l, 1);
	g->lost = 0;
}

void pfe_ring_put_one(uint64_t w0, uint64_t w1)
{
	struct pfe_rec r = {w0, w1};

	pfe_ring_put_slow(&r, 1);
}

void pfe_ring_put_slow(const struct pfe_rec *v, unsigned n)
{
	struct pfe_ring *g = pfe_my_ring;
	bool final;

	if (!started)
		return;
	if (!g) {
		g = ring_claim();
		if (!g)
			return;
		pfe_my_ring = g;
	}
	for (unsigned spins = 0;; spins++) {
		uint64_t need = n + (g->lost ? 1 : 0);

		g->seen = __atomic_load_n(&g->tail, __ATOMIC_ACQUIRE);
		if (g->head - g->seen + need <= g->mask + 1)
			break;
		if (!spins)
			writer_wake();
		if (drop) {
			g->lost += n;
			g->room = 0; /* the next event reports the loss */
			return;
		}
		self_drain(g);
	}
	if (g->lost) {
		struct pfe_rec l = pfe_rec_plain(PFE_REC_LOST, v[0].w0 >> 16, g->lost);

		put_events(g, &l, 1);
		g->lost = 0;
	}
	put_events(g, v, n);
	set_room(g);
	final = __atomic_load_n(&final_, __ATOMIC_ACQUIRE);
	if (final) {
		/* After the last flush: written now or never. */
		while (pending(g) && !ring_lock(g, g->tid))
			sched_yield();
		if (__atomic_load_n(&g->busy, __ATOMIC_RELAXED) == (int)g->tid) {
			rcu_read_lock();
			consume(g);
			rcu_read_unlock();
			ring_unlock(g);
		}
	} else if (g->head - g->seen > (g->mask + 1) / 2) {
		writer_wake();
	}
}

void pfe_ring_put_text(struct pfe_rec r, unsigned type, const char *text, size_t len)
{
	struct pfe_rec v[2 + PAYLOAD_MAX];
	unsigned units;

	if (len > TEXT_BYTES)
		len = TEXT_BYTES;
	units = (unsigned)((len + 15) / 16);
	v[0] = r;
	v[1] = (struct pfe_rec){type | (uint64_t)units << 4 | (r.w0 & ~UINT64_C(0xffff)), len};
	memset(&v[2], 0, 16u * units);
	memcpy(&v[2], text, len);
	pfe_ring_put_slow(v, 2 + units);
}

/* ------------------------------------------------------------- flushes */

void pfe_ring_drain(bool final)
{
	int g;

	if (!started || !pfe_follow_owns_trace())
		return;
	g = pfe_guard_enter();
	if (final) {
		unsigned n = __atomic_load_n(&nrings, __ATOMIC_ACQUIRE);

		__atomic_store_n(&final_, true, __ATOMIC_RELEASE);
		/* Every owner takes its slow path from now on (set_room). */
		for (unsigned i = 0; i < n; i++)
			__atomic_store_n(&rings[i].room, 0, __ATOMIC_RELAXED);
	}
	consume_all(true, false);
	pfe_guard_leave(g);
}

void pfe_ring_before_unload(const struct pfe_object *obj)
{
	if (!started)
		return;
	pfe_ring_drain(false);
	pfe_text_fast_forget();
	if (pfe_ring_record && obj->tab.nsites) {
		pthread_mutex_lock(&meta_lock);
		pfe_rec_meta_unload(obj->first_id, now_rel());
		pthread_mutex_unlock(&meta_lock);
	}
}

static void write_end(bool wait)
{
	if (!pfe_ring_record)
		return;
	if (wait ? pthread_mutex_lock(&meta_lock) : pthread_mutex_trylock(&meta_lock))
		return;
	pfe_rec_meta_end(now_rel(), __atomic_load_n(&events_total, __ATOMIC_RELAXED),
			 __atomic_load_n(&lost_total, __ATOMIC_RELAXED));
	pthread_mutex_unlock(&meta_lock);
}

void pfe_ring_note_start(void)
{
	if (!full_base)
		full_base = pfe_ring_clock();
}

int pfe_ring_set_mode(bool graph_mode, bool time, bool summary_mode)
{
	if (pfe_ring_record)
		return -ENOTSUP;
	if (summary_mode && !summary && !pfe_summary_start())
		return -ENOMEM;
	graph = graph_mode;
	pfe_ring_graph_time = time;
	summary = summary_mode;
	return 0;
}

void pfe_ring_set_filters(uint64_t min_ns, unsigned depth)
{
	__atomic_store_n(&min_dur, min_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&show_depth, depth, __ATOMIC_RELAXED);
}

int pfe_ring_summary_now(void)
{
	if (!summary)
		return -ENOENT;
	pfe_ring_drain(false);
	pfe_summary_write(out_fd);
	return 0;
}

bool pfe_ring_started(void)
{
	return __atomic_load_n(&started, __ATOMIC_ACQUIRE);
}

/* The end of this image's trace: the recording's end line, or the
 * summary's table. Under the guard: the table allocates. */
static void image_end(void)
{
	int g = pfe_guard_enter();

	write_end(true);
	if (summary)
		pfe_summary_write(out_fd);
	pfe_guard_leave(g);
}

void pfe_ring_image_end(void)
{
	if (started && pfe_follow_owns_trace())
		image_end();
}

static void at_exit(void)
{
	pfe_ring_drain(false);
}

/* After every atexit handler (exit.c closes the exiting thread's frames in
 * one): the last events, then the recording's end line. */
__attribute__((destructor)) static void ring_fini(void)
{
	if (!started || !pfe_follow_owns_trace())
		return;
	pfe_ring_drain(true);
	image_end();
}

/*
 * Fatal signals the program leaves at their default action: write the
 * trace out, then let the signal do what it would have done. SA_RESETHAND
 * restores the default before the handler runs, so a fault re-raised by
 * returning, or the raise() below, ends the process as it would have.
 */
static const int fatal_sigs[] = {SIGSEGV, SIGBUS, SIGILL,  SIGFPE, SIGABRT, SIGTERM,
				 SIGINT,  SIGHUP, SIGQUIT, SIGSYS, SIGTRAP, SIGXCPU};

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
	int e = errno;

	__atomic_store_n(&in_fatal, 1, __ATOMIC_RELAXED);
	pfe_ring_drain(true);
	write_end(false);
	errno = e;
	/* A fault comes back when the instruction is retried; a sent signal
	 * must be sent again. */
	if (si->si_code <= 0 ||
	    !(sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP))
		raise(sig);
}

static void catch_fatal(void)
{
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		struct sigaction sa = {0}, old;

		if (sigaction(fatal_sigs[i], NULL, &old) || (old.sa_flags & SA_SIGINFO) ||
		    old.sa_handler != SIG_DFL)
			continue;
		sa.sa_sigaction = on_fatal;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER | SA_ONSTACK;
		sigfillset(&sa.sa_mask);
		sigaction(fatal_sigs[i], &sa, NULL);
	}
}

/* ---------------------------------------------------------------- fork */

static void atfork_prepare(void)
{
	pfe_ring_drain(false);
	pthread_mutex_lock(&meta_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&meta_lock);
}

/* One thread survives; every ring's unwritten events are the parent's to
 * write, and the writer thread is gone. */
static void atfork_child(void)
{
	pthread_mutex_init(&meta_lock, NULL);
	for (unsigned i = 0; i < NRINGS; i++) {
		struct pfe_ring *g = &rings[i];

		if (!g->ev)
			continue; /* never claimed: fd is not -1 yet */
		g->tail = g->head;
		g->seen = g->head;
		g->busy = 0;
		g->nout = 0;
		if (g->fd >= 0)
			pfe_fd_close(g->fd);
		g->fd = -1;
		if (g != pfe_my_ring)
			g->state = RING_FREE;
	}
	if (pfe_my_ring)
		pfe_my_ring->tid = my_tid();
	__atomic_store_n(&events_total, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lost_total, 0, __ATOMIC_RELAXED);
	if (pfe_ring_record && pfe_rec_meta_restart() < 0)
		pfe_ring_record = false, started = false;
	/*
	 * No writer thread in the child: its threads write their own rings
	 * when full, and every flush (exec, exit) writes the rest. Most
	 * children exec soon, and need no thread for that; and qemu-user 7.2
	 * aborts a forked child of a multi-threaded process that creates a
	 * thread (a vCPU index reused: "qemu_plugin_vcpu_init_hook: assertion
	 * failed"), which the writer would make of every traced program.
	 */
	writer_running = 0;
}

/* --------------------------------------------------------------- start */

/* PFE_BUFFER=<size>[,drop]: bytes per thread, a power of two events. */
static int parse_buffer(void)
{
	const char *v = pfe_env("PFE_BUFFER");
	char size[64];
	const char *comma;
	uint64_t bytes;

	if (!v || !*v)
		return 0;
	comma = strchr(v, ',');
	if ((comma && strcmp(comma, ",drop")) ||
	    (comma ? (size_t)(comma - v) : strlen(v)) >= sizeof(size)) {
		pfe_err("PFE_BUFFER='%s': expected <size>[,drop], e.g. 4M or 256K,drop", v);
		return -EINVAL;
	}
	memcpy(size, v, comma ? (size_t)(comma - v) : strlen(v) + 1);
	size[comma ? comma - v : (ptrdiff_t)strlen(v)] = '\0';
	if (pfe_parse_size(size, &bytes) || bytes / 16 < EV_MIN || bytes / 16 > EV_MAX) {
		pfe_err("PFE_BUFFER='%s': expected a size from 64K to 1G per thread", v);
		return -EINVAL;
	}
	for (nev = EV_MIN; nev * 2 <= bytes / 16;)
		nev *= 2;
	drop = comma != NULL;
	return 0;
}

int pfe_ring_start(int fd, const char *record_dir, bool graph_mode, bool summary_mode)
{
	int r;

	if (started)
		return 0;
	parse_buffer();
	min_dur = pfe_env_duration("PFE_MIN_DURATION", 0);
	graph = graph_mode;
	out_fd = fd;
	if (summary_mode && !record_dir) {
		if (!pfe_summary_start())
			return -ENOMEM;
		summary = true;
	}
#if defined(__aarch64__)
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(clock_hz));
#endif
	if (clock_hz)
		ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / clock_hz);
	if (!full_base)
		full_base = pfe_ring_clock();
	clock_base = full_base & PFE_REC_TIME_MASK;
	if (record_dir) {
		r = pfe_rec_meta_start(record_dir, clock_hz, full_base, graph_mode, drop);
		if (r < 0)
			return r;
		pfe_ring_record = true;
	}
	if (pthread_key_create(&end_key, ring_end))
		return -EAGAIN;
	__atomic_store_n(&started, true, __ATOMIC_RELEASE);
	pfe_atfork(atfork_prepare, atfork_parent, atfork_child);
	pfe_atexit(at_exit);
	catch_fatal();
	writer_start();
	return 0;
}
