/* SPDX-License-Identifier: MIT */
/*
 * Hooks: attach, detach, and the public API of include/pfe.h.
 *
 * Writers hold pfe_patch_lock(); readers (pfe_dispatch, in any thread) hold
 * only urcu-bp's rcu_read_lock (see dispatch.c for why that flavour). The
 * order of every change is what keeps readers safe without a lock:
 *
 *   attach: build each site's new hook vector (old + this hook), publish it
 *           with rcu_assign_pointer, insert the site into the dispatch table,
 *           and only then turn the sites' NOPs into BLs, in one batch. A
 *           thread can reach the trampoline only after everything it will
 *           look up is visible.
 *   detach: publish each site's vector without the hook (NULL when none is
 *           left), turn the sites left empty back into NOPs in one batch,
 *           take them out of the table, then wait for a grace period
 *           (synchronize_rcu): when it ends, no thread is inside a hook
 *           vector that held this hook, so the hook's fn will not run again
 *           and its data may be freed. The old vectors are freed then.
 *
 * A failure half-way undoes what was done: vectors go back to what they
 * were, sites that became BLs become NOPs again, nothing is left changed.
 *
 * Writers must not run inside a hook: synchronize_rcu() would wait for the
 * caller's own read-side section forever. That is refused with EDEADLK.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "pattern.h"

/* Live hooks in attach order, for objects loaded later. Patch lock. */
static struct pfe_hook *hooks;
static struct pfe_hook **hooks_tail = &hooks;

/* ------------------------------------------------------------ vectors */

/* @old's entries, then @add's (when non-NULL), without @drop's (when
 * non-NULL). *@out is NULL when nothing is left. */
static int vec_build(const struct pfe_hook_vec *old, struct pfe_hook *add,
		     const struct pfe_hook *drop, struct pfe_hook_vec **out)
{
	size_t n = 0, i, max = (old ? old->n : 0) + (add != NULL);
	struct pfe_hook_vec *v;

	*out = NULL;
	if (!max)
		return 0;
	v = malloc(sizeof(*v) + (max + 1) * sizeof(v->e[0]));
	if (!v)
		return -ENOMEM;
	for (i = 0; old && i < old->n; i++)
		if (old->e[i].hook != drop)
			v->e[n++] = old->e[i];
	if (add)
		v->e[n++] = (struct pfe_hook_ent){add->fn, add->data, add};
	if (!n) {
		free(v);
		return 0;
	}
	v->n = n;
	pfe_hook_vec_seal(v);
	*out = v;
	return 0;
}

static bool vec_has(const struct pfe_hook_vec *v, const struct pfe_hook *hook)
{
	for (size_t i = 0; v && i < v->n; i++)
		if (v->e[i].hook == hook)
			return true;
	return false;
}

/* ------------------------------------------------------------ plans */

/* A batch of sites with the vectors they have and will have. */
struct plan_ent {
	struct pfe_site *site;
	struct pfe_hook_vec *old, *new;
};

struct plan {
	struct plan_ent *e;
	size_t n, cap;
};

static int plan_add(struct plan *p, struct pfe_site *site)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct plan_ent *e = realloc(p->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		p->e = e;
		p->cap = cap;
	}
	p->e[p->n++] = (struct plan_ent){site, site->hooks, NULL};
	return 0;
}

static void plan_free(struct plan *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

static void plan_free_new(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].new);
		p->e[i].new = NULL;
	}
}

static void plan_free_old(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].old);
		p->e[i].old = NULL;
	}
}

/* The hook of @pe's new vector at @j when its old vector lacks it, else NULL. */
static struct pfe_hook *gained(const struct plan_ent *pe, size_t j)
{
	struct pfe_hook *h = pe->new->e[j].hook;

	return vec_has(pe->old, h) ? NULL : h;
}

/* Make room in every hook for the sites it gains, so that recording them
 * after the sites are live cannot fail. */
