/* SPDX-License-Identifier: MIT */
/*
 * The traced thread's side of its ring (ring_internal.h): claiming a slot
 * on its first event, putting events when the inline fast path of
 * trace_rec.h cannot, and writing its own ring out when it is full and the
 * writer is behind. Async-signal-safe: runs in hooks.
 */
#include <sched.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "ring_internal.h"

/* ------------------------------------------------------------ claiming */

static size_t ring_map_len(void)
{
	return pfe_rings.nev * sizeof(struct pfe_rec) + pfe_ring_out_cap() + PFE_TEXT_LINE_MAX +
	       TEXT_BYTES;
}

static void set_room(struct pfe_ring *g)
{
	__atomic_store_n(&g->room,
			 __atomic_load_n(&pfe_rings.final, __ATOMIC_ACQUIRE) ? 0 : g->mask + 1,
			 __ATOMIC_RELAXED);
}

static struct pfe_ring *ring_claim(void)
{
	for (unsigned i = 0; i < NRINGS; i++) {
		struct pfe_ring *g = &pfe_ring_slots[i];
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
					     (unsigned long long)pfe_rings.nev);
				return NULL;
			}
			g->ev = p;
			g->mask = pfe_rings.nev - 1;
			g->out = (char *)p + pfe_rings.nev * sizeof(struct pfe_rec);
			g->fd = -1;
		}
		/* A freed ring is empty (head == tail); its indices carry on. */
		g->seen = g->tail;
		g->lost = 0;
		g->tid = pfe_ring_tid();
		g->last = 0;
		g->failed = false;
		g->nopen = 0;
		g->ended = false;
		g->inherited = false;
		if (g->levels)
			memset(g->levels, 0, 4096 * sizeof(uint64_t));
		set_room(g);
		n = __atomic_load_n(&pfe_rings.nrings, __ATOMIC_RELAXED);
		while (n <= i && !__atomic_compare_exchange_n(&pfe_rings.nrings, &n, i + 1, false,
							      __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
		/* Pairs with the consumers' acquire load of state. */
		__atomic_store_n(&g->state, RING_LIVE, __ATOMIC_RELEASE);
		/* Our key is one of the first (constructor): setting it is a
		 * store into the thread's descriptor, safe in a handler. */
		pthread_setspecific(pfe_rings.end_key, g);
		return g;
	}
	pfe_err_once("PFE_TRACE: more than %u threads at once; the calls of the others are "
		     "not traced",
		     NRINGS);
	return NULL;
}

static void report_lost(struct pfe_ring *g);

/* pthread key destructor: the thread ends; the writer frees the ring. */
char pfe_ring_main_mark;

