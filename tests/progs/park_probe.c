/* SPDX-License-Identifier: MIT */
/*
 * For tests/integ/t_park.sh: is another thread really stopped while libpfe
 * writes slot 0 of a library loaded with dlopen()? This program exports its
 * own mprotect (linked --export-dynamic-symbol=mprotect), which libpfe's
 * calls reach first. The first call that adds PROT_WRITE to executable
 * pages after the dlopen starts is libpfe making the new library's text
 * writable for slot 0; at that moment the spinner thread must not advance
 * for 50 ms and the kernel must report it sleeping (S: parked on a futex in
 * libpfe's signal handler), not running (R). With PARK_PROBE_SELF set the program makes such a call
 * itself first (the control: nothing parks the spinner then).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long spins;
static volatile int stop, armed, seen;
static volatile pid_t spinner_tid;
static unsigned long advanced;
static char state = '?';

static void *spin(void *arg)
{
	spinner_tid = (pid_t)syscall(SYS_gettid);
	while (!stop)
		spins++;
	return NULL;
}

/* The third field of /proc/self/task/TID/stat: the thread's state. */
static char state_of(pid_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

int mprotect(void *addr, size_t len, int prot)
{
	if (armed && !seen && (prot & (PROT_WRITE | PROT_EXEC)) == (PROT_WRITE | PROT_EXEC)) {
		struct timespec ts = {0, 50 * 1000000L};
		unsigned long before = spins;

		seen = 1;
		nanosleep(&ts, NULL);
		advanced = spins - before;
		state = state_of(spinner_tid);
	}
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *h;

	if (argc != 2)
		return 2;
	pthread_create(&t, NULL, spin, NULL);
	while (!spinner_tid || spins < 1000)
		;
	armed = 1;
	if (getenv("PARK_PROBE_SELF")) {
		/* The control run: a W+X mprotect of our own, nothing parks. */
		static char page[1 << 16] __attribute__((aligned(1 << 16)));

		mprotect(page, sizeof(page), PROT_READ | PROT_WRITE | PROT_EXEC);
		mprotect(page, sizeof(page), PROT_READ | PROT_WRITE);
	}
	h = dlopen(argv[1], RTLD_NOW);
	armed = 0;
	stop = 1;
	pthread_join(t, NULL);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	printf("slot 0 written: %s\n", seen ? "yes" : "no");
	printf("spinner advanced meanwhile: %s\n", advanced ? "yes" : "no");
	printf("spinner state meanwhile: %c\n", state);
	dlclose(h);
	return 0;
}
