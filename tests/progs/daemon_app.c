/* SPDX-License-Identifier: MIT */
/*
 * A daemon's start (tests/integ/t_trace_rec.sh): calls leaf() twice, closes
 * every descriptor from 3 to 1023 as daemons do, changes to /, then calls
 * leaf() N more times (first argument, default 52) and exits.
 */
#include <stdlib.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noipa)) int leaf(int i)
{
	sink = i;
	return i + 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 52;

	leaf(-1);
	leaf(-2);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (chdir("/"))
		return 1;
	for (int i = 0; i < n; i++)
		leaf(i);
	return 0;
}
