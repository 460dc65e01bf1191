/* SPDX-License-Identifier: MIT */
/*
 * lib/core: finding the patch sites of every loaded object and changing
 * them. What the other folders and the tracer may use of it; the pure
 * modules keep their own headers (host-tested), included here. Everything
 * is hidden: only pfe.h is exported (pfe.map). Internal calls return 0 or
 * -errno.
 *
 *   elfobj.c     libelf access: one object's table and symbols (elfobj.h)
 *   sitetab.c    per-object site table, decoded from the entries (pure, sitetab.h)
 *   symtab.c     per-object symbol table: sorted, named, looked up (pure, sitetab.h)
 *   demangle.c   C++ names: site labels, the runtime's demangler (demangle.h)
 *   pattern.c    the PFE_TRACE pattern language (pure, pattern.h)
 *   discover.c   dl_iterate_phdr walk; builds struct pfe_object
 *   maps.c       /proc/self/maps lines (pure, maps.h)
 *   text.c       batched protection changes and writes to live text
 *   patch.c      site state transitions (init_nop, make_call, make_nop)
 *   objects.c    the RCU list of loaded objects and the patch lock
 *   siteid.c     process-wide site ids
 *   park.c       parking every other thread while text is rewritten (park.h)
 *   client.c     clients of the core (the tracer): lifecycle notifications
 *   listing.c    the PFE_LIST listing of every site
 *   dynsite.c    dynamic sites: functions built without the flag, their
 *                candidates read lazily, their first instruction moved into
 *                a stub (arch/arm64/dynstub.c)
 */
#ifndef PFE_CORE_H
#define PFE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "base.h"
#include "demangle.h"
#include "park.h"
#include "pattern.h"
#include "pfe.h"
#include "sitetab.h"

/* ------------------------------------------------------------- objects */
/* PROT_BTI from the arm64 <asm/mman.h>, also when building elsewhere. */
#define PFE_PROT_BTI 0x10

/* An executable segment of an object, with the exact rights it was mapped with. */
struct pfe_text_seg {
	uintptr_t start, end; /* page aligned */
	int prot;	      /* PROT_* */
};

/*
 * One loaded object with patch sites. Published on the RCU list in
 * objects.c; freed after a grace period once it is unloaded.
 */
struct pfe_object {
	struct pfe_object *next; /* RCU list; writers hold the patch lock */
	char *path;		 /* as dl_iterate_phdr gave it ("" -> /proc/self/exe) */
	const char *name;	 /* basename of path */
	uintptr_t bias;		 /* dlpi_addr */
	uintptr_t lo, hi;	 /* span of the executable segments */
	struct pfe_text_seg *segs;
	size_t nsegs;
	struct pfe_sitetab tab;
	uintptr_t veneer;	 /* BL target near this object, 0 = direct */
	struct pfe_stubs *stubs; /* stub.c: the per-site stubs, NULL until needed */
	bool is_main;
	/* No __patchable_function_entries: only dynamic sites (dynsite.c),
	 * and nothing read per function until a term reaches the object. */
	bool no_table;
	bool dyn_ok;		       /* may have dynamic sites (not the loader, not the vdso) */
	struct pfe_dyn *dyn;	       /* dynsite.c; NULL until a term reaches it */
	struct pfe_dynstubs *dynstubs; /* arch/arm64/dynstub.c */
	uint32_t first_id;	       /* its sites' ids: first_id + index (siteid.c) */
};

/* ---------------------------------------------------------- discover.c */
/*
 * Build the object for one dl_phdr_info entry: read its table with libelf,
 * verify each site, name it. Returns 0 and *out (NULL when the object has no
 * table, which is not an error), or -errno after one diagnostic line.
 */
struct dl_phdr_info;
int pfe_object_discover(const struct dl_phdr_info *info, struct pfe_object **out);
void pfe_object_free(struct pfe_object *obj);
/* Set by the constructor in a child a traced process started: a main
 * program without a table is not worth a line there. */
