/* SPDX-License-Identifier: MIT */
/*
 * The pattern language: every feature, every error message, and a fuzz loop
 * that compares the glob matcher with fnmatch(3) on every spec both accept.
 * Also built for the host under ASan/UBSan (tests/host/test_pattern.c).
 */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pattern.h"

static struct pfe_pattern *compile_ok(const char *spec)
{
	char err[256];
	struct pfe_pattern *p = pfe_pattern_compile(spec, err, sizeof(err));

	if (!p)
		fail_msg("'%s' did not compile: %s", spec, err);
	assert_string_equal(err, "");
	return p;
}

/* Does @spec select @func in @object? */
static bool sel(const char *spec, const char *func, const char *object)
{
	struct pfe_pattern *p = compile_ok(spec);
	bool r = pfe_pattern_match(p, func, object);

	pfe_pattern_free(p);
	return r;
}

static void expect_error(const char *spec, const char *msg)
{
	char err[256];
	struct pfe_pattern *p;

	memset(err, 'x', sizeof(err));
	errno = 0;
	p = pfe_pattern_compile(spec, err, sizeof(err));
	if (p) {
		pfe_pattern_free(p);
		fail_msg("'%s' compiled, expected error \"%s\"", spec, msg);
	}
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err, msg);
}

static void test_exact(void **state)
{
	assert_true(sel("foo", "foo", "app"));
	assert_false(sel("foo", "fo", "app"));
	assert_false(sel("foo", "fooo", "app"));
	assert_false(sel("foo", "Foo", "app"));
	assert_false(sel("foo", "", "app"));
	assert_true(sel("foo", "foo", NULL));
	assert_true(sel("a.b$c", "a.b$c", "app"));
	assert_false(sel("a.b", "axb", "app"));
}

static void test_star(void **state)
{
	assert_true(sel("*", "anything", "app"));
	assert_true(sel("*", "", "app"));
	assert_true(sel("foo*", "foo", "app"));
	assert_true(sel("foo*", "foobar", "app"));
	assert_false(sel("foo*", "xfoo", "app"));
	assert_true(sel("*bar", "foobar", "app"));
	assert_false(sel("*bar", "barx", "app"));
	assert_true(sel("*o*", "foo", "app"));
	assert_true(sel("a*b*c", "aXbYbZc", "app"));
	assert_true(sel("a*b*c", "abc", "app"));
	assert_false(sel("a*b*c", "aXbYcZ", "app"));
	assert_true(sel("a**b", "ab", "app"));
	/* backtracking past a partial match */
	assert_true(sel("*aab", "aaaab", "app"));
	assert_true(sel("*ab*ab", "xabyabab", "app"));
	assert_false(sel("*ab*ab", "xabyaba", "app"));
}

static void test_question(void **state)
{
	assert_true(sel("f?o", "foo", "app"));
	assert_true(sel("f?o", "fxo", "app"));
	assert_false(sel("f?o", "fo", "app"));
	assert_false(sel("f?o", "fooo", "app"));
	assert_true(sel("???", "abc", "app"));
	assert_false(sel("???", "ab", "app"));
	assert_true(sel("*?", "a", "app"));
	assert_false(sel("*?", "", "app"));
}

static void test_bracket(void **state)
{
	assert_true(sel("f[abc]", "fa", "app"));
	assert_true(sel("f[abc]", "fc", "app"));
	assert_false(sel("f[abc]", "fd", "app"));
	assert_false(sel("f[abc]", "f", "app"));
	assert_true(sel("f[a-c]x", "fbx", "app"));
	assert_false(sel("f[a-c]x", "fdx", "app"));
	assert_true(sel("f[!a-c]", "fd", "app"));
	assert_false(sel("f[!a-c]", "fb", "app"));
	assert_true(sel("f[^a-c]", "fd", "app"));
	assert_false(sel("f[^a-c]", "fa", "app"));
	/* "]" first is a member; "-" first or last is a member */
	assert_true(sel("[]]", "]", "app"));
	assert_true(sel("[!]]", "a", "app"));
	assert_false(sel("[!]]", "]", "app"));
	assert_true(sel("[-a]", "-", "app"));
	assert_true(sel("[a-]", "-", "app"));
	assert_false(sel("[a-]", "b", "app"));
	assert_true(sel("[a-a]", "a", "app"));
	/* a bracket matches exactly one character */
	assert_false(sel("[ab]", "ab", "app"));
	assert_true(sel("[ab]*", "ab", "app"));
	/* escapes inside brackets */
	assert_true(sel("[\\]]", "]", "app"));
	assert_true(sel("[\\!a]", "!", "app"));
	assert_true(sel("[a\\-z]", "-", "app"));
	assert_false(sel("[a\\-z]", "m", "app"));
	/* "@" and "*" are members inside brackets */
	assert_true(sel("f[@*]", "f@", "app"));
	assert_true(sel("f[@*]", "f*", "app"));
}

