/* SPDX-License-Identifier: MIT */
/*
 * uftrace's s-dlopen (tests/integ/t_rec_dlopen.sh): dlopen LIB_ABC, call
 * its lib_a (which calls lib_b, which calls lib_c), dlclose it; then dlopen
 * LIB_FOO, call its foo, dlclose it. A recording must name every one of
 * them though both libraries are gone long before the writer may look.
 * With a third argument "fork", a fork child does it and the parent waits:
 * the child's dlopen must find libpfe's locks free.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int call(const char *lib, const char *fn, int arg)
{
	void *h = dlopen(lib, RTLD_LAZY);
	int (*f)(int);
	int r;

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return -1;
	}
	f = (int (*)(int))dlsym(h, fn);
	if (!f) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return -1;
	}
	r = f(arg);
	dlclose(h);
	return r;
}

int main(int argc, char **argv)
{
	int st;

	if (argc != 3 && (argc != 4 || strcmp(argv[3], "fork"))) {
		fprintf(stderr, "usage: %s LIB_ABC LIB_FOO [fork]\n", argv[0]);
		return 2;
	}
	if (argc == 4) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid > 0)
			return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	printf("lib_a %d\n", call(argv[1], "lib_a", 1));
	printf("foo %d\n", call(argv[2], "foo", 2));
	return 0;
}
