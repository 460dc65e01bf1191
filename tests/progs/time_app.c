/* SPDX-License-Identifier: MIT */
/*
 * For tests/integ/t_trace_time.sh: calls whose spacing is known. nap()
 * sleeps 10 ms, mark() returns at once; main prints how long its loop took
 * by its own clock, so the trace's times can be checked against reality.
 */
#include <stdio.h>
#include <time.h>

__attribute__((noinline)) void nap(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	while (nanosleep(&ts, &ts))
		;
}

__attribute__((noinline)) void mark(int i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
}

int main(void)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 3; i++) {
		nap(10);
		mark(i);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed_us %ld\n",
	       (long)((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000));
	return 0;
}
