/* SPDX-License-Identifier: MIT */
/*
 * Functions left without returning, for the graph tracer
 * (tests/integ/t_graph_exits.sh runs it with PFE_TRACE='*' PFE_GRAPH=1 and
 * checks every thread's graph with tests/graph_check.py). One mode per run:
 *   longjmp     longjmp out of three nested frames, then a call
 *   siglongjmp  siglongjmp out of a signal handler two frames down
 *   altstack    the same with the handler on a sigaltstack
 *   signal      a traced handler interrupting a traced function, by raise()
 *               and by a timer while it spins
 *   exit        pthread_exit from two frames down a thread
 *   cancel      pthread_cancel of a thread waiting two frames down
 *   coro        ucontext coroutines: one switched in and out four times,
 *               one abandoned and its stack reused, one whose stack is an
 *               array on the main stack, one never finished
 *   deep N      recursion N deep
 *   storm       two threads in a loop of nested calls while a 100 us timer
 *               interrupts them anywhere, libpfe's own paths included; the
 *               handler calls traced functions, on a sigaltstack in one
 *               thread and on the thread's stack in the other
 * The output is the same with and without libpfe.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>

#define NOINL __attribute__((noinline, noclone))
/* Real calls, not jumps: the frames must nest. */
#define CALLS __attribute__((optimize("no-optimize-sibling-calls")))

static volatile long sink;

/* ----------------------------------------------------------- longjmp */

static jmp_buf jb;

NOINL CALLS void jl_c(int x)
{
	if (x)
		longjmp(jb, x);
	sink++;
}

NOINL CALLS void jl_b(int x)
{
	jl_c(x);
	sink++;
}

NOINL CALLS void jl_a(int x)
{
	jl_b(x);
	sink++;
}

NOINL CALLS void jl_after(void)
{
	sink++;
}

NOINL CALLS int jl_outer(void)
{
	volatile int r = setjmp(jb);

	if (!r)
		jl_a(7);
	jl_after();
	return r;
}

/* -------------------------------------------------------- siglongjmp */

static sigjmp_buf sjb;

NOINL CALLS void sl_in_handler(void)
{
	sink++;
}

NOINL CALLS void sl_handler(int sig)
{
	sl_in_handler();
	siglongjmp(sjb, sig);
}

NOINL CALLS void sl_work(void)
{
	raise(SIGUSR1);
	sink++;
}

NOINL CALLS void sl_mid(void)
{
	sl_work();
	sink++;
}

NOINL CALLS void sl_after(void)
{
	sink++;
}

NOINL CALLS int sl_outer(void)
{
	volatile int r = sigsetjmp(sjb, 1);

	if (!r)
		sl_mid();
	sl_after();
	return r;
}

static int siglongjmp_mode(int alt)
{
	struct sigaction sa;
	stack_t ss;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sl_handler;
	if (alt) {
		ss.ss_sp = malloc(256 * 1024);
		ss.ss_size = 256 * 1024;
		ss.ss_flags = 0;
		if (!ss.ss_sp || sigaltstack(&ss, NULL))
			return 1;
		sa.sa_flags = SA_ONSTACK;
	}
	sigaction(SIGUSR1, &sa, NULL);
	r = sl_outer();
	printf("siglongjmp%s: back with %d\n", alt ? " (altstack)" : "", r);
	r = sl_outer();
	printf("siglongjmp%s: again with %d\n", alt ? " (altstack)" : "", r);
	return 0;
}

/* ------------------------------------------------------------ signal */

static volatile sig_atomic_t ticks;

NOINL CALLS void sg_leaf(void)
{
	sink++;
}

/* A one-shot timer, re-armed by the handler until it has run 3 times: never
 * a fourth signal, however slowly the loop below runs. */
static inline __attribute__((always_inline)) void arm(void)
{
	struct itimerval it = {{0, 0}, {0, 2000}};

	setitimer(ITIMER_REAL, &it, NULL);
}

NOINL CALLS void sg_handler(int sig)
{
	sg_leaf();
	ticks++;
	if (sig == SIGALRM && ticks < 3)
		arm();
}

NOINL CALLS void sg_raise(void)
{
	for (int i = 0; i < 3; i++)
		raise(SIGUSR2);
	sg_leaf();
}

/* Interrupted by a timer at any instruction of its loop. */
NOINL CALLS void sg_spin(void)
{
	ticks = 0;
	arm();
	while (ticks < 3)
		sink++;
}

static int signal_mode(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sg_handler;
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sg_raise();
	printf("signal: raised, handled %d\n", (int)ticks);
	sg_spin();
	printf("signal: timer, handled %d\n", (int)ticks);
	return 0;
}

/* ---------------------------------------------- pthread_exit, cancel */

NOINL CALLS void pe_b(void *arg)
{
	pthread_exit(arg);
}

NOINL CALLS void pe_a(void *arg)
{
	pe_b(arg);
	sink++;
}

NOINL CALLS void *pe_main(void *arg)
{
	pe_a(arg);
	return NULL;
}

static volatile int cn_ready;

NOINL CALLS void cn_b(void)
{
	cn_ready = 1;
	for (;;) {
		pthread_testcancel();
		sched_yield();
	}
}

NOINL CALLS void cn_a(void)
{
	cn_b();
	sink++;
}

