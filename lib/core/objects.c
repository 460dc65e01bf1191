/* SPDX-License-Identifier: MIT */
/*
 * The published objects, as a singly linked RCU list in load order, and the
 * patch lock that serialises every writer (this list, site states, hooks,
 * text writes).
 *
 * Readers (the dispatcher, the tracer naming a caller) run in any thread of
 * the host program, including signal handlers, and must not take a lock.
 * RCU gives them that. The flavour is urcu-bp ("bulletproof"): libpfe cannot
 * make the program's threads call rcu_register_thread() (it does not know
 * them: they are created by the program and by its libraries), and urcu-bp
 * registers a thread on its first rcu_read_lock() by itself. The price is a
 * slightly slower read side and a registration, on that first use, that
 * allocates: a hot path may want to enter RCU once per thread early.
 */
#include <pthread.h>
#include <string.h>
#include <urcu-bp.h>

#include "hooks.h"

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * How many times the calling thread holds the patch lock. dlclose holds it
 * across the real dlclose (dlopen.c), whose destructors may call back into
 * libpfe (pfe_hook_add, a nested dlopen or dlclose): the owner may take it
 * again instead of deadlocking on itself. Counted by hand rather than with a
 * recursive mutex so that a fork child (fork.c), whose thread has a new tid,
 * can still release it.
 */
static __thread unsigned patch_depth __attribute__((tls_model("initial-exec")));

/* Written under the patch lock, read under rcu_read_lock. */
static struct pfe_object *objects;
/* Where the next object is linked; appending keeps load order for PFE_LIST. */
static struct pfe_object **objects_tail = &objects;

void pfe_patch_lock(void)
{
	if (!patch_depth++)
		pthread_mutex_lock(&patch_lock);
}

void pfe_patch_unlock(void)
{
	if (!--patch_depth)
		pthread_mutex_unlock(&patch_lock);
}

struct pfe_object *pfe_objects_first(void)
{
	return rcu_dereference(objects);
}

int pfe_object_publish(struct pfe_object *obj)
{
	int err = pfe_site_ids_assign(obj);

	if (err) {
		pfe_err("%s: %zu sites: cannot number them (%s); not patched", obj->name,
			obj->tab.nsites, strerror(-err));
		return err;
	}
	obj->next = NULL;
	/* The object and its site table are complete before a reader can
	 * reach them: rcu_assign_pointer orders the stores. */
	rcu_assign_pointer(*objects_tail, obj);
	objects_tail = &obj->next;
	return 0;
}

void pfe_object_unpublish(struct pfe_object *obj)
{
	struct pfe_object **pp;

	for (pp = &objects; *pp && *pp != obj; pp = &(*pp)->next)
		;
	if (!*pp)
		return;
	rcu_assign_pointer(*pp, obj->next);
	if (objects_tail == &obj->next)
		objects_tail = pp;
}

struct pfe_object *pfe_object_by_addr(uintptr_t addr)
{
	for (struct pfe_object *o = rcu_dereference(objects); o; o = rcu_dereference(o->next))
		if (addr >= o->lo && addr < o->hi)
			return o;
	return NULL;
}
