/* SPDX-License-Identifier: MIT */
/*
 * Starts itself again in every way a program can (tests/integ/t_follow.sh):
 *
 *   follow_app SELF again             step1, then execv SELF second: the
 *                                     new image calls step2
 *   follow_app SELF bare HOW [ENV...] step1, then HOW starts SELF child
 *                                     with the environment X=1 ENV...
 *                                     (execve, execle, execvpe, fexecve,
 *                                     execveat, posix_spawn[p]; execv,
 *                                     execvp, execl, execlp after
 *                                     clearenv(): environ holds only those;
 *                                     vfork: execve in a vfork child, then
 *                                     the parent calls step2; spawn-environ:
 *                                     posix_spawn with environ plus X=1)
 *   follow_app SELF run PROG          step1, then execve PROG child run
 *                                     with X=1
 *
 * A child calls child_work and prints what it got: X, LD_PRELOAD,
 * PFE_TRACE and PFE_CONTROL, "-" for unset. Built with -fpatchable-function-entry=2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

__attribute__((noinline)) void step1(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void step2(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void child_work(void)
{
	__asm__ volatile("" ::: "memory");
}

static const char *env_or_dash(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "-";
}

static int failed(const char *how)
{
	printf("%s failed: %s\n", how, strerror(errno));
	return 127;
}

static int spawn(const char *how, const char *self, char *const argv[], char *const envp[])
{
	pid_t pid;
	int st, err;

	if (!strcmp(how, "posix_spawn"))
		err = posix_spawn(&pid, self, NULL, NULL, argv, envp);
	else
		err = posix_spawnp(&pid, self, NULL, NULL, argv, envp);
	if (err) {
		errno = err;
		return failed(how);
	}
	if (waitpid(pid, &st, 0) != pid)
		return failed("waitpid");
	fflush(stdout);
	printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static int bare(const char *self, const char *how, int nenv, char **extra)
{
	char *argv[] = {(char *)self, (char *)self, "child", (char *)how, NULL};
	char *envp[nenv + 2];

	envp[0] = "X=1";
	for (int i = 0; i < nenv; i++)
		envp[i + 1] = extra[i];
	envp[nenv + 1] = NULL;
	step1();
	fflush(stdout);
	if (!strncmp(how, "posix_spawn", 11))
		return spawn(how, self, argv, envp);
	if (!strcmp(how, "spawn-environ")) {
		setenv("X", "1", 1);
		return spawn("posix_spawn", self, argv, environ);
	}
	if (!strcmp(how, "vfork")) {
		pid_t pid = vfork();
		int st;

		if (pid == 0) {
			execve(self, argv, envp);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return failed("vfork");
		step2();
		printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return 0;
	}
	if (!strcmp(how, "execve"))
		execve(self, argv, envp);
	else if (!strcmp(how, "execle"))
		execle(self, self, self, "child", how, (char *)NULL, envp);
	else if (!strcmp(how, "execvpe"))
		execvpe(self, argv, envp);
	else if (!strcmp(how, "fexecve"))
		fexecve(open(self, O_RDONLY), argv, envp);
	else if (!strcmp(how, "execveat"))
		execveat(AT_FDCWD, self, argv, envp, 0);
	else {
		/* The forms without envp use environ. */
		clearenv();
		for (int i = 0; envp[i]; i++)
			putenv(envp[i]);
		if (!strcmp(how, "execv"))
			execv(self, argv);
		else if (!strcmp(how, "execvp"))
			execvp(self, argv);
		else if (!strcmp(how, "execl"))
			execl(self, self, self, "child", how, (char *)NULL);
		else if (!strcmp(how, "execlp"))
			execlp(self, self, self, "child", how, (char *)NULL);
		else
			errno = EINVAL;
	}
	return failed(how);
}

int main(int argc, char **argv)
{
	const char *self = argc > 1 ? argv[1] : "";
	const char *mode = argc > 2 ? argv[2] : "";

	if (!strcmp(mode, "child") && argc > 3) {
		child_work();
		printf("child %s: X=%s LD_PRELOAD=%s PFE_TRACE=%s PFE_CONTROL=%s\n", argv[3],
		       env_or_dash("X"), env_or_dash("LD_PRELOAD"), env_or_dash("PFE_TRACE"),
		       env_or_dash("PFE_CONTROL"));
		return 0;
	}
	if (!strcmp(mode, "second")) {
		step2();
		printf("second image\n");
		return 0;
	}
	if (!strcmp(mode, "again")) {
		char *args[] = {(char *)self, (char *)self, "second", NULL};

		step1();
		printf("first image\n");
		fflush(stdout);
		execv(self, args);
		return failed("execv");
	}
	if (!strcmp(mode, "bare") && argc > 3)
		return bare(self, argv[3], argc - 4, argv + 4);
	if (!strcmp(mode, "run") && argc > 3) {
		char *args[] = {argv[3], argv[3], "child", "run", NULL};
		char *envp[] = {"X=1", NULL};

		step1();
		fflush(stdout);
		execve(argv[3], args, envp);
		return failed("execve");
	}
	fprintf(stderr, "usage: follow_app SELF again|bare HOW [ENV...]|run PROG\n");
	return 2;
}