static void test_classes(void **state)
{
	assert_true(sel("f[[:digit:]]", "f7", "app"));
	assert_false(sel("f[[:digit:]]", "fx", "app"));
	assert_true(sel("[[:alpha:]_]*", "_x", "app"));
	assert_true(sel("[[:alpha:]_]*", "Ab1", "app"));
	assert_false(sel("[[:alpha:]_]*", "1b", "app"));
	assert_true(sel("[![:alnum:]]", "_", "app"));
	assert_false(sel("[![:alnum:]]", "Z", "app"));
	assert_true(sel("[[:upper:]]", "Q", "app"));
	assert_false(sel("[[:upper:]]", "q", "app"));
	assert_true(sel("[[:lower:]]", "q", "app"));
	assert_true(sel("[[:xdigit:]]", "F", "app"));
	assert_false(sel("[[:xdigit:]]", "g", "app"));
	assert_true(sel("[[:punct:]]", "_", "app"));
	assert_true(sel("[[:space:][:blank:]]", "\t", "app"));
	assert_true(sel("[[:print:]]", "~", "app"));
	assert_true(sel("[[:graph:]]", "~", "app"));
	assert_false(sel("[[:graph:]]", "\x7f", "app"));
	assert_true(sel("[[:cntrl:]]", "\x01", "app"));
}

static void test_escape(void **state)
{
	assert_true(sel("a\\*b", "a*b", "app"));
	assert_false(sel("a\\*b", "axb", "app"));
	assert_true(sel("a\\?", "a?", "app"));
	assert_false(sel("a\\?", "ab", "app"));
	assert_true(sel("\\[x]", "[x]", "app"));
	assert_true(sel("a\\,b", "a,b", "app"));
	assert_true(sel("a\\@b", "a@b", "app"));
	assert_true(sel("\\!x", "!x", "app"));
	assert_true(sel("a\\b", "ab", "app"));
}

static void test_list(void **state)
{
	assert_true(sel("foo,bar", "foo", "app"));
	assert_true(sel("foo,bar", "bar", "app"));
	assert_false(sel("foo,bar", "baz", "app"));
	assert_true(sel("x,y,z*", "zz", "app"));
}

static void test_exclude(void **state)
{
	assert_true(sel("foo*,!foobar", "foo", "app"));
	assert_false(sel("foo*,!foobar", "foobar", "app"));
	/* order does not matter */
	assert_false(sel("!foobar,foo*", "foobar", "app"));
	assert_true(sel("!foobar,foo*", "foox", "app"));
	/* excludes only: everything else */
	assert_true(sel("!foo", "bar", "app"));
	assert_false(sel("!foo", "foo", "app"));
	assert_false(sel("!foo*,!bar", "bar", "app"));
	assert_true(sel("!foo*,!bar", "baz", "app"));
	assert_false(sel("*,!*", "foo", "app"));
	assert_false(sel("!*", "foo", "app"));
}

static void test_object(void **state)
{
	assert_true(sel("foo@app", "foo", "app"));
	assert_false(sel("foo@app", "foo", "libx.so"));
	assert_false(sel("foo@app", "foo", NULL));
	assert_true(sel("foo@lib*.so*", "foo", "libdemo.so.1"));
	assert_false(sel("foo@lib*.so*", "foo", "app"));
	assert_true(sel("*@libdemo.so", "anything", "libdemo.so"));
	assert_false(sel("*@libdemo.so", "anything", "app"));
	assert_true(sel("f?o@a[p]p", "fxo", "app"));
	/* exclude within one object */
	assert_true(sel("foo,!foo@libx.so", "foo", "app"));
	assert_false(sel("foo,!foo@libx.so", "foo", "libx.so"));
	assert_true(sel("!*@libc.so.6", "foo", "app"));
	assert_false(sel("!*@libc.so.6", "foo", "libc.so.6"));
}

