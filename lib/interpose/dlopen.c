/* SPDX-License-Identifier: MIT */
/*
 * Objects loaded and unloaded while the program runs.
 *
 * libpfe is preloaded, so its dlopen, dlmopen and dlclose come first in the
 * symbol search order and interpose on the C library's (under both symbol
 * versions the C library defines them with, GLIBC_2.17 and GLIBC_2.34). Each
 * calls the real function (dlvsym(RTLD_NEXT)) and then brings libpfe's view
 * up to date (live_sync):
 *
 *   new objects: discovered (libelf, malloc: threads keep running), then
 *     every other thread is parked (park.c) while slot 0 of each site is
 *     initialised, since the architecture does not allow that change under
 *     a thread that may execute it. A parked thread interrupted between
 *     slot 0 and slot 1 of such a site gets its saved context fixed as if it
 *     had executed the new word (arch/arm64/context.c). Released, the threads
 *     return from the handler (context-synchronising). Then the object is
 *     published, the clients are told (after_load: a recording names its
 *     sites before any can fire) and the live hooks whose patterns match
 *     are attached (make_call, safe under running threads). If a thread cannot be parked
 *     the object is published with its sites unpatched (never selectable).
 *   gone objects (dl_iterate_phdr no longer lists them): unpublished, their
 *     sites taken out of the dispatch table and out of every hook's list,
 *     forgotten by discovery (a later dlopen of the same path gets fresh
 *     sites); after a grace period, when no hook runs for them any more,
 *     their vectors and the object are freed. Site names live in libpfe's own
 *     string pool, so nothing points into the unmapped file.
 *
 * The real call and the update run under one recursive lock, so that a
 * dlclose and a dlopen of the same path in two threads cannot be seen in the
 * wrong order (the object reloaded at the same address would look known).
 * dlclose also holds the patch lock across the real call, so that no writer
 * touches an object's text between its unmapping and the removal of its
 * sites (pfe_dlclose); a library destructor that waits for another thread
 * calling pfe_hook_add or pfe_hook_remove would therefore wait forever.
 *
 * Limits: the object's constructors run inside the real dlopen, before
 * libpfe sees the object: they are never hooked, and a thread they start
 * runs the object's unpatched (NOP, NOP) code until the update. Objects
 * that the C library loads for itself (NSS, iconv, libgcc_s) bypass the
 * interposition; they are picked up at the next dlopen or dlclose.
 * dl_iterate_phdr() reports only the caller's namespace: objects that
 * dlmopen() loads into another namespace are found through the handle's
 * link map chain (pfe_discover_namespace) and, at dlclose, through dladdr1.
 * Objects such a namespace loads by itself (its own dlopen, which is not
 * libpfe's) are not seen and run unpatched.
 * Parking interrupts the other threads' system calls like any signal: those
 * that are not restarted (sleeps, poll, epoll_wait...) return EINTR early.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "interpose.h"

#define DL_API __attribute__((visibility("default")))

static pthread_mutex_t dl_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static bool live_ready;

static void *(*real_dlopen)(const char *, int);
static void *(*real_dlmopen)(Lmid_t, const char *, int);
static int (*real_dlclose)(void *);

static void *next_sym(const char *name)
{
	void *p = dlvsym(RTLD_NEXT, name, "GLIBC_2.34");

	return p ? p : dlvsym(RTLD_NEXT, name, "GLIBC_2.17");
}

static void resolve(void)
{
	if (!__atomic_load_n(&real_dlclose, __ATOMIC_ACQUIRE)) {
		real_dlopen = next_sym("dlopen");
		real_dlmopen = next_sym("dlmopen");
		__atomic_store_n(&real_dlclose, next_sym("dlclose"), __ATOMIC_RELEASE);
	}
}

/* ------------------------------------------------------------ new objects */

struct init_ctx {
	struct pfe_object *obj;
	struct pfe_site **sites;
	size_t n;
	int err; /* first failure while parked, said after the release */
	uintptr_t where;
};

/* Is @s still as compiled? Then *@w is its init_nop write. */
static bool init_write(const struct pfe_site *s, struct pfe_text_write *w)
{
	return pfe_arch_site_decode(s) == PFE_SITE_COMPILED && !pfe_arch_init_nop(s, w);
}

