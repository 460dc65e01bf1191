/* SPDX-License-Identifier: MIT */
/*
 * The fork tests' program (tests/integ/t_fork.sh): main calls parent_work()
 * once, forks, and the child calls leaf() N times (second argument, default
 * 10000) from child_work(), then ends the way the first argument says:
 *   _exit, _Exit, exit   that call, with status 0
 *   return               child_work returns to main, which returns 0
 * The parent waits for the child, says "child <pid> status <s>" on stdout,
 * and calls parent_work() again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noipa)) int leaf(int i)
{
	sink = i;
	return i + 1;
}

__attribute__((noipa)) int child_work(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += leaf(i);
	return s;
}

__attribute__((noipa)) int parent_work(int n)
{
	return leaf(n) + leaf(n + 1);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "_exit";
	int n = argc > 2 ? atoi(argv[2]) : 10000;
	int status;
	pid_t pid;

	parent_work(1);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		sink = child_work(n);
		if (!strcmp(how, "_exit"))
			_exit(0);
		if (!strcmp(how, "_Exit"))
			_Exit(0);
		if (!strcmp(how, "exit"))
			exit(0);
		return 0;
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child %d status %d\n", (int)pid, status);
	parent_work(2);
	return 0;
}
