/* SPDX-License-Identifier: MIT */
/*
 * Runtime control of the tracer (tests/integ/t_live_control.sh): the program
 * writes commands into the FIFO named by PFE_CONTROL itself, waits until
 * PFE_CONTROL_LOG says each was executed, and calls f1, f2, f3 in every
 * phase. The trace must hold exactly the calls of the phases that traced
 * them. A second thread keeps calling g while the patterns change.
 *
 * "live_ctl modes": one pattern through every mode and filter instead:
 * flat, graph, graph with times, depth 1, min-duration 1s (nothing is that
 * long), summary (the table at once), flat again, then a signature in flat
 * and graph mode, and a malformed one.
 *
 * "live_ctl clobber": first overwrites every string of its environment, as
 * setproctitle() does (redis), then "trace f1", "trace off".
 * "live_ctl off": "trace f1", "trace off", then the mode switches: tracing
 * must stay off.
 * "live_ctl busy": a thread calls the traced g() without pause while
 * "depth 2", "min-duration 1us" and their "off" are sent; each answer's
 * time in ms is printed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"

#define NOINL __attribute__((noinline, noclone))

static volatile long sink;

NOINL void f1(void)
{
	sink += 1;
}
NOINL void f2(void)
{
	sink += 2;
}
NOINL void f3(void)
{
	sink += 3;
}
NOINL void g(void)
{
	sink += 4;
}

static volatile int stop;

static void *spin(void *arg)
{
	while (!stop)
		g();
	return NULL;
}

NOINL void calls(void)
{
	f1();
	f2();
	f3();
	sink++; /* no tail call: f3's caller is calls */
}

static void modes(const char *fifo, const char *log)
{
	static const char *const steps[] = {
	    "trace calls,f1,f2,f3",
	    "graph on",
	    "graph time",
	    "depth 1",
	    "depth off",
	    "min-duration 1s",
	    "min-duration off",
	    "summary on",
	    "summary",
	    "summary off",
	    "graph off",
	    "graph sideways",
	    "trace f1(),f2",
	    "graph on",
	    "trace f1(,f2",
	    "trace off",
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		command(fifo, log, steps[i]);
		calls();
	}
}

extern char **environ;

/* What setproctitle() does: environ moves to copies, and the original
 * strings are overwritten by the new title. */
static void clobber_environ(void)
{
	size_t n = 0;
	char **copy;

	while (environ[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++) {
		copy[i] = strdup(environ[i]);
		memset(environ[i], 'x', strlen(environ[i]));
	}
	environ = copy;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *spin_g(void *arg)
{
	while (!stop)
		g();
	return NULL;
}

int main(int argc, char **argv)
{
	const char *fifo = getenv("PFE_CONTROL"), *log = getenv("PFE_CONTROL_LOG");
	pthread_t t;

	if (!fifo || !log) {
		printf("set PFE_CONTROL and PFE_CONTROL_LOG\n");
		return 1;
	}
	fifo = strdup(fifo);
	log = strdup(log);
	if (argc > 1 && !strcmp(argv[1], "clobber")) {
		clobber_environ();
		command(fifo, log, "trace f1");
		calls();
		command(fifo, log, "trace off");
		printf("done\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "off")) {
		static const char *const steps[] = {"trace f1",	  "trace off", "graph on",
						    "graph time", "graph off", "summary on",
						    "summary off"};

		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			command(fifo, log, steps[i]);
			calls();
		}
		printf("done\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "busy")) {
		static const char *const steps[] = {"depth 2", "min-duration 1us", "depth off",
						    "min-duration off"};

		command(fifo, log, "graph on");
		command(fifo, log, "trace g,f1");
		pthread_create(&t, NULL, spin_g, NULL);
		usleep(200000);
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			double t0 = now_ms();

			command(fifo, log, steps[i]);
			printf("%s %.0f\n", steps[i], now_ms() - t0);
		}
		stop = 1;
		pthread_join(t, NULL);
		command(fifo, log, "trace off");
		printf("done\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "modes")) {
		modes(fifo, log);
		printf("done\n");
		return 0;
	}
	pthread_create(&t, NULL, spin, NULL);
	calls(); /* not traced */
	command(fifo, log, "trace f1,f2");
	calls();
	command(fifo, log, "trace f3,f1");
	calls();
	command(fifo, log, "trace f,,"); /* refused: f3,f1 stay */
	calls();
	command(fifo, log, "trace off");
	calls();
	command(fifo, log, "trace off"); /* nothing to stop */
	command(fifo, log, "bogus");
	command(fifo, log, "trace f2");
	calls();
	command(fifo, log, "list");
	command(fifo, log, "trace nosuch"); /* kept for objects loaded later */
	calls();			    /* nothing traced */
	stop = 1;
	pthread_join(t, NULL);
	command(fifo, log, "trace off");
	calls();
	printf("done\n");
	return 0;
}
