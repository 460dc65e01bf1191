/* SPDX-License-Identifier: MIT */
/*
 * lib/hooks: what runs when a patched function is called. The registry
 * attaches hooks to sites (the public API of pfe.h), the dispatcher calls
 * them lock-free, exit.c keeps the shadow stacks of exit hooks. What the
 * other folders and the tracer may use; the fast paths' inline parts are in
 * dispatch.h, shadow.h, readside.h.
 *
 *   registry.c   hooks: attach, detach, RCU (urcu-bp); the public API
 *   dispatch.c   trampoline -> hooks, lock-free (dispatch.h)
 *   exit.c       exit hooks: shadow stacks per machine stack, closing frames
 *                left without returning, unwinding (exit.h, shadow.h)
 *   hookops.c    pfe_hook_add_ops
 *   sig.c        signatures: the parser (pure, sig.h)
 *   sigfmt.c     typed values as text (pure, sig.h)
 *   wrap.c       signatures for libffi; pfe_call_original
 */
#ifndef PFE_HOOKS_H
#define PFE_HOOKS_H

#include "core.h"
#include "dispatch.h"
#include "exit.h"
#include "sig.h"

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

#endif /* PFE_HOOKS_H */
