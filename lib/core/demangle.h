/* SPDX-License-Identifier: MIT */
/*
 * C++ names for people (demangle.c). libpfe is C and must not depend on
 * libstdc++, so the C++ runtime's own demangler (abi::__cxa_demangle) is
 * looked up at run time: a C++ program has it loaded. Labels are computed
 * once, when an object is discovered, outside every hot path; reading one is
 * a load.
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
 * PFE_DEMANGLE=0, else the raw symbol; NULL for a site without a symbol.
 * Lock-free, allocation-free, async-signal-safe: for hooks.
 */
static inline const char *pfe_site_label(const struct pfe_site *site)
{
	return site->label ? site->label : site->name;
}

/*
 * Set the label of every site of @t whose symbol is a C++ name (t->labels
 * holds them; pfe_sitetab_free frees it). Call after pfe_sitetab_build, before
 * the sites are published. Nothing to do (0) with PFE_DEMANGLE=0 or without a
 * C++ runtime in the process; -ENOMEM leaves the raw names. Installs the
 * demangler for pattern matching on first use. Not from a hook.
 */
int pfe_sitetab_label(struct pfe_sitetab *t);

/*
 * Demangle @name into @out (@len bytes with the NUL). False when @name is not
 * a C++ name, no C++ runtime is loaded, or the result does not fit. Calls
 * malloc: not from a hook.
 */
bool pfe_demangle(const char *name, char *out, size_t len);

#endif /* PFE_DEMANGLE_H */
