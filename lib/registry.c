/* SPDX-License-Identifier: MIT */
/* Transitional: the hook registry lands with issue 3; until then the API
 * reports ENOSYS so that the library links and discovery can be tested. */
#include <errno.h>

#include "pfe_internal.h"

PFE_API struct pfe_hook *pfe_hook_add(const char *pattern, pfe_entry_fn fn, void *data)
{
	errno = ENOSYS;
	return NULL;
}

PFE_API int pfe_hook_remove(struct pfe_hook *hook)
{
	return -ENOSYS;
}

PFE_API size_t pfe_hook_nsites(const struct pfe_hook *hook)
{
	return 0;
}

PFE_API const char *pfe_site_name(const struct pfe_site *site)
{
	return site->name;
}

PFE_API const char *pfe_site_object(const struct pfe_site *site)
{
	return site->obj ? site->obj->path : NULL;
}

PFE_API uintptr_t pfe_site_func(const struct pfe_site *site)
{
	return site->func;
}
