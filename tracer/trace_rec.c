/* SPDX-License-Identifier: MIT */
/*
 * The rings through the process's life (trace_rec.h; how the rings work:
 * ring_internal.h): starting them, flushes, the end of an image and of the
 * process, fatal signals, fork, and the settings the control thread
 * changes at run time.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "interpose.h"
#include "rec_meta.h"
#include "ring_internal.h"
#include "text_fast.h"
#include "trace_summary.h"

static uint64_t clock_hz; /* the counter's frequency (arch.h) */

/* ------------------------------------------------------------- flushes */

void pfe_ring_drain(bool final)
{
	int g;

	if (!pfe_rings.started || !pfe_owner_of_trace())
		return;
	g = pfe_guard_enter();
	if (final) {
		unsigned n = __atomic_load_n(&pfe_rings.nrings, __ATOMIC_ACQUIRE);

		__atomic_store_n(&pfe_rings.final, true, __ATOMIC_RELEASE);
		/* Every owner takes its slow path from now on (set_room). */
		for (unsigned i = 0; i < n; i++)
			__atomic_store_n(&pfe_ring_slots[i].room, 0, __ATOMIC_RELAXED);
	}
	pfe_ring_consume_all(true, false);
	pfe_guard_leave(g);
}

/*
 * A recording names @obj's sites now, in the loading thread, rather than at
 * the writer's next sync: by then a dlclose may have taken the object off
 * both lists that sync walks, and its events would name nothing.
 */
void pfe_ring_after_load(const struct pfe_object *obj)
{
	if (!pfe_ring_started() || !pfe_ring_record)
		return;
	pthread_mutex_lock(&pfe_rings.meta_lock);
	pfe_rec_meta_sync_objects(pfe_ring_now());
	pthread_mutex_unlock(&pfe_rings.meta_lock);
}

void pfe_ring_before_unload(const struct pfe_object *obj)
{
	if (!pfe_rings.started)
		return;
	pfe_ring_drain(false);
	pfe_text_fast_forget();
	if (pfe_rings.summary)
		pfe_summary_before_unload(obj);
	if (pfe_ring_record && (obj->tab.nsites || pfe_dyn_count(obj))) {
		pthread_mutex_lock(&pfe_rings.meta_lock);
		pfe_rec_meta_unload(obj, pfe_ring_now());
		pthread_mutex_unlock(&pfe_rings.meta_lock);
	}
}

static void write_end(bool wait)
{
	if (!pfe_ring_record)
		return;
	if (wait ? pthread_mutex_lock(&pfe_rings.meta_lock)
		 : pthread_mutex_trylock(&pfe_rings.meta_lock))
		return;
	pfe_rec_meta_end(pfe_ring_now(), __atomic_load_n(&pfe_rings.events_total, __ATOMIC_RELAXED),
			 __atomic_load_n(&pfe_rings.lost_total, __ATOMIC_RELAXED));
	pthread_mutex_unlock(&pfe_rings.meta_lock);
}

void pfe_ring_note_start(void)
{
	if (!pfe_rings.full_base)
		pfe_rings.full_base = pfe_ring_clock();
}

int pfe_ring_set_mode(bool graph_mode, bool time, bool summary_mode)
{
	if (pfe_ring_record)
		return -ENOTSUP;
	if (summary_mode && !pfe_rings.summary && !pfe_summary_start())
		return -ENOMEM;
	pfe_rings.graph = graph_mode;
	pfe_ring_graph_time = time;
	pfe_rings.summary = summary_mode;
	return 0;
}

int pfe_ring_summary_now(void)
{
	if (!pfe_rings.summary)
		return -ENOENT;
	pfe_ring_drain(false);
	pfe_summary_write(pfe_rings.out_fd);
	return 0;
}

void pfe_ring_set_out_fd(int fd)
{
	pfe_rings.out_fd = fd;
}

bool pfe_ring_started(void)
{
	return __atomic_load_n(&pfe_rings.started, __ATOMIC_ACQUIRE);
}

/* The end of this image's trace: the recording's end line, or the
 * summary's table. Under the guard: the table allocates. */
static void image_end(void)
{
	int g = pfe_guard_enter();

	write_end(true);
	if (pfe_rings.summary)
		pfe_summary_write(pfe_rings.out_fd);
	pfe_guard_leave(g);
}

void pfe_ring_image_end(void)
{
	if (pfe_rings.started && pfe_owner_of_trace()) {
		/* exec or _exit: the calls open now never return in this image
		 * (if the exec fails, those threads' later lines are lost). */
		pfe_ring_open_close_all();
		image_end();
	}
}

/*
 * _exit or _Exit: as a fatal signal's handler does, since the caller may be
 * one: the events out (a recording's thread files without waiting for a
 * lock), every open call closed, the end line if its lock is free. The
 * summary's table, which allocates, is not written (README says so).
 */
