/* SPDX-License-Identifier: MIT */
/*
 * The pattern language of PFE_TRACE and pfe_hook_add(). Pure code.
 *
 *   spec  := term ("," term)*
 *   term  := ["!"] glob ["@" glob]
 *   glob  := fnmatch(3)-style: * ? [...] [!...], "\" escapes
 *
 * A function matches a spec when it matches at least one include term and no
 * exclude ("!") term; a spec of exclude terms only includes everything else.
 * The glob after "@" is matched against the object's file name (basename);
 * without it a term applies to every object. Sites without a symbol name
 * never match. White space around terms is ignored; empty terms are errors.
 *
 * A C++ function (symbol "_Z...") matches a term by its mangled name, by its
 * demangled name ("shapes::Circle::area() const") or by that name without
 * return type, parameters and qualifiers ("shapes::Circle::area"), so that
 * "shapes::*" and "*::area" select it as people write it. A comma in a
 * demangled name cannot be written in a term: "\," escapes it.
 */
#ifndef PFE_PATTERN_H
#define PFE_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

struct pfe_pattern;

/*
 * Parse @spec. Returns the compiled pattern, or NULL with a one-line reason in
 * @err (e.g. "empty term at offset 4", "unterminated [ at offset 2") and
 * errno = EINVAL (ENOMEM on allocation failure).
 */
struct pfe_pattern *pfe_pattern_compile(const char *spec, char *err, size_t errlen);

/* True when @func in @object (basename) is selected. Counts a hit on every
 * include term that matched, for pfe_pattern_term_hits(). Thread-compatible:
 * concurrent calls on one pattern may lose hit counts, never crash. */
bool pfe_pattern_match(struct pfe_pattern *p, const char *func, const char *object);

/*
 * The demangler that pfe_pattern_match uses for names starting with "_Z":
 * @fn writes the demangled @name into @out (NUL-terminated) and returns true,
 * or returns false (not a C++ name, no demangler, does not fit in @len).
 * NULL (the default) matches mangled names only. lib/core/demangle.c installs the
 * C++ runtime's; the pfe command its own. Set it before matching starts.
 */
typedef bool (*pfe_demangle_fn)(const char *name, char *out, size_t len);
void pfe_pattern_set_demangler(pfe_demangle_fn fn);

/*
 * The function's own name in the demangled C++ name @full: without return
 * type, parameter list, cv/ref/noexcept qualifiers and " [clone ...]"
 * suffixes ("int ns::f<int>(int) const" -> "ns::f<int>"). A name without a
 * parameter list ("vtable for X") is returned whole. Writes at most @len
 * bytes with the NUL into @out and returns @out.
 */
char *pfe_demangled_base(const char *full, char *out, size_t len);

/*
 * Functions without a patch site (issue 24: "dynamic sites", patched by
 * relocating their first instruction) are reached by fewer terms than
 * flagged ones, so that '*' on a flagged program still means its flagged
 * functions and a glob never patches the whole C library by accident:
 *
 *   PFE_REACH_EXACT   every object: a term whose function part is an exact
 *                     name ('malloc', 'inflate@libz.so.1')
 *   PFE_REACH_NAMED   an object without a patchable-entry table: also any
 *                     term whose "@object" glob names it ('*@libz.so.1')
 *   PFE_REACH_GLOB    the main program without a table: any term (uftrace
 *                     record -P .)
 *
 * The flags say what the object allows; exclude terms apply as in
 * pfe_pattern_match. pfe_pattern_reaches() is the cheap test made before an
 * object's symbols are read: true when some include term could select one
 * of its unflagged functions.
 */
#define PFE_REACH_EXACT 0x1
#define PFE_REACH_NAMED 0x2
#define PFE_REACH_GLOB	0x4
bool pfe_pattern_reaches(const struct pfe_pattern *p, const char *object, unsigned reach);
bool pfe_pattern_match_unflagged(struct pfe_pattern *p, const char *func, const char *object,
				 unsigned reach);

/* Whether include term @i is an exact name that may select a function of
 * @object (no wildcard; its "@object" glob, if any, matches): that name,
 * else NULL. Lets a caller look names up instead of matching every symbol. */
const char *pfe_pattern_exact(const struct pfe_pattern *p, size_t i, const char *object);

size_t pfe_pattern_nterms(const struct pfe_pattern *p);
/* The text of term @i as written (without the leading "!"), and whether it
 * excludes; hits counts matches of an include term since compile/reset. */
const char *pfe_pattern_term(const struct pfe_pattern *p, size_t i, bool *exclude);
unsigned long pfe_pattern_term_hits(const struct pfe_pattern *p, size_t i);
void pfe_pattern_reset_hits(struct pfe_pattern *p);
/* The spec as given to compile. */
const char *pfe_pattern_spec(const struct pfe_pattern *p);

void pfe_pattern_free(struct pfe_pattern *p);

#endif /* PFE_PATTERN_H */
