/* SPDX-License-Identifier: MIT */
/*
 * Site table decoding and lookup on synthetic code: every layout gcc emits for
 * -fpatchable-function-entry=N,M with and without `bti c`, decoded with and
 * without symbols, the refusal reasons, lookups by pc and by name (100,000
 * functions), and symbolization. Pure: also built for the host by
 * tests/host/test_sitetab.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sitetab.h"

#define NOP   0xd503201fu
#define BTI_C 0xd503245fu
#define ADD   0x11000400u /* add w0, w0, #1 */
#define RET   0xd65f03c0u
#define BASE  ((uintptr_t)0x400000)

/* A fake text segment at BASE and the symbols and entries placed in it. */
struct prog {
	uint32_t *code;
	size_t n, cap;
	struct pfe_sym_in *syms;
	size_t nsyms, symcap;
	uintptr_t *entries;
	size_t nentries, entcap;
};

static uintptr_t here(const struct prog *p)
{
	return BASE + 4 * p->n;
}

static void emit(struct prog *p, uint32_t insn)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->code = realloc(p->code, p->cap * sizeof(*p->code));
		assert_non_null(p->code);
	}
	p->code[p->n++] = insn;
}

static void sym(struct prog *p, uintptr_t addr, uint64_t size, const char *name, uint8_t rank)
{
	if (p->nsyms == p->symcap) {
		p->symcap = p->symcap ? 2 * p->symcap : 16;
		p->syms = realloc(p->syms, p->symcap * sizeof(*p->syms));
		assert_non_null(p->syms);
	}
	p->syms[p->nsyms++] = (struct pfe_sym_in){addr, size, name, rank};
}

static void entry(struct prog *p, uintptr_t e)
{
	if (p->nentries == p->entcap) {
		p->entcap = p->entcap ? 2 * p->entcap : 16;
		p->entries = realloc(p->entries, p->entcap * sizeof(*p->entries));
		assert_non_null(p->entries);
	}
	p->entries[p->nentries++] = e;
}

/*
 * One function as gcc lays it out for =N,M (bti: with `bti c`): M NOPs, the
 * symbol, maybe `bti c`, N - M NOPs, a body of @body instructions and `ret`.
 * Records the table entry (the first of the N NOPs) and, when @name, a sized
 * symbol. Returns the symbol's address.
 */
static uintptr_t func(struct prog *p, unsigned n, unsigned m, bool bti, unsigned body,
		      const char *name)
{
	uintptr_t start = here(p), f;

	for (unsigned i = 0; i < m; i++)
		emit(p, NOP);
	f = here(p);
	if (bti)
		emit(p, BTI_C);
	for (unsigned i = m; i < n; i++)
		emit(p, NOP);
	for (unsigned i = 0; i < body; i++)
		emit(p, ADD);
	emit(p, RET);
	entry(p, bti && m == 0 ? f + 4 : start);
	if (name)
		sym(p, f, here(p) - f, name, 0);
	return f;
}

/*
 * The decoder reads the text in place: a copy that ends where a page
 * without rights begins, so that a read past the end of the text faults
 * (the test dies) instead of finding more code.
 */
static void build(struct prog *p, struct pfe_sitetab *t, bool with_syms)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = 4 * p->n;
	size_t span = (len + ps - 1) / ps * ps;
	char *m = mmap(NULL, span + ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct pfe_range text;

	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + span, ps, PROT_NONE), 0);
	memcpy(m + span - len, p->code, len);
	text = (struct pfe_range){BASE, here(p), m + span - len};
	struct pfe_sitetab_src src = {
	    .entries = p->entries,
	    .nentries = p->nentries,
	    .syms = with_syms ? p->syms : NULL,
	    .nsyms = with_syms ? p->nsyms : 0,
	    .text = &text,
	    .ntext = 1,
	};

	assert_int_equal(pfe_sitetab_build(t, &src), 0);
	munmap(m, span + ps);
}