/* Functions without the flag (dynamic sites): the terms that reach them. */
static void test_unflagged(void **state)
{
	const unsigned lib = PFE_REACH_EXACT | PFE_REACH_NAMED;
	const unsigned prog = lib | PFE_REACH_GLOB;
	struct pfe_pattern *p;

	(void)state;
	/* Exact names everywhere; a glob reaches no unflagged function of an
	 * object with a table, nor of a library without a term naming it. */
	p = compile_ok("malloc,f_*");
	assert_true(pfe_pattern_reaches(p, "libc.so.6", PFE_REACH_EXACT));
	assert_true(pfe_pattern_match_unflagged(p, "malloc", "libc.so.6", PFE_REACH_EXACT));
	assert_false(pfe_pattern_match_unflagged(p, "f_one", "app", PFE_REACH_EXACT));
	assert_false(pfe_pattern_match_unflagged(p, "f_one", "libc.so.6", lib));
	assert_true(pfe_pattern_match_unflagged(p, "f_one", "app", prog));
	assert_true(pfe_pattern_match(p, "f_one", "app"));
	pfe_pattern_free(p);

	p = compile_ok("f_*");
	assert_false(pfe_pattern_reaches(p, "libc.so.6", lib));
	assert_true(pfe_pattern_reaches(p, "app", prog));
	pfe_pattern_free(p);

	/* A term naming an object without a table reaches all it selects there. */
	p = compile_ok("inflate*@libz.so.1,!inflateEnd");
	assert_true(pfe_pattern_reaches(p, "libz.so.1", lib));
	assert_false(pfe_pattern_reaches(p, "libz.so.1", PFE_REACH_EXACT));
	assert_false(pfe_pattern_reaches(p, "libc.so.6", lib));
	assert_true(pfe_pattern_match_unflagged(p, "inflateInit_", "libz.so.1", lib));
	assert_false(pfe_pattern_match_unflagged(p, "inflateEnd", "libz.so.1", lib));
	assert_false(pfe_pattern_match_unflagged(p, "deflate", "libz.so.1", lib));
	pfe_pattern_free(p);

	/* Only excludes: everything else of a main program without a table,
	 * nothing of a library. */
	p = compile_ok("!main");
	assert_true(pfe_pattern_match_unflagged(p, "f_one", "app", prog));
	assert_false(pfe_pattern_match_unflagged(p, "main", "app", prog));
	assert_false(pfe_pattern_reaches(p, "libz.so.1", lib));
	pfe_pattern_free(p);
}

static void test_whitespace(void **state)
{
	struct pfe_pattern *p = compile_ok("  foo , bar*\t,! baz , qux @ app  ");
	bool ex;

	assert_int_equal(pfe_pattern_nterms(p), 4);
	assert_string_equal(pfe_pattern_term(p, 0, &ex), "foo");
	assert_false(ex);
	assert_string_equal(pfe_pattern_term(p, 1, &ex), "bar*");
	assert_string_equal(pfe_pattern_term(p, 2, &ex), "baz");
	assert_true(ex);
	assert_string_equal(pfe_pattern_term(p, 3, &ex), "qux @ app");
	assert_false(ex);
	assert_true(pfe_pattern_match(p, "foo", "x"));
	assert_true(pfe_pattern_match(p, "barn", "x"));
	assert_true(pfe_pattern_match(p, "qux", "app"));
	assert_false(pfe_pattern_match(p, "qux", "x"));
	pfe_pattern_free(p);
	/* an escaped space is part of the name; an inner one too */
	assert_true(sel("a\\ ", "a ", "app"));
	assert_false(sel("a\\ ", "a", "app"));
	assert_true(sel("a b", "a b", "app"));
}