extern bool pfe_discover_quiet;
/* Walk every loaded object not yet known and hand each new one to @fn,
 * outside the loader's lock, in load order. @fn owns the object (publishes
 * or frees it). Call under the patch lock. Returns 0 or @fn's first error. */
int pfe_discover_all(int (*fn)(struct pfe_object *obj, void *ctx), void *ctx);
/* Forget an object that was unloaded, so that the next walk hands on
 * whatever is loaded at @bias under @name again. Patch lock. (live) */
void pfe_discover_forget(uintptr_t bias, const char *name);
/* pfe_discover_all for the namespace of link map @lm (dlmopen: the walk of
 * dl_iterate_phdr reports only the caller's namespace). (live) */
struct link_map;
int pfe_discover_namespace(struct link_map *lm, int (*fn)(struct pfe_object *obj, void *ctx),
			   void *ctx);

/* ------------------------------------------------------------- text.c */
/*
 * Writes to live text, batched. Collect every change first, then apply them:
 * each run of contiguous pages gets one protection change to add PROT_WRITE
 * (keeping PROT_EXEC throughout), the 32-bit stores, cache maintenance for each
 * written word, and one change back to the exact original rights. When the
 * system refuses W+X, the words go through /proc/self/mem instead.
 */
struct pfe_text_write {
	uintptr_t addr; /* 4-byte aligned */
	uint32_t old;	/* expected current value; mismatch -> refused */
	uint32_t new;
	/* Rights the page has that /proc/self/maps cannot show (PROT_BTI), kept
	 * through the change; the owner's segment says (struct pfe_text_seg). */
	int keep;
};
/* Returns the number applied, or -errno; writes whose old value does not match
 * are skipped (and counted in *@mismatched when non-NULL). Call under the patch lock.
 * @w is sorted by address in place. A misaligned, duplicate or unmapped address
 * refuses the whole batch (-EINVAL, -EFAULT) before anything is written; a
 * failure later (-EPERM, -EIO) may leave part of the batch written: read the
 * words back to know which. */
int pfe_text_apply(struct pfe_text_write *w, size_t n, size_t *mismatched);
/* Counters since start-up, for tests and the bench: take a copy before and
 * after and compare. Updated under the patch lock. */
struct pfe_text_stats {
	unsigned long applies;	  /* pfe_text_apply calls with work to do */
	unsigned long runs;	  /* runs of contiguous pages with equal rights */
	unsigned long mprotects;  /* mprotect(2) calls, failed ones included */
	unsigned long words;	  /* words written, either way */
	unsigned long procmem;	  /* ... of which through /proc/self/mem */
	unsigned long mismatched; /* writes skipped: old value differed */
};
extern struct pfe_text_stats pfe_text_stats;
/* Tests: write through /proc/self/mem even where W+X would be allowed. */
extern bool pfe_text_force_procmem;
/* Set once the system refused W+X (EACCES/EPERM): from then on every write
 * goes through /proc/self/mem. Tests reset it. */
extern bool pfe_text_wx_refused;
/* mprotect(2), replaceable by tests to play a system that refuses W+X. */
extern int (*pfe_text_mprotect)(void *addr, size_t len, int prot);
/* Walk /proc/self/maps in address order, without stdio or malloc. @fn returns
 * nonzero to stop the walk; that value is returned, else 0 at the end, or
 * -errno when the file cannot be read. */
struct pfe_map;
int pfe_text_maps_walk(int (*fn)(const struct pfe_map *m, void *ctx), void *ctx);
/* PROT_* of the mapping holding @addr, or -ENOENT when it is not mapped. */
int pfe_text_prot_at(uintptr_t addr);

