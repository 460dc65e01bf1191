/* SPDX-License-Identifier: MIT */
/*
 * Contracts between libpfe's modules. Everything here is hidden: only pfe.h
 * is exported (pfe.map). Internal calls return 0 or -errno.
 *
 *   log.c        one-line diagnostics on stderr
 *   env.c        PFE_* variables: secure_getenv, strict values (env.h)
 *   envparse.c   booleans, sizes, durations (pure, envparse.h)
 *   outfile.c    every file libpfe creates or writes; kept descriptors (outfile.h)
 *   saferead.c   fault-safe reads of the program's memory (saferead.h)
 *   sanitize.c   control bytes and invalid UTF-8 escaped in messages (pure)
 *   insn.c       instruction encoders/decoders (pure, insn.h)
 *   pattern.c    the PFE_TRACE pattern language (pure, pattern.h)
 *   demangle.c   C++ names: site labels, the runtime's demangler (demangle.h)
 *   sitetab.c    per-object site and symbol tables (pure, sitetab.h)
 *   elfobj.c     libelf access: one object's table and symbols
 *   discover.c   dl_iterate_phdr walk; builds struct pfe_object
 *   text.c       batched protection changes and writes to live text
 *   cache.c      instruction-cache maintenance after a write
 *   patch.c      site state transitions (init_nop, make_call, make_nop)
 *   veneer.c     trampoline veneers for objects out of BL range; memory near an object
 *   stub.c       per-site stubs: an enabled site's BL already knows its site
 *   objects.c    the RCU list of loaded objects and the patch lock
 *   registry.c   hooks: attach, detach, RCU (urcu-bp); the public API
 *   dispatch.c   trampoline -> hooks, lock-free
 *   exit.c       exit hooks: shadow stacks per machine stack, closing frames left
 *                without returning, unwinding (exit.h)
 *   ctxsw.c      longjmp/setcontext/swapcontext/sigaltstack/__cxa_begin_catch
 *                interposed: tell exit.c where the thread continues
 *   hookops.c    pfe_hook_add_ops
 *   sig.c        signatures: parser, AAPCS64 placement (pure, sig.h)
 *   sigfmt.c     typed values as text (pure, sig.h)
 *   wrap.c       signatures for libffi; pfe_call_original
 *   park.c       parking every other thread while slot 0 is written
 *   dlopen.c     dlopen/dlmopen/dlclose: objects loaded and unloaded later
 *   fork.c       fork handlers (patch lock, urcu-bp fork protocol)
 *   childenv.c   a followed child's environment (pure, childenv.h)
 *   follow.c     following children: their environment, shared output files
 *   exec.c       exec*() and posix_spawn*(): flush, then follow
 *   guard.h      the recursion guard around libpfe's own entry points
 *   control.c    PFE_CONTROL: the tracer controlled through a FIFO
 *   ctlcmd.c     PFE_CONTROL commands parsed (pure, ctlcmd.h)
 *   sumtab.c     the per-function table of PFE_SUMMARY and pfe report (pure)
 *   glibc.c      atexit/atfork registration without libc_nonshared.a
 *   init.c       constructor and destructor
 *   hooks/trace*.c  the PFE_TRACE tracer (trace_graph.c: signatures, PFE_GRAPH)
 */
#ifndef PFE_INTERNAL_H
#define PFE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfe.h"
#include "sitetab.h"

/* ------------------------------------------------------------------ log.c */
/* "libpfe: <msg>\n" written with one write(2) to stderr; async-signal-safe. */
void pfe_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only when PFE_DEBUG is set. */
void pfe_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Say it once per call site for the life of the process. */
#define pfe_err_once(...)                                                                          \
	do {                                                                                       \
		static int pfe_said_;                                                              \
		if (!__atomic_exchange_n(&pfe_said_, 1, __ATOMIC_RELAXED))                         \
			pfe_err(__VA_ARGS__);                                                      \
	} while (0)

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
 * registry.c; freed after a grace period once it is unloaded.
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
	uint32_t first_id; /* its sites' ids: first_id + index (siteid.c) */
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

/* ------------------------------------------------------------ glibc.c */
/* atexit(3) and pthread_atfork(3) without libc_nonshared.a (see glibc.c). */
int pfe_atexit(void (*fn)(void));
int pfe_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

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

/* ---------------------------------------------------------- registry.c */
/* Apply the patterns of live hooks to a newly published object. Under the
 * patch lock. */
int pfe_hooks_apply_object(struct pfe_object *obj);
/* An unloaded object: take its sites out of the dispatch table and out of
 * every hook's site list. Their vectors stay readable; the caller frees them
 * with the object after a grace period. Under the patch lock. (live) */
void pfe_hooks_forget_object(struct pfe_object *obj);

/* ---------------------------------------------------------- dispatch.c */
/* Called by the trampoline (arch/arm64/regs_tramp.S) with the saved registers. */
void pfe_dispatch(struct pfe_regs *regs);
/* Hash table from body address (site->pc + 8) to site, read lock-free.
 * Writers hold the patch lock. */
int pfe_dispatch_insert(struct pfe_site *site);
void pfe_dispatch_remove(struct pfe_site *site);

