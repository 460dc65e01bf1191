/* SPDX-License-Identifier: MIT */
/*
 * The tracer tests' program. The main thread and one worker call top() (which
 * calls mid() and leaf()) a fixed number of times, then finish in the way the
 * first argument says:
 *   return        both threads return; main returns 0
 *   exit-thread   the worker calls exit(3) while main waits in pthread_join
 *   blocked-exit  the worker blocks for good; main calls exit(0)
 *   pthread-exit  main calls pthread_exit; the worker returns last
 * Loop counts come from the arguments (default 2 and 3) so that the compiler
 * cannot unroll the loops: each call site stays single.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_funcs.h"

static const char *mode = "return";
static int main_loops = 2, worker_loops = 3;
static int gate[2], go[2];
static int worker_sum;

__attribute__((noipa)) static void *worker(void *arg)
{
	int s = 0;

	for (int i = 0; i < worker_loops; i++)
		s += top(i);
	worker_sum = s + other(s);
	if (!strcmp(mode, "exit-thread")) {
		char c;

		/* after main has printed, so that the output is deterministic */
		if (read(go[0], &c, 1) != 1)
			abort();
		printf("worker: %d, exit(3)\n", worker_sum);
		exit(3);
	}
	if (!strcmp(mode, "blocked-exit")) {
		if (write(gate[1], "d", 1) != 1)
			abort();
		/* never returns: the main thread exits the process */
		for (;;)
			pause();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int s = 0;

	if (argc > 1)
		mode = argv[1];
	if (argc > 2)
		main_loops = atoi(argv[2]);
	if (argc > 3)
		worker_loops = atoi(argv[3]);
	if (pipe(gate) || pipe(go))
		return 1;
	if (pthread_create(&t, NULL, worker, NULL))
		return 1;
	for (int i = 0; i < main_loops; i++)
		s += top(10 + i);
	printf("main: %d\n", s);
	fflush(stdout);
	if (write(go[1], "g", 1) != 1)
		return 1;
	if (!strcmp(mode, "blocked-exit")) {
		char c;

		if (read(gate[0], &c, 1) != 1)
			return 1;
		printf("worker: %d, blocked\n", worker_sum);
		exit(0);
	}
	if (!strcmp(mode, "pthread-exit"))
		pthread_exit(NULL);
	pthread_join(t, NULL);
	printf("worker: %d\n", worker_sum);
	return 0;
}
