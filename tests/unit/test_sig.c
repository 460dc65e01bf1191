/* SPDX-License-Identifier: MIT */
/*
 * Signatures (lib/hooks/sig.c) and typed values (lib/hooks/sigfmt.c): the syntax, the
 * AAPCS64 placement of arguments, extension of narrow values, the spec
 * splitter, and the formatting of every kind, with a memory reader that
 * refuses chosen addresses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sig.h"

static struct pfe_sig parse_ok(const char *text)
{
	struct pfe_sig sig;
	char why[160] = "";

	if (pfe_sig_parse(text, &sig, why, sizeof(why)))
		fail_msg("'%s': %s", text, why);
	return sig;
}

static void parse_bad(const char *text, const char *why_want)
{
	struct pfe_sig sig;
	char why[160] = "";

	assert_int_equal(pfe_sig_parse(text, &sig, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, why_want);
}

static void test_types(void **state)
{
	struct pfe_sig s =
	    parse_ok("( int , unsigned long,const char *, char*, void **, struct x *,"
		     " i8, u16, float, double, bool, size_t, str, ptr, char)->u8");

	assert_int_equal(s.nargs, 15);
	assert_int_equal(s.arg[0].kind, PFE_TK_SINT);
	assert_int_equal(s.arg[0].size, 4);
	assert_int_equal(s.arg[1].kind, PFE_TK_UINT);
	assert_int_equal(s.arg[1].size, 8);
	assert_int_equal(s.arg[2].kind, PFE_TK_STR);
	assert_int_equal(s.arg[3].kind, PFE_TK_STR);
	assert_int_equal(s.arg[4].kind, PFE_TK_PTR);
	assert_int_equal(s.arg[5].kind, PFE_TK_PTR);
	assert_int_equal(s.arg[6].kind, PFE_TK_SINT);
	assert_int_equal(s.arg[6].size, 1);
	assert_int_equal(s.arg[7].kind, PFE_TK_UINT);
	assert_int_equal(s.arg[7].size, 2);
	assert_int_equal(s.arg[8].kind, PFE_TK_FLOAT);
	assert_int_equal(s.arg[9].kind, PFE_TK_DOUBLE);
	assert_int_equal(s.arg[10].kind, PFE_TK_BOOL);
	assert_int_equal(s.arg[11].kind, PFE_TK_UINT);
	assert_int_equal(s.arg[12].kind, PFE_TK_STR);
	assert_int_equal(s.arg[13].kind, PFE_TK_PTR);
	assert_int_equal(s.arg[14].kind, PFE_TK_CHAR);
	assert_int_equal(s.ret.kind, PFE_TK_UINT);
	assert_int_equal(s.ret.size, 1);

	s = parse_ok("()");
	assert_int_equal(s.nargs, 0);
	assert_int_equal(s.ret.kind, PFE_TK_VOID);
	s = parse_ok("(void) -> long long");
	assert_int_equal(s.nargs, 0);
	assert_int_equal(s.ret.kind, PFE_TK_SINT);
	assert_int_equal(s.ret.size, 8);
}

static void test_errors(void **state)
{
	parse_bad("int", "'int': a signature starts with '('");
	parse_bad("(int", "'(int': no ')'");
	parse_bad("(int,)", "empty type in ''");
	parse_bad("(blob)", "unknown type 'blob'");
	parse_bad("(int) long", "'(int) long': expected '->type' after ')'");
	parse_bad("(int, void)", "'(int, void)': void argument");
	parse_bad("(int * x)", "'int * x': nothing may follow '*'");
	parse_bad("(i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8)",
		  "'(i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8,i8)': "
		  "more than 24 arguments");
}

/* AAPCS64: integers in x0-x7 and FP in v0-v7, counted apart; then 8-byte
 * stack slots in order. */
static void test_placement(void **state)
{
	struct pfe_sig s = parse_ok("(long,double,long,double,long,double,long,double,long,double,"
				    "long,double,long,double,long,double,long,double,float,int)");

	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(s.loc[i].cls, i % 2 ? PFE_LOC_FP_REG : PFE_LOC_INT_REG);
		assert_int_equal(s.loc[i].n, i / 2);
	}
	assert_int_equal(s.loc[16].cls, PFE_LOC_STACK);
	assert_int_equal(s.loc[16].n, 0);
	assert_int_equal(s.loc[17].cls, PFE_LOC_STACK);
	assert_int_equal(s.loc[17].n, 8);
	assert_int_equal(s.loc[18].cls, PFE_LOC_STACK);
	assert_int_equal(s.loc[18].n, 16);
	assert_int_equal(s.loc[19].cls, PFE_LOC_STACK);
	assert_int_equal(s.loc[19].n, 24);
}

