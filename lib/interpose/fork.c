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
 * Limit: fork() from inside a hook would wait for the patch lock while a
 * writer waits for that hook's grace period; hooks must not fork.
 */
#include <pthread.h>
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

void pfe_fork_init(void)
{
	if (pfe_atfork(prepare, parent, child))
		pfe_err("cannot register fork handlers: fork() while hooks change may "
			"deadlock the child");
}
