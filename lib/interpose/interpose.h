/* SPDX-License-Identifier: MIT */
/*
 * lib/interpose: the C library calls libpfe stands in front of, to keep
 * its picture of the process true: objects loaded and unloaded (dl*),
 * new images (exec*, posix_spawn*), fork, the calls that switch stacks, and
 * the children a traced process starts.
 *
 *   dlopen.c     dlopen/dlmopen/dlclose: objects loaded and unloaded later
 *   exec.c       exec*() and posix_spawn*(): flush, then follow
 *   fork.c       fork handlers (patch lock, urcu-bp fork protocol)
 *   ctxsw.c      longjmp/setcontext/swapcontext/sigaltstack/__cxa_begin_catch
 *                interposed: tell exit.c where the thread continues
 *   follow.c     following children: their environment, shared output files
 *   owner.c      which process owns the trace held in its memory
 *   quit.c       _exit() and _Exit(): flush, then end
 *   childenv.c   a followed child's environment (pure, childenv.h)
 */
#ifndef PFE_INTERPOSE_H
#define PFE_INTERPOSE_H

#include <stdbool.h>

#include "core.h"

/* ------------------------------------------------------ dlopen.c, fork.c */

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
void pfe_live_fork_child(void);
/* Register the fork handlers (fork.c). */
void pfe_fork_init(void);

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
/* For pfe_output_open's callers: @flags without PFE_OUT_TRUNC (and with
 * PFE_OUT_APPEND) when @path is a file an earlier image of this process, or
 * its parent, opened for output: its lines stay, the new ones follow. */
unsigned pfe_follow_out_flags(const char *path, unsigned flags);
/* True when a process libpfe was in started this one (LIBPFE_CHILD). */
bool pfe_follow_child(void);
/* ------------------------------------------------------------- owner.c */
/* Constructor: this process owns the trace in its memory. */
void pfe_owner_init(void);
/* True when this process is not the one the constructor ran in (an exec
 * after fork or vfork). */
bool pfe_owner_new_process(void);
/* fork.c, in the child: the trace in its memory is its own. */
void pfe_owner_forked(void);
/* False in a vfork child (or a clone without fork handlers): the trace
 * buffered in its memory is its parent's, which writes it. */
bool pfe_owner_of_trace(void);
/* ------------------------------------------------------------- quit.c */
/* Resolve the C library's _exit (constructor). */
void pfe_quit_init(void);
/* ------------------------------------------------------------ exec.c */
/* Resolve the C library's exec and spawn functions (constructor). */
void pfe_exec_init(void);

#endif /* PFE_INTERPOSE_H */
