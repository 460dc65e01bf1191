/* SPDX-License-Identifier: MIT */
/*
 * execve() and posix_spawn() and their relatives, interposed as dlopen.c
 * interposes dlopen: being preloaded, these come first in the symbol search
 * order; each calls the C library's (dlvsym(RTLD_NEXT), resolved by the
 * constructor: the loader's lookup is not async-signal-safe) with the
 * environment follow.c builds.
 *
 * Before an image is replaced, every thread's buffered trace lines are
 * written (pfe_trace_flush), so they precede the new image's in the same
 * file or on the same stderr. After that the tracer writes each line
 * directly: if the exec fails, the program goes on traced, only slower.
 * Not in a vfork child: the lines in its memory are its parent's, which
 * writes them itself (qemu-user runs vfork as fork: a copy of them written
 * by the child would appear twice).
 * posix_spawn() starts a new process and replaces nothing: no flush.
 *
 * The execl*() forms collect their arguments on the stack and go through
 * the same path; execv, execvp and execlp use environ. Calls the C library
 * makes for itself (system, popen) are not seen: their child inherits the
 * environment as it is.
 */
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "interpose.h"

#define EXEC_API __attribute__((visibility("default")))

extern char **environ;

typedef int execve_fn(const char *, char *const[], char *const[]);
typedef int fexecve_fn(int, char *const[], char *const[]);
typedef int execveat_fn(int, const char *, char *const[], char *const[], int);
typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *,
		     const posix_spawnattr_t *, char *const[], char *const[]);

static struct {
	execve_fn *execve, *execvpe;
	fexecve_fn *fexecve;
	execveat_fn *execveat;
	spawn_fn *spawn, *spawnp;
	int done;
} real;

static void *next(const char *name, const char *version)
{
	void *p = dlvsym(RTLD_NEXT, name, version);

	return p ? p : dlsym(RTLD_NEXT, name);
}

/* The constructor's call; also the first interposer's when a library's
 * constructor runs a program before libpfe's. */
void pfe_exec_init(void)
{
	if (__atomic_load_n(&real.done, __ATOMIC_ACQUIRE))
		return;
	real.execve = next("execve", "GLIBC_2.17");
	real.execvpe = next("execvpe", "GLIBC_2.17");
	real.fexecve = next("fexecve", "GLIBC_2.17");
	real.execveat = next("execveat", "GLIBC_2.34");
	real.spawn = next("posix_spawn", "GLIBC_2.17");
	real.spawnp = next("posix_spawnp", "GLIBC_2.17");
	__atomic_store_n(&real.done, 1, __ATOMIC_RELEASE);
}

/* This image ends if the exec succeeds: write out what the tracer holds,
 * unless that is the parent's (a vfork child). */
static void before_exec(void)
{
	int g = pfe_guard_enter();

	pfe_exec_init();
	if (pfe_owner_of_trace())
		pfe_clients_image_end();
	pfe_guard_leave(g);
}

static int no_function(void)
{
	errno = ENOSYS;
	return -1;
}

/* ------------------------------------------------------------ callbacks */

struct call {
	int fd, flags;
	const char *path;
	char *const *argv;
	pid_t *pid;
	const posix_spawn_file_actions_t *fa;
	const posix_spawnattr_t *attr;
};

static int call_execve(char *const env[], void *arg)
{
	const struct call *a = arg;

	if (!real.execve) /* the system call itself is async-signal-safe */
		return (int)syscall(SYS_execve, a->path, a->argv, env);
	return real.execve(a->path, a->argv, env);
}

static int call_execvpe(char *const env[], void *arg)
{
	const struct call *a = arg;

	return real.execvpe ? real.execvpe(a->path, a->argv, env) : no_function();
}

static int call_fexecve(char *const env[], void *arg)
{
	const struct call *a = arg;

	return real.fexecve ? real.fexecve(a->fd, a->argv, env) : no_function();
}

static int call_execveat(char *const env[], void *arg)
{
	const struct call *a = arg;

	return real.execveat ? real.execveat(a->fd, a->path, a->argv, env, a->flags)
			     : no_function();
}

static int call_spawn(char *const env[], void *arg)
{
	const struct call *a = arg;

	return real.spawn ? real.spawn(a->pid, a->path, a->fa, a->attr, a->argv, env) : ENOSYS;
}

static int call_spawnp(char *const env[], void *arg)
{
	const struct call *a = arg;

	return real.spawnp ? real.spawnp(a->pid, a->path, a->fa, a->attr, a->argv, env) : ENOSYS;
}

/* ------------------------------------------------------------ exec */

static int pfe_execve(const char *path, char *const argv[], char *const envp[])
{
	struct call a = {.path = path, .argv = argv};

	before_exec();
	return pfe_follow_env(envp, pfe_owner_new_process(), call_execve, &a);
}

static int pfe_execvpe(const char *file, char *const argv[], char *const envp[])
{
	struct call a = {.path = file, .argv = argv};

	before_exec();
	return pfe_follow_env(envp, pfe_owner_new_process(), call_execvpe, &a);
}

