/* SPDX-License-Identifier: MIT */
/*
 * _exit() and _Exit(), interposed as exec.c interposes execve: the process
 * ends there without atexit handlers or destructors, so without the
 * tracer's last flush. A fork child that ends so (redis's BGSAVE and AOF
 * rewrite children always do) has no writer thread either: every event it
 * made would be lost. So the clients write out what they hold first, as
 * before an exec, unless it is the parent's (a vfork child: the lines in
 * its memory are its parent's, which writes them). exit() reaches the C
 * library's _exit by an internal call, not through here: its flush is the
 * atexit handler's and the destructor's.
 */
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guard.h"
#include "interpose.h"

#define QUIT_API __attribute__((visibility("default")))

typedef void exit_fn(int);
static exit_fn *real_exit;

void pfe_quit_init(void)
{
	void *p = dlvsym(RTLD_NEXT, "_exit", "GLIBC_2.17");

	real_exit = (exit_fn *)(p ? p : dlsym(RTLD_NEXT, "_exit"));
}

__attribute__((noreturn)) static void pfe__exit(int status)
{
	int g = pfe_guard_enter();

	/* Programs call _exit from signal handlers (it is async-signal-safe):
	 * the clients' quit does only what a signal handler may. */
	if (pfe_owner_of_trace())
		pfe_clients_quit();
	pfe_guard_leave(g);
	if (real_exit)
		real_exit(status);
	for (;;) /* the system call itself, before the constructor ran */
		syscall(SYS_exit_group, status);
}

/* Under the version the C library defines them with, so that programs
 * bind to these. */
QUIT_API void pfe__exit_v(int) __attribute__((alias("pfe__exit"), noreturn));
QUIT_API void pfe__Exit_v(int) __attribute__((alias("pfe__exit"), noreturn));
__asm__(".symver pfe__exit_v, _exit@@GLIBC_2.17\n"
	".symver pfe__Exit_v, _Exit@@GLIBC_2.17\n");
