/* SPDX-License-Identifier: MIT */
/*
 * The listing of every patch site (PFE_LIST, the control channel's "list").
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
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "core.h"

unsigned (*pfe_list_out_flags)(const char *path, unsigned flags);

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
static void out_line(struct out *o, const char *line, int n)
{
	if (n < 0)
		return;
	if ((size_t)n >= 1024)
		n = 1023;
	if (o->n + (size_t)n > sizeof(o->buf))
		out_flush(o);
	memcpy(o->buf + o->n, line, (size_t)n);
	o->n += (size_t)n;
}

static void out_site(struct out *o, const struct pfe_object *obj, const struct pfe_site *s,
		     bool labels)
{
	const char *name = labels ? pfe_site_label(s) : s->name;
	char line[1024], full[960];
	int n;

	/* A site not enabled yet has no label: demangled here, for the line
	 * (a dynamic site shows its symbol). */
	if (labels && name && name == s->name && !(s->flags & PFE_SITE_DYN) &&
	    pfe_demangle(name, full, sizeof(full)))
		name = full;
	n = snprintf(line, sizeof(line), "%s 0x%lx %s%s%s%s\n", obj->name,
		     (unsigned long)(s->func - obj->bias), name ? name : "?",
		     s->flags & PFE_SITE_BTI ? " bti" : "", s->flags & PFE_SITE_DYN ? " dyn" : "",
		     s->flags & PFE_SITE_PAC ? " pac" : "");

	out_line(o, line, n);
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
		o.fd = pfe_path_expand(path, sizeof(path), dest, getpid());
		if (o.fd < 0) {
			pfe_err("%s: %s: the path with %%p expanded is too long", who, dest);
			return o.fd;
		}
		o.fd = pfe_output_open(path, pfe_list_out_flags
						 ? pfe_list_out_flags(path, PFE_OUT_TRUNC)
						 : PFE_OUT_TRUNC);
		if (o.fd < 0) {
			pfe_err("%s: cannot open %s for writing: %s", who, path,
				pfe_output_strerror(o.fd));
			return o.fd;
		}
	}
	rcu_read_lock();
	for (struct pfe_object *obj = pfe_objects_first(); obj; obj = rcu_dereference(obj->next)) {
		for (size_t i = 0; i < obj->tab.nsites; i++)
			out_site(&o, obj, &obj->tab.sites[i], labels);
		/* Dynamic sites made so far ("dyn"), and the functions a term
		 * selected that could not be patched exactly, with the reason. */
		for (size_t i = 0; i < pfe_dyn_count(obj); i++)
			out_site(&o, obj, pfe_dyn_site(obj, i), labels);
		for (size_t i = 0;; i++) {
			const char *name, *why;
			uintptr_t func;
			char line[1024];
			int n;

			why = pfe_dyn_refusal(obj, i, &func, &name);
			if (!why)
				break;
			n = snprintf(line, sizeof(line), "%s 0x%lx %s dyn refused: %s\n", obj->name,
				     (unsigned long)(func - obj->bias), name, why);
			out_line(&o, line, n);
		}
	}
	rcu_read_unlock();
	out_flush(&o);
	if (o.fd != STDERR_FILENO)
		pfe_fd_close(o.fd);
	return o.err;
}
