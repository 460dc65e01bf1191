/* SPDX-License-Identifier: MIT */
/*
 * Site table: the patch sites and function symbols of one object, as compact
 * sorted arrays. Pure code: no process state, testable on any host.
 *
 * A site's layout, for -fpatchable-function-entry=N,M (M NOPs before the
 * symbol) with or without `bti c`, as the compiler emits it and libpfe
 * changes it:
 *
 *                  compiled        initialised      enabled
 *   [M x nop]      nop ...         nop ...          nop ...
 *   func:          (bti c)         (bti c)          (bti c)
 *   pc:            nop             mov x9, x30      mov x9, x30
 *   pc + 4:        nop             nop              bl  <trampoline or veneer>
 *   (more nops)    ...
 *   body:          ...
 *
 * libpfe patches the first two NOPs at or after the symbol (after `bti c`),
 * because callers enter at the symbol. The table entry itself points at the
 * first NOP of all N, which is before the symbol when M > 0.
 */
#ifndef PFE_SITETAB_H
#define PFE_SITETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfe_object;
struct pfe_hook_vec;

enum pfe_site_state {
	PFE_SITE_COMPILED = 0,	/* nop; nop */
	PFE_SITE_INIT,		/* mov x9, x30; nop */
	PFE_SITE_CALL,		/* mov x9, x30; bl trampoline */
};

#define PFE_SITE_BTI 0x1	/* `bti c` precedes pc */

struct pfe_site {
	uintptr_t pc;		/* slot 0; slot 1 at pc + 4; the body follows */
	uintptr_t func;		/* symbol value: where callers enter */
	const char *name;	/* function symbol; NULL when the object has none */
	struct pfe_object *obj;
	struct pfe_hook_vec *hooks;	/* RCU-protected; NULL when no hook */
	uint8_t state;		/* enum pfe_site_state; changed under the patch lock */
	uint8_t flags;		/* PFE_SITE_* */
	uint16_t nops;		/* NOPs from pc on, >= 2 */
};

/* A function symbol, for naming callers (the whole .symtab/.dynsym). */
struct pfe_sym {
	uintptr_t addr;		/* run-time address */
	uint32_t size;
	uint32_t name;		/* offset into the table's string pool */
};

/* Why an entry of __patchable_function_entries was refused. */
enum pfe_refusal {
	PFE_REFUSE_NOT_NOP,	/* the two slots do not hold NOPs */
	PFE_REFUSE_OUTSIDE,	/* points outside the object's executable segments */
	PFE_REFUSE_MISALIGNED,	/* not 4-byte aligned */
	PFE_REFUSE_DUPLICATE,	/* same site listed twice */
	PFE_REFUSE_NR,
};

struct pfe_sitetab {
	struct pfe_site *sites;	/* sorted by pc */
	size_t nsites;
	uint32_t *by_name;	/* indices of named sites, sorted by name */
	size_t nnamed;
	struct pfe_sym *syms;	/* function symbols sorted by addr */
	size_t nsyms;
	char *strings;		/* pool that site and symbol names point into */
	unsigned refused[PFE_REFUSE_NR];
};

/* The site whose slot 0 is at @pc, or NULL. O(log n). */
struct pfe_site *pfe_sitetab_by_pc(const struct pfe_sitetab *t, uintptr_t pc);

/* The first site (lowest pc) named @name, or NULL. O(log n). Further sites
 * of the same name (local functions in several units) follow in by_name. */
struct pfe_site *pfe_sitetab_by_name(const struct pfe_sitetab *t, const char *name);

/* The function symbol containing @addr; sets *@off to addr - symbol. NULL
 * when no symbol covers it. Lock-free and allocation-free. */
const char *pfe_sitetab_symbolize(const struct pfe_sitetab *t, uintptr_t addr, uintptr_t *off);

void pfe_sitetab_free(struct pfe_sitetab *t);

#endif /* PFE_SITETAB_H */
