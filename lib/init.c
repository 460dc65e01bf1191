/* SPDX-License-Identifier: MIT */
/*
 * The constructor: runs when the dynamic linker initialises libpfe, after
 * the libraries it depends on and before the program's own constructors and
 * main(), so every site is known before the program's code runs.
 *
 * PFE_LIST lists what libpfe found:
 *   PFE_LIST=1       to stderr
 *   PFE_LIST=<path>  to that file (created or truncated); %p in it becomes the
 *                    process id, so that children (which inherit PFE_LIST)
 *                    do not write into its list. A new image after execve,
 *                    and a child naming the same file, append to it
 *                    (follow.c).
 * One line per patch site, objects in load order (the program first), sites
 * by address within an object:
 *   <object> 0x<address> <function>[ bti]
 *     object    the file name of the object, without directories
 *     address   the function's address minus the object's load bias, in hex:
 *               the value `nm` prints for it, the same on every run
 *     function  its symbol, or ? when the object is stripped of it
 *     bti       a call landing pad precedes the patchable NOPs (BTI)
 * e.g. "app 0x7a0 main", "libfoo.so 0x5e4 foo_init bti".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "demangle.h"
#include "env.h"
#include "guard.h"
#include "live.h"
#include "park.h"
#include "outfile.h"
#include "pfe_internal.h"

/* Buffered lines to a file descriptor: the program's stdio is not touched
 * (its stderr may be redirected or not yet usable). */
struct out {
	int fd;
	int err; /* first write error */
	size_t n;
	char buf[4096];
};

/* A failed write to a file has been said by outfile.c, naming the file;
 * the rest of the listing is dropped. */
static void out_flush(struct out *o)
{
	if (!o->err)
		o->err = pfe_output_write(o->fd, o->buf, o->n);
	o->n = 0;
}

/* The listing names functions as patterns see them (symbols); PFE_DEMANGLE=1
 * given explicitly shows C++ names demangled, for people. */
static void out_site(struct out *o, const struct pfe_object *obj, const struct pfe_site *s,
		     bool labels)
{
	const char *name = labels ? pfe_site_label(s) : s->name;
	char line[1024];
	int n = snprintf(line, sizeof(line), "%s 0x%lx %s%s\n", obj->name,
			 (unsigned long)(s->func - obj->bias), name ? name : "?",
			 s->flags & PFE_SITE_BTI ? " bti" : "");

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (o->n + (size_t)n > sizeof(o->buf))
		out_flush(o);
	memcpy(o->buf + o->n, line, (size_t)n);
	o->n += (size_t)n;
}

/* @pattern with each %p replaced by the process id and %% by %. */
static void expand_path(const char *pattern, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 1 < len; p++) {
		if (p[0] == '%' && (p[1] == 'p' || p[1] == '%')) {
			int w = p[1] == 'p' ? snprintf(buf + n, len - n, "%d", (int)getpid())
					    : snprintf(buf + n, len - n, "%%");

			n += w > 0 ? (size_t)w : 0;
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n < len ? n : len - 1] = '\0';
}

int pfe_list_sites(const char *dest, const char *who)
{
	static struct out o;
	bool labels = pfe_env("PFE_DEMANGLE") && pfe_env_bool("PFE_DEMANGLE", false);
	char path[4096];

	o.n = 0;
	o.err = 0;
	if (!strcmp(dest, "1")) {
		o.fd = STDERR_FILENO;
	} else {
		expand_path(dest, path, sizeof(path));
		o.fd = pfe_output_open(path, pfe_follow_out_flags(path, PFE_OUT_TRUNC));
		if (o.fd < 0) {
			pfe_err("%s: cannot open %s for writing: %s", who, path,
				pfe_output_strerror(o.fd));
			return o.fd;
		}
	}
	rcu_read_lock();
	for (struct pfe_object *obj = pfe_objects_first(); obj; obj = rcu_dereference(obj->next))
		for (size_t i = 0; i < obj->tab.nsites; i++)
			out_site(&o, obj, &obj->tab.sites[i], labels);
	rcu_read_unlock();
	out_flush(&o);
	if (o.fd != STDERR_FILENO)
		pfe_fd_close(o.fd);
	return o.err;
}

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
	/* Trace times count from here, however late tracing starts. */
	pfe_trace_note_start();
	check_flags();
	list = pfe_env("PFE_LIST");
	pfe_follow_init();
	pfe_exec_init();
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
	/* After discovery, so the tracer sees every object; a bad value has
	 * said so in one line and left everything unpatched. */
	if (pfe_env("PFE_TRACE"))
		pfe_trace_start(pfe_env("PFE_TRACE"), pfe_env("PFE_OUTPUT"));
	pfe_control_start();
out:
	pfe_guard_leave(g);
}
