/* SPDX-License-Identifier: MIT */
/* Escaping of messages (lib/base/sanitize.c): control bytes, invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sanitize.h"

static void check(const char *in, size_t n, size_t len, const char *want)
{
	char out[256];

	assert_int_equal(pfe_sanitize(out, len, in, n), strlen(want));
	assert_string_equal(out, want);
}

#define S(lit, want) check(lit, sizeof(lit) - 1, 256, want)

static void test_plain(void **state)
{
	S("", "");
	S("trace foo*,bar@libx.so", "trace foo*,bar@libx.so");
	S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	S("a\\b", "a\\b");
}

static void test_control(void **state)
{
	S("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
	S("a\tb\nc\rd\x7f", "a\\tb\\x0ac\\x0dd\\x7f");
	check("a\0b", 3, 256, "a\\x00b");
}

static void test_invalid_utf8(void **state)
{
	S("\xff\xfe", "\\xff\\xfe");
	S("\xc3", "\\xc3");			       /* truncated */
	S("\xc0\xaf", "\\xc0\\xaf");		       /* overlong '/' */
	S("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	       /* overlong */
	S("\xed\xa0\x80", "\\xed\\xa0\\x80");	       /* surrogate */
	S("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	S("\x80x", "\\x80x");			       /* lone continuation */
	S("\xe2\x82", "\\xe2\\x82");
}

static void test_cut(void **state)
{
	check("abcdef", 6, 4, "abc");
	check("ab\x1b", 3, 5, "ab"); /* \x1b does not fit whole */
	check("a\xc3\xa9", 3, 3, "a");
	check("abc", 3, 1, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_control),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
