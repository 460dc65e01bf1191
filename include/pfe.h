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
 * @fn:      called on each entry of a matching function, after the hooks
 *           attached before it at the same site.
 * @data:    passed to @fn unchanged.
 *
 * Returns the hook, enabled at every matching site before the call returns
 * (each site is switched to BL only after the hook is visible to readers), or
 * NULL with errno: EINVAL for a malformed pattern or NULL @fn, ENOENT when no
 * patchable function matches, ENOMEM, EPERM/EACCES when text could not be
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

#ifdef __cplusplus
}
#endif
#endif /* PFE_H */