/* ------------------------------------------------------------- patch.c */
/* State transitions of one site; the batch forms append to a write list. */
int pfe_site_init_nop(struct pfe_site *site);  /* COMPILED -> INIT (start-up only) */
int pfe_site_make_call(struct pfe_site *site); /* INIT -> CALL */
int pfe_site_make_nop(struct pfe_site *site);  /* CALL -> INIT */
int pfe_sites_init_nop(struct pfe_site **sites, size_t n);
int pfe_sites_make_call(struct pfe_site **sites, size_t n);
int pfe_sites_make_nop(struct pfe_site **sites, size_t n);

/* ----------------------------------------------------------- objects.c */
/* The one writer lock: object list, site states, hooks, text writes. Never
 * taken on the fast path (hooks and dispatch). The thread holding it may take
 * it again (destructors run by dlclose under it call back into libpfe). */
void pfe_patch_lock(void);
void pfe_patch_unlock(void);
/* First object on the RCU list; read under rcu_read_lock (urcu-bp). */
struct pfe_object *pfe_objects_first(void);
/* Publish a discovered object (sites already initialised), apply the
 * patterns of live hooks to it. Under the patch lock. */
int pfe_object_publish(struct pfe_object *obj);
/* Take an unloaded object off the list; readers on it may still follow its
 * ->next until a grace period has passed. Under the patch lock. (live) */
void pfe_object_unpublish(struct pfe_object *obj);
/* The object containing text address @addr, under rcu_read_lock. */
struct pfe_object *pfe_object_by_addr(uintptr_t addr);

/* -------------------------------------------------------------- park.c */
/*
 * synchronize_rcu() for libpfe's writers. urcu-bp blocks every signal while
 * it waits for a grace period, which may last as long as a parked reader
 * stays parked: park.c counts a thread inside this call as stopped (it can
 * only leave with its signal mask restored, which delivers the pending
 * parking signal first). Use it instead of synchronize_rcu() everywhere.
 */
void pfe_synchronize_rcu(void);

/* ------------------------------------------------------------ siteid.c */
/* The width of a site id: a recording's event names its site in these bits
 * (tracer/record.h checks that PFE_REC_SITE_BITS agrees). */
#define PFE_SITE_ID_BITS 28
#define PFE_SITE_ID_MAX	 ((1u << PFE_SITE_ID_BITS) - 1)
/*
 * Process-wide site ids, the "site" of a PFE_RECORD event (tracer/record.h):
 * assigned in publication order, never reused, so that an event written on
 * a traced thread names its site in 28 bits and a reader (the tracer's
 * writer thread) finds it again without a lookup by address.
 */
/* Give @obj's sites their ids and make them findable. Patch lock, before
 * pfe_object_publish makes the sites reachable. -ENOSPC past 2^28 sites. */
int pfe_site_ids_assign(struct pfe_object *obj);
/* One more id, for a dynamic site made after its object's publication. */
int pfe_site_id_assign_one(struct pfe_site *site);
/* @obj is being unloaded: its table's ids, or one dynamic site's id, name
 * nothing from now on. Patch lock. */
void pfe_site_ids_clear(struct pfe_object *obj);
void pfe_site_id_clear(const struct pfe_site *site);
/* The site with id @id, or NULL (unloaded, never assigned). Any thread;
 * the site stays valid while its object is loaded. */
struct pfe_site *pfe_site_by_id(uint32_t id);
/* Ids handed out so far: every id is below this. */
uint32_t pfe_site_ids_end(void);

/* ----------------------------------------------------------- dynsite.c */
/*
 * Call @fn for every dynamic site of @obj that @pat selects (the rule of
 * pfe_pattern_match_unflagged: exact names everywhere, terms naming an
 * object without a table, any term in a main program without one), making
 * the ones that do not exist yet: their stubs written and made executable,
 * then the first instruction of each rewritten with every other thread
 * parked, once per batch. New sites are Initialised (slot: detached). @fn
 * stops the walk with nonzero, which is returned; else 0 or -errno. Sites
 * that cannot be patched exactly are refused, their reason kept for
 * PFE_LIST (pfe_dyn_refusal) and said in PFE_DEBUG. Patch lock; not while
 * parked.
 */
