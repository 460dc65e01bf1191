/* SPDX-License-Identifier: MIT */
/*
 * Graph text across switches (tests/integ/t_switch_balance.sh): four threads
 * call nested functions without pause, outer() keeping its frame open while
 * it calls mid(), which calls leaf() and leaf2(), so that a switch nearly
 * always finds frames open in every thread. Meanwhile main sends 100 `trace`
 * commands through its own PFE_CONTROL FIFO, alternating pattern sets and
 * sending the same set again, mid() with a signature in some (a hook of
 * its own), with a mode switch (graph on|off|time, summary on|off) after
 * every tenth; it waits for each command's line in PFE_CONTROL_LOG. Prints
 * "done", or what went wrong.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"

#define NOINL	  __attribute__((noinline, noclone))
#define NTHREADS  4
#define NSWITCHES 100

static volatile long sink;
static volatile int stop;

NOINL void leaf(void)
{
	for (int i = 0; i < 6000; i++)
		sink++;
}

NOINL void leaf2(void)
{
	for (int i = 0; i < 6000; i++)
		sink--;
}

NOINL void mid(void)
{
	leaf();
	leaf2();
	sink++; /* no tail call */
}

NOINL void outer(void)
{
	for (int i = 0; i < 8; i++)
		mid();
}

static void *busy(void *arg)
{
	while (!stop)
		outer();
	return NULL;
}

int main(void)
{
	/* Sets that share functions, differ, and repeat back to back. */
	static const char *const sets[] = {
	    "trace outer,mid,leaf,leaf2",
	    "trace mid,leaf",
	    "trace mid,leaf",
	    "trace outer,leaf2",
	    "trace outer,mid(),leaf,leaf2",
	    "trace outer,mid(),leaf,leaf2",
	    "trace leaf,outer",
	};
	/* After every tenth set: through every mode and back. */
	static const char *const modes[] = {
	    "graph time", "summary on", "summary off", "graph off", "graph on",
	    "summary on", "graph off",	"summary off", "graph on",
	};
	const char *fifo = getenv("PFE_CONTROL"), *log = getenv("PFE_CONTROL_LOG");
	pthread_t t[NTHREADS];

	if (!fifo || !log) {
		printf("set PFE_CONTROL and PFE_CONTROL_LOG\n");
		return 1;
	}
	fifo = strdup(fifo);
	log = strdup(log);
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, busy, NULL);
	for (int i = 0; i < NSWITCHES; i++) {
		command(fifo, log, sets[i % (sizeof(sets) / sizeof(sets[0]))]);
		usleep(20000);
		if (i % 10 == 9 && i / 10 < (int)(sizeof(modes) / sizeof(modes[0]))) {
			command(fifo, log, modes[i / 10]);
			usleep(20000);
		}
	}
	stop = 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	command(fifo, log, "trace off");
	printf("done\n");
	return 0;
}
