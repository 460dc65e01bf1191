/* SPDX-License-Identifier: MIT */
/*
 * Site table: the patch sites and function symbols of one object, as compact
 * sorted arrays. Pure code: no process state, testable on any host.
 *
 * A site's layout, for -fpatchable-function-entry=N,M (M NOPs before the
 * symbol) with or without a landing pad, as the compiler emits it and libpfe
 * changes it, is drawn in arch/arm64/site.c. libpfe patches the first two
 * NOPs at or after the symbol (after the landing pad), because callers enter
 * at the symbol. The table entry itself points at the first NOP of all N,
 * which is before the symbol when M > 0.
 */
#ifndef PFE_SITETAB_H
#define PFE_SITETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfe_object;
struct pfe_hook_vec;

enum pfe_site_state {
	PFE_SITE_COMPILED = 0, /* two NOPs, as compiled */
	PFE_SITE_INIT,	       /* slot 0 saves the return address; slot 1 a NOP */
	PFE_SITE_CALL,	       /* ... and slot 1 calls the trampoline */
};

#define PFE_SITE_BTI  0x1 /* a call landing pad precedes pc (BTI) */
#define PFE_SITE_STUB 0x2 /* enabled: slot 1 branches to the site's stub (stub.c) */
/* A dynamic site (lib/core/dynsite.c): a function without the flag whose
 * first instruction was moved into a stub (arch/arm64/dynstub.c); pc is in
 * the stub, the body at pc + 8 as for every site. */
#define PFE_SITE_DYN 0x4
#define PFE_SITE_PAC 0x8 /* dynamic: `paciasp` precedes the moved instruction */

struct pfe_site {
	uintptr_t pc;	  /* slot 0; slot 1 at pc + 4; the body follows */
	uintptr_t func;	  /* symbol value: where callers enter */
	const char *name; /* function symbol; NULL when the object has none */
	struct pfe_object *obj;
	struct pfe_hook_vec *hooks; /* RCU-protected; NULL when no hook */
	uint8_t state;		    /* enum pfe_site_state; changed under the patch lock */
	uint8_t flags;		    /* PFE_SITE_* */
	uint16_t nops;		    /* NOPs from pc on, >= 2 */
	uint32_t id;		    /* process-wide site id (siteid.c); set at publication */
	/* The name to show (lib/core/demangle.c: demangled, or the symbol),
	 * set when the site is first enabled; NULL: show name. */
	const char *label;
};

/* Memory for the labels of a table's sites, made as they are asked for. */
struct pfe_label_chunk {
	struct pfe_label_chunk *next;
	size_t used, cap;
	char buf[];
};

/* A function symbol, for naming callers (the whole .symtab/.dynsym). */
struct pfe_sym {
	uintptr_t addr; /* run-time address */
	uint32_t size;
	uint32_t name; /* offset into the table's string pool */
};

/* Why an entry of __patchable_function_entries was refused. */
enum pfe_refusal {
	PFE_REFUSE_NOT_NOP,    /* the two slots do not hold NOPs */
	PFE_REFUSE_OUTSIDE,    /* points outside the object's executable segments */
	PFE_REFUSE_MISALIGNED, /* not 4-byte aligned */
	PFE_REFUSE_DUPLICATE,  /* same site listed twice */
	PFE_REFUSE_NOT_ENTRY,  /* NOPs inside a function, not at its entry */
	PFE_REFUSE_NR,
};

struct pfe_sitetab {
	struct pfe_site *sites; /* sorted by pc */
	size_t nsites;
	uint32_t *by_name; /* indices of named sites, sorted by name; built by the
			    * first pfe_sitetab_by_name (NULL before) */
	size_t nnamed;
	struct pfe_sym *syms; /* function symbols sorted by addr */
	size_t nsyms;
	char *strings;			/* pool that site and symbol names point into */
	struct pfe_label_chunk *labels; /* site labels (lib/core/demangle.c) */
	bool cxx_names;			/* a symbol has a C++ name (_Z...) */
	unsigned refused[PFE_REFUSE_NR];
};

