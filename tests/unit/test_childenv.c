/* SPDX-License-Identifier: MIT */
/*
 * A followed child's environment: LD_PRELOAD put first, never twice; the
 * PFE_* variables added only where the program's envp lacks them; the
 * markers replacing stale ones; the buffer never overrun. Also built for
 * the host under ASan/UBSan (tests/host/test_childenv.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "childenv.h"

#define LIB "/opt/pfe/libpfe.so"

/* The built vector joined with '|', for one comparison per case. */
static char *build(const struct pfe_childenv *c)
{
	static char out[4096];
	size_t need = pfe_childenv_size(c), n = 0;
	/* Exactly the size asked for, at an odd address: ASan sees any
	 * overrun, and the alignment is the builder's job. */
	char *buf = malloc(need + 1);
	char **v;

	assert_non_null(buf);
	assert_null(pfe_childenv_build(c, buf + 1, need - 1));
	v = pfe_childenv_build(c, buf + 1, need);
	assert_non_null(v);
	out[0] = '\0';
	for (size_t i = 0; v[i]; i++)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", i ? "|" : "", v[i]);
	free(buf);
	return out;
}

static char *const pfe_vars[] = {"PFE_TRACE=main,f*", "PFE_OUTPUT=t-%p.txt", NULL};

static void test_bare(void **state)
{
	char *const envp[] = {"X=1", NULL};
	struct pfe_childenv c = {.envp = envp, .preload = LIB, .add = pfe_vars};

	assert_string_equal(build(&c),
			    "X=1|LD_PRELOAD=" LIB "|PFE_TRACE=main,f*|PFE_OUTPUT=t-%p.txt");
	c.envp = NULL; /* execve(path, argv, NULL) */
	assert_string_equal(build(&c), "LD_PRELOAD=" LIB "|PFE_TRACE=main,f*|PFE_OUTPUT=t-%p.txt");
}

static void test_preload_prepended(void **state)
{
	char *const envp[] = {"A=1", "LD_PRELOAD=/x/libasan.so /y/b.so", "B=2", NULL};
	char *const empty[] = {"LD_PRELOAD=", NULL};
	struct pfe_childenv c = {.envp = envp, .preload = LIB};

	assert_string_equal(build(&c), "A=1|LD_PRELOAD=" LIB ":/x/libasan.so /y/b.so|B=2");
	c.envp = empty;
	assert_string_equal(build(&c), "LD_PRELOAD=" LIB);
}

static void test_preload_not_twice(void **state)
{
	char *const has[] = {"LD_PRELOAD=/x/a.so:" LIB " /y/b.so", NULL};
	char *const alias[] = {"LD_PRELOAD=build/libpfe.so", NULL};
	char *const prefix[] = {"LD_PRELOAD=" LIB ".old:" LIB "x", NULL};
	struct pfe_childenv c = {.envp = has, .preload = LIB, .alias = "build/libpfe.so"};

	assert_string_equal(build(&c), "LD_PRELOAD=/x/a.so:" LIB " /y/b.so");
	c.envp = alias; /* the name the loader was given */
	assert_string_equal(build(&c), "LD_PRELOAD=build/libpfe.so");
	c.envp = prefix; /* elements that merely start with the path */
	assert_string_equal(build(&c), "LD_PRELOAD=" LIB ":" LIB ".old:" LIB "x");
}

static void test_program_values_win(void **state)
{
	char *const envp[] = {"PFE_OUTPUT=child.txt", "PFE_TRACEX=1", NULL};
	struct pfe_childenv c = {.envp = envp, .preload = LIB, .add = pfe_vars};

	/* The program chose PFE_OUTPUT for its child: kept, not duplicated;
	 * PFE_TRACEX is another variable. */
	assert_string_equal(build(&c), "PFE_OUTPUT=child.txt|PFE_TRACEX=1|LD_PRELOAD=" LIB
				       "|PFE_TRACE=main,f*");
}

static void test_markers_replace(void **state)
{
	char *const envp[] = {"LIBPFE_OUTPUTS=1:2", "X=1", "LIBPFE_OUTPUTS=3:4", NULL};
	char *const set[] = {"LIBPFE_OUTPUTS=1:2,5:6", NULL};
	char *const add[] = {"LIBPFE_OUTPUTS=9:9", "PFE_DEBUG=1", NULL};
	struct pfe_childenv c = {.envp = envp, .set = set, .add = add};

	/* No preload: LD_PRELOAD untouched (PFE_FOLLOW=0); every stale
	 * marker gone, the new one once, and an add never duplicates it. */
	assert_string_equal(build(&c), "X=1|PFE_DEBUG=1|LIBPFE_OUTPUTS=1:2,5:6");
}

