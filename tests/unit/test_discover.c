/* SPDX-License-Identifier: MIT */
/*
 * Discovery of a live process: this test program carries its own patchable
 * functions (the function attribute, as -fpatchable-function-entry would do
 * for every function), and pfe_discover_all must find exactly them, in the
 * main program only, with the object's segments, bias and name; publishing
 * makes the object reachable by address; a second walk hands on nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <urcu-bp.h>

#include "core.h"

#define BTI_C 0xd503245fu
#define NOP   0xd503201fu

int disc_plain(int x);
int disc_before(int x);
int disc_called(int (*f)(int), int x);

__attribute__((patchable_function_entry(2), noinline)) int disc_plain(int x)
{
	return x + 1;
}

/* Three NOPs, one before the symbol: the site is still at the symbol. */
__attribute__((patchable_function_entry(3, 1), noinline)) int disc_before(int x)
{
	return x + 2;
}

__attribute__((patchable_function_entry(2), noinline)) static int disc_static(int x)
{
	return x + 3;
}

__attribute__((noinline)) int disc_called(int (*f)(int), int x)
{
	return f(x) + disc_static(x);
}

static struct pfe_object *found[8];
static int nfound;

/* Objects without a table handed on (dynamic sites only, lib/core/dynsite.c). */
static size_t nplain;

static int collect(struct pfe_object *obj, void *ctx)
{
	assert_ptr_equal(ctx, &nfound);
	if (obj->no_table) {
		/* Nothing read per function until a term reaches it. */
		assert_int_equal(obj->tab.nsites, 0);
		assert_null(obj->dyn);
		assert_true(obj->dyn_ok && obj->nsegs);
		nplain++;
		pfe_object_free(obj);
		return 0;
	}
	assert_true(nfound < 8);
	found[nfound++] = obj;
	return 0;
}

static int bias_of_main(struct dl_phdr_info *info, size_t size, void *ctx)
{
	if (!info->dlpi_name[0]) {
		*(uintptr_t *)ctx = info->dlpi_addr;
		return 1;
	}
	return 0;
}

/* What the compiler put at @f: bti c or not, then the two NOPs. */
static void check_site(struct pfe_object *obj, const char *name, uintptr_t f)
{
	struct pfe_site *s = pfe_sitetab_by_name(&obj->tab, name);
	bool bti = *(const uint32_t *)f == BTI_C;

	assert_non_null(s);
	assert_int_equal(s->func, f);
	assert_int_equal(s->pc, f + (bti ? 4 : 0));
	assert_int_equal(s->flags, bti ? PFE_SITE_BTI : 0);
	assert_int_equal(*(const uint32_t *)s->pc, NOP);
	assert_int_equal(*(const uint32_t *)(s->pc + 4), NOP);
	assert_int_equal(s->nops, 2);
	assert_ptr_equal(s->obj, obj);
	assert_int_equal(s->state, PFE_SITE_COMPILED);
	assert_ptr_equal(pfe_sitetab_by_pc(&obj->tab, s->pc), s);
}

/* Runs first: the walk itself. */
static void test_walk_finds_main_only(void **state)
{
	struct pfe_object *obj;
	uintptr_t bias = 1;

	assert_int_equal(disc_called(disc_plain, 1) + disc_before(0), 2 + 4 + 2);
	pfe_patch_lock();
	assert_int_equal(pfe_discover_all(collect, &nfound), 0);
	pfe_patch_unlock();

	/* The libraries (libc, libelf, ...) have no table: handed on for
	 * dynamic sites only (not the dynamic loader, not the vdso). */
	assert_int_equal(nfound, 1);
	assert_true(nplain >= 2);
	obj = found[0];
	assert_true(obj->is_main);
	assert_string_equal(obj->name, "test_discover");
	assert_true(obj->path[0] == '/');
	assert_string_equal(obj->path + strlen(obj->path) - strlen("/test_discover"),
			    "/test_discover");
	dl_iterate_phdr(bias_of_main, &bias);
	assert_int_equal(obj->bias, bias);
	assert_null(obj->next);
	assert_int_equal(obj->veneer, 0);
}

