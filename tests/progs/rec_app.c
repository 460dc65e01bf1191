/* SPDX-License-Identifier: MIT */
/*
 * The tracer's rings under load and at the ends of a program
 * (tests/integ/t_trace_rec.sh):
 *   rec_app threads N    4 threads call leaf() N times each, then "done"
 *   rec_app segv         3 calls of leaf(), then a write through NULL
 *   rec_app abort        3 calls of leaf(), then abort()
 *   rec_app term         3 calls of leaf(), then SIGTERM to itself
 *   rec_app exit N       a thread calls exit(5) while main is in nested
 *                        calls; each thread made N calls of leaf() before
 *   rec_app slow         slow() sleeps 300 ms among 3 calls of leaf(); 3
 *                        more calls of leaf() outside it
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long sink;
static volatile int sink_done; /* never set: main waits for the exit */
static long n_calls;
static pthread_barrier_t bar;

__attribute__((noinline)) void leaf(long i)
{
	__atomic_fetch_add(&sink, i, __ATOMIC_RELAXED);
}

__attribute__((noinline)) void outer(long n)
{
	for (long i = 0; i < n; i++)
		leaf(i);
}

static void *worker(void *arg)
{
	outer(n_calls);
	return arg;
}

__attribute__((noinline)) void nested(int depth)
{
	if (depth) {
		nested(depth - 1);
		__atomic_fetch_add(&sink, 1, __ATOMIC_RELAXED); /* not a tail call */
	} else
		while (!sink_done)
			pause();
}

__attribute__((noinline)) void slow(void)
{
	leaf(1);
	usleep(300 * 1000);
	leaf(2);
	leaf(3);
}

static void *exiter(void *arg)
{
	outer(n_calls);
	pthread_barrier_wait(&bar);
	usleep(300 * 1000); /* main is in nested(0)'s pause() by then */
	exit(5);
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	pthread_t t[4];

	n_calls = argc > 2 ? atol(argv[2]) : 3;
	if (!strcmp(m, "threads")) {
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, worker, NULL);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		printf("done %ld\n", sink);
		return 0;
	}
	if (!strcmp(m, "slow")) {
		outer(3);
		slow();
		return 0;
	}
	if (!strcmp(m, "exit")) {
		pthread_barrier_init(&bar, NULL, 2);
		pthread_create(&t[0], NULL, exiter, NULL);
		outer(n_calls);
		pthread_barrier_wait(&bar);
		nested(3);
	}
	outer(3);
	fflush(stdout);
	if (!strcmp(m, "segv"))
		*(volatile int *)(uintptr_t)__atomic_load_n(&sink, __ATOMIC_RELAXED) =
		    1; /* sink is 3: not mapped */
	if (!strcmp(m, "abort"))
		abort();
	if (!strcmp(m, "term"))
		kill(getpid(), SIGTERM);
	return 1;
}
