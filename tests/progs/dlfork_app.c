/* SPDX-License-Identifier: MIT */
/*
 * dlfork_app LIB N (tests/integ/t_rec_dlopen.sh): a thread dlopens LIB,
 * calls its lib_a and dlcloses it, over and over, while main forks N
 * children that exit at once. Recorded, a fork's prepare handlers and a
 * dlclose took libpfe's dlopen lock and the recording's meta lock in
 * opposite orders, and the two threads waited for each other for good.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *lib;
static volatile int stop;

static void *loader(void *arg)
{
	while (!stop) {
		void *h = dlopen(lib, RTLD_NOW);
		int (*f)(int);

		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			exit(1);
		}
		f = (int (*)(int))dlsym(h, "lib_a");
		if (f)
			f(1);
		dlclose(h);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc == 3 ? atoi(argv[2]) : 0, st;
	pthread_t t;

	if (argc != 3) {
		fprintf(stderr, "usage: %s LIB N\n", argv[0]);
		return 2;
	}
	lib = argv[1];
	if (pthread_create(&t, NULL, loader, NULL))
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid)
			_exit(0);
		if (waitpid(pid, &st, 0) != pid)
			return 1;
	}
	stop = 1;
	pthread_join(t, NULL);
	printf("forks %d\n", n);
	return 0;
}
