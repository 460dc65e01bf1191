/* SPDX-License-Identifier: MIT */
/*
 * The tracer's per-thread rings (tracer/trace_rec.c): every event stored by
 * every thread reaches the output exactly once and in each thread's order,
 * whether the writer thread takes it, the owner writes its full ring
 * itself, a flush or the final drain takes it; a fork child writes only its
 * own. A full ring's owner waits for the writer while it makes progress. Events name no site (id
 * PFE_REC_SITE_MAX: "?") and carry a sequence number as their return address, so each line reads
 *   <tid> <s.us> ? <- 0x<thread number><sequence>
 * The tests run in order and share one output file; rings hold 4,096
 * events (PFE_BUFFER=64K), so the larger runs wrap them many times.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace_rec.h"
#include "hooks.h"
#include "interpose.h"
#include "core.h"
#include "ring_internal.h"

static char path[] = "/tmp/pfe-trace-rec-XXXXXX";
static int fd = -1;

#define NTHREADS 6
#define PER	 20000

/* Thread k's i-th event: return address k << 32 | i. */
static void put(unsigned k, unsigned i)
{
	pfe_ring_put(pfe_rec_entry(pfe_ring_clock(), PFE_REC_SITE_MAX, (uint64_t)k << 32 | i));
}

/* Lines of thread number @k, checked to be 0.. in order; returns how many. */
static unsigned count_in_order(unsigned k, unsigned from)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned next = from, bad = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long tid;
		double t;
		unsigned long long ra;

		assert_int_equal(sscanf(line, "%lu %lf ? <- 0x%llx", &tid, &t, &ra), 3);
		if (ra >> 32 != k)
			continue;
		if ((ra & 0xffffffffu) != next)
			bad++;
		next = (unsigned)(ra & 0xffffffffu) + 1;
	}
	fclose(f);
	assert_int_equal(bad, 0);
	return next - from;
}

static void test_start(void **state)
{
	fd = mkstemp(path);
	assert_true(fd >= 0);
	setenv("PFE_BUFFER", "64K", 1);
	/* What libpfe's constructor does: this process writes its trace, and
	 * a fork child its own (follow.c, fork.c). */
	pfe_owner_forked();
	pfe_fork_init();
	assert_false(pfe_ring_started());
	assert_int_equal(pfe_ring_start(fd, NULL, false, false), 0);
	assert_true(pfe_ring_started());
	/* A second start changes nothing. */
	assert_int_equal(pfe_ring_start(-1, "/nonexistent", true, false), 0);
	assert_false(pfe_ring_record);
}

static void test_flush(void **state)
{
	pfe_in_hook = 1; /* as in a hook: the rings' callers hold the guard */
	for (unsigned i = 0; i < 10; i++)
		put(1, i);
	pfe_in_hook = 0;
	pfe_ring_drain(false);
	assert_int_equal(count_in_order(1, 0), 10);
}

static void *producer(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;

	pfe_in_hook = 1;
	for (unsigned i = 0; i < PER; i++)
		put(k, i);
	pfe_in_hook = 0;
	return NULL;
}

/* Rings wrap ~5 times each: the writer and the owners' own writes share
 * them, nothing is lost or repeated, each thread stays in order. */
static void test_crowd(void **state)
{
	pthread_t th[NTHREADS];

	for (unsigned k = 0; k < NTHREADS; k++)
		assert_int_equal(
		    pthread_create(&th[k], NULL, producer, (void *)(uintptr_t)(10 + k)), 0);
	for (unsigned k = 0; k < NTHREADS; k++)
		pthread_join(th[k], NULL);
	pfe_ring_drain(false);
	for (unsigned k = 0; k < NTHREADS; k++)
		assert_int_equal(count_in_order(10 + k, 0), PER);
}

/* A full ring's owner waits for the writer rather than write its ring out
 * itself (ring_put.c): one producer wraps its ring five times, and every
 * batch is the writer's. Without the wait the owner took its ring at
 * nearly every wrap. */
static void test_wait_writer(void **state)
{
	uint64_t before = __atomic_load_n(&pfe_rings.self_drains, __ATOMIC_RELAXED);
	pthread_t th;

	assert_true(pfe_rings.writer_running);
	assert_int_equal(pthread_create(&th, NULL, producer, (void *)(uintptr_t)16), 0);
	pthread_join(th, NULL);
	pfe_ring_drain(false);
	assert_int_equal(count_in_order(16, 0), PER);
	assert_int_equal(__atomic_load_n(&pfe_rings.self_drains, __ATOMIC_RELAXED) - before, 0);
}

/* Threads that ended give their rings back; later threads reuse them, and
 * their events are theirs (the tid column), not the old owners'. */
static void test_reuse(void **state)
{
	for (unsigned round = 0; round < 3; round++) {
		pthread_t th;

		assert_int_equal(
		    pthread_create(&th, NULL, producer, (void *)(uintptr_t)(20 + round)), 0);
		pthread_join(th, NULL);
		usleep(300 * 1000); /* the writer's idle passes retire the ring */
	}
	pfe_ring_drain(false);
	for (unsigned round = 0; round < 3; round++)
		assert_int_equal(count_in_order(20 + round, 0), PER);
}

/* The child writes its own events, and not the parent's it inherited. */
static void test_fork(void **state)
{
	pid_t pid;
	int status;

	pfe_in_hook = 1;
	for (unsigned i = 0; i < 5; i++)
		put(30, i);
	pfe_in_hook = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pfe_in_hook = 1;
		for (unsigned i = 0; i < 7; i++)
			put(31, i);
		pfe_in_hook = 0;
		exit(0); /* ring_fini writes them */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pfe_ring_drain(false);
	assert_int_equal(count_in_order(30, 0), 5);
	assert_int_equal(count_in_order(31, 0), 7);
}

/* After the final drain an event is written as it is stored. */
static void test_final(void **state)
{
	pfe_ring_drain(true);
	pfe_in_hook = 1;
	put(40, 0);
	pfe_in_hook = 0;
	assert_int_equal(count_in_order(40, 0), 1);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start), cmocka_unit_test(test_flush),
	    cmocka_unit_test(test_crowd), cmocka_unit_test(test_wait_writer),
	    cmocka_unit_test(test_reuse), cmocka_unit_test(test_fork),
	    cmocka_unit_test(test_final),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
