/* SPDX-License-Identifier: MIT */
/*
 * libpfe — patchable-function-entry tracing and hooking for AArch64 Linux.
 *
 * Preload build/libpfe.so into a program built with -fpatchable-function-entry=2
 * (or =N,M with at least two NOPs at or after the function symbol). Each such
 * function entry is a "site". Attaching a hook turns the site's second NOP into
 * a BL to libpfe's register-saving trampoline, which runs the hooks and then
 * continues into the function.
 *
 * Threading: every call below may be made from any thread while other threads
 * execute the affected functions. Attach and detach calls are serialised by one
 * internal mutex; they must not be called from a hook or a signal handler.
 *
 * Errors: calls returning int give 0 or a negative errno value; calls returning
 * a pointer give NULL and set errno.
 */
#ifndef PFE_H
#define PFE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PFE_API __attribute__((visibility("default")))

/* One SIMD/FP register as saved at a function entry (q0..q7). */
union pfe_vreg {
	__uint128_t q;
	double d;
	float s;
	uint64_t u64[2];
	uint8_t b[16];
} __attribute__((aligned(16)));

/*
 * The registers a hook sees at a function's entry: everything the AAPCS64
 * caller may rely on, and everything that carries arguments.
 *
 * A hook may change any field; the trampoline loads them back before the
 * function body runs:
 *   x[0..7], v[0..7]  arguments (x8: indirect result address)
 *   x18               platform register / static chain
 *   lr                where the function will return to (the caller)
 *   pc                where execution continues; initially the function body
 *                     just past the patch site. Point it at another function
 *                     with the same signature to replace the call.
 *   sp, fp            read-only: changes are ignored.
 */
struct pfe_regs {
	uint64_t x[9];
	uint64_t x18;
	uint64_t fp;
	uint64_t lr;
	uint64_t sp;
	uint64_t pc;
	union pfe_vreg v[8];
};

/* A patch site: one patchable function entry in one loaded object. */
struct pfe_site;

/* An attached hook, as returned by pfe_hook_add(). */
struct pfe_hook;

/*
 * An entry hook. Runs in the thread that called the function, possibly inside
 * a signal handler, with the trampoline's stack. It must be async-signal-safe
 * if the hooked functions may be called from signal handlers. Hooks do not
 * nest: traced functions called from a hook (or from anything it calls in the
 * same thread) run without hooks. A hook runs inside an RCU read-side section:
 * it must not block on another thread that attaches or detaches hooks, and
 * must not call fork() (libpfe's fork handler waits for a grace period).
 */
typedef void (*pfe_entry_fn)(const struct pfe_site *site, struct pfe_regs *regs, void *data);

/*
 * pfe_hook_add - attach @fn to every site whose function matches @pattern.
 *
 * @pattern: comma-separated terms, as in PFE_TRACE (see README.md): exact
 *           names, globs with * ? [...], "!term" to exclude, "term@object" to
 *           restrict to objects whose file name matches the glob after '@'.
 *           Functions built without -fpatchable-function-entry become
 *           dynamic sites (their first instruction moved into a stub, the
 *           other threads parked once per batch) when selected by an exact
 *           name (any object), by a term naming an object that has no
 *           patchable-entry table ("*@libz.so.1"), or by any term in a main
 *           program without one; in an object with a table, globs select its
 *           flagged functions only.
 * @fn:      called on each entry of a matching function, after the hooks
 *           attached before it at the same site.
 * @data:    passed to @fn unchanged.
 *
 * Returns the hook, enabled at every matching site before the call returns
 * (each site is switched to BL only after the hook is visible to readers), or
 * NULL with errno: EINVAL for a malformed pattern or NULL @fn, ENOENT when no
 * function matches that is flagged or can be made a dynamic site (a
 * function selected but refused, e.g. a loop head at its entry, does not
 * count), ENOMEM, EPERM/EACCES when text could not be
 * made writable, EILSEQ when a site's code is not what libpfe wrote there,
 * EDEADLK when called from a hook. On failure no site is left changed.
 *
 * The pattern also applies to objects loaded later with dlopen().
 */
PFE_API struct pfe_hook *pfe_hook_add(const char *pattern, pfe_entry_fn fn, void *data);

/*
 * pfe_hook_remove - detach @hook from all its sites.
 *
 * Sites left with no hook go back to NOP. When this returns, no thread is
 * running or will run @fn for this hook, and @data may be freed (an RCU grace
 * period has elapsed). Returns 0, -EINVAL for NULL or a hook already removed,
 * -EDEADLK when called from a hook, or -ENOMEM (the hook stays attached).
 */
