/* SPDX-License-Identifier: MIT */
/*
 * After uftrace's s-thread-exec (tests/integ/t_exec_thread.sh): main starts
 * a thread that execs this program again with an argument, the new image
 * prints it and returns from main. Built with -fpatchable-function-entry=2.
 *
 *   thread_exec_app         main waits for the thread in wait_for
 *                           (pthread_join), blocked in a traced call
 *   thread_exec_app busy    main calls leaf() over and over meanwhile
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *self;

__attribute__((noinline)) void leaf(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void do_exec(void)
{
	execl(self, self, "again", (char *)NULL);
	perror("execl");
}

__attribute__((noinline)) void *thread_main(void *arg)
{
	do_exec();
	return arg;
}

__attribute__((noinline)) void wait_for(pthread_t t)
{
	pthread_join(t, NULL);
}

int main(int argc, char *argv[])
{
	pthread_t t;

	if (argc > 1 && !strcmp(argv[1], "again")) {
		printf("%s\n", argv[1]);
		return 0;
	}
	self = argv[0];
	if (pthread_create(&t, NULL, thread_main, NULL))
		return 1;
	if (argc > 1) /* busy: until the exec ends this image */
		for (;;)
			leaf();
	wait_for(t);
	return 1;
}