static int plan_reserve_hook_sites(struct plan *p)
{
	struct pfe_hook *h;

	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; p->e[i].new &&j < p->e[i].new->n; j++) {
			struct pfe_site **s;
			size_t cap;

			h = gained(&p->e[i], j);
			if (!h || h->nsites + p->n <= h->cap)
				continue;
			cap = h->nsites + p->n;
			s = realloc(h->sites, cap * sizeof(*s));
			if (!s)
				return -ENOMEM;
			h->sites = s;
			h->cap = cap;
		}
	return 0;
}

/*
 * Publish the new vectors of @p and enable its sites; see the order at the
 * top. On failure nothing is left changed and the new vectors are freed; on
 * success the old ones are the caller's to free after a grace period.
 */
static int plan_enable(struct plan *p)
{
	struct pfe_site **call, **back = NULL;
	struct pfe_hook *h;
	size_t ncall = 0, nback = 0, i;
	int err;

	call = malloc(2 * p->n * sizeof(*call));
	err = call ? plan_reserve_hook_sites(p) : -ENOMEM;
	if (!err)
		err = pfe_dispatch_reserve(p->n);
	if (err)
		goto fail_unpublished;
	back = call + p->n;

	for (i = 0; i < p->n; i++) {
		rcu_assign_pointer(p->e[i].site->hooks, p->e[i].new);
		err = pfe_dispatch_insert(p->e[i].site); /* cannot fail after the reserve */
		if (err)
			goto fail_published;
		if (p->e[i].site->state == PFE_SITE_INIT)
			call[ncall++] = p->e[i].site;
	}
	err = ncall ? pfe_sites_make_call(call, ncall) : 0;
	if (err)
		goto fail_published;

	for (i = 0; i < p->n; i++)
		for (size_t j = 0; p->e[i].new &&j < p->e[i].new->n; j++)
			if ((h = gained(&p->e[i], j)))
				h->sites[h->nsites++] = p->e[i].site;
	free(call);
	return 0;

fail_published:
	/* Sites the failed batch did switch go back to NOP first (the patch
	 * module sets a site's state from what its slot really holds). */
	for (i = 0; i < ncall; i++)
		if (call[i]->state == PFE_SITE_CALL)
			back[nback++] = call[i];
	if (nback && pfe_sites_make_nop(back, nback))
		pfe_err("could not restore %zu sites to NOP after a failed attach; they stay "
			"enabled without the new hook",
			nback);
	for (i = 0; i < p->n; i++) {
		rcu_assign_pointer(p->e[i].site->hooks, p->e[i].old);
		if (!p->e[i].old)
			pfe_dispatch_remove(p->e[i].site);
	}
	pfe_synchronize_rcu();
fail_unpublished:
	plan_free_new(p);
	free(call);
	return err;
}

/* ------------------------------------------------------------ matching */

static bool site_selectable(const struct pfe_site *s)
{
	/* A site whose slot 0 was not initialised must never get a call. */
	return s->name && (s->state == PFE_SITE_INIT || s->state == PFE_SITE_CALL);
}

