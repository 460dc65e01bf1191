/* SPDX-License-Identifier: MIT */
/*
 * The environment parsers: every accepted form, and the refusals that keep a
 * typo from silently meaning something. Also built for the host under
 * ASan/UBSan (tests/host/test_envparse.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "envparse.h"

static void test_bool(void **state)
{
	static const char *const t[] = {"1", "yes", "YES", "true", "True", "on"};
	static const char *const f[] = {"0", "no", "No", "false", "FALSE", "off"};
	static const char *const bad[] = {"", "banana", "2", "y", "n", "01", " 1", "1 ", "truex"};
	bool b;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b = false;
		assert_int_equal(pfe_parse_bool(t[i], &b), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		b = true;
		assert_int_equal(pfe_parse_bool(f[i], &b), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = true;
		assert_int_equal(pfe_parse_bool(bad[i], &b), -EINVAL);
		assert_true(b); /* untouched */
	}
	assert_int_equal(pfe_parse_bool(NULL, &b), -EINVAL);
}

static void test_uint(void **state)
{
	uint64_t v = 7;

	assert_int_equal(pfe_parse_uint("4096", 1, 1000000, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(pfe_parse_uint("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_int_equal(pfe_parse_uint("18446744073709551616", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(pfe_parse_uint("0", 1, 10, &v), -EINVAL);
	assert_int_equal(pfe_parse_uint("11", 1, 10, &v), -EINVAL);
	assert_int_equal(pfe_parse_uint("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(pfe_parse_uint("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(pfe_parse_uint("1k", 0, 10000, &v), -EINVAL);
	assert_int_equal(pfe_parse_uint("", 0, 10, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_size(void **state)
{
	uint64_t v = 1;

	assert_int_equal(pfe_parse_size("65536", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(pfe_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(pfe_parse_size("4m", &v), 0);
	assert_int_equal(v, 4u << 20);
	assert_int_equal(pfe_parse_size("2G", &v), 0);
	assert_true(v == UINT64_C(2) << 30);
	v = 1;
	assert_int_equal(pfe_parse_size("4MB", &v), -EINVAL);
	assert_int_equal(pfe_parse_size("K", &v), -EINVAL);
	assert_int_equal(pfe_parse_size("1.5M", &v), -EINVAL);
	assert_int_equal(pfe_parse_size("17179869184G", &v), -EINVAL); /* 2^64 */
	assert_int_equal(v, 1);
}

static void test_duration(void **state)
{
	uint64_t v = 1;

	assert_int_equal(pfe_parse_duration("500ns", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(pfe_parse_duration("10us", &v), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(pfe_parse_duration("1.5ms", &v), 0);
	assert_int_equal(v, 1500000);
	assert_int_equal(pfe_parse_duration("2s", &v), 0);
	assert_true(v == UINT64_C(2000000000));
	assert_int_equal(pfe_parse_duration("0.000000001s", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pfe_parse_duration("1.0000000019s", &v), 0); /* below 1 ns: cut */
	assert_true(v == UINT64_C(1000000001));
	assert_int_equal(pfe_parse_duration("3US", &v), 0);
	assert_int_equal(v, 3000);
	v = 1;
	assert_int_equal(pfe_parse_duration("10", &v), -EINVAL); /* no unit */
	assert_int_equal(pfe_parse_duration("10 us", &v), -EINVAL);
	assert_int_equal(pfe_parse_duration("1.ms", &v), -EINVAL);
	assert_int_equal(pfe_parse_duration(".5ms", &v), -EINVAL);
	assert_int_equal(pfe_parse_duration("5min", &v), -EINVAL);
	assert_int_equal(pfe_parse_duration("18446744073709551615s", &v), -EINVAL);
	assert_int_equal(v, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
