/* SPDX-License-Identifier: MIT */
/* lib/core/debugname.c on the build host: separate debug files' names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "debugname.h"

static void test_crc32(void **state)
{
	/* The standard check value, and continuing in pieces. */
	assert_int_equal(pfe_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(pfe_crc32(pfe_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
	assert_int_equal(pfe_crc32(0, "", 0), 0);
}

static void test_debuglink_parse(void **state)
{
	static const unsigned char ok[] = "app.debug\0\0\0\x78\x56\x34\x12";
	static const unsigned char four[] = "abc\0\x01\x02\x03\x04";
	const char *name;
	uint32_t crc;

	assert_int_equal(pfe_debuglink_parse(ok, sizeof(ok) - 1, 0, &name, &crc), 0);
	assert_string_equal(name, "app.debug");
	assert_int_equal(crc, 0x12345678u);
	assert_int_equal(pfe_debuglink_parse(ok, sizeof(ok) - 1, 1, &name, &crc), 0);
	assert_int_equal(crc, 0x78563412u);
	assert_int_equal(pfe_debuglink_parse(four, 8, 0, &name, &crc), 0);
	assert_int_equal(crc, 0x04030201u);
	/* cut short, no NUL, empty, a path, dot names */
	assert_int_equal(pfe_debuglink_parse(ok, sizeof(ok) - 2, 0, &name, &crc), -EINVAL);
	assert_int_equal(pfe_debuglink_parse("abcd", 4, 0, &name, &crc), -EINVAL);
	assert_int_equal(pfe_debuglink_parse("\0\0\0\0\1\2\3\4", 8, 0, &name, &crc), -EINVAL);
	assert_int_equal(pfe_debuglink_parse("a/b\0\1\2\3\4", 8, 0, &name, &crc), -EINVAL);
	assert_int_equal(pfe_debuglink_parse("..\0\0\1\2\3\4", 8, 0, &name, &crc), -EINVAL);
	assert_int_equal(pfe_debuglink_parse(NULL, 0, 0, &name, &crc), -EINVAL);
}

static void test_buildid_path(void **state)
{
	static const uint8_t id[] = {0xab, 0x01, 0xff, 0x10};
	char b[64];

	assert_int_equal(pfe_debug_buildid_path(b, sizeof(b), "/usr/lib/debug", id, 4), 0);
	assert_string_equal(b, "/usr/lib/debug/.build-id/ab/01ff10.debug");
	assert_int_equal(pfe_debug_buildid_path(b, sizeof(b), "/d", id, 1), -EINVAL);
	assert_int_equal(pfe_debug_buildid_path(b, 20, "/usr/lib/debug", id, 4), -ENAMETOOLONG);
}

static void test_debuglink_paths(void **state)
{
	char b[128];
	const char *want[] = {"/opt/app/bin/app.debug", "/opt/app/bin/.debug/app.debug",
			      "/usr/lib/debug/opt/app/bin/app.debug", "/x/opt/app/bin/app.debug"};
	unsigned k;

	for (k = 0; k < 4; k++) {
		assert_int_equal(pfe_debuglink_path(b, sizeof(b), "/opt/app/bin/app", "app.debug",
						    "/usr/lib/debug::/x", k),
				 0);
		assert_string_equal(b, want[k]);
	}
	assert_int_equal(pfe_debuglink_path(b, sizeof(b), "/opt/app/bin/app", "app.debug",
					    "/usr/lib/debug::/x", k),
			 -ENOENT);
	/* a relative object path has no directory to look in */
	assert_int_equal(pfe_debuglink_path(b, sizeof(b), "app", "app.debug", "/d", 0), -ENOENT);
	assert_int_equal(pfe_debuglink_path(b, 10, "/opt/app/bin/app", "app.debug", "/d", 0),
			 -ENAMETOOLONG);
	/* an object in / */
	assert_int_equal(pfe_debuglink_path(b, sizeof(b), "/app", "a.dbg", "/d", 2), 0);
	assert_string_equal(b, "/d/a.dbg");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32),
	    cmocka_unit_test(test_debuglink_parse),
	    cmocka_unit_test(test_buildid_path),
	    cmocka_unit_test(test_debuglink_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
