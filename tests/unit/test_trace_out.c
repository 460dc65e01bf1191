/* SPDX-License-Identifier: MIT */
/*
 * The tracer's output buffers: lines stay in the thread's buffer until it is
 * full, the thread exits, the process forks or exits; the exit drain takes
 * the lines of threads that are still running; afterwards every line goes out
 * directly. The tests run in order and share one output file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../hooks/trace_out.h"

static char path[] = "/tmp/pfe-trace-out-XXXXXX";
static char want[1 << 16]; /* what the file must hold, in order */
static size_t nwant;

static void put(const char *fmt, ...)
{
	char line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pfe_trace_out_write(line, (size_t)n);
}

static void expect(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nwant += (size_t)vsnprintf(want + nwant, sizeof(want) - nwant, fmt, ap);
	va_end(ap);
}

static char *slurp(size_t *len)
{
	static char buf[1 << 17];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	close(fd);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void expect_file(void)
{
	size_t len;
	char *got = slurp(&len);

	want[nwant] = '\0';
	assert_string_equal(got, want);
}

static void test_start(void **state)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pfe_trace_out_start(path), 0);
	/* kept away from the descriptors the program will open */
	assert_true(pfe_trace_out_fd() >= 200);
	assert_true(fcntl(pfe_trace_out_fd(), F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(pfe_trace_out_fd(), F_GETFL) & O_APPEND);
	assert_int_equal(pfe_trace_out_start(path), -EALREADY);
	assert_int_equal(pfe_trace_out_tid(), (uint32_t)gettid());
}

/* The hook's way: format in place between begin and commit. */
static void put_in_place(const char *line)
{
	uint32_t tid = 0;
	char *buf = pfe_trace_out_begin(&tid);

	assert_int_equal(tid, (uint32_t)gettid());
	if (!buf) {
		pfe_trace_out_write(line, strlen(line));
		return;
	}
	memcpy(buf, line, strlen(line));
	pfe_trace_out_commit(strlen(line));
}

static void test_buffered(void **state)
{
	for (int i = 0; i < 8; i++)
		put("main %d\n", i);
	put_in_place("main 8\n");
	put("main 9\n");
	/* nothing written yet */
	expect_file();
}

static void *short_thread(void *arg)
{
	for (int i = 0; i < 5; i++)
		put("short %d\n", i);
	return NULL;
}

static void *exiting_thread(void *arg)
{
	put("pthread_exit 0\n");
	pthread_exit(NULL);
}

static void test_thread_exit(void **state)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, short_thread, NULL), 0);
	pthread_join(t, NULL);
	for (int i = 0; i < 5; i++)
		expect("short %d\n", i);
	expect_file();
	assert_int_equal(pthread_create(&t, NULL, exiting_thread, NULL), 0);
	pthread_join(t, NULL);
	expect("pthread_exit 0\n");
	expect_file();
}

/* A full buffer goes out in one write of whole lines, at most PIPE_BUF. */
static void *long_thread(void *arg)
{
	size_t *first = arg, len;

	for (int i = 0; i < 400; i++) {
		put("long line number %03d\n", i);
		slurp(&len);
		if (len != nwant && !*first)
			*first = len - nwant;
	}
	return NULL;
}

static void test_overflow(void **state)
{
	pthread_t t;
	size_t first = 0;

	assert_int_equal(pthread_create(&t, NULL, long_thread, &first), 0);
	pthread_join(t, NULL);
	for (int i = 0; i < 400; i++)
		expect("long line number %03d\n", i);
	expect_file();
	assert_int_equal(first, PIPE_BUF / 21 * 21);
}

/*
 * More threads at once than the pool has buffers (256): the rest write each
 * line directly. Every line arrives, and the buffers come back at thread
 * exit for the tests that follow.
 */
#define CROWD 300
static pthread_barrier_t crowd_in, crowd_out;

