/* SPDX-License-Identifier: MIT */
/*
 * Is this BTI program's text still guarded after libpfe patched it? A child
 * calls into the middle of twice() (past `bti c` and the two patch slots) by
 * BLR: on a guarded page that is a branch-target exception (SIGILL), on an
 * unguarded one it runs. Checked before any hook (the constructor has already
 * written `mov x9, x30`), with a hook attached, and after detaching.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfe.h"

__attribute__((noinline, noclone)) long twice(long x)
{
	return 2 * x;
}

static void h(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
}

static const char *probe(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		long (*body)(long) = (long (*)(long))((uintptr_t)twice + 12);

		_exit(body(3) == 6 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return "fork failed";
	if (WIFSIGNALED(st))
		return WTERMSIG(st) == SIGILL ? "guarded" : "other signal";
	return WEXITSTATUS(st) ? "ran wrongly" : "NOT guarded";
}

int main(void)
{
	struct pfe_hook *(*add)(const char *, pfe_entry_fn, void *);
	int (*rm)(struct pfe_hook *);
	struct pfe_hook *hk;

	*(void **)&add = dlsym(RTLD_DEFAULT, "pfe_hook_add");
	*(void **)&rm = dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	printf("start: %s\n", probe());
	if (!add || !rm)
		return 0;
	hk = add("twice", h, NULL);
	printf("attached: %s\n", hk ? probe() : "attach failed");
	printf("detached: %s\n", hk && !rm(hk) ? probe() : "detach failed");
	printf("twice(21) %ld\n", twice(21));
	return 0;
}