static int pfe_fexecve(int fd, char *const argv[], char *const envp[])
{
	struct call a = {.fd = fd, .argv = argv};

	before_exec();
	return pfe_follow_env(envp, pfe_owner_new_process(), call_fexecve, &a);
}

static int pfe_execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
			int flags)
{
	struct call a = {.fd = dirfd, .path = path, .argv = argv, .flags = flags};

	before_exec();
	return pfe_follow_env(envp, pfe_owner_new_process(), call_execveat, &a);
}

static int pfe_execv(const char *path, char *const argv[])
{
	return pfe_execve(path, argv, environ);
}

static int pfe_execvp(const char *file, char *const argv[])
{
	return pfe_execvpe(file, argv, environ);
}

/* Which exec the list forms end in. */
enum list_exec { LIST_EXECL, LIST_EXECLP, LIST_EXECLE };

/* execl, execlp, execle: argv on the stack from @arg and the list after it,
 * up to its NULL; execle's environment is the argument after the NULL. */
static int exec_list(enum list_exec kind, const char *path, const char *arg, va_list ap)
{
	va_list count;
	size_t n = 1;

	va_copy(count, ap);
	while (va_arg(count, char *))
		n++;
	va_end(count);
	{
		char *argv[n + 1];

		argv[0] = (char *)arg;
		for (size_t i = 1; i <= n; i++)
			argv[i] = va_arg(ap, char *);
		if (kind == LIST_EXECLP)
			return pfe_execvpe(path, argv, environ);
		return pfe_execve(path, argv,
				  kind == LIST_EXECLE ? va_arg(ap, char *const *) : environ);
	}
}

static int pfe_execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int r;

	va_start(ap, arg);
	r = exec_list(LIST_EXECL, path, arg, ap);
	va_end(ap);
	return r;
}

static int pfe_execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int r;

	va_start(ap, arg);
	r = exec_list(LIST_EXECLP, file, arg, ap);
	va_end(ap);
	return r;
}

static int pfe_execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int r;

	va_start(ap, arg);
	r = exec_list(LIST_EXECLE, path, arg, ap);
	va_end(ap);
	return r;
}

/* ------------------------------------------------------------ spawn */

static int pfe_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct call a = {.pid = pid, .path = path, .fa = fa, .attr = attr, .argv = argv};

	pfe_exec_init();
	return pfe_follow_env(envp, true, call_spawn, &a);
}

static int pfe_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct call a = {.pid = pid, .path = file, .fa = fa, .attr = attr, .argv = argv};

	pfe_exec_init();
	return pfe_follow_env(envp, true, call_spawnp, &a);
}

/* Under the versions the C library defines them with (aarch64: 2.17 for all
 * but execveat, 2.34), so that programs bind to these. */
EXEC_API int pfe_execve_v(const char *, char *const[], char *const[])
    __attribute__((alias("pfe_execve")));
EXEC_API int pfe_execvpe_v(const char *, char *const[], char *const[])
    __attribute__((alias("pfe_execvpe")));
EXEC_API int pfe_fexecve_v(int, char *const[], char *const[]) __attribute__((alias("pfe_fexecve")));
EXEC_API int pfe_execveat_v(int, const char *, char *const[], char *const[], int)
    __attribute__((alias("pfe_execveat")));
EXEC_API int pfe_execv_v(const char *, char *const[]) __attribute__((alias("pfe_execv")));
EXEC_API int pfe_execvp_v(const char *, char *const[]) __attribute__((alias("pfe_execvp")));
EXEC_API int pfe_execl_v(const char *, const char *, ...) __attribute__((alias("pfe_execl")));
EXEC_API int pfe_execlp_v(const char *, const char *, ...) __attribute__((alias("pfe_execlp")));
EXEC_API int pfe_execle_v(const char *, const char *, ...) __attribute__((alias("pfe_execle")));
EXEC_API int pfe_posix_spawn_v(pid_t *, const char *, const posix_spawn_file_actions_t *,
			       const posix_spawnattr_t *, char *const[], char *const[])
    __attribute__((alias("pfe_posix_spawn")));
EXEC_API int pfe_posix_spawnp_v(pid_t *, const char *, const posix_spawn_file_actions_t *,
				const posix_spawnattr_t *, char *const[], char *const[])
    __attribute__((alias("pfe_posix_spawnp")));
__asm__(".symver pfe_execve_v, execve@@GLIBC_2.17\n"
	".symver pfe_execvpe_v, execvpe@@GLIBC_2.17\n"
	".symver pfe_fexecve_v, fexecve@@GLIBC_2.17\n"
	".symver pfe_execveat_v, execveat@@GLIBC_2.34\n"
	".symver pfe_execv_v, execv@@GLIBC_2.17\n"
	".symver pfe_execvp_v, execvp@@GLIBC_2.17\n"
	".symver pfe_execl_v, execl@@GLIBC_2.17\n"
	".symver pfe_execlp_v, execlp@@GLIBC_2.17\n"
	".symver pfe_execle_v, execle@@GLIBC_2.17\n"
	".symver pfe_posix_spawn_v, posix_spawn@@GLIBC_2.17\n"
	".symver pfe_posix_spawnp_v, posix_spawnp@@GLIBC_2.17\n");
