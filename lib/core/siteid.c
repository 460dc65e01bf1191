/* SPDX-License-Identifier: MIT */
/*
 * Process-wide site ids (core.h).
 *
 * A two-level table: 4096 pages of 65536 site pointers, 2^28 ids, the
 * PFE_SITE_ID_BITS of an event. Pages are allocated under the patch lock
 * and never freed, so a reader needs no lock and no RCU section to index
 * them: a page pointer, once non-NULL, stays. The entries themselves are
 * published with release stores after the site is complete and read with
 * acquire loads (pairs with pfe_site_ids_assign's stores).
 */
#include <errno.h>
#include <stdlib.h>

#include "core.h"

#define PAGE_BITS 16
#define NPAGES	  (1u << (PFE_SITE_ID_BITS - PAGE_BITS))

static struct pfe_site **pages[NPAGES];
static uint32_t next_id; /* patch lock; read relaxed by pfe_site_ids_end */

int pfe_site_ids_assign(struct pfe_object *obj)
{
	const uint32_t mask = (1u << PAGE_BITS) - 1, first = next_id;
	size_t n = obj->tab.nsites;

	if (n > PFE_SITE_ID_MAX - first)
		return -ENOSPC;
	/* A check per page and a tight loop per page, not per site (issue 25:
	 * start-up per site). */
	for (uint32_t pg = first >> PAGE_BITS; n && pg <= (first + (uint32_t)(n - 1)) >> PAGE_BITS;
	     pg++) {
		if (!pages[pg]) {
			struct pfe_site **p = calloc(1u << PAGE_BITS, sizeof(*p));

			if (!p)
				return -ENOMEM;
			__atomic_store_n(&pages[pg], p, __ATOMIC_RELEASE);
		}
	}
	obj->first_id = first;
	for (size_t i = 0; i < n;) {
		uint32_t id = first + (uint32_t)i;
		struct pfe_site **pg = pages[id >> PAGE_BITS] + (id & mask);
		size_t k = mask + 1 - (id & mask) < n - i ? mask + 1 - (id & mask) : n - i;

		for (size_t j = 0; j < k; j++) {
			struct pfe_site *s = &obj->tab.sites[i + j];

			s->id = id + (uint32_t)j;
			__atomic_store_n(&pg[j], s, __ATOMIC_RELEASE);
		}
		i += k;
	}
	__atomic_store_n(&next_id, first + (uint32_t)n, __ATOMIC_RELEASE);
	return 0;
}

int pfe_site_id_assign_one(struct pfe_site *site)
{
	uint32_t id = next_id;
	struct pfe_site ***pg = &pages[id >> PAGE_BITS];

	if (id > PFE_SITE_ID_MAX)
		return -ENOSPC;
	if (!*pg) {
		struct pfe_site **p = calloc(1u << PAGE_BITS, sizeof(*p));

		if (!p)
			return -ENOMEM;
		__atomic_store_n(pg, p, __ATOMIC_RELEASE);
	}
	site->id = id;
	__atomic_store_n(&(*pg)[id & ((1u << PAGE_BITS) - 1)], site, __ATOMIC_RELEASE);
	__atomic_store_n(&next_id, id + 1, __ATOMIC_RELEASE);
	return 0;
}

void pfe_site_id_clear(const struct pfe_site *site)
{
	uint32_t id = site->id;

	__atomic_store_n(&pages[id >> PAGE_BITS][id & ((1u << PAGE_BITS) - 1)], NULL,
			 __ATOMIC_RELEASE);
}

void pfe_site_ids_clear(struct pfe_object *obj)
{
	for (size_t i = 0; i < obj->tab.nsites; i++)
		pfe_site_id_clear(&obj->tab.sites[i]);
}

struct pfe_site *pfe_site_by_id(uint32_t id)
{
	struct pfe_site **pg;

	if (id >= PFE_SITE_ID_MAX + 1u)
		return NULL;
	pg = __atomic_load_n(&pages[id >> PAGE_BITS], __ATOMIC_ACQUIRE);
	return pg ? __atomic_load_n(&pg[id & ((1u << PAGE_BITS) - 1)], __ATOMIC_ACQUIRE) : NULL;
}

uint32_t pfe_site_ids_end(void)
{
	return __atomic_load_n(&next_id, __ATOMIC_ACQUIRE);
}
