/* SPDX-License-Identifier: MIT */
/*
 * fork() while other threads attach, detach, dlopen or dlclose: the child
 * gets only the forking thread, so every lock another thread held at the
 * fork would stay locked forever in the child, and the registry could be
 * half-changed. The prepare handler takes libpfe's locks (in the order the
 * writers take them: the dlopen lock, then the patch lock), so the fork
 * happens between two complete changes; then urcu-bp's own fork protocol
 * (urcu_bp_before_fork blocks signals and takes urcu's registry locks; the
 * child variant drops the reader slots of the threads that do not exist in
 * the child, so synchronize_rcu() does not wait for them). Parent and child
 * release everything in the opposite order. The child can attach and detach
 * at once: its text, site states and tables are the parent's, copied at a
 * consistent point.
 *
 * glibc runs the prepare handlers holding a lock of its own (the atfork
 * lock), which a dlclose in another thread needs too: the library's
 * __cxa_finalize unregisters its fork handlers, and our dlclose holds the
 * dlopen lock around it. Each thread would wait for the other (1 fork in
 * about 20 during a dlclose). So fork() itself, interposed, takes the
 * dlopen lock before the C library's fork takes its own: libpfe's locks
 * always come first. The lock is recursive; the prepare handler takes it
 * again for forks that do not come through here (a program's own handlers
 * calling _Fork are not ours to order).
 *
 * Limit: fork() from inside a hook would wait for the patch lock while a
 * writer waits for that hook's grace period; hooks must not fork.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "interpose.h"
#include "park.h"
#include "interpose.h"

static void prepare(void)
{
	pfe_live_lock();
	pfe_patch_lock();
	urcu_bp_before_fork();
}

static void parent(void)
{
	urcu_bp_after_fork_parent();
	pfe_patch_unlock();
	pfe_live_unlock();
}

static void child(void)
{
	urcu_bp_after_fork_child();
	pfe_park_fork_child();
	pfe_owner_forked();
	pfe_patch_unlock();
	pfe_live_fork_child();
}

#define FORK_API __attribute__((visibility("default")))

typedef pid_t fork_fn(void);
static fork_fn *real_fork;

static void pfe_fork_init_real(void)
{
	void *p = dlvsym(RTLD_NEXT, "fork", "GLIBC_2.17");

	real_fork = (fork_fn *)(p ? p : dlsym(RTLD_NEXT, "fork"));
}

static pid_t pfe_fork(void)
{
	pid_t r;

	if (!real_fork) /* before the constructor */
		pfe_fork_init_real();
	if (!real_fork) {
		errno = ENOSYS;
		return -1;
	}
	pfe_live_lock();
	r = real_fork();
	/* The child's lock is a fresh one (pfe_live_fork_child). */
	if (r)
		pfe_live_unlock();
	return r;
}

/* Under the version the C library defines it with, so that programs bind
 * to it. */
FORK_API pid_t pfe_fork_v(void) __attribute__((alias("pfe_fork")));
__asm__(".symver pfe_fork_v, fork@@GLIBC_2.17\n");

void pfe_fork_init(void)
{
	pfe_fork_init_real();
	if (pfe_atfork(prepare, parent, child))
		pfe_err("cannot register fork handlers: fork() while hooks change may "
			"deadlock the child");
}
