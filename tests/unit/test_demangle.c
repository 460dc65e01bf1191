/* SPDX-License-Identifier: MIT */
/*
 * lib/core/demangle.c: site labels from the C++ runtime's demangler, found at run
 * time. This test is C and does not link libstdc++: the first test runs
 * without a C++ runtime in the process, the others after dlopen'ing it
 * RTLD_LOCAL, as a C program that loads a C++ library does.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "demangle.h"
#include "pattern.h"

static const char *const names[] = {"main", "_ZNK6shapes6Circle4areaEv", NULL, "_Zbogus",
				    "_ZN6shapes5totalEPKPNS_5ShapeEi"};
#define NSITES (sizeof(names) / sizeof(names[0]))

static void table(struct pfe_sitetab *t)
{
	memset(t, 0, sizeof(*t));
	t->sites = calloc(NSITES, sizeof(*t->sites));
	assert_non_null(t->sites);
	t->nsites = NSITES;
	for (size_t i = 0; i < NSITES; i++)
		t->sites[i].name = names[i];
}

/* What enabling each site does (lib/core/patch.c). */
static int label_all(struct pfe_sitetab *t)
{
	for (size_t i = 0; i < t->nsites; i++) {
		int err = pfe_site_set_label(t, &t->sites[i]);

		if (err)
			return err;
	}
	return 0;
}

static void test_no_runtime(void **state)
{
	struct pfe_sitetab t;
	char buf[128];

	table(&t);
	assert_int_equal(label_all(&t), 0);
	for (size_t i = 0; i < NSITES; i++)
		assert_ptr_equal(pfe_site_label(&t.sites[i]), names[i]);
	assert_null(t.labels);
	assert_false(pfe_demangle("_ZNK6shapes6Circle4areaEv", buf, sizeof(buf)));
	pfe_sitetab_free(&t);
}

static void test_labels(void **state)
{
	struct pfe_sitetab t;

	assert_non_null(dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL));
	table(&t);
	/* Not labelled before it is asked for: the raw symbol. */
	assert_string_equal(pfe_site_label(&t.sites[1]), "_ZNK6shapes6Circle4areaEv");
	assert_int_equal(label_all(&t), 0);
	assert_string_equal(pfe_site_label(&t.sites[0]), "main");
	assert_string_equal(pfe_site_label(&t.sites[1]), "shapes::Circle::area() const");
	assert_null(pfe_site_label(&t.sites[2]));
	assert_string_equal(pfe_site_label(&t.sites[3]), "_Zbogus"); /* not valid: as it is */
	assert_string_equal(pfe_site_label(&t.sites[4]),
			    "shapes::total(shapes::Shape* const*, int)");
	/* The names patterns see are unchanged. */
	assert_string_equal(t.sites[1].name, "_ZNK6shapes6Circle4areaEv");
	pfe_sitetab_free(&t);
}

static void test_demangle_buffer(void **state)
{
	char buf[64];

	assert_true(pfe_demangle("_ZNK6shapes6Circle4areaEv", buf, sizeof(buf)));
	assert_string_equal(buf, "shapes::Circle::area() const");
	assert_false(pfe_demangle("_ZNK6shapes6Circle4areaEv", buf, 10)); /* does not fit */
	assert_false(pfe_demangle("main", buf, sizeof(buf)));
	assert_false(pfe_demangle("_Zbogus", buf, sizeof(buf)));
}

static void test_patterns_see_demangled(void **state)
{
	char err[128];
	struct pfe_pattern *p = pfe_pattern_compile("*::area", err, sizeof(err));

	/* Installed by the first table with C++ names (test_labels). */
	assert_non_null(p);
	assert_true(pfe_pattern_match(p, "_ZNK6shapes6Circle4areaEv", "app"));
	assert_false(pfe_pattern_match(p, "_ZN6shapes5totalEPKPNS_5ShapeEi", "app"));
	pfe_pattern_free(p);
}

static void test_demangle_off(void **state)
{
	struct pfe_sitetab t;

	setenv("PFE_DEMANGLE", "0", 1);
	table(&t);
	assert_int_equal(label_all(&t), 0);
	assert_string_equal(pfe_site_label(&t.sites[1]), "_ZNK6shapes6Circle4areaEv");
	assert_null(t.labels);
	pfe_sitetab_free(&t);
	unsetenv("PFE_DEMANGLE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_runtime),	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_demangle_buffer), cmocka_unit_test(test_patterns_see_demangled),
	    cmocka_unit_test(test_demangle_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