/* One segment's slot-0 words, through /proc/self/mem. */
static int write_procmem(struct init_ctx *c, uintptr_t lo, uintptr_t hi)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC), err = 0;
	struct pfe_text_write w;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < c->n && !err; i++) {
		uintptr_t pc = c->sites[i]->pc;

		if (pc < lo || pc >= hi || !init_write(c->sites[i], &w))
			continue;
		if (pwrite(fd, &w.new, sizeof(w.new), (off_t)w.addr) != sizeof(w.new))
			err = -EIO;
		pfe_sync_icache((void *)w.addr, (void *)(w.addr + sizeof(w.new)));
	}
	close(fd);
	return err;
}

/*
 * Write slot 0 of c->sites with the other threads parked: raw system calls
 * only (one of them may hold malloc's lock). Each executable segment with
 * sites gets write permission added and its exact rights (PROT_BTI
 * included) back; where W+X is refused, /proc/self/mem.
 */
static void write_slot0(struct init_ctx *c)
{
	const struct pfe_object *obj = c->obj;

	for (size_t k = 0; k < obj->nsegs; k++) {
		const struct pfe_text_seg *sg = &obj->segs[k];
		size_t len = sg->end - sg->start;
		bool any = false;
		int err = 0;

		for (size_t i = 0; i < c->n && !any; i++)
			any = c->sites[i]->pc >= sg->start && c->sites[i]->pc < sg->end;
		if (!any)
			continue;
		if (pfe_text_wx_refused ||
		    mprotect((void *)sg->start, len, sg->prot | PROT_WRITE)) {
			err = write_procmem(c, sg->start, sg->end);
		} else {
			for (size_t i = 0; i < c->n; i++) {
				struct pfe_site *s = c->sites[i];
				struct pfe_text_write w;

				if (s->pc < sg->start || s->pc >= sg->end || !init_write(s, &w))
					continue;
				__atomic_store_n((uint32_t *)w.addr, w.new, __ATOMIC_RELAXED);
				pfe_sync_icache((void *)w.addr, (void *)(w.addr + sizeof(w.new)));
			}
			if (mprotect((void *)sg->start, len, sg->prot))
				err = -errno;
		}
		if (err && !c->err) {
			c->err = err;
			c->where = sg->start;
		}
	}
}

/* A parked thread stopped between the slots of a site just initialised
 * never ran its new slot 0: the architecture fixes its context. */
static void fix_parked(ucontext_t *uc, void *arg)
{
	struct init_ctx *c = arg;

	pfe_arch_init_nop_parked(uc, c->obj);
}

static void count_parked(ucontext_t *uc, void *arg)
{
	++*(int *)arg;
}

void pfe_live_init_object(struct pfe_object *obj)
{
	struct init_ctx c = {.obj = obj};

	if (!obj->tab.nsites)
		return;
	c.sites = malloc(obj->tab.nsites * sizeof(*c.sites));
	if (!c.sites) {
		pfe_err("%s: out of memory initialising %zu sites; they stay unpatched", obj->name,
			obj->tab.nsites);
		return;
	}
	for (size_t i = 0; i < obj->tab.nsites; i++) {
		struct pfe_site *s = &obj->tab.sites[i];

		if (s->state == PFE_SITE_COMPILED && s->nops >= 2 &&
		    pfe_arch_site_decode(s) == PFE_SITE_COMPILED)
			c.sites[c.n++] = s;
	}
	if (c.n && !pfe_park_others()) {
		int parked = 0;

		write_slot0(&c);
		pfe_park_each(fix_parked, &c);
		pfe_park_each(count_parked, &parked);
		pfe_park_release();
		pfe_debug("%s: slot 0 of %zu sites written with %d threads parked", obj->name, c.n,
			  parked);
		if (c.err)
			pfe_err("%s: cannot write text at %#lx: %s; some sites stay unpatched",
				obj->name, (unsigned long)c.where, strerror(-c.err));
		/* Memory says which sites were written. */
		for (size_t i = 0; i < c.n; i++)
			if (pfe_arch_site_decode(c.sites[i]) == PFE_SITE_INIT)
				c.sites[i]->state = PFE_SITE_INIT;
	} else if (c.n) {
		pfe_err("%s: loaded while threads run that could not be stopped; its %zu "
			"functions stay unpatched",
			obj->name, c.n);
	}
	free(c.sites);
}

static int add_new(struct pfe_object *obj, void *ctx)
{
	int err;

	pfe_live_init_object(obj);
	err = pfe_object_publish(obj);
	if (err) {
		pfe_object_free(obj);
		return err;
	}
	/* Before its hooks: no event can name a site the clients do not
	 * know yet. */
	pfe_clients_after_load(obj);
	pfe_hooks_apply_object(obj);
	return 0;
}

