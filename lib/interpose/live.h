/* SPDX-License-Identifier: MIT */
/* Objects loaded and unloaded at run time, fork, runtime control (dlopen.c,
 * fork.c, control.c). */
#ifndef PFE_LIVE_H
#define PFE_LIVE_H

struct pfe_object;

/* From the constructor, after start-up discovery: from now on dlopen and
 * dlclose update the object list. */
void pfe_live_start(void);
/* Discover objects loaded since the last call, drop the unloaded ones. Not
 * from a hook; takes the patch lock. */
void pfe_live_sync(void);
/* Write slot 0 of @obj's sites with every other thread parked (or leave
 * them unpatched, with one line, when a thread cannot be parked). Under the
 * patch lock, before @obj is published. */
void pfe_live_init_object(struct pfe_object *obj);
/* The lock held around the real dlopen/dlclose and the update (fork). */
void pfe_live_lock(void);
void pfe_live_unlock(void);
/* Register the fork handlers (fork.c). */
void pfe_fork_init(void);
/* Start the PFE_CONTROL thread when the variable is set (control.c). */
void pfe_control_start(void);

#endif
