/* SPDX-License-Identifier: MIT */
/*
 * Hooks attached and detached while threads run (tests/integ/t_live.sh).
 * Built with -fpatchable-function-entry=2; libpfe's API is found with
 * dlsym(RTLD_DEFAULT). Every mode prints exact lines the script compares:
 *
 *   stress N K   4 threads call hot_a/hot_b N times each while another
 *                attaches and detaches a transient hook K times; a hook
 *                attached throughout counts exactly 8N calls; the
 *                transient hook never sees its data after remove returned
 *   fork N K     the same, with a fork in the middle: the child attaches,
 *                calls and detaches on its own, with exact counts
 *   signal N     a thread calls hot_a while signals interrupt it; the
 *                handler calls hot_b: both hooked counts exact
 *   dl LIB N K   one thread dlopen()s LIB, calls lib_fn N times, dlclose()s
 *                it, K times; another attaches and detaches a hook on
 *                lib_fn; afterwards no site of LIB remains
 *   dlm LIB      LIB dlmopen()ed into a new namespace is hooked, 3 times
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfe.h"

#define NOINL  __attribute__((noinline, noclone))
#define NWORK  4
#define POISON 0xdeadbeefUL

static struct pfe_hook *(*hook_add)(const char *, pfe_entry_fn, void *);
static int (*hook_remove)(struct pfe_hook *);
static size_t (*hook_nsites)(const struct pfe_hook *);

static volatile long sink;

NOINL void hot_a(long x)
{
	sink += x;
}

NOINL void hot_b(long x)
{
	sink -= x;
}

NOINL void anchor(void)
{
	sink++;
}

static void count_hook(const struct pfe_site *s, struct pfe_regs *r, void *data)
{
	__atomic_fetch_add((unsigned long *)data, 1, __ATOMIC_RELAXED);
}

/* The transient hook's data: a live counter, or POISON after remove. */
struct tdata {
	unsigned long magic;
	unsigned long calls;
};
static unsigned long poison_seen;

static void trans_hook(const struct pfe_site *s, struct pfe_regs *r, void *data)
{
	struct tdata *d = data;

	if (__atomic_load_n(&d->magic, __ATOMIC_RELAXED) != 1)
		__atomic_fetch_add(&poison_seen, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&d->calls, 1, __ATOMIC_RELAXED);
}

static long n_calls, k_attach;
static volatile int stop_churn;
static unsigned long made[NWORK];

static void *worker(void *arg)
{
	long id = (long)arg;

	for (long i = 0; i < n_calls; i++) {
		hot_a(i);
		hot_b(i);
	}
	made[id] = 2 * n_calls;
	return NULL;
}

static unsigned long trans_total, attach_fail;

static void *churn(void *arg)
{
	/* At least k_attach cycles, and as long as the workers run. */
	for (long k = 0; k < k_attach || !stop_churn; k++) {
		struct tdata *d = malloc(sizeof(*d));
		struct pfe_hook *h;

		d->magic = 1;
		d->calls = 0;
		h = hook_add(k & 1 ? "hot_a" : "hot_*", trans_hook, d);
		if (!h) {
			attach_fail++;
			free(d);
			continue;
		}
		if (hook_remove(h))
			attach_fail++;
		trans_total += d->calls;
		d->magic = POISON; /* a hook running now would see it */
		free(d);
	}
	return NULL;
}

/* In the child of a fork taken while other threads attached, detached and
 * called: one thread (qemu-user cannot create threads in the child of a
 * multi-threaded process), attaching and detaching on its own. */
static int child_run(void)
{
	unsigned long cnt = 0, calls = 0;
	struct pfe_hook *h = hook_add("hot_b", count_hook, &cnt);

	if (!h)
		return 2;
	for (int k = 0; k < 20; k++) {
		unsigned long c2 = 0;
		struct pfe_hook *t = hook_add("hot_*", count_hook, &c2);

		for (int i = 0; i < 50; i++, calls++)
			hot_b(i);
		if (!t || hook_remove(t) || c2 != 50)
			return 4;
	}
	if (hook_remove(h))
		return 3;
	hot_b(1);
	printf("child: hot_b calls %lu hooked %lu\n", calls, cnt);
	fflush(stdout);
	return cnt == calls ? 0 : 1;
}