static void test_accessors(void **state)
{
	const char *spec = "foo,!bar*,baz@lib?.so";
	struct pfe_pattern *p = compile_ok(spec);
	bool ex = true;

	assert_string_equal(pfe_pattern_spec(p), spec);
	assert_ptr_not_equal(pfe_pattern_spec(p), spec);
	assert_int_equal(pfe_pattern_nterms(p), 3);
	assert_string_equal(pfe_pattern_term(p, 0, &ex), "foo");
	assert_false(ex);
	assert_string_equal(pfe_pattern_term(p, 1, &ex), "bar*");
	assert_true(ex);
	assert_string_equal(pfe_pattern_term(p, 2, NULL), "baz@lib?.so");
	assert_null(pfe_pattern_term(p, 3, &ex));
	assert_int_equal(pfe_pattern_term_hits(p, 3), 0);
	pfe_pattern_free(p);
	pfe_pattern_free(NULL);
}

static void test_hits(void **state)
{
	struct pfe_pattern *p = compile_ok("foo*,*bar,!foobar,nomatch,x@lib*");

	assert_true(pfe_pattern_match(p, "foo", "app"));
	assert_true(pfe_pattern_match(p, "foox", "app"));
	assert_true(pfe_pattern_match(p, "zbar", "app"));
	/* excluded, but both include terms matched it */
	assert_false(pfe_pattern_match(p, "foobar", "app"));
	assert_false(pfe_pattern_match(p, "x", "app"));
	assert_true(pfe_pattern_match(p, "x", "libz.so"));
	assert_false(pfe_pattern_match(p, NULL, "app"));
	assert_int_equal(pfe_pattern_term_hits(p, 0), 3);
	assert_int_equal(pfe_pattern_term_hits(p, 1), 2);
	assert_int_equal(pfe_pattern_term_hits(p, 2), 0);
	assert_int_equal(pfe_pattern_term_hits(p, 3), 0);
	assert_int_equal(pfe_pattern_term_hits(p, 4), 1);
	pfe_pattern_reset_hits(p);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(pfe_pattern_term_hits(p, i), 0);
	assert_true(pfe_pattern_match(p, "zbar", "app"));
	assert_int_equal(pfe_pattern_term_hits(p, 1), 1);
	pfe_pattern_free(p);
}

static void test_nameless(void **state)
{
	assert_false(sel("*", NULL, "app"));
	assert_false(sel("!foo", NULL, "app"));
}

static void test_errors(void **state)
{
	expect_error("foo,,bar", "empty term at offset 4 (expected a function name or glob)");
	expect_error("", "empty term at offset 0 (expected a function name or glob)");
	expect_error("   ", "empty term at offset 3 (expected a function name or glob)");
	expect_error(",foo", "empty term at offset 0 (expected a function name or glob)");
	expect_error("foo,", "empty term at offset 4 (expected a function name or glob)");
	expect_error("foo, ", "empty term at offset 5 (expected a function name or glob)");
	expect_error("foo, ,bar", "empty term at offset 5 (expected a function name or glob)");
	expect_error("f[ab", "unterminated [ at offset 1 (expected ])");
	expect_error("f[ab,c]", "unterminated [ at offset 1 (expected ])");
	expect_error("f[]", "unterminated [ at offset 1 (expected ])");
	expect_error("f[!]", "unterminated [ at offset 1 (expected ])");
	expect_error("[", "unterminated [ at offset 0 (expected ])");
	expect_error("foo@app[", "unterminated [ at offset 7 (expected ])");
	expect_error("@app", "empty function name before @ at offset 0 (expected a function "
			     "name or glob)");
	expect_error("a, @app", "empty function name before @ at offset 3 (expected a function "
				"name or glob)");
	expect_error("!@app", "empty function name before @ at offset 1 (expected a function "
			      "name or glob)");
	expect_error("foo@", "empty object after @ at offset 3 (expected an object file name or "
			     "glob)");
	expect_error("foo@ ,x", "empty object after @ at offset 3 (expected an object file name "
				"or glob)");
	expect_error("a@b@c", "second @ at offset 3 (expected one object glob per term)");
	expect_error("!", "lone ! at offset 0 (expected a function name or glob after it)");
	expect_error("foo, !", "lone ! at offset 5 (expected a function name or glob after it)");
	expect_error("foo,!,bar", "lone ! at offset 4 (expected a function name or glob after it)");
	expect_error("foo\\", "dangling \\ at offset 3 (expected a character after it)");
	expect_error("[\\", "dangling \\ at offset 1 (expected a character after it)");
	expect_error("[a-\\", "dangling \\ at offset 3 (expected a character after it)");
	expect_error("f[z-a]", "reversed range at offset 2 (expected the lower character first)");
	expect_error("[[:alpah:]]",
		     "unknown character class 'alpah' at offset 1 (expected alpha, "
		     "digit, alnum, lower, upper, xdigit, space, blank, punct, print, "
		     "graph or cntrl)");
	expect_error("[[:alpha]", "unterminated [: at offset 1 (expected :] after a character "
				  "class name)");
}