static void prog_free(struct prog *p)
{
	free(p->code);
	free(p->syms);
	free(p->entries);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------- layouts */
struct layout {
	unsigned n, m;
	bool bti;
};

static void check_layout(const struct layout *l, bool with_syms)
{
	static const char *const names[] = {"alpha", "beta", "gamma"};
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t f[3];

	/* Padding NOPs between functions, as alignment leaves them, must not
	 * confuse the decoder. */
	emit(&p, RET);
	for (int i = 0; i < 3; i++) {
		f[i] = func(&p, l->n, l->m, l->bti, 2, names[i]);
		for (int k = 0; k < i; k++)
			emit(&p, NOP);
	}
	build(&p, &t, with_syms);

	assert_int_equal(t.nsites, 3);
	assert_int_equal(pfe_sitetab_nrefused(&t), 0);
	for (int i = 0; i < 3; i++) {
		struct pfe_site *s = &t.sites[i];

		assert_int_equal(s->func, f[i]);
		assert_int_equal(s->pc, f[i] + (l->bti ? 4 : 0));
		assert_int_equal(s->flags, l->bti ? PFE_SITE_BTI : 0);
		assert_int_equal(s->nops, l->n - l->m);
		assert_int_equal(s->state, PFE_SITE_COMPILED);
		assert_null(s->obj);
		if (with_syms)
			assert_string_equal(s->name, names[i]);
		else
			assert_null(s->name);
		assert_ptr_equal(pfe_sitetab_by_pc(&t, s->pc), s);
		assert_ptr_equal(pfe_sitetab_by_name(&t, names[i]), with_syms ? s : NULL);
	}
	assert_int_equal(t.nnamed, with_syms ? 3 : 0);
	pfe_sitetab_free(&t);
	prog_free(&p);
}

static const struct layout layouts[] = {
    {2, 0, false}, /* =2: func: nop; nop */
    {2, 0, true},  /* =2, bti: func: bti c; nop; nop (entry func + 4) */
    {3, 1, false}, /* =3,1: nop; func: nop; nop */
    {4, 2, false}, /* =4,2: nop; nop; func: nop; nop */
    {4, 2, true},  /* =4,2, bti: nop; nop; func: bti c; nop; nop */
    {5, 0, false}, /* =5: more NOPs than two */
    {3, 0, true},  /* =3, bti */
};

static void test_layouts_with_symbols(void **state)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		check_layout(&layouts[i], true);
}

/* Stripped: the same sites, found from the NOP runs alone. For =5 the last
 * two of the five NOPs are chosen, which callers reach after three NOPs; the
 * function's address is then unknowable, so only the other layouts are
 * compared exactly. */
static void test_layouts_stripped(void **state)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].n - layouts[i].m == 2)
			check_layout(&layouts[i], false);
}

static void test_stripped_long_run(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t f;

	emit(&p, RET);
	f = func(&p, 5, 0, false, 1, NULL);
	build(&p, &t, false);
	assert_int_equal(t.nsites, 1);
	assert_int_equal(t.sites[0].pc, f + 12);
	assert_int_equal(t.sites[0].func, f + 12);
	assert_int_equal(t.sites[0].nops, 2);
	pfe_sitetab_free(&t);
	prog_free(&p);
}

/* With symbols only for some functions (a .dynsym): named where known. */
static void test_partly_named(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t a, b, c;

	emit(&p, RET);
	a = func(&p, 2, 0, true, 3, "exported");
	b = func(&p, 2, 0, true, 3, NULL); /* static, symbol stripped */
	c = func(&p, 4, 2, false, 1, "other");
	build(&p, &t, true);
	assert_int_equal(t.nsites, 3);
	assert_string_equal(t.sites[0].name, "exported");
	assert_int_equal(t.sites[0].pc, a + 4);
	assert_null(t.sites[1].name);
	assert_int_equal(t.sites[1].func, b);
	assert_int_equal(t.sites[1].pc, b + 4);
	assert_int_equal(t.sites[1].flags, PFE_SITE_BTI);
	assert_string_equal(t.sites[2].name, "other");
	assert_int_equal(t.sites[2].pc, c);
	/* The name index is built by the first lookup by name. */
	assert_null(t.by_name);
	assert_ptr_equal(pfe_sitetab_by_name(&t, "other"), &t.sites[2]);
	assert_int_equal(t.nnamed, 2);
	pfe_sitetab_free(&t);
	prog_free(&p);
}