static void test_drop(void **state)
{
	char *const envp[] = {"PFE_CONTROL=/tmp/f", "PFE_CONTROL_LOG=/tmp/l", "PFE_CONTROLX=1",
			      "PFE_CONTROL=/tmp/f2", NULL};
	char *const drop[] = {"PFE_CONTROL=/tmp/f", "PFE_CONTROL_LOG=/tmp/l", NULL};
	struct pfe_childenv c = {.envp = envp, .drop = drop};

	/* Only this process's exact values go; a FIFO the program chose for
	 * its child stays. */
	assert_string_equal(build(&c), "PFE_CONTROLX=1|PFE_CONTROL=/tmp/f2");
}

static void test_nothing_to_do(void **state)
{
	char *const envp[] = {"LD_PRELOAD=" LIB, "PFE_TRACE=x", "odd-entry", NULL};
	struct pfe_childenv c = {.envp = envp, .preload = LIB, .add = pfe_vars};

	assert_string_equal(build(&c), "LD_PRELOAD=" LIB "|PFE_TRACE=x|odd-entry|"
				       "PFE_OUTPUT=t-%p.txt");
	assert_true(pfe_childenv_is("PFE_TRACE=x", "PFE_TRACE"));
	assert_false(pfe_childenv_is("PFE_TRACEX=x", "PFE_TRACE"));
	assert_false(pfe_childenv_is("PFE_TRACE", "PFE_TRACE"));
	assert_true(pfe_childenv_preloads(envp, LIB, NULL));
	assert_true(pfe_childenv_preloads(envp, "/elsewhere", LIB));
	assert_false(pfe_childenv_preloads(envp, "/opt/pfe", NULL));
	assert_false(pfe_childenv_preloads(NULL, LIB, NULL));
	assert_false(pfe_childenv_preloads(envp + 1, LIB, NULL));
}

static void test_outputs(void **state)
{
	char buf[64] = "";

	assert_false(pfe_outputs_has(NULL, 1, 2));
	assert_false(pfe_outputs_has("", 1, 2));
	assert_int_equal(pfe_outputs_add(buf, sizeof(buf), 0x803, 0x1234abcd), 0);
	assert_string_equal(buf, "803:1234abcd");
	assert_int_equal(pfe_outputs_add(buf, sizeof(buf), 0x803, 0x1234abcd), 0); /* once */
	assert_int_equal(pfe_outputs_add(buf, sizeof(buf), 0, UINT64_MAX), 0);
	assert_string_equal(buf, "803:1234abcd,0:ffffffffffffffff");
	assert_true(pfe_outputs_has(buf, 0x803, 0x1234abcd));
	assert_true(pfe_outputs_has(buf, 0, UINT64_MAX));
	assert_false(pfe_outputs_has(buf, 0x803, 0x1234abc));
	assert_false(pfe_outputs_has(buf, 0x80, 0x1234abcd));
	/* Malformed entries (from a hostile environment) match nothing and
	 * do not hide the good ones after them. */
	assert_true(pfe_outputs_has("zz,1:,:2,1:2:3,11111111111111111:1,7:8", 7, 8));
	assert_false(pfe_outputs_has("1:2x", 1, 2));
	assert_false(pfe_outputs_has("11111111111111111:1", 0x1111111111111111, 1));
	/* No room: unchanged. */
	strcpy(buf, "1:2");
	assert_int_equal(pfe_outputs_add(buf, 9, 0x345, 6), -ENOSPC);
	assert_string_equal(buf, "1:2");
	assert_int_equal(pfe_outputs_add(buf, 10, 0x345, 6), 0);
	assert_string_equal(buf, "1:2,345:6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bare),
	    cmocka_unit_test(test_preload_prepended),
	    cmocka_unit_test(test_preload_not_twice),
	    cmocka_unit_test(test_program_values_win),
	    cmocka_unit_test(test_markers_replace),
	    cmocka_unit_test(test_drop),
	    cmocka_unit_test(test_nothing_to_do),
	    cmocka_unit_test(test_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
