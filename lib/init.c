/* SPDX-License-Identifier: MIT */
/*
 * The constructor: runs when the dynamic linker initialises libpfe, after
 * the libraries it depends on and before the program's own constructors and
 * main(), so every site is known before the program's code runs. It is
 * the top of libpfe: it starts the subsystems in order and tells the
 * clients of the core (the tracer) when they may start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "interpose.h"

/* Takes ownership of @obj, as pfe_discover_all asks. */
/*
 * Initialise slot 0 of every site of @obj (init_nop), in one batch: now,
 * while no code of the object can run concurrently with the write (before
 * main, or before a new object is reachable), so that slot 1 may later
 * toggle between NOP and call under running threads (arch/arm64/site.c). A site refused here stays
 * COMPILED and is never enabled; the patch module has said why.
 */
static void init_sites(struct pfe_object *obj)
{
	struct pfe_site **v;

	if (!obj->tab.nsites)
		return;
	v = malloc(obj->tab.nsites * sizeof(*v));
	if (!v) {
		pfe_err("%s: out of memory initialising %zu sites; they stay unpatched", obj->name,
			obj->tab.nsites);
		return;
	}
	for (size_t i = 0; i < obj->tab.nsites; i++)
		v[i] = &obj->tab.sites[i];
	pfe_sites_init_nop(v, obj->tab.nsites);
	free(v);
}

static int publish(struct pfe_object *obj, void *ctx)
{
	int err;

	/* Threads started before this constructor (by the constructor of a
	 * library initialised earlier) may already run the object's code:
	 * then they are parked while slot 0 is written (lib/interpose/dlopen.c). */
	if (*(bool *)ctx)
		pfe_live_init_object(obj);
	else
		init_sites(obj);
	err = pfe_object_publish(obj);

	if (err)
		pfe_object_free(obj);
	return err;
}

/*
 * Every boolean PFE_* variable, checked at start-up whether or not this run
 * reads it, so that a malformed one is reported once, now, and not only
 * when (or if) it is used (env.c says it once per variable).
 */
static void check_flags(void)
{
	static const struct {
		const char *name;
		bool dflt; /* as README.md's table says */
	} flags[] = {
	    {"PFE_DEBUG", false},
	    {"PFE_DEMANGLE", true},
	    {"PFE_FOLLOW", true},
	    {"PFE_SUMMARY", false},
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		pfe_env_bool(flags[i].name, flags[i].dflt);
	pfe_env_graph(); /* a boolean or "time" */
}

/* True when some loaded object has patch sites. */
static bool any_sites(void)
{
	bool any;

	rcu_read_lock();
	any = pfe_objects_first() != NULL;
	rcu_read_unlock();
	return any;
}

/*
 * Under the recursion guard throughout: what libpfe calls here (malloc,
 * free, memcpy) may be functions the program defines and PFE_TRACE names,
 * and they are attached before this returns.
 */
__attribute__((constructor)) static void pfe_init(void)
{
	const char *list;
	bool threads;
	int g;

	/* setuid, setgid, file capabilities: the environment belongs to
	 * whoever started the program, who must not choose what it patches
	 * or which files it writes. No PFE_* is read (secure_getenv). */
	if (pfe_env_secure()) {
		pfe_err("AT_SECURE process (setuid, setgid or capabilities): libpfe stays "
			"inactive");
		return;
	}
	g = pfe_guard_enter();
	pfe_env_copy();
	pfe_log_set_debug(pfe_env_bool("PFE_DEBUG", false));
	pfe_clients_early();
	check_flags();
	list = pfe_env("PFE_LIST");
	pfe_owner_init();
	pfe_follow_init();
	pfe_discover_quiet = pfe_follow_child();
	pfe_list_out_flags = pfe_follow_out_flags;
	pfe_exec_init();
	pfe_quit_init();
	threads = pfe_park_other_threads();
	pfe_patch_lock();
	pfe_discover_all(publish, &threads);
	pfe_patch_unlock();
	pfe_fork_init();
	pfe_live_start();
	/* A program that a traced one started (following it, PFE_FOLLOW)
	 * without anything patchable just runs: no warnings for PFE_TRACE
	 * terms it cannot have, no control thread on its parent's FIFO. */
	if (pfe_follow_child() && !any_sites()) {
		pfe_debug("started by a traced process, nothing patchable here: inactive");
		goto out;
	}
	if (list && *list && strcmp(list, "0"))
		pfe_list_sites(list, "PFE_LIST");
	/* After discovery, so that clients (the tracer) see every object. */
	pfe_clients_ready();
out:
	pfe_guard_leave(g);
}
