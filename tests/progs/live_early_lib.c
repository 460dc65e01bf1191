/* SPDX-License-Identifier: MIT */
/*
 * A library whose constructor starts a thread that calls early_fn()
 * continuously: initialised before libpfe (tests/progs/live_early.c links
 * it; libpfe is preloaded), so libpfe's constructor must write slot 0 of
 * early_fn while that thread runs it. The thread obeys early_cmd().
 */
#include <pthread.h>
#include <sched.h>

#define NOINL __attribute__((noinline, noclone))

static volatile long sink;
static volatile int mode; /* 0 spin, 1 pause, 2 count n calls, 3 exit */
static volatile int paused;
static volatile long made, want;
static pthread_t thr;

NOINL void early_fn(long x)
{
	sink += x;
}

static void *run(void *arg)
{
	for (;;) {
		switch (mode) {
		case 0:
			early_fn(1);
			made++;
			break;
		case 1:
			paused = 1;
			sched_yield();
			break;
		case 2:
			paused = 0;
			for (long i = 0; i < want; i++)
				early_fn(i);
			mode = 1;
			break;
		default:
			return NULL;
		}
	}
}

__attribute__((constructor)) static void start(void)
{
	pthread_create(&thr, NULL, run, NULL);
	/* Return only once the thread is busy in early_fn. */
	while (made < 1000)
		sched_yield();
}

long early_made(void)
{
	return made;
}

void early_pause(void)
{
	mode = 1;
	while (!paused)
		sched_yield();
}

/* n calls, then paused again. */
void early_calls(long n)
{
	want = n;
	paused = 0;
	mode = 2;
	while (mode != 1 || !paused)
		sched_yield();
}

void early_stop(void)
{
	mode = 3;
	pthread_join(thr, NULL);
}
