/* SPDX-License-Identifier: MIT */
/*
 * Following children: what a program started with execve() or posix_spawn()
 * inherits from libpfe (the interposers are in exec.c).
 *
 * A program that passes its own environment (execve, execle, posix_spawn
 * with envp) usually passes one without LD_PRELOAD and PFE_*: the child
 * would run untraced. Unless PFE_FOLLOW=0, the child's environment gets
 * libpfe's path first in LD_PRELOAD (never twice) and every PFE_* variable
 * this process started with that envp lacks; values the program chose stay.
 * PFE_CONTROL and PFE_CONTROL_LOG go only to a new image of this same
 * process: a second process reading the same FIFO would take commands meant
 * for this one. For the same reason they are taken out of a new process's
 * environment where it holds this process's values (a program passing
 * environ); a FIFO the program chose for its child stays.
 *
 * Two private variables go to every child that will load libpfe:
 *   LIBPFE_OUTPUTS=<dev>:<ino>,...  the files libpfe (and its ancestors)
 *       opened for output. A new image writing to one of them appends
 *       instead of truncating: with PFE_OUTPUT=trace-%p.txt an execve()
 *       keeps the pid and so the file name, and without %p every child
 *       would truncate its parent's trace.
 *   LIBPFE_CHILD=1  started by a process libpfe was in: a followed program
 *       without patchable functions runs silently (init.c, discover.c).
 * A child that will not load libpfe (PFE_FOLLOW=0 and an envp without it)
 * gets exactly the environment the program passed.
 *
 * execve() may run in a vfork() child or after fork() in a multithreaded
 * program, where malloc's lock may be held forever: the environment is
 * built on the stack (mmap beyond 16 KiB) by childenv.c, which calls no
 * library function, from what the constructor prepared. Building it is
 * libpfe's work, under the recursion guard; the real call is not (in a
 * vfork child the guard is the parent thread's, which must find it as it
 * left it).
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "childenv.h"
#include "env.h"
#include "guard.h"
#include "outfile.h"
#include "interpose.h"

#define OUTPUTS_VAR "LIBPFE_OUTPUTS"
#define CHILD_VAR   "LIBPFE_CHILD"
#define STACK_MAX   16384
/* "LIBPFE_OUTPUTS=" and up to PFE_OUTPUT_FILES_MAX "<dev>:<ino>," in hex. */
#define OUTPUTS_LEN (sizeof(OUTPUTS_VAR "=") + PFE_OUTPUT_FILES_MAX * 35)

extern char **environ;

static bool active; /* set up; false under AT_SECURE */
static bool follow = true;
static char self_path[PATH_MAX];
static const char *self_alias;
/* "PFE_*=..." of this process at start-up: for a new image of this process,
 * and for a new process (without PFE_CONTROL*); the PFE_CONTROL* ones. */
static char **vars_exec, **vars_spawn, **vars_control;
/* OUTPUTS_VAR's value inherited from the parent (bounded copy). */
static char inherited[OUTPUTS_LEN];

/* ------------------------------------------------------------ outputs */

unsigned pfe_follow_out_flags(const char *path, unsigned flags)
{
	const char *list = pfe_env(OUTPUTS_VAR);
	struct stat st;

	if (!(flags & PFE_OUT_TRUNC) || !list || !*list || stat(path, &st))
		return flags;
	if (!pfe_outputs_has(list, st.st_dev, st.st_ino))
		return flags;
	return (flags & ~PFE_OUT_TRUNC) | PFE_OUT_APPEND;
}

bool pfe_follow_child(void)
{
	const char *v = pfe_env(CHILD_VAR);

	return v && !strcmp(v, "1");
}

/* ------------------------------------------------------------ start-up */

static bool is_control(const char *e)
{
	return pfe_childenv_is(e, "PFE_CONTROL") || pfe_childenv_is(e, "PFE_CONTROL_LOG");
}

/* The PFE_* entries of environ, copied (the program may change environ):
 * all of them, all but PFE_CONTROL* (@which 1) or only those (@which 2). */
static char **snapshot(int which)
{
	size_t n = 0, k = 0;
	char **v;

	for (char **e = environ; e && *e; e++)
		n += !strncmp(*e, "PFE_", 4);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (char **e = environ; e && *e && k < n; e++) {
		if (strncmp(*e, "PFE_", 4))
			continue;
		if ((which == 1 && is_control(*e)) || (which == 2 && !is_control(*e)))
			continue;
		v[k] = strdup(*e);
		if (!v[k])
			break;
		k++;
	}
	return v;
}