/* The site whose slot 0 is at @pc, or NULL. O(log n). */
struct pfe_site *pfe_sitetab_by_pc(const struct pfe_sitetab *t, uintptr_t pc);

/* The first site (lowest pc) named @name, or NULL. O(log n) once the first
 * call has built the name index, O(n log n) once: callers own the table or
 * hold the patch lock. Further sites of the same name (local functions in
 * several units) follow in by_name. */
struct pfe_site *pfe_sitetab_by_name(struct pfe_sitetab *t, const char *name);

/* The symbol whose function holds @addr, and in *@end where the function
 * ends (its size, else the next symbol, else UINTPTR_MAX); NULL when no
 * symbol holds it. */
const struct pfe_sym *pfe_sitetab_sym_at(const struct pfe_sitetab *t, uintptr_t addr,
					 uintptr_t *end);
/* The function symbol containing @addr; sets *@off to addr - symbol. NULL
 * when no symbol covers it. Lock-free and allocation-free. */
const char *pfe_sitetab_symbolize(const struct pfe_sitetab *t, uintptr_t addr, uintptr_t *off);

void pfe_sitetab_free(struct pfe_sitetab *t);

/* ------------------------------------------------------------ building */
/* Limit of the NOP runs the decoder scans, and of site->nops. */
#define PFE_SITETAB_MAX_NOPS 256

/* [start, end): a run of executable code, whose bytes the decoder reads at
 * @mem (the range's own address in a live process, a copy in the tests):
 * plain loads, not a call per word (issue 25: start-up per site). */
struct pfe_range {
	uintptr_t start, end;
	const void *mem;
};

/* A function symbol as the builder takes it. */
struct pfe_sym_in {
	uintptr_t addr;	  /* run-time address */
	uint64_t size;	  /* 0: unknown, bounded by the next symbol */
	const char *name; /* copied into the table's pool */
	uint8_t rank;	  /* among aliases at one address, the lowest rank names it */
	bool ifunc;	  /* STT_GNU_IFUNC: addr is the resolver (lib/core/dynsite.c) */
};

struct pfe_sitetab_src {
	const uintptr_t *entries; /* run-time values of __patchable_function_entries */
	size_t nentries;
	const struct pfe_sym_in *syms; /* any order; none for a stripped object */
	size_t nsyms;
	/* Optional: a NUL-terminated block holding the names of @syms (an ELF
	 * string table), copied whole into the table's pool rather than name
	 * by name. Names outside it are copied one by one. */
	const char *strtab;
	size_t strtab_len;
	const struct pfe_range *text; /* the object's executable code: nothing else is read */
	size_t ntext;
};

/*
 * Decode every entry into a site (see the layout above), refuse and count
 * the ones that do not hold two NOPs at a function entry, and index the
 * sites by pc and the symbols by address (by name: on the first lookup by
 * name, pfe_sitetab_by_name). Nothing in @src is
 * referenced afterwards. Returns 0 or -ENOMEM (and @t is left empty).
 * site->obj is left NULL for the caller to set.
 */
int pfe_sitetab_build(struct pfe_sitetab *t, const struct pfe_sitetab_src *src);

/* Entries refused, all reasons together. */
unsigned pfe_sitetab_nrefused(const struct pfe_sitetab *t);

/* "1 not two NOPs, 2 outside text": the nonzero refusal counts, for the
 * one line an object reports. Returns @buf. */
char *pfe_sitetab_refusals(const struct pfe_sitetab *t, char *buf, size_t len);

/* symtab.c, for sitetab.c: the symbols of @src sorted and named into @t
 * (0 or -ENOMEM); the first symbol at or above @addr (nsyms when none);
 * whether @v is in order already (n - 1 comparisons instead of a sort;
 * sitetab.c's name index). */
struct pfe_sitetab_src;
int pfe_symtab_build(struct pfe_sitetab *t, const struct pfe_sitetab_src *src);
size_t pfe_symtab_lower_bound(const struct pfe_sitetab *t, uintptr_t addr);
bool pfe_sorted_r(const void *v, size_t n, size_t size,
		  int (*cmp)(const void *, const void *, void *), void *arg);

#endif /* PFE_SITETAB_H */