static void test_values(void **state)
{
	/* i8 u16 int bool in x0-x3, longs 6-9 in x4-x7, longs 10-11 and the
	 * short on the stack, float/double/double in v0-v2. */
	struct pfe_sig s = parse_ok("(i8,u16,int,bool,float,double,long,long,long,long,long,long,"
				    "short,double)->float");
	struct pfe_regs r = {0};
	struct pfe_ret_regs rr = {0};
	uint64_t stack[3] = {7, 8, 0xffffffffffff8000ull /* short -32768, junk above */};

	r.x[0] = 0x12345680; /* i8: 0x80 = -128 */
	r.x[1] = 0xffff0001; /* u16: 1 */
	r.x[2] = 0xffffffff; /* int: -1 */
	r.x[3] = 0x100;	     /* bool: low byte 0 = false */
	r.v[0].s = 1.5f;
	r.v[1].d = -0.25;
	r.v[2].d = 2.5;
	r.sp = (uintptr_t)stack;
	assert_int_equal(pfe_sig_arg(&s, &r, 0).i, -128);
	assert_int_equal(pfe_sig_arg(&s, &r, 1).u, 1);
	assert_int_equal(pfe_sig_arg(&s, &r, 2).i, -1);
	assert_int_equal(pfe_sig_arg(&s, &r, 3).u, 0);
	assert_true(pfe_sig_arg(&s, &r, 4).d == 1.5);
	assert_true(pfe_sig_arg(&s, &r, 5).d == -0.25);
	assert_int_equal(s.loc[10].cls, PFE_LOC_STACK);
	assert_int_equal(pfe_sig_arg(&s, &r, 10).i, 7);
	assert_int_equal(pfe_sig_arg(&s, &r, 11).i, 8);
	assert_int_equal(s.loc[12].n, 16);
	assert_int_equal(pfe_sig_arg(&s, &r, 12).i, -32768);
	assert_int_equal(s.loc[13].cls, PFE_LOC_FP_REG);
	assert_int_equal(s.loc[13].n, 2);
	assert_true(pfe_sig_arg(&s, &r, 13).d == 2.5);

	rr.v[0].s = -3.0f;
	assert_true(pfe_sig_ret(&s, &rr).d == -3.0);
	pfe_sig_set_ret(&s, &rr, (union pfe_value){.d = 4.5});
	assert_true(rr.v[0].s == 4.5f);
}

static int split_n;
static char split_terms[8][64];

static int split_fn(const char *term, size_t len, void *ctx)
{
	memcpy(split_terms[split_n], term, len);
	split_terms[split_n++][len] = '\0';
	return 0;
}

static void test_split(void **state)
{
	split_n = 0;
	assert_int_equal(
	    pfe_sig_split("a*,f(int,str)->long,!b,g@lib*.so(double),h()", split_fn, NULL), 0);
	assert_int_equal(split_n, 5);
	assert_string_equal(split_terms[0], "a*");
	assert_string_equal(split_terms[1], "f(int,str)->long");
	assert_string_equal(split_terms[2], "!b");
	assert_string_equal(split_terms[3], "g@lib*.so(double)");
	assert_string_equal(split_terms[4], "h()");
	assert_int_equal(pfe_sig_name_len("g@lib*.so(double)"), 9);
	assert_int_equal(pfe_sig_name_len("plain"), 5);
}

/* Everything is readable but 0xbad. */
static const char mem_base[64] = "\t\"q'\\\001"; /* padded: the reader reads ahead */
static bool reader(uintptr_t addr, void *buf, size_t n)
{
	if (addr == 0xbad)
		return false;
	memcpy(buf, (const void *)addr, n);
	return true;
}

static const char *fmt(struct pfe_type t, union pfe_value v)
{
	static char buf[128];

	pfe_sig_fmt_value(buf, sizeof(buf), t, v, reader);
	return buf;
}

static void test_format(void **state)
{
	static const char longstr[64] = "0123456789012345678901234567890123456789";

	assert_string_equal(
	    fmt((struct pfe_type){PFE_TK_SINT, 8}, (union pfe_value){.i = INT64_MIN}),
	    "-9223372036854775808");
	assert_string_equal(
	    fmt((struct pfe_type){PFE_TK_UINT, 8}, (union pfe_value){.u = UINT64_MAX}),
	    "18446744073709551615");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_BOOL, 1}, (union pfe_value){.u = 1}),
			    "true");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_CHAR, 1}, (union pfe_value){.i = '\''}),
			    "'\\''");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_CHAR, 1}, (union pfe_value){.i = -1}),
			    "'\\xff'");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_PTR, 8}, (union pfe_value){.u = 0}),
			    "0x0");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_PTR, 8}, (union pfe_value){.u = 0xbeef}),
			    "0xbeef");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_STR, 8}, (union pfe_value){.u = 0}),
			    "NULL");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_STR, 8}, (union pfe_value){.u = 0xbad}),
			    "(bad 0xbad)");
	assert_string_equal(
	    fmt((struct pfe_type){PFE_TK_STR, 8}, (union pfe_value){.u = (uintptr_t)mem_base}),
	    "\"\\t\\\"q'\\\\\\x01\"");
	assert_string_equal(
	    fmt((struct pfe_type){PFE_TK_STR, 8}, (union pfe_value){.u = (uintptr_t)longstr}),
	    "\"01234567890123456789012345678901\"...");
	assert_string_equal(
	    fmt((struct pfe_type){PFE_TK_DOUBLE, 8}, (union pfe_value){.d = 1665.5}), "1665.5");
	assert_string_equal(fmt((struct pfe_type){PFE_TK_FLOAT, 4}, (union pfe_value){.d = -0.125}),
			    "-0.125");
}

static void test_format_args_cut(void **state)
{
	struct pfe_sig s = parse_ok("(int,int,int)");
	struct pfe_regs r = {.x = {111, 222, 333}};
	char buf[9];

	assert_int_equal(pfe_sig_fmt_args(buf, sizeof(buf), &s, &r, reader), 8);
	assert_string_equal(buf, "111, 222");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_types),	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_placement),	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_split),	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_args_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
