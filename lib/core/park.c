/* SPDX-License-Identifier: MIT */
/*
 * Parking: stop every other thread of the process in a signal handler, so
 * that slot 0 of a newly loaded object's sites can be initialised while no
 * thread can execute that code (DEVELOPERS.md, arch/arm64/site.c: only a few
 * instructions may be changed under a running thread).
 *
 * Each thread listed in /proc/self/task gets PFE_PARK_SIG through
 * rt_tgsigqueueinfo(), carrying the round's generation so that a late or
 * foreign signal is told apart. The handler records the thread's ucontext,
 * says so through a futex and waits on a second futex until the parker lets
 * it go. The task list is scanned again after every round until a scan finds
 * no thread that was not already parked: a parked thread cannot create
 * another one, so the set is then complete. Threads that are exiting (glibc
 * blocks signals for the last steps of a thread) are waited for until they
 * are gone. A thread that neither parks nor exits within PARK_TIMEOUT_MS
 * (it blocks the signal, or is stopped by a debugger) makes the parking fail:
 * every thread is released and the caller leaves the code unpatched.
 *
 * Leaving the handler is an exception return, which is context-synchronising:
 * a released thread fetches the new instructions (the writer has done the
 * data and instruction cache maintenance before the release).
 *
 * While threads are parked one of them may hold any lock, malloc's included:
 * the parker must not allocate, print through stdio or take a lock another
 * thread could hold between pfe_park_others() and pfe_park_release(). It uses
 * raw system calls only.
 *
 * Limits: the signal (SIGRTMAX - 8) is taken from the program; a program that
 * installs its own handler for it, or blocks it in a thread, makes later
 * dlopen()ed objects stay unpatched (one line says so). At most PARK_MAX
 * threads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "park.h"
#include "core.h"

#define PARK_MAX	1024
#define PARK_TIMEOUT_MS 3000

/* Written by a handler: uc and gen first, then tid (release). A handler
 * preempted between reading the round and claiming a slot can write its
 * slot after the next round began: gen tells such a slot apart. */
struct parked {
	pid_t tid;
	unsigned gen;
	ucontext_t *uc;
};

static pid_t tids[PARK_MAX];	     /* signalled this round */
static unsigned char done[PARK_MAX]; /* parked or gone */
static size_t ntids;
static struct parked slots[PARK_MAX];
static unsigned claimed;  /* slots taken by handlers */
static unsigned acks;	  /* futex: slots filled */
static unsigned gen;	  /* current round */
static unsigned released; /* futex: last round released */
static unsigned inside;	  /* handlers between claim and return */
static int installed;

/* Threads inside pfe_synchronize_rcu(), by tid; 0 = free slot. */
#define GP_SLOTS 64
static pid_t in_gp[GP_SLOTS];

static bool waiting_for_gp(pid_t tid)
{
	for (size_t i = 0; i < GP_SLOTS; i++)
		if (__atomic_load_n(&in_gp[i], __ATOMIC_ACQUIRE) == tid)
			return true;
	return false;
}

