/* SPDX-License-Identifier: MIT */
/*
 * pfe_hook_add_ops: the public entry for exit hooks and signatures.
 */
#include <errno.h>

#include "hooks.h"
#include "sig.h"

/* The entry of an exit-only hook: the dispatcher's vectors end at fn == NULL. */
static void pfe_no_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
}

PFE_API struct pfe_hook *pfe_hook_add_ops(const char *pattern, const struct pfe_hook_ops *ops,
					  void *data)
{
	return pfe_hook_add_ops_flags(pattern, ops, data, 0);
}

static struct pfe_hook *add_ops(const char *pattern, const struct pfe_hook_ops *ops, void *data,
				const struct pfe_hook_fused *keep, unsigned flags)
{
	struct pfe_sig *sig = NULL;
	char why[160];

	if (!ops || (!ops->entry && !ops->exit)) {
		errno = EINVAL;
		return NULL;
	}
	if (ops->signature) {
		int err = pfe_sig_new(ops->signature, &sig, why, sizeof(why));

		if (err) {
			if (err == -EINVAL)
				pfe_debug("pfe_hook_add_ops: signature '%s': %s", ops->signature,
					  why);
			errno = -err;
			return NULL;
		}
	}
	return pfe_hook_add_ext(pattern, ops->entry ? ops->entry : pfe_no_entry, data, ops->exit,
				sig, keep, flags);
}

struct pfe_hook *pfe_hook_add_ops_flags(const char *pattern, const struct pfe_hook_ops *ops,
					void *data, unsigned flags)
{
	return add_ops(pattern, ops, data, NULL, flags);
}

struct pfe_hook *pfe_hook_add_kept(const char *pattern, const struct pfe_hook_ops *ops,
				   const struct pfe_hook_fused *keep, unsigned flags)
{
	if (!ops || !ops->exit || !keep || keep->entry || !keep->exit) {
		errno = EINVAL;
		return NULL;
	}
	return add_ops(pattern, ops, NULL, keep, flags);
}

struct pfe_hook *pfe_hook_add_fused(const char *pattern, const struct pfe_hook_ops *ops,
				    const struct pfe_hook_fused *fused, unsigned flags)
{
	if (!ops || !ops->entry || !ops->exit || ops->signature || !fused || !fused->entry) {
		errno = EINVAL;
		return NULL;
	}
	return pfe_hook_add_ext(pattern, ops->entry, NULL, ops->exit, NULL, fused, flags);
}
