/* SPDX-License-Identifier: MIT */
/*
 * The warning for a term that matches nothing, shared by every mode
 * (trace.c's flat lines, trace_graph.c's graph and signatures), apart from
 * both so that neither calls the other for it.
 */
#include "hooks.h"
#include "tracer.h"

/*
 * Warn once for each include term that matches no patchable function loaded
 * now: usually a typo, though a library loaded later may still match it.
 */
void pfe_trace_warn_unmatched(struct pfe_pattern *pat)
{
	pfe_patch_lock();
	for (struct pfe_object *obj = pfe_objects_first(); obj; obj = obj->next)
		for (size_t i = 0; i < obj->tab.nsites; i++)
			pfe_pattern_match(pat, obj->tab.sites[i].name, obj->name);
	pfe_patch_unlock();
	for (size_t i = 0; i < pfe_pattern_nterms(pat); i++) {
		bool exclude;
		const char *term = pfe_pattern_term(pat, i, &exclude);

		if (!exclude && !pfe_pattern_term_hits(pat, i))
			pfe_err("PFE_TRACE: '%s' matches no patchable function loaded so far",
				term);
	}
}