void pfe_ring_end(void *arg)
{
	struct pfe_ring *g = arg;

	/* Only pthread_exit runs destructors: for the main thread, the
	 * writer then checks whether the program is over (ring_writer.c). */
	if ((pid_t)syscall(SYS_gettid) == getpid())
		__atomic_store_n(&pfe_rings.main_ended, 1, __ATOMIC_RELEASE);
	if (arg == &pfe_ring_main_mark)
		return;

	/* Events dropped last are reported before the ring goes. */
	if (g->lost) {
		int guard = pfe_guard_enter();

		report_lost(g);
		pfe_guard_leave(guard);
	}
	__atomic_store_n(&g->state, RING_ENDING, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ putting */

/* The owner writes its own full ring out: the writer is behind. */
static void self_drain(struct pfe_ring *g)
{
	if (!pfe_ring_lock(g, g->tid)) {
		sched_yield();
		return;
	}
	__atomic_fetch_add(&pfe_rings.self_drains, 1, __ATOMIC_RELAXED);
	rcu_read_lock();
	pfe_ring_consume(g);
	rcu_read_unlock();
	pfe_ring_unlock(g);
}

/*
 * A full ring while the writer runs: wake it and wait until it has made
 * room (pfe_ring_wait_room), rather than take the ring (issue 25). The
 * writer formats from its caches (text_fast.h); an owner that took over
 * formatted with the general formatter, several times slower, while the
 * writer, finding the ring busy, backed off to 64 ms polls and let it do
 * the next batches too: zstd's graph text ran in 1.0 s or in 3 s depending
 * on which way the first full ring went. Bounded, so that the program
 * never waits on libpfe for long: when the writer frees nothing for 20 ms
 * (stopped, or waiting itself) the owner writes its ring out as before.
 * Not after the last flush, nor while this thread holds the ring (a
 * handler interrupted its own drain), nor in a fork child, whose writer
 * is not running. Returns true when there is room for @need events.
 */
static bool wait_for_writer(struct pfe_ring *g, uint64_t need)
{
	uint64_t t = __atomic_load_n(&g->tail, __ATOMIC_ACQUIRE), want = pfe_ring_wait_room(g);
	unsigned still = 0;
	bool room = false;

	if (!__atomic_load_n(&pfe_rings.writer_running, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&pfe_rings.final, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&pfe_rings.in_fatal, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&g->busy, __ATOMIC_RELAXED) == (int)g->tid)
		return false;
	if (want < need)
		want = need;
	__atomic_store_n(&g->waiting, 1, __ATOMIC_RELAXED);
	/* Pairs with the fence in pfe_ring_tail_publish(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (;;) {
		struct timespec ts = {0, 1000000};
		uint64_t now = __atomic_load_n(&g->tail, __ATOMIC_ACQUIRE);

		if (g->head - now + want <= g->mask + 1) {
			room = true;
			break;
		}
		if (now != t)
			still = 0;
		else if (++still > 20)
			break;
		t = now;
		pfe_ring_writer_wake();
		syscall(SYS_futex, pfe_ring_tail_word(g), FUTEX_WAIT_PRIVATE, (uint32_t)now, &ts,
			NULL, 0);
	}
	__atomic_store_n(&g->waiting, 0, __ATOMIC_RELAXED);
	return room;
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

	if (!pfe_rings.started)
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
			pfe_ring_writer_wake();
		if (pfe_rings.drop) {
			g->lost += n;
			g->room = 0; /* the next event reports the loss */
			return;
		}
		if (!spins && wait_for_writer(g, need))
			continue;
		self_drain(g);
	}
	if (g->lost) {
		struct pfe_rec l = pfe_rec_plain(PFE_REC_LOST, v[0].w0 >> 16, g->lost);

		put_events(g, &l, 1);
		g->lost = 0;
	}
	put_events(g, v, n);
	set_room(g);
	final = __atomic_load_n(&pfe_rings.final, __ATOMIC_ACQUIRE);
	if (final) {
		/* After the last flush: written now or never. */
		while (pfe_ring_pending(g) && !pfe_ring_lock(g, g->tid))
			sched_yield();
		if (__atomic_load_n(&g->busy, __ATOMIC_RELAXED) == (int)g->tid) {
			rcu_read_lock();
			pfe_ring_consume(g);
			rcu_read_unlock();
			pfe_ring_unlock(g);
		}
	} else if (g->head - g->seen > (g->mask + 1) / 2) {
		pfe_ring_writer_wake();
	}
}

void pfe_ring_put_text(struct pfe_rec r, unsigned type, const char *text, size_t len)
{
	struct pfe_rec v[2 + PAYLOAD_MAX];
	unsigned units;

	if (len > TEXT_BYTES)
		len = TEXT_BYTES;
	units = (unsigned)((len + 15) / 16);
	/* Before the event is published (head's release): a consumer that
	 * sees the event sees this too, and looks for payloads from then on. */
	if (!__atomic_load_n(&pfe_rings.payloads, __ATOMIC_RELAXED))
		__atomic_store_n(&pfe_rings.payloads, true, __ATOMIC_RELAXED);
	v[0] = r;
	v[1] = (struct pfe_rec){type | (uint64_t)units << 4 | (r.w0 & ~UINT64_C(0xffff)), len};
	memset(&v[2], 0, 16u * units);
	memcpy(&v[2], text, len);
	pfe_ring_put_slow(v, 2 + units);
}
