/* SPDX-License-Identifier: MIT */
/*
 * A pthread_create that never returns (tests/integ/t_rec_stuck_create.sh),
 * as glibc's does under `qemu-aarch64 -L` when ld.so and libc.so.6 come from
 * different builds (its stack cache walk loops). The program defines
 * pthread_create (linked with -rdynamic), so the first call, libpfe's start
 * of its writer thread from its constructor, comes here.
 *
 *   STUCK_CREATE=1 stuck_create_app
 *       The first call writes "pthread_create: SIGTERM blocked <0|1>" (in
 *       the calling thread) on stderr, then waits forever, as the C library
 *       would: only a signal ends the program.
 *   stuck_create_app [N]
 *       Calls go to the C library's pthread_create. main calls leaf() N
 *       times (default 3), then prints "caller <0|1> thread <0|1>": whether
 *       SIGTERM was blocked in the first call's calling thread, and in the
 *       thread it started when that began to run.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static volatile long sink;
static int calls, caller_blocked;
static int thread_blocked = -1; /* -1 until the first thread runs */
static void *(*first_fn)(void *);

__attribute__((noinline)) void leaf(long i)
{
	sink += i;
}

static int term_blocked(void)
{
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGTERM);
}

static void *first_start(void *arg)
{
	__atomic_store_n(&thread_blocked, term_blocked(), __ATOMIC_RELEASE);
	return first_fn(arg);
}

int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static create_fn *real;
	const char *stuck = getenv("STUCK_CREATE");

	if (calls++) {
		if (!real)
			real = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
		return real(th, attr, fn, arg);
	}
	caller_blocked = term_blocked();
	if (stuck && !strcmp(stuck, "1")) {
		char line[64];
		int n = snprintf(line, sizeof(line), "pthread_create: SIGTERM blocked %d\n",
				 caller_blocked);

		if (write(2, line, (size_t)n) != n)
			_exit(2);
		for (;;)
			pause();
	}
	real = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
	first_fn = fn;
	return real(th, attr, first_start, arg);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3;

	for (long i = 0; i < n; i++)
		leaf(i);
	/* Started by libpfe's constructor, which waits (up to 1 s) until its
	 * writer runs: set already, or very soon. */
	for (int i = 0; i < 1000 && __atomic_load_n(&thread_blocked, __ATOMIC_ACQUIRE) < 0; i++)
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	printf("caller %d thread %d\n", caller_blocked, thread_blocked);
	return 0;
}
