/* SPDX-License-Identifier: MIT */
/*
 * The tracer's text output descriptor (tracer/trace_out.c): a file left
 * over from an earlier run is truncated, the descriptor is high,
 * close-on-exec and appending, and it is opened once. What is written to
 * it is test_trace_rec.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace_out.h"

static void test_start(void **state)
{
	char path[] = "/tmp/pfe-trace-out-XXXXXX";
	int fd = mkstemp(path);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old run\n", 8), 8);
	close(fd);
	assert_int_equal(pfe_trace_out_fd(), -1);
	assert_int_equal(pfe_trace_out_start(path), 0);
	/* kept away from the descriptors the program will open */
	assert_true(pfe_trace_out_fd() >= 200);
	assert_true(fcntl(pfe_trace_out_fd(), F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(pfe_trace_out_fd(), F_GETFL) & O_APPEND);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(pfe_trace_out_start(path), -EALREADY);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
