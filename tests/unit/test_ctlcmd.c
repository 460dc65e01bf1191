/* SPDX-License-Identifier: MIT */
/*
 * The PFE_CONTROL command parser: every command with its values, blanks and
 * comments, and the refusals (each with what was expected). Also built for
 * the host under ASan/UBSan (tests/host/test_ctlcmd.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctlcmd.h"

static int parse(const char *s, struct pfe_ctl_cmd *c, char *why)
{
	static char line[256];

	strcpy(line, s);
	why[0] = '\0';
	return pfe_ctl_parse(line, c, why, 200);
}

static void test_trace(void **state)
{
	struct pfe_ctl_cmd c;
	char why[200];

	assert_int_equal(parse("trace f1,f2", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_TRACE);
	assert_string_equal(c.arg, "f1,f2");
	assert_int_equal(parse("  trace   work(long)->long , x \t", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_TRACE);
	assert_string_equal(c.arg, "work(long)->long , x");
	assert_int_equal(parse("trace off", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_TRACE_OFF);
	assert_null(c.arg);
	assert_int_equal(parse("trace  off ", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_TRACE_OFF);
	/* "off" as part of a pattern is a pattern */
	assert_int_equal(parse("trace off*", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_TRACE);
	assert_string_equal(c.arg, "off*");
	/* The pattern's own errors are the tracer's to report. */
	assert_int_equal(parse("trace f,,", &c, why), 0);
	assert_string_equal(c.arg, "f,,");
	assert_int_equal(parse("trace", &c, why), -EINVAL);
	assert_string_equal(why, "expected 'trace <patterns>' or 'trace off'");
	assert_int_equal(parse("tracef", &c, why), -EINVAL);
}

static void test_graph(void **state)
{
	struct pfe_ctl_cmd c;
	char why[200];
	int m = -1;

	assert_int_equal(parse("graph on", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_GRAPH);
	assert_int_equal(c.value, PFE_GRAPH_ON);
	assert_int_equal(parse("graph 0", &c, why), 0);
	assert_int_equal(c.value, PFE_GRAPH_OFF);
	assert_int_equal(parse("graph time", &c, why), 0);
	assert_int_equal(c.value, PFE_GRAPH_TIME);
	assert_int_equal(parse("graph", &c, why), -EINVAL);
	assert_string_equal(why, "expected 'graph on', 'graph off' or 'graph time'");
	assert_int_equal(parse("graph onn", &c, why), -EINVAL);
	assert_int_equal(pfe_parse_graph("TRUE", &m), 0);
	assert_int_equal(m, PFE_GRAPH_ON);
	assert_int_equal(pfe_parse_graph("Time", &m), -EINVAL);
	assert_int_equal(pfe_parse_graph(NULL, &m), -EINVAL);
	assert_int_equal(m, PFE_GRAPH_ON);
}

static void test_summary(void **state)
{
	struct pfe_ctl_cmd c;
	char why[200];

	assert_int_equal(parse("summary", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_SUMMARY_NOW);
	assert_int_equal(parse("summary on", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_SUMMARY);
	assert_int_equal(c.value, 1);
	assert_int_equal(parse("summary off", &c, why), 0);
	assert_int_equal(c.value, 0);
	assert_int_equal(parse("summary now", &c, why), -EINVAL);
	assert_string_equal(why, "expected 'summary', 'summary on' or 'summary off'");
}

static void test_filters(void **state)
{
	struct pfe_ctl_cmd c;
	char why[200];

	assert_int_equal(parse("depth 3", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_DEPTH);
	assert_int_equal(c.value, 3);
	assert_int_equal(parse("depth off", &c, why), 0);
	assert_int_equal(c.value, 0);
	assert_int_equal(parse("depth 4194304", &c, why), 0);
	assert_int_equal(c.value, 4194304);
	assert_int_equal(parse("depth 0", &c, why), -EINVAL);
	assert_string_equal(why, "expected 'depth off' or 'depth <n>', a number of frames "
				 "from 1 to 4194304");
	assert_int_equal(parse("depth 4194305", &c, why), -EINVAL);
	assert_int_equal(parse("depth -1", &c, why), -EINVAL);
	assert_int_equal(parse("min-duration 1.5ms", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_MIN_DURATION);
	assert_int_equal(c.value, 1500000);
	assert_int_equal(parse("min-duration 20us", &c, why), 0);
	assert_int_equal(c.value, 20000);
	assert_int_equal(parse("min-duration off", &c, why), 0);
	assert_int_equal(c.value, 0);
	assert_int_equal(parse("min-duration 20", &c, why), -EINVAL);
	assert_string_equal(why, "expected 'min-duration off' or 'min-duration <t>', a "
				 "duration such as 500ns, 10us, 1.5ms or 2s");
	assert_int_equal(parse("min-duration", &c, why), -EINVAL);
	assert_int_equal(parse("min-durationx 1s", &c, why), -EINVAL);
}

static void test_other(void **state)
{
	struct pfe_ctl_cmd c;
	char why[200];

	assert_int_equal(parse("list", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_LIST);
	assert_null(c.arg);
	assert_int_equal(parse("list /tmp/x y", &c, why), 0);
	assert_string_equal(c.arg, "/tmp/x y");
	assert_int_equal(parse("", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_NONE);
	assert_int_equal(parse(" \t ", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_NONE);
	assert_int_equal(parse("# trace x", &c, why), 0);
	assert_int_equal(c.op, PFE_CTL_NONE);
	assert_int_equal(parse("bogus", &c, why), -EINVAL);
	assert_string_equal(why, "expected trace, graph, summary, depth, min-duration or list "
				 "(README.md \"Runtime control\")");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace),   cmocka_unit_test(test_graph),
	    cmocka_unit_test(test_summary), cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_other),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