/* ------------------------------------------------------------ refusals */
static void test_refusals(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t f, g, mid;
	char buf[200];

	emit(&p, RET);
	f = func(&p, 2, 0, false, 2, "f");
	g = here(&p);
	emit(&p, NOP);
	emit(&p, NOP);
	emit(&p, ADD);
	mid = here(&p); /* two NOPs inside g's body */
	emit(&p, NOP);
	emit(&p, NOP);
	emit(&p, RET);
	sym(&p, g, here(&p) - g, "g", 0);
	entry(&p, g);
	emit(&p, ADD);
	emit(&p, NOP); /* a single NOP at the very end of text */

	entry(&p, f + 8);		 /* not a NOP: the body */
	entry(&p, f + 2);		 /* misaligned */
	entry(&p, BASE + 4 * p.n);	 /* just past the text */
	entry(&p, 0x10);		 /* far outside */
	entry(&p, f);			 /* listed twice */
	entry(&p, mid);			 /* NOPs in a body, not at an entry */
	entry(&p, g + 4);		 /* second NOP of g: inside g */
	entry(&p, BASE + 4 * (p.n - 1)); /* one NOP, text ends after it */
	build(&p, &t, true);

	assert_int_equal(t.nsites, 2);
	assert_int_equal(t.sites[0].func, f);
	assert_int_equal(t.sites[1].func, g);
	assert_int_equal(t.refused[PFE_REFUSE_NOT_NOP], 2);
	assert_int_equal(t.refused[PFE_REFUSE_MISALIGNED], 1);
	assert_int_equal(t.refused[PFE_REFUSE_OUTSIDE], 2);
	assert_int_equal(t.refused[PFE_REFUSE_DUPLICATE], 1);
	assert_int_equal(t.refused[PFE_REFUSE_NOT_ENTRY], 2);
	assert_int_equal(pfe_sitetab_nrefused(&t), 8);
	assert_string_equal(pfe_sitetab_refusals(&t, buf, sizeof(buf)),
			    "2 not two NOPs, 2 outside text, 1 misaligned, 1 duplicate, "
			    "2 not at a function entry");
	/* A short buffer truncates without overflowing. */
	assert_string_equal(pfe_sitetab_refusals(&t, buf, 10), "2 not two");
	pfe_sitetab_free(&t);

	/* Stripped, a body's NOPs cannot be told from an entry: only the
	 * structurally broken entries are refused. */
	p.nentries = 1;
	entry(&p, f + 8);
	entry(&p, BASE + 4 * (p.n - 1));
	entry(&p, mid);
	build(&p, &t, false);
	assert_int_equal(t.nsites, 2);
	assert_int_equal(t.sites[1].pc, mid);
	assert_int_equal(t.refused[PFE_REFUSE_NOT_NOP], 2);
	pfe_sitetab_free(&t);
	prog_free(&p);
}

/* A `bti c` not followed by two NOPs is not a site. */
static void test_bti_without_nops(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t f;

	emit(&p, RET);
	f = here(&p);
	emit(&p, BTI_C);
	emit(&p, NOP);
	emit(&p, ADD);
	emit(&p, RET);
	sym(&p, f, 16, "f", 0);
	entry(&p, f + 4);
	build(&p, &t, true);
	assert_int_equal(t.nsites, 0);
	assert_int_equal(t.refused[PFE_REFUSE_NOT_NOP], 1);
	pfe_sitetab_free(&t);
	build(&p, &t, false);
	assert_int_equal(t.nsites, 0);
	assert_int_equal(t.refused[PFE_REFUSE_NOT_NOP], 1);
	pfe_sitetab_free(&t);
	prog_free(&p);
}

static void test_empty(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t off = 7;
	char buf[8];

	emit(&p, RET);
	build(&p, &t, true);
	assert_int_equal(t.nsites, 0);
	assert_null(pfe_sitetab_by_pc(&t, BASE));
	assert_null(pfe_sitetab_by_name(&t, "x"));
	assert_null(pfe_sitetab_symbolize(&t, BASE, &off));
	assert_int_equal(off, 7);
	assert_string_equal(pfe_sitetab_refusals(&t, buf, sizeof(buf)), "");
	pfe_sitetab_free(&t);
	pfe_sitetab_free(&t); /* freeing twice is harmless */
	prog_free(&p);
}

