/* SPDX-License-Identifier: MIT */
/*
 * The demo program: an executable and libdemo.so, two threads, a few
 * functions calling each other across the two objects. Built with
 * -fpatchable-function-entry=2 and nothing else special; libpfe is preloaded.
 */
#include <pthread.h>
#include <stdio.h>

#include "demo.h"

__attribute__((noinline)) static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static int checksum(int a, int b)
{
	return a * 31 + b;
}

static void *worker(void *arg)
{
	int *out = arg;

	out[0] = fib(4);
	out[1] = sum_squares(2);
	return NULL;
}

int main(void)
{
	pthread_t t;
	int res[2], mine;

	if (pthread_create(&t, NULL, worker, res))
		return 1;
	mine = sum_squares(3);
	pthread_join(t, NULL);
	printf("main:   sum_squares(3) = %d\n", mine);
	printf("worker: fib(4) = %d, sum_squares(2) = %d\n", res[0], res[1]);
	printf("checksum = %d\n", checksum(res[0] + res[1], mine));
	return 0;
}