/* Called by pfe_site_trampoline with the site its stub named. */
void pfe_dispatch_site(struct pfe_regs *regs, struct pfe_site *site);

/* ------------------------------------------------------------ siteid.c */
/*
 * Process-wide site ids, the "site" of a PFE_RECORD event (tracer/record.h):
 * assigned in publication order, never reused, so that an event written on
 * a traced thread names its site in 28 bits and a reader (the tracer's
 * writer thread) finds it again without a lookup by address.
 */
/* Give @obj's sites their ids and make them findable. Patch lock, before
 * pfe_object_publish makes the sites reachable. -ENOSPC past 2^28 sites. */
int pfe_site_ids_assign(struct pfe_object *obj);
/* @obj is being unloaded: its ids name nothing from now on. Patch lock. */
void pfe_site_ids_clear(struct pfe_object *obj);
/* The site with id @id, or NULL (unloaded, never assigned). Any thread;
 * the site stays valid while its object is loaded. */
struct pfe_site *pfe_site_by_id(uint32_t id);
/* Ids handed out so far: every id is below this. */
uint32_t pfe_site_ids_end(void);

/* -------------------------------------------------------- hooks/trace */
/*
 * Start the PFE_TRACE tracer: compile @spec (one error line and -EINVAL when
 * malformed: nothing is patched), warn once for each include term matching no
 * patchable function, open @output (NULL: stderr) and attach the hook to every
 * selected function. Call from the constructor after discovery.
 */
int pfe_trace_start(const char *spec, const char *output);
/* The constructor's first step: time 0 of every trace of this image. */
void pfe_trace_note_start(void);
/* Runtime control (tracer/control.c): detach the tracer, in whatever mode
 * (-ENOENT when it is not attached); replace its patterns by @spec in the
 * mode the environment and @spec ask for (flat, PFE_GRAPH, PFE_SUMMARY,
 * signatures), starting the output on first use (PFE_OUTPUT). On failure the
 * old patterns stay, and for a malformed pattern @why (@len bytes) says where,
 * as for PFE_TRACE. Not from a hook. */
int pfe_trace_stop(void);
int pfe_trace_set(const char *spec, char *why, size_t len);
/* Control's "graph on|off|time" (PFE_GRAPH_*, ctlcmd.h), "summary on|off":
 * the same patterns in the new mode; -ENOTSUP when recording. "summary":
 * the table now (-ENOENT when not in summary mode). "depth", "min-duration":
 * graph lines deeper than @depth levels (0: all) or of calls shorter than
 * @min_ns (0: all) are not written. Control thread only. */
int pfe_trace_set_mode(int graph, bool summary);
int pfe_trace_set_summary(bool on);
int pfe_trace_summary_now(void);
void pfe_trace_set_filters(uint64_t min_ns, unsigned depth);
/* Write out everything the tracer holds for every thread (before execve,
 * at exit, on a fatal signal). Safe to call more than once and when the
 * tracer never started. Not from a hook. */
void pfe_trace_flush(void);
/* @obj is about to be freed (dlclose), its sites disabled and a grace
 * period past: write out the events that name its sites. Patch lock. */
void pfe_trace_before_unload(const struct pfe_object *obj);

/* ------------------------------------------------------------ follow.c */
/* Constructor: PFE_FOLLOW, libpfe's path, the PFE_* to hand on. Does
 * nothing under AT_SECURE (then children get the environment given). */
void pfe_follow_init(void);
/* Call @fn with the environment a child started with @envp gets (envp
 * itself unless it is followed) and return what @fn returns. @new_process:
 * the child is not a new image of this process (no PFE_CONTROL). No malloc;
 * async-signal-safe (vfork children, fork in threaded programs). */
int pfe_follow_env(char *const envp[], bool new_process, int (*fn)(char *const env[], void *arg),
		   void *arg);
/* True when this process is not the one the constructor ran in (an exec
 * after fork or vfork). */
bool pfe_follow_new_process(void);
/* fork.c, in the child: this process's trace lines are its own. */
void pfe_follow_forked(void);
/* False in a vfork child (or a clone without fork handlers): the trace
 * lines buffered in its memory are its parent's, which writes them. */
bool pfe_follow_owns_trace(void);
/* For pfe_output_open's callers: @flags without PFE_OUT_TRUNC (and with
 * PFE_OUT_APPEND) when @path is a file an earlier image of this process, or
 * its parent, opened for output: its lines stay, the new ones follow. */
unsigned pfe_follow_out_flags(const char *path, unsigned flags);
/* Remember the file open on @fd as one of libpfe's outputs (outfile.c). */
void pfe_follow_note(int fd);
/* True when a process libpfe was in started this one (LIBPFE_CHILD). */
bool pfe_follow_child(void);

/* ------------------------------------------------------------ exec.c */
/* Resolve the C library's exec and spawn functions (constructor). */
void pfe_exec_init(void);

/* ------------------------------------------------------------ init.c */
/* The PFE_LIST listing to @dest ("1": stderr, else a path; %p = pid),
 * opened as outfile.c allows. Returns 0 or -errno, after one line naming
 * @who and the path (a write error: naming the path, from outfile.c). */
int pfe_list_sites(const char *dest, const char *who);

#endif /* PFE_INTERNAL_H */
