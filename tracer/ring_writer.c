/* SPDX-License-Identifier: MIT */
/*
 * The writer thread (ring_internal.h): consumes every ring in the
 * background, keeps idle rings' time from wrapping, frees the rings of
 * threads that ended, and ends a process whose main called pthread_exit.
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "hooks.h"
#include "park.h"
#include "ring_internal.h"
#include "text_fast.h"

/* ------------------------------------------------------------- writer */

void pfe_ring_writer_wake(void)
{
	if (!__atomic_load_n(&pfe_rings.writer_running, __ATOMIC_RELAXED))
		return;
	__atomic_fetch_add(&pfe_rings.wake_word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &pfe_rings.wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

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

/* Set once the writer is exempt from parking (pfe_ring_writer_start). */
static int writer_exempt;

/*
 * Polls every PFE_FLUSH (1 ms) while there is work, backing off to 64 ms
 * (or PFE_FLUSH when longer) when idle, and woken early when a ring fills. A 1 MiB ring holds
 * 65,536 events, more than a thread stores in 1 ms even natively. A longer
 * PFE_FLUSH writes larger batches (fewer wake-ups and write(2) calls per
 * line) at the price of fresher lines; bench/writer.sh sets one longer than
 * its calls take, so that it counts exactly one batch. An idle poll costs only the
 * scan of the rings: whether the program ended (files in /proc) is asked
 * after the main thread's pthread_exit, and otherwise every 64th idle poll
 * (about 4 s) in case its destructor was not seen (the tracer started in
 * another thread).
 */
static void *writer_main(void *arg)
{
	unsigned idle = 1, polls = 0;
	uint64_t period = pfe_env_duration("PFE_FLUSH", 1000000);

	if (period < 100000) /* a busy loop helps nobody */
		period = 100000;
	if (period > 60000000000ull)
		period = 60000000000ull;

	pfe_in_hook = PFE_GUARD_OWN; /* never traced, never hooked */
	pfe_text_fast_own();
	pfe_park_exempt((pid_t)pfe_ring_tid());
	__atomic_store_n(&writer_exempt, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &writer_exempt, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	prctl(PR_SET_NAME, "pfe-writer", 0, 0, 0);
	for (;;) {
		uint32_t w = __atomic_load_n(&pfe_rings.wake_word, __ATOMIC_ACQUIRE);
		struct timespec ts;
		uint64_t wait_ns;

		if (pfe_ring_consume_all(false, true))
			idle = 1;
		else if (idle < 64)
			idle *= 2;
		else if ((__atomic_load_n(&pfe_rings.main_ended, __ATOMIC_ACQUIRE) ||
			  ++polls % 64 == 0) &&
			 program_ended())
			exit(0);
		wait_ns = idle == 1 || idle * UINT64_C(1000000) < period ? period
									 : idle * UINT64_C(1000000);
		ts =
		    (struct timespec){(time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000)};
		syscall(SYS_futex, &pfe_rings.wake_word, FUTEX_WAIT_PRIVATE, w, &ts, NULL, 0);
	}
	return NULL;
}

int pfe_ring_writer_start(void)
{
	sigset_t all;
	pthread_attr_t attr;
	pthread_t th;
	int r;

	/*
	 * The program's signals go to the program's threads. The writer runs
	 * none of the program's code: park.c need not stop it (exempt).
	 * It gets its mask from its attribute, not from the calling thread's
	 * mask blocked around pthread_create: that would leave the program's
	 * thread deaf to SIGTERM and SIGINT for as long as pthread_create
	 * runs, and one that never returns (qemu-aarch64 -L pairing an older
	 * ld.so with a newer libc.so.6: its stack cache walk loops) would
	 * make a program that any signal ends without libpfe one that only
	 * SIGKILL ends (tests/integ/t_rec_stuck_create.sh).
	 */
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_attr_setsigmask_np(&attr, &all);
	if (!r)
		r = pthread_create(&th, &attr, writer_main, NULL);
	pthread_attr_destroy(&attr);
	if (r) {
		pfe_err_once("PFE_TRACE: cannot start the writer thread: %s; traced threads "
			     "write their own events when their buffer fills",
			     strerror(r));
		return -r;
	}
	/*
	 * The writer blocks every signal, so it could not park: until it
	 * has said it is exempt, a dlopen (which parks the other threads)
	 * would wait for it in vain and leave the new object unpatched
	 * (tests/integ/t_rec_dlopen.sh: dlopen is main's first call). Bounded:
	 * a writer that never runs must not hang the constructor.
	 */
	for (int i = 0; i < 100 && !__atomic_load_n(&writer_exempt, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		syscall(SYS_futex, &writer_exempt, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	}
	__atomic_store_n(&pfe_rings.writer_running, 1, __ATOMIC_RELEASE);
	return 0;
}