/* ------------------------------------------------------------- lookups */
static void test_same_name(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t a, b, c;
	struct pfe_site *s;

	emit(&p, RET);
	a = func(&p, 2, 0, false, 1, "helper"); /* static in one unit */
	b = func(&p, 2, 0, false, 1, "main");
	c = func(&p, 2, 0, false, 1, "helper"); /* static in another */
	build(&p, &t, true);
	assert_int_equal(t.nsites, 3);
	s = pfe_sitetab_by_name(&t, "helper");
	assert_non_null(s);
	assert_int_equal(s->func, a);
	assert_int_equal(t.by_name[0], 0);
	assert_int_equal(t.by_name[1], 2);
	assert_int_equal(t.sites[t.by_name[1]].func, c);
	assert_int_equal(pfe_sitetab_by_name(&t, "main")->func, b);
	assert_null(pfe_sitetab_by_name(&t, "help"));
	assert_null(pfe_sitetab_by_name(&t, "helpers"));
	assert_null(pfe_sitetab_by_name(&t, ""));
	assert_null(pfe_sitetab_by_pc(&t, a + 4));
	assert_null(pfe_sitetab_by_pc(&t, c + 100));
	pfe_sitetab_free(&t);
	prog_free(&p);
}

#define NFUNC 100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Names in an order unrelated to addresses, so that the name index is a
 * real permutation. */
static void test_100k(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	char(*names)[16] = malloc(NFUNC * sizeof(*names));
	uintptr_t *addr = malloc(NFUNC * sizeof(*addr));
	double t0, t1, t2;

	assert_non_null(names);
	assert_non_null(addr);
	for (unsigned i = 0; i < NFUNC; i++) {
		snprintf(names[i], sizeof(names[i]), "fn_%05u", (i * 7919u) % NFUNC);
		addr[i] = func(&p, 2, 0, i & 1, 0, names[i]);
	}
	/* Symbols in no order by address, as a linker's hash order leaves
	 * them: the radix sort's case, not its sorted shortcut. */
	for (unsigned i = NFUNC - 1; i > 0; i--) {
		unsigned j = (unsigned)(((uint64_t)i * 2654435761u) % (i + 1));
		struct pfe_sym_in x = p.syms[i];

		p.syms[i] = p.syms[j];
		p.syms[j] = x;
	}
	t0 = now();
	build(&p, &t, true);
	t1 = now();
	assert_int_equal(t.nsites, NFUNC);
	for (unsigned i = 0; i < NFUNC; i++) {
		struct pfe_site *s = pfe_sitetab_by_name(&t, names[i]);

		assert_non_null(s);
		assert_int_equal(s->func, addr[i]);
		assert_ptr_equal(pfe_sitetab_by_pc(&t, s->pc), s);
	}
	assert_int_equal(t.nnamed, NFUNC);
	t2 = now();
	print_message("# 100k functions: build %.3f s, 100k name lookups %.3f s\n", t1 - t0,
		      t2 - t1);
	pfe_sitetab_free(&t);
	prog_free(&p);
	free(names);
	free(addr);
}