/* ------------------------------------------------------------ gone objects */

struct gone {
	struct pfe_object **v;
	bool *seen;
	size_t n;
};

static int mark_seen(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct gone *g = arg;
	const char *name = info->dlpi_name ? info->dlpi_name : "";

	for (size_t i = 0; i < g->n; i++)
		if (!g->seen[i] && g->v[i]->bias == info->dlpi_addr && !strcmp(g->v[i]->path, name))
			g->seen[i] = true;
	return 0;
}

/* An object of another namespace (dlmopen), which dl_iterate_phdr does not
 * report: the loader's own lookup by address covers every namespace. */
static bool still_loaded(const struct pfe_object *o)
{
	struct link_map *lm = NULL;
	Dl_info di;

	if (!o->nsegs ||
	    !dladdr1((void *)(o->tab.nsites ? o->tab.sites[0].func : o->lo), &di, (void **)&lm,
		     RTLD_DL_LINKMAP) ||
	    !lm)
		return false;
	return lm->l_addr == o->bias && lm->l_name && !strcmp(lm->l_name, o->path);
}

/* Under the patch lock: unpublish the objects no longer loaded. Returns
 * them in g->v[0..g->n) for free_gone() after a grace period (their ->next
 * must stay as it is: a reader may still be on them). */
static void remove_gone(struct gone *g)
{
	struct pfe_object *o;
	size_t n = 0, dead = 0;

	for (o = pfe_objects_first(); o; o = o->next)
		n += !o->is_main;
	if (!n)
		return;
	g->v = malloc(n * sizeof(*g->v));
	g->seen = calloc(n, sizeof(*g->seen));
	if (!g->v || !g->seen) {
		pfe_err_once("out of memory checking for unloaded objects");
		free(g->seen);
		g->seen = NULL;
		return;
	}
	for (o = pfe_objects_first(); o; o = o->next)
		if (!o->is_main)
			g->v[g->n++] = o;
	dl_iterate_phdr(mark_seen, g);
	for (size_t i = 0; i < g->n; i++) {
		if (g->seen[i] || still_loaded(g->v[i]))
			continue;
		o = g->v[i];
		pfe_object_unpublish(o);
		pfe_hooks_forget_object(o);
		pfe_discover_forget(o->bias, o->path);
		g->v[dead++] = o;
	}
	g->n = dead;
	free(g->seen);
	g->seen = NULL;
}

/* No reader can still hold a site of these objects or their vectors. */
static void free_gone(struct gone *g)
{
	if (g->n) {
		pfe_synchronize_rcu();
		for (size_t i = 0; i < g->n; i++) {
			struct pfe_object *o = g->v[i];

			/* Events in the tracer's rings name sites by id. */
			pfe_clients_before_unload(o);
			pfe_site_ids_clear(o);
			for (size_t k = 0; k < pfe_dyn_count(o); k++)
				pfe_site_id_clear(pfe_dyn_site(o, k));
			for (size_t k = 0; k < o->tab.nsites; k++)
				free(o->tab.sites[k].hooks);
			for (size_t k = 0; k < pfe_dyn_count(o); k++)
				free(pfe_dyn_site(o, k)->hooks);
			pfe_object_free(o);
		}
	}
	free(g->v);
}

/* ------------------------------------------------------------ sync */

/* Whether this thread may take the patch lock and update the object list:
 * not before start-up discovery, and never from a hook or an RCU read-side
 * section (a writer holding the lock may be waiting for that section). */
static bool can_sync(void)
{
	return __atomic_load_n(&live_ready, __ATOMIC_ACQUIRE) && !pfe_dispatch_in_hook() &&
	       !rcu_read_ongoing();
}

/* Under the patch lock: drop what is gone, add what is new. */
static void sync_locked(struct gone *g)
{
	remove_gone(g);
	pfe_discover_all(add_new, NULL);
}

void pfe_live_sync(void)
{
	struct gone g = {0};
	int saved = errno, guard;

	if (!can_sync())
		return;
	/* libpfe's work (libelf, malloc): never traced. The real dlopen
	 * before it is the program's and stays traced. */
	guard = pfe_guard_enter();
	pfe_patch_lock();
	sync_locked(&g);
	pfe_patch_unlock();
	free_gone(&g);
	pfe_guard_leave(guard);
	errno = saved;
}

