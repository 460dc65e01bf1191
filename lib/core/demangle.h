/* SPDX-License-Identifier: MIT */
/*
 * C++ names for people (demangle.c). libpfe is C and must not depend on
 * libstdc++, so the C++ runtime's own demangler (abi::__cxa_demangle) is
 * looked up at run time: a C++ program has it loaded. A site's label is
 * made when the site is first enabled (lib/core/patch.c), outside every hot
 * path, not for every site at start-up (issue 25); reading one is a load.
 *
 * PFE_DEMANGLE=0 shows the raw symbols. Patterns (pattern.h) match the
 * demangled names whenever a demangler is there, whatever PFE_DEMANGLE says.
 */
#ifndef PFE_DEMANGLE_H
#define PFE_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

#include "sitetab.h"

/*
 * The name to show people for @site: its demangled C++ name unless
 * PFE_DEMANGLE=0 once the site was labelled (enabled), else the raw symbol;
 * NULL for a site without a symbol.
 * Lock-free, allocation-free, async-signal-safe: for hooks.
 */
static inline const char *pfe_site_label(const struct pfe_site *site)
{
	const char *label = __atomic_load_n(&site->label, __ATOMIC_ACQUIRE);

	return label ? label : site->name;
}

/*
 * Set @site's label (a site of @t, whose labels hold the text) once: its
 * demangled C++ name, else its symbol. The symbol with PFE_DEMANGLE=0 or
 * without a C++ runtime in the process; -ENOMEM leaves it unset (the raw
 * name is shown). Under the patch lock (or on a table not yet published),
 * before the site can produce an event. Not from a hook.
 */
int pfe_site_set_label(struct pfe_sitetab *t, struct pfe_site *site);

/* Whether the C++ runtime's demangler is loaded; the first time it is,
 * installs it for pattern matching. Discovery asks for a table with C++
 * names. Not from a hook. */
bool pfe_demangle_ready(void);

/*
 * Demangle @name into @out (@len bytes with the NUL). False when @name is not
 * a C++ name, no C++ runtime is loaded, or the result does not fit. Calls
 * malloc: not from a hook.
 */
bool pfe_demangle(const char *name, char *out, size_t len);

#endif /* PFE_DEMANGLE_H */
