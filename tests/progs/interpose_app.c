/* SPDX-License-Identifier: MIT */
/*
 * A program with its own malloc family and memcpy (tests/integ/t_interpose.sh),
 * as programs with a custom allocator have: libpfe's calls to them reach
 * this code, and with PFE_TRACE naming them they must still not appear in
 * the trace. work() makes one call to each of malloc, memcpy and free.
 *
 *   interpose_app              work() from main
 *   interpose_app control FIFO LOG
 *                              'trace malloc,memcpy,free,work' through the
 *                              PFE_CONTROL FIFO, wait for its "ok" line in
 *                              LOG, work(), 'trace off'
 *   interpose_app more         dlopen libm, fork: the child calls work(),
 *                              then the parent
 *
 * Built with -fpatchable-function-entry=2 -fno-builtin -rdynamic.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A bump allocator: never reuses memory, which is all this test needs. */
static _Alignas(64) char arena[48 << 20];
static size_t top;

struct hdr {
	size_t size;
	size_t pad;
};

static void *alloc(size_t align, size_t n)
{
	size_t need, at, old;
	struct hdr *h;

	if (align < 16)
		align = 16;
	if (n > sizeof(arena))
		goto nomem;
	need = n + sizeof(struct hdr) + align;
	old = __atomic_fetch_add(&top, need, __ATOMIC_RELAXED);
	if (old + need > sizeof(arena))
		goto nomem;
	at = ((uintptr_t)arena + old + sizeof(struct hdr) + align - 1) & ~(uintptr_t)(align - 1);
	h = (struct hdr *)at - 1;
	h->size = n;
	return (void *)at;
nomem:
	errno = ENOMEM;
	return NULL;
}

/* noinline: each call in main stays a call, as across files. */
__attribute__((noinline)) void *malloc(size_t n)
{
	return alloc(16, n);
}

__attribute__((noinline)) void free(void *p)
{
	__asm__ volatile("" ::"r"(p) : "memory");
}

void *calloc(size_t n, size_t m)
{
	if (m && n > SIZE_MAX / m) {
		errno = ENOMEM;
		return NULL;
	}
	return alloc(16, n * m); /* the arena is never reused: still zero */
}

__attribute__((noinline, optimize("no-tree-loop-distribute-patterns"))) void *
memcpy(void *d, const void *s, size_t n)
{
	char *dd = d;
	const char *ss = s;

	while (n--)
		*dd++ = *ss++;
	return d;
}

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *realloc(void *p, size_t n)
{
	char *q = malloc(n);
	size_t old = p ? ((struct hdr *)p - 1)->size : 0;

	if (q && p)
		for (size_t i = 0; i < (old < n ? old : n); i++)
			q[i] = ((char *)p)[i];
	return q;
}

void *aligned_alloc(size_t align, size_t n)
{
	return alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
	return alloc(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = alloc(align, n);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

size_t malloc_usable_size(void *p)
{
	return p ? ((struct hdr *)p - 1)->size : 0;
}

__attribute__((noinline)) void work(void)
{
	char *p = malloc(32);

	memcpy(p, "interposed\n", 12);
	write(1, p, 11);
	free(p);
}

/* Wait until @log holds @n lines; false after 20 s. */
static int wait_lines(const char *log, int n)
{
	for (int tries = 0; tries < 2000; tries++) {
		char buf[4096];
		int fd = open(log, O_RDONLY), lines = 0;
		ssize_t got = fd < 0 ? 0 : read(fd, buf, sizeof(buf));

		if (fd >= 0)
			close(fd);
		for (ssize_t i = 0; i < got; i++)
			lines += buf[i] == '\n';
		if (lines >= n)
			return 1;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return 0;
}

static int command(int fd, const char *log, const char *cmd, int n)
{
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || !wait_lines(log, n)) {
		write(2, "control: no answer\n", 19);
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "control")) {
		int fd = open(argv[2], O_WRONLY);

		if (fd < 0 || !command(fd, argv[3], "trace malloc,memcpy,free,work\n", 1))
			return 1;
		work();
		if (!command(fd, argv[3], "trace off\n", 2))
			return 1;
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "more")) {
		int st;
		pid_t pid;

		if (!dlopen("libm.so.6", RTLD_NOW))
			return 1;
		pid = fork();
		if (pid == 0) {
			work();
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st)
			return 1;
	}
	work();
	return 0;
}