static void test_error_args(void **state)
{
	char err[8];
	struct pfe_pattern *p;

	errno = 0;
	assert_null(pfe_pattern_compile(NULL, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	/* truncated, still terminated */
	assert_null(pfe_pattern_compile("a,,b", err, sizeof(err)));
	assert_int_equal(strlen(err), sizeof(err) - 1);
	/* no buffer at all */
	errno = 0;
	assert_null(pfe_pattern_compile("a,,b", NULL, 0));
	assert_int_equal(errno, EINVAL);
	p = pfe_pattern_compile("ok", NULL, 0);
	assert_non_null(p);
	pfe_pattern_free(p);
}

/* A long spec with many terms, to exercise the pool sizing. */
static void test_many_terms(void **state)
{
	char spec[4096], name[16];
	size_t n = 0;
	struct pfe_pattern *p;

	for (int i = 0; i < 300; i++)
		n += snprintf(spec + n, sizeof(spec) - n, "%s!f%d@o%d", i ? "," : "", i, i);
	p = compile_ok(spec);
	assert_int_equal(pfe_pattern_nterms(p), 300);
	assert_string_equal(pfe_pattern_term(p, 299, NULL), "f299@o299");
	snprintf(name, sizeof(name), "f%d", 150);
	assert_false(pfe_pattern_match(p, name, "o150"));
	assert_true(pfe_pattern_match(p, name, "o151"));
	pfe_pattern_free(p);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void random_string(char *out, size_t max, const char *alphabet)
{
	size_t len = rnd(max), na = strlen(alphabet);

	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[rnd(na)];
	out[len] = '\0';
}

/*
 * Random specs must never crash; every single-term spec without "@" and ","
 * that compiles must agree with fnmatch(3) in the C locale on random names.
 */
static void test_fuzz(void **state)
{
	static const char spec_chars[] = "ab*?[]!^-\\,@: \t:[]adigtlph";
	static const char name_chars[] = "ab-]![^\\*? :";
	char spec[24], name[12], err[256];
	unsigned compiled = 0, compared = 0;

	for (int i = 0; i < 40000; i++) {
		struct pfe_pattern *p;
		bool simple;

		random_string(spec, sizeof(spec) - 1, spec_chars);
		p = pfe_pattern_compile(spec, err, sizeof(err));
		if (!p) {
			assert_int_equal(errno, EINVAL);
			assert_true(err[0] != '\0');
			assert_non_null(strstr(err, "at offset"));
			continue;
		}
		compiled++;
		simple = pfe_pattern_nterms(p) == 1 && !strpbrk(spec, ",@ \t!");
		for (int j = 0; j < 8; j++) {
			random_string(name, sizeof(name) - 1, name_chars);
			bool got = pfe_pattern_match(p, name, "obj");

			if (simple) {
				bool want = fnmatch(spec, name, 0) == 0;

				if (got != want)
					fail_msg("'%s' vs '%s': ours %d, fnmatch %d", spec, name,
						 got, want);
				compared++;
			}
		}
		pfe_pattern_free(p);
	}
	print_message("fuzz: %u compiled, %u compared with fnmatch\n", compiled, compared);
	/* the loop must actually exercise both sides */
	assert_true(compiled > 2000);
	assert_true(compared > 2000);
}

/* ------------------------------------------------------------ C++ names */

/* A demangler for the test: a fixed table (the real one is the C++
 * runtime's, which the host and unit builds do not link). */
static bool fake_demangle(const char *name, char *out, size_t len)
{
	static const char *const tab[][2] = {
	    {"_ZNK6shapes6Circle4areaEv", "shapes::Circle::area() const"},
	    {"_ZN6shapes5totalEPKPNS_5ShapeEi", "shapes::total(shapes::Shape* const*, int)"},
	    {"_ZL5scaled", "scale(double)"},
	    {"_Z3maxIiET_S0_S0_", "int max<int>(int, int)"},
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(name, tab[i][0]) && strlen(tab[i][1]) < len) {
			strcpy(out, tab[i][1]);
			return true;
		}
	return false;
}

static void test_demangled(void **state)
{
	/* Without a demangler only the mangled name matches. */
	pfe_pattern_set_demangler(NULL);
	assert_false(sel("shapes::*", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("_ZNK6shapes*", "_ZNK6shapes6Circle4areaEv", "a"));

	pfe_pattern_set_demangler(fake_demangle);
	assert_true(sel("shapes::*", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("*::area", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("shapes::Circle::area", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("shapes::Circle::area() const", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("_ZNK6shapes6Circle4areaEv", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_false(sel("*::total", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("*::total", "_ZN6shapes5totalEPKPNS_5ShapeEi", "a"));
	/* A comma of the parameter list is written escaped. */
	assert_true(sel("shapes::total(shapes::Shape\\* const\\*\\, int)",
			"_ZN6shapes5totalEPKPNS_5ShapeEi", "a"));
	assert_true(sel("scale", "_ZL5scaled", "a"));
	assert_true(sel("max<int>", "_Z3maxIiET_S0_S0_", "a"));
	/* Exclusion sees the demangled names too. */
	assert_false(sel("shapes::*,!*::area", "_ZNK6shapes6Circle4areaEv", "a"));
	assert_true(sel("shapes::*,!*::area", "_ZN6shapes5totalEPKPNS_5ShapeEi", "a"));
	assert_false(sel("!shapes::*", "_ZNK6shapes6Circle4areaEv", "a"));
	/* C names never go through the demangler. */
	assert_true(sel("main", "main", "a"));
	assert_false(sel("scale", "_Zunknown", "a"));
	pfe_pattern_set_demangler(NULL);
}

static void test_demangled_base(void **state)
{
	static const char *const cases[][2] = {
	    {"shapes::Circle::area() const", "shapes::Circle::area"},
	    {"int max<int>(int, int)", "max<int>"},
	    {"ns::f(int (*)(char))", "ns::f"},
	    {"Foo::operator()(int) const &&", "Foo::operator()"},
	    {"Foo::operator new(unsigned long)", "Foo::operator new"},
	    {"bool Foo::operator< <int>(int)", "Foo::operator< <int>"},
	    {"Foo::operator int() const", "Foo::operator int"},
	    {"(anonymous namespace)::helper(int)", "(anonymous namespace)::helper"},
	    {"std::vector<int, std::allocator<int> >::push_back(int const&)",
	     "std::vector<int, std::allocator<int> >::push_back"},
	    {"f() [clone .cold]", "f"},
	    {"g(int) noexcept [clone .isra.0] [clone .cold]", "g"},
	    {"vtable for shapes::Circle", "vtable for shapes::Circle"},
	    {"plain", "plain"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(pfe_demangled_base(cases[i][0], out, sizeof(out)), cases[i][1]);
	/* Truncated to the buffer, always terminated. */
	assert_string_equal(pfe_demangled_base("shapes::Circle::area() const", out, 7), "shapes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),	   cmocka_unit_test(test_star),
	    cmocka_unit_test(test_question),	   cmocka_unit_test(test_bracket),
	    cmocka_unit_test(test_classes),	   cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_list),	   cmocka_unit_test(test_exclude),
	    cmocka_unit_test(test_object),	   cmocka_unit_test(test_whitespace),
	    cmocka_unit_test(test_accessors),	   cmocka_unit_test(test_hits),
	    cmocka_unit_test(test_nameless),	   cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_error_args),	   cmocka_unit_test(test_many_terms),
	    cmocka_unit_test(test_fuzz),	   cmocka_unit_test(test_demangled),
	    cmocka_unit_test(test_demangled_base), cmocka_unit_test(test_unflagged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