static void *crowd_thread(void *arg)
{
	put("crowd %03d a\n", (int)(intptr_t)arg);
	pthread_barrier_wait(&crowd_in);
	put("crowd %03d b\n", (int)(intptr_t)arg);
	pthread_barrier_wait(&crowd_out);
	return NULL;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_crowd(void **state)
{
	static pthread_t t[CROWD];
	static char *lines[2 * CROWD + 1];
	pthread_attr_t attr;
	size_t len, n = 0;
	char *got, *save = NULL;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_barrier_init(&crowd_in, NULL, CROWD + 1);
	pthread_barrier_init(&crowd_out, NULL, CROWD + 1);
	for (int i = 0; i < CROWD; i++)
		assert_int_equal(pthread_create(&t[i], &attr, crowd_thread, (void *)(intptr_t)i),
				 0);
	pthread_barrier_wait(&crowd_in);
	pthread_barrier_wait(&crowd_out);
	for (int i = 0; i < CROWD; i++)
		pthread_join(t[i], NULL);
	/* what came before, then 600 crowd lines in some order */
	got = slurp(&len);
	assert_true(len >= nwant);
	assert_memory_equal(got, want, nwant);
	for (char *l = strtok_r(got + nwant, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		assert_true(n < 2 * CROWD);
		lines[n++] = l;
	}
	assert_int_equal(n, 2 * CROWD);
	qsort(lines, n, sizeof(lines[0]), cmp_lines);
	for (int i = 0; i < CROWD; i++) {
		char a[32], b[32];

		snprintf(a, sizeof(a), "crowd %03d a", i);
		snprintf(b, sizeof(b), "crowd %03d b", i);
		assert_string_equal(lines[2 * i], a);
		assert_string_equal(lines[2 * i + 1], b);
	}
	/* the crowd's order is the scheduler's: what follows builds on the file */
	got = slurp(&len);
	memcpy(want, got, len);
	nwant = len;
}

static int gate[2], ready[2];
static pthread_t blocked;

static void *blocked_thread(void *arg)
{
	char c;

	for (int i = 0; i < 3; i++)
		put("blocked %d\n", i);
	assert_int_equal(write(ready[1], "r", 1), 1);
	/* wait until the main thread has drained, then write directly */
	assert_int_equal(read(gate[0], &c, 1), 1);
	put("blocked after drain\n");
	return NULL;
}

static void test_fork(void **state)
{
	pid_t pid;
	int status;

	char c;

	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pthread_create(&blocked, NULL, blocked_thread, NULL), 0);
	assert_int_equal(read(ready[0], &c, 1), 1);
	/* the blocked thread's lines are buffered, the main thread's too */
	expect_file();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* only the forking thread's lines were written before fork;
		 * the child exits through exit(), whose drain writes its own
		 * line and none of the parent threads' lines */
		put("child\n");
		exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < 10; i++)
		expect("main %d\n", i);
	expect("child\n");
	expect_file();
}

static void test_drain(void **state)
{
	put("main before drain\n");
	pfe_trace_out_drain();
	expect("main before drain\n");
	for (int i = 0; i < 3; i++)
		expect("blocked %d\n", i);
	expect_file();
	/* after the drain: direct, in order, from every thread */
	put("main after drain\n");
	expect("main after drain\n");
	expect_file();
	{
		uint32_t tid;

		assert_null(pfe_trace_out_begin(&tid));
	}
	put_in_place("in place after drain\n");
	expect("in place after drain\n");
	expect_file();
	assert_int_equal(write(gate[1], "x", 1), 1);
	pthread_join(blocked, NULL);
	expect("blocked after drain\n");
	expect_file();
	/* a second drain changes nothing */
	pfe_trace_out_drain();
	expect_file();
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start),	cmocka_unit_test(test_buffered),
	    cmocka_unit_test(test_thread_exit), cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_crowd),	cmocka_unit_test(test_fork),
	    cmocka_unit_test(test_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
