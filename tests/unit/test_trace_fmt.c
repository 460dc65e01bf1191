/* SPDX-License-Identifier: MIT */
/* The tracer's line format: exact strings for every caller form and edge. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "trace_fmt.h"

static void expect_line(const char *want, uint32_t tid, uint64_t ns, const char *func,
			uintptr_t func_addr, enum pfe_caller_kind kind, const char *cname,
			uintptr_t off)
{
	char buf[PFE_TRACE_LINE_MAX + 8];
	struct pfe_caller c = {.kind = kind, .name = cname, .off = off};
	size_t n;

	memset(buf, 'Z', sizeof(buf));
	n = pfe_trace_fmt_line(buf, tid, ns, func, func_addr, &c);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
	assert_int_equal(buf[n], '\0');
	assert_true(n < PFE_TRACE_LINE_MAX);
}

static void test_symbol_caller(void **state)
{
	expect_line("12345 0.001234 foo <- main+0x24\n", 12345, 1234567, "foo", 0x1000,
		    PFE_CALLER_SYM, "main", 0x24);
}

static void test_time(void **state)
{
	expect_line("1 0.000000 f <- g+0x0\n", 1, 0, "f", 0, PFE_CALLER_SYM, "g", 0);
	/* truncated, not rounded, to microseconds */
	expect_line("1 0.000000 f <- g+0x4\n", 1, 999, "f", 0, PFE_CALLER_SYM, "g", 4);
	expect_line("1 0.000001 f <- g+0x4\n", 1, 1000, "f", 0, PFE_CALLER_SYM, "g", 4);
	expect_line("1 0.999999 f <- g+0x4\n", 1, 999999999, "f", 0, PFE_CALLER_SYM, "g", 4);
	expect_line("1 1.000000 f <- g+0x4\n", 1, 1000000000, "f", 0, PFE_CALLER_SYM, "g", 4);
	expect_line("1 3723.000042 f <- g+0x4\n", 1, 3723000042999ull, "f", 0, PFE_CALLER_SYM, "g",
		    4);
	expect_line("1 18446744073.709551 f <- g+0x4\n", 1, UINT64_MAX, "f", 0, PFE_CALLER_SYM, "g",
		    4);
}

static void test_tid(void **state)
{
	expect_line("0 0.000010 f <- g+0x8\n", 0, 10000, "f", 0, PFE_CALLER_SYM, "g", 8);
	expect_line("4294967295 0.000010 f <- g+0x8\n", UINT32_MAX, 10000, "f", 0, PFE_CALLER_SYM,
		    "g", 8);
}

static void test_object_caller(void **state)
{
	expect_line("77 2.500000 worker <- libc.so.6+0x8063c\n", 77, 2500000000ull, "worker", 0,
		    PFE_CALLER_OBJ, "libc.so.6", 0x8063c);
	expect_line("77 2.500000 worker <- ?+0x10\n", 77, 2500000000ull, "worker", 0,
		    PFE_CALLER_OBJ, NULL, 0x10);
}

static void test_address_caller(void **state)
{
	expect_line("9 0.000100 bar <- 0x5500001234\n", 9, 100000, "bar", 0, PFE_CALLER_ADDR,
		    "ignored", 0x5500001234);
	expect_line("9 0.000100 bar <- 0x0\n", 9, 100000, "bar", 0, PFE_CALLER_ADDR, NULL, 0);
	expect_line("9 0.000100 bar <- 0xffffffffffffffff\n", 9, 100000, "bar", 0, PFE_CALLER_ADDR,
		    NULL, UINT64_MAX);
}

static void test_nameless_function(void **state)
{
	expect_line("9 0.000100 0x400abc <- main+0x1c\n", 9, 100000, NULL, 0x400abc, PFE_CALLER_SYM,
		    "main", 0x1c);
}

/* Every digit-count boundary of the tid and the seconds, against printf. */
static void test_digit_boundaries(void **state)
{
	uint64_t p = 1;

	for (int k = 0; k <= 19; k++, p *= 10) {
		uint64_t vals[] = {p - 1, p, p + 1, 2 * p - 1, 9 * p + 7};

		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			uint64_t v = vals[i];
			uint32_t tid = (uint32_t)v;
			/* seconds = v when it fits the nanosecond count */
			uint64_t ns = v <= UINT64_MAX / 1000000000u ? v * 1000000000u + 123456789u
								    : UINT64_MAX;
			char want[128];

			snprintf(want, sizeof(want), "%u %llu.%06llu f <- g+0x%llx\n", tid,
				 (unsigned long long)(ns / 1000000000u),
				 (unsigned long long)(ns % 1000000000u / 1000u),
				 (unsigned long long)v);
			expect_line(want, tid, ns, "f", 0, PFE_CALLER_SYM, "g", v);
		}
	}
}

static void test_long_names(void **state)
{
	char name[PFE_TRACE_NAME_MAX + 100], want[2 * PFE_TRACE_NAME_MAX + 100];
	char buf[PFE_TRACE_LINE_MAX];
	struct pfe_caller c = {.kind = PFE_CALLER_SYM, .name = name, .off = UINT64_MAX};
	size_t n;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	n = pfe_trace_fmt_line(buf, UINT32_MAX, UINT64_MAX, name, 0, &c);
	/* both names cut at PFE_TRACE_NAME_MAX, and the line still fits */
	snprintf(want, sizeof(want),
		 "4294967295 18446744073.709551 %.*s <- %.*s+0xffffffffffffffff\n",
		 PFE_TRACE_NAME_MAX, name, PFE_TRACE_NAME_MAX, name);
	assert_int_equal(n, strlen(want));
	assert_string_equal(buf, want);
	assert_true(n + 1 <= PFE_TRACE_LINE_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symbol_caller),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_tid),
	    cmocka_unit_test(test_object_caller),
	    cmocka_unit_test(test_address_caller),
	    cmocka_unit_test(test_nameless_function),
	    cmocka_unit_test(test_long_names),
	    cmocka_unit_test(test_digit_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
