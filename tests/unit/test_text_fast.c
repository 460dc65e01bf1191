/* SPDX-License-Identifier: MIT */
/*
 * The writer's fast text (tracer/text_fast.h) against pfe_text_format()
 * (tracer/trace_text.c), byte for byte: the two must write the same lines,
 * and the fast one must take the common events. Durations on every side of
 * its number paths (under 10, 100 and 1,000 us, up to 999,999.999 us, from
 * a second on, the packed form of long ones), times at second boundaries,
 * levels up to the indentation's limit, unwound exits, flat lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <urcu-bp.h>

#include "event.h"
#include "text_fast.h"
#include "trace_text.h"

static char fast[PFE_TEXT_LINE_MAX + 16], slow[PFE_TEXT_LINE_MAX];
static unsigned compared;

/* Both formats of @r at @ns; the fast one must take it. */
static void same(struct pfe_rec r, uint64_t ns, bool graph, bool time)
{
	struct pfe_text_cache *c = pfe_text_batch(4321);
	struct pfe_text_ev x = {.r = r, .tid = 4321, .ns = ns, .graph = graph, .time = time};
	size_t nf, ns_;

	assert_non_null(c);
	rcu_read_lock();
	nf = pfe_text_fast(c, fast, &r, ns, graph, time);
	ns_ = pfe_text_format(slow, PFE_TEXT_LINE_MAX, &x);
	rcu_read_unlock();
	if (nf != ns_ || memcmp(fast, slow, nf))
		fail_msg("fast %zu \"%.*s\", format %zu \"%.*s\"", nf, (int)nf, fast, ns_, (int)ns_,
			 slow);
	assert_true(nf > 0);
	compared++;
}

static const uint64_t durations[] = {
    0,
    1,
    999,
    1000,
    9999,
    10000,
    99999,
    100000,
    999999,
    1000000,
    1234567,
    9999999,
    99999999,
    999999999,
    1000000000,
    1000000999,
    999999999999,
    1000000000000,
    2147483647,
    2147483648,
    123456789012,
    999999999999999,
    UINT64_C(1) << 50,
};

static const uint64_t times[] = {
    0, 999, 999999, 999999999, 1000000000, 1000000001, 59999999999, 123456789012, 987654321098765,
};

static void test_graph_exits(void **state)
{
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++)
		for (unsigned lvl = 0; lvl <= 3; lvl++)
			for (int unwound = 0; unwound <= 1; unwound++)
				for (int time = 0; time <= 1; time++) {
					struct pfe_rec r = pfe_rec_exit(0, 7, lvl, unwound);

					r.w1 |= pfe_ring_dur_pack(durations[i]);
					same(r, times[i % 9], true, time);
				}
}

static void test_graph_entries(void **state)
{
	static const unsigned levels[] = {0, 1, 2, 7, 8, 9, 31, 50, 99, 100};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++)
			for (int time = 0; time <= 1; time++)
				same(pfe_rec_entry(0, 3, levels[i]), times[k], true, time);
}

static void test_flat(void **state)
{
	/* A return address in this program and one in no object. */
	uintptr_t ras[] = {(uintptr_t)test_flat + 8, 0x1234};

	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++)
			same(pfe_rec_entry(0, 5, ras[i]), times[k], false, false);
}

/* Neither a level beyond the indentation nor a payload is the fast path's. */
static void test_declined(void **state)
{
	struct pfe_text_cache *c = pfe_text_batch(4321);
	struct pfe_rec r = pfe_rec_entry(0, 3, PFE_TEXT_INDENT_MAX + 1);

	rcu_read_lock();
	assert_int_equal(pfe_text_fast(c, fast, &r, 0, true, false), 0);
	r = pfe_rec_plain(PFE_REC_LOST, 0, 5);
	assert_int_equal(pfe_text_fast(c, fast, &r, 0, true, false), 0);
	rcu_read_unlock();
}

static int setup(void **state)
{
	pfe_text_fast_own();
	return pfe_text_cache ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_graph_exits),
	    cmocka_unit_test(test_graph_entries),
	    cmocka_unit_test(test_flat),
	    cmocka_unit_test(test_declined),
	};
	int rc = cmocka_run_group_tests(tests, setup, NULL);

	/* Every case above was compared, none skipped. */
	if (!rc && compared != 23 * 4 * 2 * 2 + 10 * 9 * 2 + 2 * 9) {
		fprintf(stderr, "compared %u lines\n", compared);
		return 1;
	}
	return rc;
}