/* ----------------------------------------------------------- symbolize */
static void test_symbolize(void **state)
{
	struct prog p = {0};
	struct pfe_sitetab t;
	uintptr_t off = 0;

	for (int i = 0; i < 64; i++)
		emit(&p, ADD);
	entry(&p, BASE); /* a NOP-less entry: refused, symbols still usable */
	sym(&p, BASE + 0x10, 0x10, "sized", 0);
	sym(&p, BASE + 0x30, 0, "unsized", 0); /* bounded by the next symbol */
	sym(&p, BASE + 0x40, 0x8, "last_sized", 0);
	sym(&p, BASE + 0x40, 0x8, "__last_sized", 0); /* alias */
	sym(&p, BASE + 0x48, 0x8, "weak_one", 1);
	sym(&p, BASE + 0x48, 0x8, "a_local", 2);
	sym(&p, BASE + 0x60, 0, "tail", 0); /* no bound at all */
	sym(&p, BASE + 0x70, 4, "", 0);	    /* nameless: ignored */
	build(&p, &t, true);
	assert_int_equal(t.nsyms, 5);

	assert_null(pfe_sitetab_symbolize(&t, BASE, &off));
	assert_null(pfe_sitetab_symbolize(&t, BASE + 0xf, &off));
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x10, &off), "sized");
	assert_int_equal(off, 0);
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x1c, &off), "sized");
	assert_int_equal(off, 0xc);
	assert_null(pfe_sitetab_symbolize(&t, BASE + 0x20, &off)); /* past its size */
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x3c, &off), "unsized");
	assert_int_equal(off, 0xc);
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x44, &off), "last_sized");
	assert_int_equal(off, 4);
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x48, &off), "weak_one");
	assert_int_equal(off, 0);
	assert_null(pfe_sitetab_symbolize(&t, BASE + 0x50, &off));
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x1000, &off), "tail");
	assert_int_equal(off, 0x1000 - 0x60);
	assert_string_equal(pfe_sitetab_symbolize(&t, BASE + 0x12, NULL), "sized");
	pfe_sitetab_free(&t);
	prog_free(&p);
}

/* Alias choice does not depend on the symbol table's order. */
static void test_alias_order(void **state)
{
	static const char *const n[] = {"__libc_malloc", "malloc", "__malloc"};
	struct prog p = {0};
	struct pfe_sitetab t;

	emit(&p, RET);
	func(&p, 2, 0, false, 1, NULL);
	for (int rot = 0; rot < 3; rot++) {
		p.nsyms = 0;
		for (int i = 0; i < 3; i++)
			sym(&p, BASE + 4, 12, n[(i + rot) % 3], 0);
		build(&p, &t, true);
		assert_int_equal(t.nsyms, 1);
		assert_string_equal(t.sites[0].name, "malloc");
		pfe_sitetab_free(&t);
	}
	prog_free(&p);
}

/*
 * Symbols out of order whose addresses fit a sort key with their index,
 * fit it only as offsets from the lowest, or not even so (symtab.c's three
 * ways to sort): the same table by address, one name per address.
 */
static void test_sym_order(void **state)
{
	/* BASE; across 2^32 (the addresses differ in 33 bits, their offsets
	 * in 11); too high for the index bits; spread (0). */
	static const uintptr_t bases[] = {BASE, (uintptr_t)0x100000000u - 0x300,
					  (uintptr_t)0xffff000000000000u, 0};
	static const char *const names[] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
	/* Offsets from the base in table order; the last base spreads them
	 * over the whole address space. */
	static const unsigned order[] = {5, 2, 7, 0, 3, 6, 1, 4};

	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		struct prog p = {0};
		struct pfe_sitetab t;

		emit(&p, RET);
		for (size_t i = 0; i < 8; i++) {
			unsigned k = order[i];
			uintptr_t a = bases[b] ? bases[b] + 0x100 * k : (uintptr_t)k << 61 | 0x10;

			sym(&p, a, 0x10, names[k], 0);
			if (k == 3 || k == 6) /* an alias that loses, either side */
				sym(&p, a, 0x10, k == 3 ? "__f3" : "z_f6", 1);
		}
		build(&p, &t, true);
		assert_int_equal(t.nsyms, 8);
		for (size_t k = 0; k < 8; k++) {
			uintptr_t a = bases[b] ? bases[b] + 0x100 * k : (uintptr_t)k << 61 | 0x10;

			assert_true(t.syms[k].addr == a);
			assert_string_equal(t.strings + t.syms[k].name, names[k]);
		}
		pfe_sitetab_free(&t);
		prog_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layouts_with_symbols),
	    cmocka_unit_test(test_layouts_stripped),
	    cmocka_unit_test(test_stripped_long_run),
	    cmocka_unit_test(test_partly_named),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_bti_without_nops),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_same_name),
	    cmocka_unit_test(test_100k),
	    cmocka_unit_test(test_symbolize),
	    cmocka_unit_test(test_alias_order),
	    cmocka_unit_test(test_sym_order),
	};

	return cmocka_run_group_tests_name("sitetab", tests, NULL, NULL);
}