static void test_sites(void **state)
{
	struct pfe_object *obj = found[0];

	assert_non_null(obj);
	assert_int_equal(obj->tab.nsites, 3);
	assert_int_equal(pfe_sitetab_nrefused(&obj->tab), 0);
	check_site(obj, "disc_plain", (uintptr_t)disc_plain);
	check_site(obj, "disc_before", (uintptr_t)disc_before);
	check_site(obj, "disc_static", (uintptr_t)disc_static);
	assert_null(pfe_sitetab_by_name(&obj->tab, "disc_called"));
	assert_null(pfe_sitetab_by_name(&obj->tab, "main"));
	/* =3,1: one NOP before the symbol, none of libpfe's business. */
	assert_int_equal(*(const uint32_t *)((uintptr_t)disc_before - 4), NOP);
}

/* Page aligned, with the rights they were mapped with (this program has no
 * BTI property: no PROT_BTI). */
static void test_segments(void **state)
{
	struct pfe_object *obj = found[0];
	uintptr_t f = (uintptr_t)disc_plain;
	bool in_seg = false;

	assert_non_null(obj);
	assert_true(obj->nsegs >= 1);
	for (size_t i = 0; i < obj->nsegs; i++) {
		const struct pfe_text_seg *sg = &obj->segs[i];

		assert_int_equal(sg->start & 0xfff, 0);
		assert_int_equal(sg->end & 0xfff, 0);
		assert_int_equal(sg->prot, PROT_READ | PROT_EXEC);
		assert_true(obj->lo <= sg->start && sg->end <= obj->hi);
		if (f >= sg->start && f < sg->end)
			in_seg = true;
	}
	assert_true(in_seg);
}

/* The whole .symtab names addresses, patchable or not. */
static void test_symbolize(void **state)
{
	struct pfe_object *obj = found[0];
	uintptr_t off = 0;
	const char *name;

	assert_non_null(obj);
	name = pfe_sitetab_symbolize(&obj->tab, (uintptr_t)disc_plain + 8, &off);
	assert_non_null(name);
	assert_string_equal(name, "disc_plain");
	assert_int_equal(off, 8);
	name = pfe_sitetab_symbolize(&obj->tab, (uintptr_t)disc_called + 4, &off);
	assert_non_null(name);
	assert_string_equal(name, "disc_called");
	assert_int_equal(off, 4);
}

/* Published, the object is found by address under RCU. */
static void test_publish(void **state)
{
	struct pfe_object *obj = found[0];
	uintptr_t local;

	assert_non_null(obj);
	assert_null(pfe_objects_first());
	pfe_patch_lock();
	assert_int_equal(pfe_object_publish(obj), 0);
	pfe_patch_unlock();
	rcu_read_lock();
	assert_ptr_equal(pfe_objects_first(), obj);
	assert_null(obj->next);
	assert_ptr_equal(pfe_object_by_addr((uintptr_t)disc_plain), obj);
	assert_ptr_equal(pfe_object_by_addr(obj->lo), obj);
	assert_null(pfe_object_by_addr(obj->hi));
	assert_null(pfe_object_by_addr((uintptr_t)&local));
	assert_null(pfe_object_by_addr((uintptr_t)memcpy));
	rcu_read_unlock();
}

/* Walking again (as after dlopen) hands on nothing: every object is known. */
static void test_rewalk(void **state)
{
	size_t plain = nplain;

	pfe_patch_lock();
	assert_int_equal(pfe_discover_all(collect, &nfound), 0);
	pfe_patch_unlock();
	assert_int_equal(nfound, 1);
	assert_int_equal(nplain, plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_finds_main_only),
	    cmocka_unit_test(test_sites),
	    cmocka_unit_test(test_segments),
	    cmocka_unit_test(test_symbolize),
	    cmocka_unit_test(test_publish),
	    cmocka_unit_test(test_rewalk),
	};

	return cmocka_run_group_tests_name("discover", tests, NULL, NULL);
}