PFE_API int pfe_hook_remove(struct pfe_hook *hook);

/* Number of sites @hook is attached to. */
PFE_API size_t pfe_hook_nsites(const struct pfe_hook *hook);

/*
 * Site accessors. The returned strings live as long as the object that holds
 * the site stays loaded. pfe_site_name() returns NULL for a site without a
 * symbol (stripped object).
 */
PFE_API const char *pfe_site_name(const struct pfe_site *site);
PFE_API const char *pfe_site_object(const struct pfe_site *site);
/* The function's address, as its callers see it (the symbol's value). */
PFE_API uintptr_t pfe_site_func(const struct pfe_site *site);

/* ------------------------------------------------- exits, signatures, wrappers */

/*
 * The registers a function returns in, as an exit hook sees them: x0-x1
 * (integers, pointers, composites up to 16 bytes), x8 (as the function left
 * it; the indirect result address of a large composite is the x8 an entry
 * hook saw), q0-q3 (float, double, HFA/HVA). An exit hook may change any of
 * them: the caller receives what the hook leaves.
 */
struct pfe_ret_regs {
	uint64_t x[2];
	uint64_t x8;
	uint64_t flags; /* PFE_RET_*: why the exit hook runs */
	union pfe_vreg v[4];
};

/*
 * ret->flags: the function did not return; it was left by longjmp, a C++
 * exception, pthread_exit, cancellation or a stack switch for good. libpfe
 * calls the exit hook when it notices (innermost frame first); the registers
 * in @ret are not a result and changing them has no effect.
 */
#define PFE_RET_UNWOUND 0x1

/*
 * An exit hook: runs when a function entered while the hook was attached
 * returns, in the returning thread, with @ns the nanoseconds since its entry
 * (the CPU's generic timer) and ret->flags 0. A function left without
 * returning (longjmp, C++ exception, pthread_exit, cancellation, a coroutine
 * dropped, the thread ending) gets it with ret->flags PFE_RET_UNWOUND when
 * libpfe sees the frame go, innermost frame first. Same rules as an entry
 * hook (async-signal-safe, no nesting). Not called for entries deeper than
 * PFE_DEPTH (default 4096) hooked frames on one stack of one thread (they
 * run entry hooks only).
 */
typedef void (*pfe_exit_fn)(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
			    void *data);

/*
 * What a hook does at a site. @entry and @exit may each be NULL, not both.
 * @signature (may be NULL) types the function for pfe_call_original(), in
 * the syntax of README.md "Signatures": "(int,str,double)->long".
 */
struct pfe_hook_ops {
	pfe_entry_fn entry;
	pfe_exit_fn exit;
	const char *signature;
};

/*
 * pfe_hook_add_ops - pfe_hook_add() with an exit hook and a signature.
 *
 * @pattern and @data as for pfe_hook_add(); @ops is copied (and
 * @ops->signature parsed) before the call returns. The exit hook runs for
 * every call that entered after this returned and that returns before
 * pfe_hook_remove() returns. Entries are counted on per-thread shadow
 * stacks of PFE_DEPTH frames; deeper entries run only entry hooks.
 *
 * Returns the hook or NULL with errno as pfe_hook_add(), and EINVAL for
 * NULL @ops, both hooks NULL, or a malformed @signature.
 */
PFE_API struct pfe_hook *pfe_hook_add_ops(const char *pattern, const struct pfe_hook_ops *ops,
					  void *data);

/*
 * pfe_call_original - call the body of the function at @site, skipping its
 * patch site (no hook runs for this entry; hooks run again for the calls it
 * makes), with the arguments *@args[i] typed by the signature of the hook now
 * running, and store its result at @ret (at least 8 bytes for any integer
 * result: narrower ones are widened as libffi does; NULL for void).
 *
 * Call only from an entry or exit hook attached with a signature, for the
 * site it was called for. To replace the function's result an entry hook then
 * sets regs->x[0] (or v[0]) and regs->pc = regs->lr, which returns to the
 * caller without running the body again.
 *
 * Returns 0, -EINVAL when no hook with a signature is running in this thread
 * or @site is NULL, -EDEADLK when @site is not the site that hook runs for.
 */
PFE_API int pfe_call_original(const struct pfe_site *site, void *ret, void **args);

#ifdef __cplusplus
}
#endif
#endif /* PFE_H */