NOINL CALLS void *cn_main(void *arg)
{
	cn_a();
	return arg;
}

static int thread_mode(int cancel)
{
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, cancel ? cn_main : pe_main, (void *)42))
		return 1;
	if (cancel) {
		while (!cn_ready)
			sched_yield();
		pthread_cancel(t);
	}
	pthread_join(t, &ret);
	if (cancel)
		printf("cancel: %s\n", ret == PTHREAD_CANCELED ? "canceled" : "NOT canceled");
	else
		printf("pthread_exit: %ld\n", (long)ret);
	return 0;
}

/* -------------------------------------------------------- coroutines */

#define CO_STACK (64 * 1024)

static ucontext_t main_ctx, co_ctx;
static char co_static[CO_STACK] __attribute__((aligned(16)));

NOINL CALLS void co_leaf(int i)
{
	sink += i;
}

NOINL CALLS void co_work(int i)
{
	co_leaf(i);
}

NOINL CALLS void co_pause(void)
{
	swapcontext(&co_ctx, &main_ctx);
}

/* Works, yields @n times, works once more and ends (uc_link: main). */
NOINL CALLS void co_body(int n)
{
	for (int i = 0; i < n; i++) {
		co_work(i);
		co_pause();
	}
	co_work(100);
}

NOINL CALLS void co_resume(void)
{
	swapcontext(&main_ctx, &co_ctx);
}

NOINL CALLS void co_start(void *stack, int n)
{
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = CO_STACK;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, (void (*)(void))co_body, 1, n);
}

/* A coroutine whose stack is on ours. */
NOINL CALLS void co_on_stack(void)
{
	char stack[CO_STACK] __attribute__((aligned(16)));

	co_start(stack, 2);
	for (int i = 0; i < 3; i++)
		co_resume();
	sink += stack[0];
}

static int coro_mode(void)
{
	char *heap = malloc(CO_STACK);

	if (!heap)
		return 1;
	/* Switched in and out four times, then it ends. */
	co_start(co_static, 3);
	for (int i = 0; i < 4; i++)
		co_resume();
	printf("coro: static stack done\n");
	/* Abandoned after one yield; its stack is reused by a new one. */
	co_start(heap, 5);
	co_resume();
	co_start(heap, 1);
	co_resume();
	co_resume();
	printf("coro: heap stack reused\n");
	co_on_stack();
	printf("coro: stack on the main stack done\n");
	/* Never finished: closed when the process ends. */
	co_start(heap, 2);
	co_resume();
	printf("coro: one left suspended\n");
	return 0;
}

/* ------------------------------------------------------------- storm */

#define STORM_CALLS 3000

NOINL CALLS void st_leaf(void)
{
	sink++;
}

NOINL CALLS void st_b(void)
{
	st_leaf();
}

NOINL CALLS void st_a(void)
{
	st_b();
	st_leaf();
}

NOINL CALLS void st_sig(void)
{
	st_leaf();
}

NOINL CALLS void st_handler(int sig)
{
	st_sig();
}

static void *st_worker(void *alt)
{
	sigset_t set;
	stack_t ss;

	if (alt) {
		ss.ss_sp = malloc(256 * 1024);
		ss.ss_size = 256 * 1024;
		ss.ss_flags = 0;
		if (!ss.ss_sp || sigaltstack(&ss, NULL))
			return (void *)1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (int i = 0; i < STORM_CALLS; i++)
		st_a();
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return NULL;
}

static int storm_mode(void)
{
	struct itimerval it = {{0, 100}, {0, 100}}, off = {{0, 0}, {0, 0}};
	struct sigaction sa;
	pthread_t t[2];
	void *r[2];
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = st_handler;
	sa.sa_flags = SA_RESTART | SA_ONSTACK;
	sigaction(SIGALRM, &sa, NULL);
	/* Only the workers take the timer's signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, st_worker, i ? (void *)1 : NULL))
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], &r[i]);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("storm: 2 threads x %d calls%s\n", STORM_CALLS,
	       r[0] || r[1] ? ", no sigaltstack" : "");
	return 0;
}

/* -------------------------------------------------------------- deep */

static volatile long one = 1;

/* The volatile addend keeps GCC from turning the recursion into a loop. */
NOINL CALLS long rec(long n)
{
	return n ? rec(n - 1) + one : 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "longjmp")) {
		int r = jl_outer();

		printf("longjmp: back with %d\n", r);
		r = jl_outer();
		printf("longjmp: again with %d\n", r);
		return 0;
	}
	if (!strcmp(m, "siglongjmp") || !strcmp(m, "altstack"))
		return siglongjmp_mode(!strcmp(m, "altstack"));
	if (!strcmp(m, "signal"))
		return signal_mode();
	if (!strcmp(m, "exit") || !strcmp(m, "cancel"))
		return thread_mode(!strcmp(m, "cancel"));
	if (!strcmp(m, "coro"))
		return coro_mode();
	if (!strcmp(m, "storm"))
		return storm_mode();
	if (!strcmp(m, "deep") && argc > 2) {
		printf("deep: %ld\n", rec(atol(argv[2])));
		return 0;
	}
	fprintf(stderr,
		"usage: %s longjmp|siglongjmp|altstack|signal|exit|cancel|coro|storm|deep N\n",
		argv[0]);
	return 2;
}