/* Objects of the namespace a dlmopen() handle belongs to. */
static void live_sync_ns(void *handle)
{
	struct link_map *lm = NULL;
	int saved = errno, guard;

	if (!can_sync() || dlinfo(handle, RTLD_DI_LINKMAP, &lm) || !lm) {
		errno = saved;
		return;
	}
	guard = pfe_guard_enter();
	pfe_patch_lock();
	pfe_discover_namespace(lm, add_new, NULL);
	pfe_patch_unlock();
	pfe_guard_leave(guard);
	errno = saved;
}

void pfe_live_start(void)
{
	resolve();
	__atomic_store_n(&live_ready, true, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ fork */

void pfe_live_lock(void)
{
	pthread_mutex_lock(&dl_lock);
}

void pfe_live_unlock(void)
{
	pthread_mutex_unlock(&dl_lock);
}

/* A recursive mutex belongs to its owner's tid, and the child's one thread
 * has a new tid: unlocking fails (EPERM) and the child's first dlopen
 * would wait forever. The child has no other thread: start afresh. */
void pfe_live_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

	dl_lock = fresh;
}

/* ------------------------------------------------------------ interposers */

static void *pfe_dlopen(const char *file, int mode)
{
	void *h;

	resolve();
	if (!real_dlopen)
		return NULL;
	pthread_mutex_lock(&dl_lock);
	h = real_dlopen(file, mode);
	if (h)
		pfe_live_sync();
	pthread_mutex_unlock(&dl_lock);
	return h;
}

static void *pfe_dlmopen(Lmid_t lmid, const char *file, int mode)
{
	void *h;

	resolve();
	if (!real_dlmopen)
		return NULL;
	pthread_mutex_lock(&dl_lock);
	h = real_dlmopen(lmid, file, mode);
	if (h) {
		pfe_live_sync();
		if (lmid != LM_ID_BASE)
			live_sync_ns(h);
	}
	pthread_mutex_unlock(&dl_lock);
	return h;
}

/*
 * The patch lock is held across the real dlclose: a writer in another thread
 * (pfe_hook_add/remove, a control command) reads and patches the slots of
 * the object's sites under that lock, so it must not run between the unmap
 * and remove_gone() dropping the sites from every table. The object's
 * destructors run inside the real dlclose under the lock; those that call
 * back into libpfe take it again (objects.c). A dlclose from a hook (which
 * must not take the lock) keeps the old order: unmap, then update.
 */
static int pfe_dlclose(void *handle)
{
	struct gone g = {0};
	bool locked;
	int ret, saved;

	resolve();
	if (!real_dlclose)
		return -1;
	pthread_mutex_lock(&dl_lock);
	locked = can_sync();
	if (locked)
		pfe_patch_lock();
	ret = real_dlclose(handle);
	saved = errno;
	if (locked) {
		sync_locked(&g);
		pfe_patch_unlock();
		free_gone(&g);
	} else if (!ret) {
		pfe_live_sync();
	}
	errno = saved;
	pthread_mutex_unlock(&dl_lock);
	return ret;
}

/* Both versions the C library exports, so that programs linked against
 * either bind to these. */
DL_API void *pfe_dlopen_2_17(const char *file, int mode) __attribute__((alias("pfe_dlopen")));
DL_API void *pfe_dlopen_2_34(const char *file, int mode) __attribute__((alias("pfe_dlopen")));
DL_API void *pfe_dlmopen_2_17(Lmid_t lmid, const char *file, int mode)
    __attribute__((alias("pfe_dlmopen")));
DL_API void *pfe_dlmopen_2_34(Lmid_t lmid, const char *file, int mode)
    __attribute__((alias("pfe_dlmopen")));
DL_API int pfe_dlclose_2_17(void *handle) __attribute__((alias("pfe_dlclose")));
DL_API int pfe_dlclose_2_34(void *handle) __attribute__((alias("pfe_dlclose")));
__asm__(".symver pfe_dlopen_2_17, dlopen@GLIBC_2.17\n"
	".symver pfe_dlopen_2_34, dlopen@@GLIBC_2.34\n"
	".symver pfe_dlmopen_2_17, dlmopen@GLIBC_2.17\n"
	".symver pfe_dlmopen_2_34, dlmopen@@GLIBC_2.34\n"
	".symver pfe_dlclose_2_17, dlclose@GLIBC_2.17\n"
	".symver pfe_dlclose_2_34, dlclose@@GLIBC_2.34\n");
