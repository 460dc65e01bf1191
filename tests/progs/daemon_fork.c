/* SPDX-License-Identifier: MIT */
/*
 * uftrace's s-daemon (tests/integ/t_rec_daemon.sh): daemon_fork [N [MS]].
 * The parent calls parent_fn() and exits with status 3 at once; the child
 * waits until it is an orphan, starts a session of its own, puts /dev/null
 * on 0, 1 and 2 and closes every other descriptor (close_range), changes to
 * /, sleeps MS milliseconds (default 200), then calls leaf() N times
 * (default 10) and exits: it records after the program has ended.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noipa)) int leaf(int i)
{
	sink = i;
	return i + 1;
}

__attribute__((noipa)) void parent_fn(void)
{
	sink = -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, ms = argc > 2 ? atoi(argv[2]) : 200;
	pid_t parent = getpid(), pid = fork();
	int null;

	if (pid < 0)
		return 1;
	if (pid) {
		parent_fn();
		return 3;
	}
	while (getppid() == parent)
		usleep(1000);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		return 1;
	close_range(3, ~0U, 0);
	if (chdir("/"))
		return 1;
	usleep(ms * 1000);
	for (int i = 0; i < n; i++)
		leaf(i);
	return 0;
}