void pfe_follow_init(void)
{
	const char *in = pfe_env(OUTPUTS_VAR);
	Dl_info di;

	if (pfe_env_secure())
		return;
	follow = pfe_env_bool("PFE_FOLLOW", true);
	if (in && strlen(in) < sizeof(inherited))
		strcpy(inherited, in);
	if (dladdr((void *)pfe_follow_init, &di) && di.dli_fname && *di.dli_fname) {
		if (!realpath(di.dli_fname, self_path) ||
		    strlen(di.dli_fname) >= sizeof(self_path)) {
			strncpy(self_path, di.dli_fname, sizeof(self_path) - 1);
		} else if (strcmp(self_path, di.dli_fname)) {
			self_alias = strdup(di.dli_fname);
		}
	}
	if (follow && !*self_path) {
		pfe_err("PFE_FOLLOW: cannot find libpfe's own path; children with their own "
			"environment run untraced");
		follow = false;
	}
	vars_exec = snapshot(0);
	vars_spawn = snapshot(1);
	vars_control = snapshot(2);
	if (follow && (!vars_exec || !vars_spawn || !vars_control)) {
		pfe_err("PFE_FOLLOW: out of memory; children with their own environment run "
			"untraced");
		follow = false;
	}
	__atomic_store_n(&active, true, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------ exec time */

/* The LIBPFE_OUTPUTS entry for a child: inherited files and ours. */
static void outputs_entry(char *buf, size_t len)
{
	char *list = buf + sizeof(OUTPUTS_VAR);

	memcpy(buf, OUTPUTS_VAR "=", sizeof(OUTPUTS_VAR));
	/* inherited[] fits: both are OUTPUTS_LEN long. */
	for (size_t i = 0;; i++) {
		list[i] = inherited[i];
		if (!inherited[i])
			break;
	}
	for (unsigned i = 0; i < PFE_OUTPUT_FILES_MAX; i++) {
		uint64_t dev, ino;

		if (pfe_output_file(i, &dev, &ino))
			pfe_outputs_add(list, len - sizeof(OUTPUTS_VAR), dev, ino);
	}
}

int pfe_follow_env(char *const envp[], bool new_process, int (*fn)(char *const env[], void *arg),
		   void *arg)
{
	static char child_entry[] = CHILD_VAR "=1";
	char out_entry[OUTPUTS_LEN];
	char *set[3] = {NULL};
	struct pfe_childenv c = {.envp = envp};
	void *map = NULL;
	size_t need = 1, n = 0;
	char **env = NULL;
	int g, ret;

	if (!__atomic_load_n(&active, __ATOMIC_ACQUIRE))
		return fn(envp, arg);
	g = pfe_guard_enter();
	if (follow) {
		c.preload = self_path;
		c.alias = self_alias;
		c.add = new_process ? vars_spawn : vars_exec;
	}
	/* A child that will not load libpfe gets the environment given. */
	if (follow || pfe_childenv_preloads(envp, self_path, self_alias)) {
		outputs_entry(out_entry, sizeof(out_entry));
		if (out_entry[sizeof(OUTPUTS_VAR)])
			set[n++] = out_entry;
		set[n++] = child_entry;
		c.set = set;
		if (new_process)
			c.drop = vars_control;
		need = pfe_childenv_size(&c);
	}
	{
		/* Exactly the bytes needed, on the stack when few. */
		char buf[need <= STACK_MAX ? need : 1];

		if (!c.set) {
			env = (char **)envp;
		} else if (need <= STACK_MAX) {
			env = pfe_childenv_build(&c, buf, need);
		} else {
			map = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
			if (map != MAP_FAILED) {
				env = pfe_childenv_build(&c, map, need);
			} else {
				map = NULL;
				pfe_err_once("PFE_FOLLOW: no memory for a child's environment of "
					     "%zu bytes; it runs with the one given",
					     need);
				env = (char **)envp;
			}
		}
		pfe_guard_leave(g);
		ret = fn(env, arg);
	}
	if (map)
		munmap(map, need);
	return ret;
}