/* Sites of @obj (every object when NULL) that @hook's pattern selects. */
static int plan_match(struct plan *p, struct pfe_hook *hook, struct pfe_object *only)
{
	struct pfe_object *obj;
	int err;

	for (obj = only ? only : pfe_objects_first(); obj; obj = only ? NULL : obj->next) {
		for (size_t i = 0; i < obj->tab.nsites; i++) {
			struct pfe_site *s = &obj->tab.sites[i];

			if (!site_selectable(s) ||
			    !pfe_pattern_match(hook->pat, s->name, obj->name))
				continue;
			err = plan_add(p, s);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Hooks must not be changed from inside a hook (synchronize_rcu would wait
 * for ourselves) nor from inside the caller's own urcu-bp read section. */
static bool writer_would_deadlock(void)
{
	return pfe_dispatch_in_hook() || rcu_read_ongoing();
}

static void hook_free(struct pfe_hook *hook)
{
	if (!hook)
		return;
	pfe_pattern_free(hook->pat);
	pfe_sig_free(hook->sig);
	free(hook->spec);
	free(hook->sites);
	free(hook);
}

/* ------------------------------------------------------------ the API */

PFE_API struct pfe_hook *pfe_hook_add(const char *pattern, pfe_entry_fn fn, void *data)
{
	return pfe_hook_add_ext(pattern, fn, data, NULL, NULL, NULL, 0);
}

/* exit.c: @exit, @sig (owned from here on) and @fused are set before
 * publication. */
struct pfe_hook *pfe_hook_add_ext(const char *pattern, pfe_entry_fn fn, void *data,
				  pfe_exit_fn exit, struct pfe_sig *sig,
				  const struct pfe_hook_fused *fused, unsigned flags)
{
	struct plan p = {0};
	struct pfe_hook *hook;
	char why[160];
	int err;

	if (!pattern || !fn) {
		pfe_sig_free(sig);
		errno = EINVAL;
		return NULL;
	}
	if (writer_would_deadlock()) {
		pfe_sig_free(sig);
		errno = EDEADLK;
		return NULL;
	}
	hook = calloc(1, sizeof(*hook));
	if (!hook) {
		pfe_sig_free(sig);
		errno = ENOMEM;
		return NULL;
	}
	hook->fn = fn;
	hook->data = data;
	hook->exit = exit;
	hook->sig = sig;
	hook->fused = fused;
	hook->spec = strdup(pattern);
	hook->pat = pfe_pattern_compile(pattern, why, sizeof(why));
	if (!hook->spec || !hook->pat) {
		err = hook->spec && errno != ENOMEM ? -EINVAL : -ENOMEM;
		if (err == -EINVAL)
			pfe_debug("pfe_hook_add('%s'): %s", pattern, why);
		hook_free(hook);
		errno = -err;
		return NULL;
	}
	/* Register this thread with urcu-bp now rather than on its first
	 * hooked call, which might come from a signal handler. */
	urcu_bp_register_thread();

	pfe_patch_lock();
	err = plan_match(&p, hook, NULL);
	if (!err && !p.n && !(flags & PFE_HOOK_KEEP))
		err = -ENOENT;
	for (size_t i = 0; !err && i < p.n; i++)
		err = vec_build(p.e[i].old, hook, NULL, &p.e[i].new);
	if (!err)
		err = plan_enable(&p);
	else
		plan_free_new(&p);
	if (!err) {
		*hooks_tail = hook;
		hooks_tail = &hook->next;
	}
	pfe_patch_unlock();

	if (!err) {
		bool retired = false;

		for (size_t i = 0; i < p.n; i++)
			retired |= p.e[i].old != NULL;
		if (retired) {
			pfe_synchronize_rcu();
			plan_free_old(&p);
		}
	}
	plan_free(&p);
	if (err) {
		hook_free(hook);
		errno = -err;
		return NULL;
	}
	return hook;
}

PFE_API int pfe_hook_remove(struct pfe_hook *hook)
{
	struct plan p = {0};
	struct pfe_site **nop = NULL;
	struct pfe_hook **pp;
	size_t nnop = 0, i;
	int err = 0;

	if (!hook)
		return -EINVAL;
	if (writer_would_deadlock())
		return -EDEADLK;

	pfe_patch_lock();
	for (pp = &hooks; *pp && *pp != hook; pp = &(*pp)->next)
		;
	if (!*pp) {
		pfe_patch_unlock();
		return -EINVAL;
	}
	for (i = 0; !err && i < hook->nsites; i++)
		err = plan_add(&p, hook->sites[i]);
	for (i = 0; !err && i < p.n; i++)
		err = vec_build(p.e[i].old, NULL, hook, &p.e[i].new);
	if (!err && !(nop = malloc((p.n ? p.n : 1) * sizeof(*nop))))
		err = -ENOMEM;
	if (err) {
		/* Nothing published yet: the hook stays attached. */
		plan_free_new(&p);
		pfe_patch_unlock();
		plan_free(&p);
		free(nop);
		return err;
	}

	*pp = hook->next;
	if (hooks_tail == &hook->next)
		hooks_tail = pp;
	for (i = 0; i < p.n; i++) {
		rcu_assign_pointer(p.e[i].site->hooks, p.e[i].new);
		if (!p.e[i].new &&p.e[i].site->state == PFE_SITE_CALL)
			nop[nnop++] = p.e[i].site;
	}
	if (nnop && pfe_sites_make_nop(nop, nnop))
		pfe_err("detach: some of %zu sites could not go back to NOP; they stay enabled "
			"with no hook",
			nnop);
	for (i = 0; i < p.n; i++)
		if (!p.e[i].new)
			pfe_dispatch_remove(p.e[i].site);
	pfe_patch_unlock();

	/* After this no thread runs hook->fn: every reader that could still
	 * see an old vector has left its read-side section. */
	pfe_synchronize_rcu();
	plan_free_old(&p);
	plan_free(&p);
	free(nop);
	hook_free(hook);
	return 0;
}

int pfe_hooks_apply_object(struct pfe_object *obj)
{
	struct plan p = {0};
	struct pfe_hook *h;
	size_t i, n;
	int err = 0;

	if (!hooks)
		return 0;
	/* A new object's sites have no vectors yet, so nothing is retired. */
	for (i = 0; !err && i < obj->tab.nsites; i++)
		if (site_selectable(&obj->tab.sites[i]) && !obj->tab.sites[i].hooks)
			err = plan_add(&p, &obj->tab.sites[i]);
	/* Each site's vector: the live hooks that select it, in attach order.
	 * The intermediate vectors were never published: free them at once. */
	for (h = hooks; !err && h; h = h->next) {
		for (i = 0; !err && i < p.n; i++) {
			struct pfe_hook_vec *v;

			if (!pfe_pattern_match(h->pat, p.e[i].site->name, obj->name))
				continue;
			err = vec_build(p.e[i].new, h, NULL, &v);
			if (!err) {
				free(p.e[i].new);
				p.e[i].new = v;
			}
		}
	}
	/* Only the sites something selected take part. */
	for (i = n = 0; i < p.n; i++)
		if (p.e[i].new)
			p.e[n++] = p.e[i];
	p.n = n;
	if (!err && n)
		err = plan_enable(&p);
	if (err) {
		plan_free_new(&p);
		pfe_err("%s: cannot attach the live hooks to its functions: %s", obj->name,
			strerror(-err));
	}
	plan_free(&p);
	return err;
}

void pfe_hooks_forget_object(struct pfe_object *obj)
{
	for (struct pfe_hook *h = hooks; h; h = h->next) {
		size_t n = 0;

		for (size_t i = 0; i < h->nsites; i++)
			if (h->sites[i]->obj != obj)
				h->sites[n++] = h->sites[i];
		h->nsites = n;
	}
	for (size_t i = 0; i < obj->tab.nsites; i++)
		if (obj->tab.sites[i].hooks)
			pfe_dispatch_remove(&obj->tab.sites[i]);
}

PFE_API size_t pfe_hook_nsites(const struct pfe_hook *hook)
{
	return hook ? hook->nsites : 0;
}

PFE_API const char *pfe_site_name(const struct pfe_site *site)
{
	return site ? site->name : NULL;
}

PFE_API const char *pfe_site_object(const struct pfe_site *site)
{
	return site && site->obj ? site->obj->path : NULL;
}

PFE_API uintptr_t pfe_site_func(const struct pfe_site *site)
{
	return site ? site->func : 0;
}
