/* SPDX-License-Identifier: MIT */
/*
 * What the tracer's writer thread costs per line: N traced calls of a
 * one-line function, then a wait for the writer to have written them.
 *
 *   writer N TIMEOUT_MS
 *
 * The calls run between bench_mark_begin and bench_mark_end (segment 1),
 * the wait in segment 2: bench/writer.sh counts every instruction of the
 * process outside the segments (the writer thread, and whatever the
 * program's exit still formats), the same with two N, and divides the
 * difference by the lines it makes. The wait ends when the trace file
 * ($PFE_OUTPUT) holds the line of bench_writer_done, called after the loop,
 * or after TIMEOUT_MS (summary mode writes nothing before the exit).
 *
 * Output: "markers <begin> <end>" (run-time addresses, for count.awk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((noipa)) int tiny(int x)
{
	return x + 1;
}

__attribute__((noipa)) void bench_writer_done(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noipa)) void bench_mark_begin(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noipa)) void bench_mark_end(void)
{
	__asm__ volatile("" ::: "memory");
}

static int written(const char *path)
{
	static char buf[1 << 16];
	FILE *f = path ? fopen(path, "r") : NULL;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, "bench_writer_done") != NULL;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, timeout = argc > 2 ? atol(argv[2]) : 0, s = 0;
	const char *out = getenv("PFE_OUTPUT");
	struct timespec ms = {0, 1000000};

	printf("markers %p %p\n", (void *)bench_mark_begin, (void *)bench_mark_end);
	fflush(stdout);
	bench_mark_begin();
	for (long i = 0; i < n; i++)
		s += tiny((int)i);
	bench_writer_done();
	bench_mark_end();
	bench_mark_begin();
	for (long t = 0; t < timeout && !written(out); t += 10) {
		ms.tv_nsec = 10000000;
		nanosleep(&ms, NULL);
	}
	bench_mark_end();
	return s == -1;
}