void pfe_synchronize_rcu(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid), zero;
	size_t i;

	for (i = 0; i < GP_SLOTS; i++) {
		zero = 0;
		if (__atomic_compare_exchange_n(&in_gp[i], &zero, tid, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	/* No slot: the parker may time out on this thread, no worse. */
	synchronize_rcu();
	if (i < GP_SLOTS)
		__atomic_store_n(&in_gp[i], 0, __ATOMIC_RELEASE);
}

static long futex(unsigned *uaddr, int op, unsigned val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

int pfe_park_signal(void)
{
	return SIGRTMAX - 8;
}

static bool is_released(unsigned g)
{
	return (int)(__atomic_load_n(&released, __ATOMIC_ACQUIRE) - g) >= 0;
}

static void park_handler(int sig, siginfo_t *info, void *ucv)
{
	int saved = errno;
	unsigned g = __atomic_load_n(&gen, __ATOMIC_ACQUIRE), i;

	if (info->si_code != SI_QUEUE || info->si_pid != (pid_t)syscall(SYS_getpid) ||
	    (unsigned)info->si_value.sival_int != g || is_released(g))
		goto out;
	__atomic_fetch_add(&inside, 1, __ATOMIC_ACQ_REL);
	i = __atomic_fetch_add(&claimed, 1, __ATOMIC_RELAXED);
	if (i < PARK_MAX) {
		slots[i].uc = ucv;
		slots[i].gen = g;
		__atomic_store_n(&slots[i].tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&acks, 1, __ATOMIC_RELEASE);
	futex(&acks, FUTEX_WAKE_PRIVATE, 1, NULL);
	/* At or past g: a waiter scheduled late may find later rounds
	 * released too, and must not wait for g alone. */
	for (;;) {
		unsigned r = __atomic_load_n(&released, __ATOMIC_ACQUIRE);

		if ((int)(r - g) >= 0)
			break;
		futex(&released, FUTEX_WAIT_PRIVATE, r, NULL);
	}
	__atomic_fetch_sub(&inside, 1, __ATOMIC_ACQ_REL);
out:
	errno = saved;
}

static int install(void)
{
	struct sigaction sa, old;

	if (installed)
		return 0;
	if (sigaction(pfe_park_signal(), NULL, &old))
		return -errno;
	if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)
		return -EBUSY;
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != park_handler)
		return -EBUSY;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = park_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(pfe_park_signal(), &sa, NULL))
		return -errno;
	installed = 1;
	return 0;
}

/* libpfe's own threads: the control thread, the tracer's writer. */
#define NEXEMPT 4
static pid_t exempt[NEXEMPT];

void pfe_park_exempt(pid_t tid)
{
	for (unsigned i = 0; i < NEXEMPT; i++) {
		pid_t z = 0;

		if (__atomic_compare_exchange_n(&exempt[i], &z, tid, false, __ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return;
	}
}

static bool is_exempt(pid_t tid)
{
	for (unsigned i = 0; i < NEXEMPT; i++)
		if (__atomic_load_n(&exempt[i], __ATOMIC_ACQUIRE) == tid)
			return true;
	return false;
}

/* "/proc/self/task/<tid>/<file>" without snprintf (not known to be free of
 * locks in every libc). */
static const char *task_path(char *end, pid_t tid, const char *file)
{
	char *p = end;
	size_t n = strlen(file);

	*--p = '\0';
	memcpy(p -= n, file, n);
	for (pid_t t = tid; t; t /= 10)
		*--p = (char)('0' + t % 10);
	memcpy(p -= 16, "/proc/self/task/", 16);
	return p;
}

/* A thread that has ended but is still listed: the thread group's leader
 * after pthread_exit in main stays a zombie until the last thread ends. It
 * runs nothing and cannot take a signal. */
bool pfe_park_thread_ended(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd = open(task_path(path + sizeof(path), tid, "/stat"), O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true; /* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static bool known_tid(pid_t tid)
{
	for (size_t i = 0; i < ntids; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

static int send(pid_t pid, pid_t tid, unsigned g)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = pfe_park_signal();
	si.si_code = SI_QUEUE;
	si.si_pid = pid;
	si.si_uid = getuid();
	si.si_value.sival_int = (int)g;
	if (syscall(SYS_rt_tgsigqueueinfo, pid, tid, si.si_signo, &si))
		return -errno;
	return 0;
}

/*
 * qemu-user runs host threads of its own (its RCU thread) that appear in
 * /proc/self/task but never run guest code and keep nearly every host
 * signal blocked, so they cannot park. They are recognised only under qemu
 * (the task's exe, which qemu does not emulate, differs from /proc/self/exe,
 * which it does): a thread that blocks SIGINT, SIGUSR1, SIGTERM, SIGCHLD
 * and SIGBUS at the host level is taken as qemu's. A guest thread's host
 * mask is empty (the guest's own mask is emulated) except at two moments:
 * while qemu emulates a signal call it blocks everything, but the thread
 * then runs qemu's code, not the guest's, and cannot be inside a site; and
 * from the moment qemu's host handler takes our parking signal until the
 * guest handler runs, it blocks everything but SIGSEGV and SIGBUS. A
 * thread preempted there (the machine under load) is on its way to park:
 * SIGBUS in the test keeps it from being taken as qemu's, which parked
 * nothing and let slot 0 be written under it ("0 threads parked"). qemu's
 * own threads block SIGBUS (qemu_thread_create unblocks only SIGSEGV,
 * SIGFPE and SIGILL).
 */
static int under_qemu = -1;

static bool is_qemu(void)
{
	if (under_qemu < 0) {
		char a[256], b[256], path[64];
		ssize_t n, m;

		snprintf(path, sizeof(path), "/proc/self/task/%d/exe", (int)syscall(SYS_gettid));
		n = readlink("/proc/self/exe", a, sizeof(a));
		m = readlink(path, b, sizeof(b));
		under_qemu = n > 0 && m > 0 && (n != m || memcmp(a, b, (size_t)n));
	}
	return under_qemu;
}

static bool qemu_internal(pid_t tid)
{
	char path[64], buf[2048], *p;
	unsigned long long blk = 0;
	const unsigned long long want = 1ULL << (SIGINT - 1) | 1ULL << (SIGUSR1 - 1) |
					1ULL << (SIGTERM - 1) | 1ULL << (SIGCHLD - 1) |
					1ULL << (SIGBUS - 1);
	ssize_t n;
	int fd;

	if (under_qemu != 1)
		return false;
	fd = open(task_path(path + sizeof(path), tid, "/status"), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "SigBlk:");
	if (!p)
		return false;
	for (p += 7; *p == '\t' || *p == ' '; p++)
		;
	for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
		blk = blk << 4 | (unsigned)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	return (blk & want) == want;
}

/* Signal every thread not yet signalled (with @g == 0, only count them);
 * the number found, or -errno. qemu's own threads are recorded as done. */
static int scan(pid_t pid, pid_t self, unsigned g)
{
	char buf[2048];
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), added = 0;
	long n;

	if (fd < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			pid_t tid = 0;
			const char *p;

			off += d->d_reclen;
			for (p = d->d_name; *p >= '0' && *p <= '9'; p++)
				tid = tid * 10 + (*p - '0');
			if (*p || !tid || tid == self || known_tid(tid) || is_exempt(tid) ||
			    pfe_park_thread_ended(tid))
				continue;
			if (ntids == PARK_MAX) {
				close(fd);
				return -E2BIG;
			}
			if (qemu_internal(tid)) {
				done[ntids] = 1;
			} else {
				done[ntids] = g && send(pid, tid, g) == -ESRCH;
				added++;
			}
			tids[ntids++] = tid;
		}
	}
	close(fd);
	return n < 0 ? -EIO : added;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Slot @k says that @tid is parked in this round. */
static bool parked_in(unsigned k, pid_t tid)
{
	return tid && __atomic_load_n(&slots[k].tid, __ATOMIC_ACQUIRE) == tid &&
	       slots[k].gen == __atomic_load_n(&gen, __ATOMIC_RELAXED);
}

/* Every signalled thread is parked or gone; -ETIMEDOUT otherwise. */
static int wait_parked(pid_t pid, uint64_t deadline, pid_t *stuck)
{
	uint64_t slow = now_ms() + 20;

	for (;;) {
		/* Slots are claimed in one order and filled in another. */
		unsigned a = __atomic_load_n(&acks, __ATOMIC_ACQUIRE),
			 n = __atomic_load_n(&claimed, __ATOMIC_ACQUIRE);
		bool all = true;
		struct timespec ts = {0, 2000000};

		if (n > PARK_MAX)
			n = PARK_MAX;
		for (size_t i = 0; i < ntids; i++) {
			if (done[i])
				continue;
			for (unsigned k = 0; k < n && !done[i]; k++)
				done[i] = parked_in(k, tids[i]);
			if (!done[i] && syscall(SYS_tgkill, pid, tids[i], 0) && errno == ESRCH)
				done[i] = 1;
			/* Not done for good: it may leave the grace period
			 * before we finish, and park then. */
			if (!done[i] && waiting_for_gp(tids[i]))
				continue;
			/* Recheck: a guest thread's host mask can be full for a
			 * moment while qemu emulates a signal call. */
			if (!done[i] && now_ms() > slow && qemu_internal(tids[i]))
				done[i] = 1;
			if (!done[i]) {
				all = false;
				*stuck = tids[i];
			}
		}
		if (all)
			return 0;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		futex(&acks, FUTEX_WAIT_PRIVATE, a, &ts);
	}
}

int pfe_park_others(void)
{
	pid_t pid = (pid_t)syscall(SYS_getpid), self = (pid_t)syscall(SYS_gettid), stuck = 0;
	uint64_t deadline = now_ms() + PARK_TIMEOUT_MS;
	unsigned g;
	int n, err;

	is_qemu();
	/* Handlers of the last round that have not returned yet are about to:
	 * let them, so that they do not hold this round's signal pending. */
	for (int i = 0; i < 1000 && __atomic_load_n(&inside, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = {0, 1000000};

		nanosleep(&ts, NULL);
	}
	ntids = 0;
	__atomic_store_n(&claimed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&acks, 0, __ATOMIC_RELAXED);
	g = __atomic_add_fetch(&gen, 1, __ATOMIC_RELEASE);
	/* Before any signal: the default action of a real-time signal kills. */
	err = install();
	if (err) {
		pfe_err("cannot park threads: signal %d is the program's (%s)", pfe_park_signal(),
			strerror(-err));
		return err;
	}
	n = scan(pid, self, g);
	if (n <= 0) {
		pfe_park_release();
		return n;
	}
	for (;;) {
		err = wait_parked(pid, deadline, &stuck);
		if (!err)
			n = scan(pid, self, g);
		if (err || n < 0) {
			pfe_park_release();
			if (!err)
				err = n;
			pfe_err("cannot park the other threads (thread %d did not stop: %s)",
				(int)stuck, strerror(-err));
			return err;
		}
		if (!n)
			return 0;
	}
}

void pfe_park_fork_child(void)
{
	/* Handlers of other threads that were returning at the fork do not
	 * exist in the child. */
	__atomic_store_n(&inside, 0, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < NEXEMPT; i++)
		__atomic_store_n(&exempt[i], 0, __ATOMIC_RELAXED);
}

bool pfe_park_other_threads(void)
{
	int n;

	is_qemu();
	ntids = 0;
	n = scan((pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), 0);
	ntids = 0;
	return n != 0;
}

void pfe_park_release(void)
{
	__atomic_store_n(&released, gen, __ATOMIC_RELEASE);
	futex(&released, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL);
}

void pfe_park_each(void (*fn)(ucontext_t *uc, void *ctx), void *ctx)
{
	unsigned n = __atomic_load_n(&claimed, __ATOMIC_ACQUIRE);

	for (unsigned k = 0; k < n && k < PARK_MAX; k++)
		if (parked_in(k, __atomic_load_n(&slots[k].tid, __ATOMIC_ACQUIRE)))
			fn(slots[k].uc, ctx);
}
