/* SPDX-License-Identifier: MIT */
/*
 * The table shared by `pfe report` and PFE_SUMMARY: totals, self time and
 * extremes from calls, each sort key with its tie-break, the exact layout.
 * Also built for the host under ASan/UBSan (tests/host/test_sumtab.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sumtab.h"

static void test_add(void **state)
{
	struct pfe_sum_row r = {.name = "f"};

	pfe_sum_add(&r, 5000, 1000);
	pfe_sum_add(&r, 2000, 0);
	pfe_sum_add(&r, 9000, 12000); /* callees counted twice (recursion) */
	assert_int_equal(r.calls, 3);
	assert_int_equal(r.total, 16000);
	assert_int_equal(r.self, 6000);
	assert_int_equal(r.min, 2000);
	assert_int_equal(r.max, 9000);
}

static void test_sort(void **state)
{
	struct pfe_sum_row v[] = {
	    {"b", 100, 10, 1, 100, 100},
	    {"a", 100, 50, 4, 10, 40},
	    {"c", 300, 5, 2, 100, 200},
	};
	enum pfe_sum_key k;

	pfe_sum_sort(v, 3, PFE_SUM_TOTAL);
	assert_string_equal(v[0].name, "c");
	assert_string_equal(v[1].name, "a"); /* equal totals: by name */
	assert_string_equal(v[2].name, "b");
	pfe_sum_sort(v, 3, PFE_SUM_SELF);
	assert_string_equal(v[0].name, "a");
	pfe_sum_sort(v, 3, PFE_SUM_CALLS);
	assert_string_equal(v[0].name, "a");
	pfe_sum_sort(v, 3, PFE_SUM_AVG);
	assert_string_equal(v[0].name, "c");
	assert_string_equal(v[1].name, "b");
	pfe_sum_sort(v, 3, PFE_SUM_MAX);
	assert_string_equal(v[0].name, "c");
	assert_string_equal(v[1].name, "b");
	pfe_sum_sort(v, 0, PFE_SUM_MAX);
	assert_int_equal(pfe_sum_parse_key("avg", &k), 0);
	assert_int_equal(k, PFE_SUM_AVG);
	assert_int_equal(pfe_sum_parse_key("Total", &k), -EINVAL);
	assert_int_equal(pfe_sum_parse_key(NULL, &k), -EINVAL);
	assert_int_equal(k, PFE_SUM_AVG);
}

static void test_layout(void **state)
{
	struct pfe_sum_row r = {"work", 812400, 301250, 2, 400100, 412300};
	char b[PFE_SUM_LINE_MAX];

	assert_int_equal(pfe_sum_fmt_header(b, sizeof(b)), 2 * 90);
	assert_string_equal(b, "    Total (us)      Self (us)      Calls     Min (us)     Avg (us)"
			       "     Max (us)  Function\n"
			       "    ==========      =========      =====     ========     ========"
			       "     ========  ========\n");
	assert_int_equal(pfe_sum_fmt_row(b, sizeof(b), &r), 81);
	assert_string_equal(b, "       812.400        301.250          2      400.100      406.200"
			       "      412.300  ");
	/* Cut to fit, never past the end. */
	assert_int_equal(pfe_sum_fmt_row(b, 10, &r), 9);
	assert_string_equal(b, "       81");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_sort),
	    cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