int pfe_dyn_match(struct pfe_object *obj, struct pfe_pattern *pat,
		  int (*fn)(struct pfe_site *site, void *ctx), void *ctx);
/* The dynamic sites made so far: 0..count-1, in creation order; stable. */
size_t pfe_dyn_count(const struct pfe_object *obj);
struct pfe_site *pfe_dyn_site(const struct pfe_object *obj, size_t i);
/* Refusal @i: its reason, or NULL past the last; *@func, *@name set. */
const char *pfe_dyn_refusal(const struct pfe_object *obj, size_t i, uintptr_t *func,
			    const char **name);
/* With the object, after its grace period. */
void pfe_dyn_free(struct pfe_object *obj);
/* The function symbols that name addresses of @obj: its table's, or for an
 * object without one those read for its dynamic sites (empty until a term
 * reached it). Any thread, under rcu_read_lock; lock- and allocation-free. */
const struct pfe_sitetab *pfe_object_symtab(const struct pfe_object *obj);

/* ------------------------------------------------------------ client.c */
/*
 * Clients of the core (the tracer) are told of the process's life through
 * the callbacks they registered, as kernel modules register notifiers: the
 * core never calls a client by name. A callback left NULL is not called.
 * Registration happens from a constructor of higher priority than libpfe's
 * own (PFE_CLIENT_PRIORITY), so every client is known before start-up.
 */
#define PFE_CLIENT_PRIORITY 200
struct pfe_client {
	const char *name;
	/* The constructor's first step: time 0 of this image. */
	void (*early)(void);
	/* Start-up discovery is done, every object published, main not yet
	 * run: start what the environment asks for. Under the guard. */
	void (*ready)(void);
	/* This image ends (an exec is about to replace it, or _exit ends the
	 * process without atexit handlers): write out what is
	 * held for every thread. Not from a hook; may run more than once. */
	void (*image_end)(void);
	/* The process ends now (_exit, _Exit), maybe from a signal handler
	 * that interrupted anything, a lock or malloc included: write out what
	 * is held with async-signal-safe work only, never waiting for a lock. */
	void (*quit)(void);
	/* @obj was just published (dlopen, after start-up), before any of
	 * its sites can be enabled: whatever must know it before its first
	 * event (a recording's objects file) learns it now, however soon
	 * it is unloaded again. Patch lock, in the loading thread. */
	void (*after_load)(const struct pfe_object *obj);
	/* @obj is about to be freed (dlclose): its sites are disabled and a
	 * grace period has passed. Patch lock. */
	void (*before_unload)(const struct pfe_object *obj);
};
/* Up to PFE_CLIENTS_MAX clients; -ENOSPC beyond. */
#define PFE_CLIENTS_MAX 4
int pfe_client_register(const struct pfe_client *c);
/* Tell every client, in registration order. */
void pfe_clients_early(void);
void pfe_clients_ready(void);
void pfe_clients_image_end(void);
void pfe_clients_quit(void);
void pfe_clients_after_load(const struct pfe_object *obj);
void pfe_clients_before_unload(const struct pfe_object *obj);

/* ----------------------------------------------------------- listing.c */
/* The PFE_LIST listing to @dest ("1": stderr, else a path; %p = pid),
 * opened as outfile.c allows. Returns 0 or -errno, after one line naming
 * @who and the path (a write error: naming the path, from outfile.c). */
int pfe_list_sites(const char *dest, const char *who);
/* How a listing file is opened (NULL: truncated): the constructor points it
 * at the children policy (a new image of this process, or a child, naming
 * the same file appends to it: lib/interpose/follow.c). */
extern unsigned (*pfe_list_out_flags)(const char *path, unsigned flags);

#endif /* PFE_CORE_H */
