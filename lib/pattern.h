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