void pfe_ring_quit(void)
{
	if (!pfe_rings.started || !pfe_owner_of_trace())
		return;
	__atomic_store_n(&pfe_rings.in_fatal, 1, __ATOMIC_RELAXED);
	pfe_ring_drain(true);
	pfe_ring_open_close_all();
	write_end(false);
}

static void at_exit(void)
{
	pfe_ring_drain(false);
}

/* After every atexit handler (exit.c closes the exiting thread's frames in
 * one): the last events, then the recording's end line. */
__attribute__((destructor)) static void ring_fini(void)
{
	if (!pfe_rings.started || !pfe_owner_of_trace())
		return;
	pfe_ring_drain(true);
	pfe_ring_open_close_all();
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

	__atomic_store_n(&pfe_rings.in_fatal, 1, __ATOMIC_RELAXED);
	pfe_ring_drain(true);
	pfe_ring_open_close_all();
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

/*
 * These handlers were registered after lib/interpose/fork.c's, so they run
 * before its prepare: the dlopen lock is taken here first, as a dlopen or
 * dlclose takes it before the meta lock (pfe_ring_after_load,
 * pfe_ring_before_unload); the other order would deadlock a fork against
 * a dlopen in another thread. Its child handler, which runs before ours,
 * makes the dlopen lock afresh.
 */
static void atfork_prepare(void)
{
	pfe_live_lock();
	pfe_ring_drain(false);
	pthread_mutex_lock(&pfe_rings.meta_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&pfe_rings.meta_lock);
	pfe_live_unlock();
}

/* One thread survives; every ring's unwritten events are the parent's to
 * write, and the writer thread is gone. */
static void atfork_child(void)
{
	pthread_mutex_init(&pfe_rings.meta_lock, NULL);
	for (unsigned i = 0; i < NRINGS; i++) {
		struct pfe_ring *g = &pfe_ring_slots[i];

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
	if (pfe_my_ring) {
		pfe_my_ring->tid = pfe_ring_tid();
		/* Its graph opens with the calls it goes on in (ring_open.c). */
		pfe_my_ring->inherited = pfe_my_ring->nopen != 0;
	}
	if (pfe_rings.summary)
		pfe_summary_forked();
	__atomic_store_n(&pfe_rings.events_total, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pfe_rings.lost_total, 0, __ATOMIC_RELAXED);
	if (pfe_ring_record && pfe_rec_meta_restart() < 0)
		pfe_ring_record = false, pfe_rings.started = false;
	/*
	 * No writer thread in the child: its threads write their own rings
	 * when full, and every flush (exec, exit) writes the rest. Most
	 * children exec soon, and need no thread for that; and qemu-user 7.2
	 * aborts a forked child of a multi-threaded process that creates a
	 * thread (a vCPU index reused: "qemu_plugin_vcpu_init_hook: assertion
	 * failed"), which the writer would make of every traced program.
	 */
	pfe_rings.writer_running = 0;
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
	for (pfe_rings.nev = EV_MIN; pfe_rings.nev * 2 <= bytes / 16;)
		pfe_rings.nev *= 2;
	pfe_rings.drop = comma != NULL;
	return 0;
}

int pfe_ring_start(int fd, const char *record_dir, bool graph_mode, bool summary_mode)
{
	int r;

	if (pfe_rings.started)
		return 0;
	parse_buffer();
	pfe_rings.filters[0].min_dur = pfe_env_duration("PFE_MIN_DURATION", 0);
	pfe_rings.graph = graph_mode;
	pfe_rings.out_fd = fd;
	if (summary_mode && !record_dir) {
		if (!pfe_summary_start())
			return -ENOMEM;
		pfe_rings.summary = true;
	}
	clock_hz = pfe_ring_clock_init();
	if (!pfe_rings.full_base)
		pfe_rings.full_base = pfe_ring_clock();
	pfe_rings.clock_base = pfe_rings.full_base & PFE_REC_TIME_MASK;
	if (record_dir) {
		r = pfe_rec_meta_start(record_dir, clock_hz, pfe_rings.full_base, graph_mode,
				       pfe_rings.drop);
		if (r < 0)
			return r;
		pfe_ring_record = true;
	}
	if (pthread_key_create(&pfe_rings.end_key, pfe_ring_end))
		return -EAGAIN;
	if ((pid_t)syscall(SYS_gettid) == getpid())
		pthread_setspecific(pfe_rings.end_key, &pfe_ring_main_mark);
	__atomic_store_n(&pfe_rings.started, true, __ATOMIC_RELEASE);
	pfe_atfork(atfork_prepare, atfork_parent, atfork_child);
	pfe_atexit(at_exit);
	catch_fatal();
	pfe_ring_writer_start();
	return 0;
}
