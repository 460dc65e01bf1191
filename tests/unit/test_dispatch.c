/* SPDX-License-Identifier: MIT */
/*
 * The dispatch table: insert, remove, growth, tombstones, and lookups racing
 * with a writer. No code is executed through it here (test_tramp does that).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <urcu-bp.h>

#include "hooks.h"

#define NSITES 4096

static struct pfe_site *sites;

/* Sites laid out like functions of an object: 16-byte aligned entries, some
 * close together (collide on low bits), some 1 MiB apart (collide on high). */
static uintptr_t site_pc(size_t i)
{
	return 0x400000 + (i % 64) * 16 + (i / 64) * 0x100000 + 4;
}

static int setup(void **state)
{
	size_t i;

	sites = calloc(NSITES, sizeof(*sites));
	assert_non_null(sites);
	for (i = 0; i < NSITES; i++) {
		sites[i].pc = site_pc(i);
		sites[i].func = sites[i].pc - 4;
	}
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	for (i = 0; i < NSITES; i++)
		pfe_dispatch_remove(&sites[i]);
	return 0;
}

static struct pfe_site *lookup(uintptr_t body)
{
	struct pfe_site *s;

	rcu_read_lock();
	s = pfe_dispatch_lookup(body);
	rcu_read_unlock();
	return s;
}

static void test_empty(void **state)
{
	assert_null(lookup(0x400008));
	assert_int_equal(pfe_dispatch_count(), 0);
	/* Removing what is not there changes nothing. */
	pfe_dispatch_remove(&sites[0]);
	assert_int_equal(pfe_dispatch_count(), 0);
}

static void test_insert_lookup_remove(void **state)
{
	size_t i;

	for (i = 0; i < NSITES; i++)
		assert_int_equal(pfe_dispatch_insert(&sites[i]), 0);
	assert_int_equal(pfe_dispatch_count(), NSITES);
	/* Inserting twice is a no-op. */
	assert_int_equal(pfe_dispatch_insert(&sites[7]), 0);
	assert_int_equal(pfe_dispatch_count(), NSITES);
	for (i = 0; i < NSITES; i++) {
		assert_ptr_equal(lookup(sites[i].pc + 8), &sites[i]);
		/* Slot 0, slot 1 and the word after the body are not keys. */
		assert_null(lookup(sites[i].pc));
		assert_null(lookup(sites[i].pc + 4));
		assert_null(lookup(sites[i].pc + 12));
	}
	/* Remove every other one: the rest stay reachable past the tombs. */
	for (i = 0; i < NSITES; i += 2)
		pfe_dispatch_remove(&sites[i]);
	assert_int_equal(pfe_dispatch_count(), NSITES / 2);
	for (i = 0; i < NSITES; i++)
		assert_ptr_equal(lookup(sites[i].pc + 8), i % 2 ? &sites[i] : NULL);
	/* Re-insert into tombstones. */
	for (i = 0; i < NSITES; i += 2)
		assert_int_equal(pfe_dispatch_insert(&sites[i]), 0);
	for (i = 0; i < NSITES; i++)
		assert_ptr_equal(lookup(sites[i].pc + 8), &sites[i]);
	assert_int_equal(pfe_dispatch_count(), NSITES);
}

/* Insert/remove churn must not grow the table without bound: tombstones are
 * dropped when it is rebuilt. */
static void test_churn(void **state)
{
	size_t round, i;

	for (round = 0; round < 50; round++) {
		for (i = 0; i < 64; i++)
			assert_int_equal(pfe_dispatch_insert(&sites[(round * 64 + i) % NSITES]), 0);
		for (i = 0; i < 64; i++)
			pfe_dispatch_remove(&sites[(round * 64 + i) % NSITES]);
	}
	assert_int_equal(pfe_dispatch_count(), 0);
	for (i = 0; i < NSITES; i++)
		assert_null(lookup(sites[i].pc + 8));
}

static void test_reserve(void **state)
{
	size_t i;

	assert_int_equal(pfe_dispatch_reserve(NSITES), 0);
	for (i = 0; i < NSITES; i++)
		assert_int_equal(pfe_dispatch_insert(&sites[i]), 0);
	assert_int_equal(pfe_dispatch_count(), NSITES);
}

/* Readers look up sites that are always present while a writer inserts,
 * removes and grows the table around them: they must never miss. */
static volatile int stop;

static void *reader(void *arg)
{
	long misses = 0, n = 0;
	size_t i;

	while (!stop) {
		for (i = 0; i < NSITES; i += 97, n++) {
			rcu_read_lock();
			if (pfe_dispatch_lookup(sites[i].pc + 8) != &sites[i])
				misses++;
			rcu_read_unlock();
		}
	}
	return (void *)misses;
}

static void test_concurrent_readers(void **state)
{
	pthread_t t[2];
	void *misses;
	size_t i, k;

	/* The stable set: every 97th site. */
	for (i = 0; i < NSITES; i += 97)
		assert_int_equal(pfe_dispatch_insert(&sites[i]), 0);
	stop = 0;
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&t[k], NULL, reader, NULL), 0);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < NSITES; i++)
			if (i % 97)
				assert_int_equal(pfe_dispatch_insert(&sites[i]), 0);
		for (i = 0; i < NSITES; i++)
			if (i % 97)
				pfe_dispatch_remove(&sites[i]);
	}
	stop = 1;
	for (k = 0; k < 2; k++) {
		pthread_join(t[k], &misses);
		assert_int_equal((long)misses, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_empty, teardown),
	    cmocka_unit_test_teardown(test_insert_lookup_remove, teardown),
	    cmocka_unit_test_teardown(test_churn, teardown),
	    cmocka_unit_test_teardown(test_reserve, teardown),
	    cmocka_unit_test_teardown(test_concurrent_readers, teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