static int stress(int do_fork)
{
	unsigned long perm = 0, sum = 0;
	struct pfe_hook *h = hook_add("hot_a,hot_b", count_hook, &perm);
	pthread_t w[NWORK], c;
	pid_t pid = 0;
	int st = 0;

	if (!h) {
		printf("hook_add: %s\n", strerror(errno));
		return 1;
	}
	pthread_create(&c, NULL, churn, NULL);
	for (long i = 0; i < NWORK; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	if (do_fork) {
		usleep(1000);
		pid = fork();
		if (pid == 0)
			_exit(child_run());
	}
	for (int i = 0; i < NWORK; i++)
		pthread_join(w[i], NULL);
	stop_churn = 1;
	pthread_join(c, NULL);
	if (do_fork) {
		waitpid(pid, &st, 0);
		printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	for (int i = 0; i < NWORK; i++)
		sum += made[i];
	printf("calls %lu hooked %lu\n", sum, perm);
	printf("transient attach failures %lu poison seen %lu\n", attach_fail, poison_seen);
	printf("transient calls within bound: %s\n",
	       trans_total > 0 && trans_total <= sum ? "yes" : "no");
	printf("remove %d\n", hook_remove(h));
	hot_a(1);
	printf("after remove hooked %lu\n", perm);
	return 0;
}

/* ------------------------------------------------------------ signals */

/*
 * Signals delivered to hooked code (SIGUSR2 interrupts a thread calling
 * hot_a; its handler calls nothing hooked), and hooked code called from a
 * signal handler (SIGUSR1 interrupts a thread in unhooked code; its handler
 * calls hot_b). A handler that interrupts a hook runs without hooks (they
 * do not nest), hence the two threads.
 */
static unsigned long usr1_calls, usr2_calls;
static volatile int sig_stop;

static void on_usr1(int sig)
{
	hot_b(sig);
	usr1_calls++;
}

static void on_usr2(int sig)
{
	usr2_calls++;
}

static void *sig_hot(void *arg)
{
	unsigned long n = 0;

	while (!sig_stop) {
		hot_a(1);
		n++;
	}
	made[0] = n;
	return NULL;
}

static void *sig_cold(void *arg)
{
	volatile unsigned long n = 0;

	while (!sig_stop)
		n++;
	return NULL;
}

static int signals(void)
{
	unsigned long ca = 0, cb = 0;
	struct pfe_hook *ha = hook_add("hot_a", count_hook, &ca);
	struct pfe_hook *hb = hook_add("hot_b", count_hook, &cb);
	struct sigaction sa1 = {.sa_handler = on_usr1}, sa2 = {.sa_handler = on_usr2};
	pthread_t hot, cold;

	sigaction(SIGUSR1, &sa1, NULL);
	sigaction(SIGUSR2, &sa2, NULL);
	pthread_create(&hot, NULL, sig_hot, NULL);
	pthread_create(&cold, NULL, sig_cold, NULL);
	for (int i = 0; i < n_calls; i++) {
		pthread_kill(hot, SIGUSR2);
		pthread_kill(cold, SIGUSR1);
		usleep(100);
	}
	sig_stop = 1;
	pthread_join(hot, NULL);
	pthread_join(cold, NULL);
	printf("hot_a calls %s hooked, interrupted: %s\n",
	       ca == made[0] ? "==" : "!=", usr2_calls > 0 ? "yes" : "no");
	printf("hot_b calls from the handler %s hooked, handler ran: %s\n",
	       cb == usr1_calls ? "==" : "!=", usr1_calls > 0 ? "yes" : "no");
	printf("remove %d %d\n", hook_remove(ha), hook_remove(hb));
	return 0;
}

/* ------------------------------------------------------------ dlopen */

static const char *lib_path;
static unsigned long lib_made;
static volatile int dl_done;

static void *dl_loop(void *arg)
{
	for (long k = 0; k < k_attach; k++) {
		void *h = dlopen(lib_path, RTLD_NOW);
		long (*fn)(long);

		if (!h) {
			printf("dlopen: %s\n", dlerror());
			break;
		}
		fn = (long (*)(long))dlsym(h, "lib_fn");
		for (long i = 0; i < n_calls; i++)
			sink += fn(i);
		lib_made += n_calls;
		dlclose(h);
	}
	dl_done = 1;
	return NULL;
}

static void *dl_churn(void *arg)
{
	unsigned long *fails = arg;

	while (!dl_done) {
		unsigned long c = 0;
		struct pfe_hook *h = hook_add("lib_fn,anchor", count_hook, &c);

		if (!h) {
			++*fails;
			continue;
		}
		if (hook_remove(h))
			++*fails;
	}
	return NULL;
}

static int dl(void)
{
	unsigned long perm = 0, fails = 0;
	struct pfe_hook *h = hook_add("lib_fn,anchor", count_hook, &perm), *h2;
	pthread_t a, c, w[2];

	if (!h) {
		printf("hook_add: %s\n", strerror(errno));
		return 1;
	}
	printf("sites before: %zu\n", hook_nsites(h));
	pthread_create(&c, NULL, dl_churn, &fails);
	pthread_create(&a, NULL, dl_loop, NULL);
	/* Threads busy in hooked code of the program while objects load. */
	k_attach = k_attach;
	for (long i = 0; i < 2; i++)
		pthread_create(&w[i], NULL, worker, (void *)i);
	pthread_join(a, NULL);
	pthread_join(c, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	printf("lib_fn calls %lu hooked %lu\n", lib_made, perm);
	printf("churn failures %lu\n", fails);
	printf("sites after: %zu\n", hook_nsites(h));
	h2 = hook_add("lib_fn", count_hook, &perm);
	printf("lib_fn after dlclose: %s\n", h2 ? "found" : strerror(errno));
	printf("remove %d\n", hook_remove(h));
	return 0;
}

/* A library loaded into a new namespace (which dl_iterate_phdr does not
 * report) is patched, hooked and dropped like any other, each time. */
static int dlm(void)
{
	unsigned long n = 0;
	struct pfe_hook *h = hook_add("lib_fn,anchor", count_hook, &n);

	if (!h) {
		printf("hook_add: %s\n", strerror(errno));
		return 1;
	}
	for (int k = 0; k < 3; k++) {
		void *lib = dlmopen(LM_ID_NEWLM, lib_path, RTLD_NOW);
		long (*fn)(long);

		if (!lib) {
			printf("dlmopen: %s\n", dlerror());
			return 1;
		}
		printf("sites with the library: %zu\n", hook_nsites(h));
		fn = (long (*)(long))dlsym(lib, "lib_fn");
		for (int i = 0; i < 100; i++)
			sink += fn(i);
		printf("lib_fn calls %d hooked %lu\n", 100 * (k + 1), n);
		dlclose(lib);
		printf("sites after dlclose: %zu\n", hook_nsites(h));
	}
	printf("remove %d\n", hook_remove(h));
	return 0;
}

int main(int argc, char **argv)
{
	hook_add = (struct pfe_hook * (*)(const char *, pfe_entry_fn, void *))
	    dlsym(RTLD_DEFAULT, "pfe_hook_add");
	hook_remove = (int (*)(struct pfe_hook *))dlsym(RTLD_DEFAULT, "pfe_hook_remove");
	hook_nsites = (size_t(*)(const struct pfe_hook *))dlsym(RTLD_DEFAULT, "pfe_hook_nsites");
	if (!hook_add || !hook_remove || !hook_nsites || argc < 3) {
		printf("usage: LD_PRELOAD=libpfe.so %s stress|fork|signal|dl ...\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	anchor();
	if (!strcmp(argv[1], "stress") || !strcmp(argv[1], "fork")) {
		n_calls = atol(argv[2]);
		k_attach = argc > 3 ? atol(argv[3]) : 100;
		return stress(argv[1][0] == 'f');
	}
	if (!strcmp(argv[1], "signal")) {
		n_calls = atol(argv[2]);
		return signals();
	}
	if (!strcmp(argv[1], "dlm")) {
		lib_path = argv[2];
		return dlm();
	}
	if (!strcmp(argv[1], "dl") && argc > 4) {
		lib_path = argv[2];
		n_calls = atol(argv[3]);
		k_attach = atol(argv[4]);
		return dl();
	}
	return 2;
}
