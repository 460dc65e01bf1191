/* SPDX-License-Identifier: MIT */
/* lib/base/pidpath.c on the build host: "%p" and "%%" in output paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "outfile.h"

static void test_expand(void **state)
{
	char out[32];

	assert_int_equal(pfe_path_expand(out, sizeof(out), "/tmp/t.%p", 4242), 0);
	assert_string_equal(out, "/tmp/t.4242");
	assert_int_equal(pfe_path_expand(out, sizeof(out), "%p-%p", 7), 0);
	assert_string_equal(out, "7-7");
	assert_int_equal(pfe_path_expand(out, sizeof(out), "a%%p%x%", 7), 0);
	assert_string_equal(out, "a%p%x%");
	assert_int_equal(pfe_path_expand(out, sizeof(out), "", 7), 0);
	assert_string_equal(out, "");
	/* 31 characters fit, 32 do not */
	assert_int_equal(pfe_path_expand(out, sizeof(out), "0123456789012345678901234567890", 1),
			 0);
	assert_int_equal(pfe_path_expand(out, sizeof(out), "01234567890123456789012345678901", 1),
			 -ENAMETOOLONG);
	assert_int_equal(pfe_path_expand(out, sizeof(out), "0123456789012345678901234567%p", 12345),
			 -ENAMETOOLONG);
	assert_int_equal(pfe_path_expand(out, 1, "x", 1), -ENAMETOOLONG);
}

static void test_pid_widths(void **state)
{
	char out[64];

	assert_int_equal(pfe_path_expand(out, sizeof(out), "t.%p", 0), 0);
	assert_string_equal(out, "t.0");
	assert_int_equal(pfe_path_expand(out, sizeof(out), "t.%p", 4194304), 0);
	assert_string_equal(out, "t.4194304");
	assert_int_equal(pfe_path_expand(out, sizeof(out), "%p%%%p", 2147483647), 0);
	assert_string_equal(out, "2147483647%2147483647");
	/* a lone % at the end and %x stay as they are */
	assert_int_equal(pfe_path_expand(out, sizeof(out), "%x%", 1), 0);
	assert_string_equal(out, "%x%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_pid_widths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
