/* SPDX-License-Identifier: MIT */
/*
 * Parking (lib/core/park.c): every other thread stops in the handler and stays
 * there until released; their contexts are offered to the caller; a thread
 * that blocks the signal makes parking fail with every thread released; a
 * single-threaded process parks nothing and installs nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "park.h"
#include <stdbool.h>

#include "core.h"

#define NTHREADS 3

static volatile unsigned long counters[NTHREADS];
static volatile int stop;

static void *spin(void *arg)
{
	long i = (long)arg;

	while (!stop)
		counters[i]++;
	return NULL;
}

static void *spin_blocked(void *arg)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, pfe_park_signal());
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	return spin(arg);
}

static void snapshot(unsigned long *v)
{
	for (int i = 0; i < NTHREADS; i++)
		v[i] = counters[i];
}

/* True once every thread counted past @a; released threads may need a while
 * to be scheduled on a loaded machine, so wait up to 10 s rather than a
 * fixed slice. */
static bool all_advanced(const unsigned long *a, int n)
{
	for (int ms = 0; ms < 10000; ms++) {
		int moved = 0;

		for (int i = 0; i < n; i++)
			moved += counters[i] > a[i];
		if (moved == n)
			return true;
		usleep(1000);
	}
	return false;
}

static void count_ctx(ucontext_t *uc, void *ctx)
{
	(*(int *)ctx)++;
}

static void test_single_thread(void **state)
{
	struct sigaction sa;

	assert_int_equal(pfe_park_others(), 0);
	pfe_park_release();
	/* The handler is installed before the scan so that no thread can get
	 * the signal with its default action (which kills). */
	assert_int_equal(sigaction(pfe_park_signal(), NULL, &sa), 0);
	assert_true(sa.sa_flags & SA_SIGINFO);
}

static void test_park_and_release(void **state)
{
	pthread_t t[NTHREADS];
	unsigned long a[NTHREADS], b[NTHREADS];

	stop = 0;
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, spin, (void *)i);
	/* Every thread has run. */
	for (int i = 0; i < NTHREADS; i++)
		while (!counters[i])
			usleep(100);
	for (int round = 0; round < 5; round++) {
		int n = 0;

		assert_int_equal(pfe_park_others(), 0);
		snapshot(a);
		usleep(20000);
		snapshot(b);
		pfe_park_each(count_ctx, &n);
		assert_int_equal(n, NTHREADS);
		pfe_park_release();
		assert_memory_equal(a, b, sizeof(a));
		assert_true(all_advanced(a, NTHREADS));
	}
	stop = 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
}

static void test_blocked_thread_fails(void **state)
{
	pthread_t t[2];
	unsigned long a[NTHREADS];

	memset((void *)counters, 0, sizeof(counters));
	stop = 0;
	pthread_create(&t[0], NULL, spin, (void *)0);
	pthread_create(&t[1], NULL, spin_blocked, (void *)1);
	while (!counters[0] || !counters[1])
		usleep(100);
	assert_int_equal(pfe_park_others(), -ETIMEDOUT);
	/* Everything was released: both threads run. */
	snapshot(a);
	assert_true(all_advanced(a, 2));
	stop = 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	/* The blocked thread's pending signal is ignored once it is gone. */
	assert_int_equal(pfe_park_others(), 0);
	pfe_park_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_thread),
	    cmocka_unit_test(test_park_and_release),
	    cmocka_unit_test(test_blocked_thread_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
