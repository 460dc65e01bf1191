/* SPDX-License-Identifier: MIT */
/*
 * The tracer's output.
 *
 * Why buffers and not one write(2) per line: measured under qemu-aarch64 on
 * the x86_64 build machine, formatting a line and appending it to the buffer
 * took ~3.1 µs per call and formatting it and writing it with write(2) to
 * /dev/null ~3.9-4.7 µs; in guest instructions the buffer costs ~70 per line
 * (copy plus the amortised write) against ~25 plus a system call. Natively a
 * write(2) costs some hundreds of nanoseconds, several times the rest of the
 * hook. So each thread appends its lines to its own buffer and writes the
 * buffer with one write(2) when the next line would not fit, at thread exit,
 * before fork() and at process exit.
 *
 * Buffers are slots of a fixed pool, not __thread arrays: process exit has to
 * find the unwritten lines of every thread, including threads that are still
 * running or already gone, and a dead thread's static TLS is freed with its
 * stack. A thread claims a slot with one compare-and-swap on its first line
 * and gives it back at thread exit (pthread key destructor); only the slot
 * pointer and the tid live in initial-exec TLS, which needs no allocation
 * and is safe in signal handlers.
 *
 * Each slot has an owner word so that the exit drainer can take a slot from
 * a thread that is still running, without the owner ever blocking on a lock:
 *
 *   IDLE --owner appends--> OWNER --done--> IDLE
 *   IDLE --drainer--> DRAINER --written--> DRAINED (final)
 *
 * An owner that finds DRAINER waits for the drainer's single write(2); one
 * that finds DRAINED writes each line directly, which keeps its order after
 * the drained lines. An owner that finds OWNER was re-entered (a signal in
 * the middle of an append; the dispatcher's recursion guard normally prevents
 * it) and writes directly rather than corrupt the buffer.
 *
 * A buffer holds at most PIPE_BUF bytes, so each write(2) is atomic on a pipe
 * as well as on an O_APPEND file: lines of different threads never mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "outfile.h"
#include "pfe_internal.h"
#include "trace_out.h"

#define NSLOTS 256
static struct pfe_trace_buf slots[NSLOTS];
static unsigned nused; /* slots[0, nused) have ever been claimed */
static int draining;
static int out_fd = -1;
static pthread_key_t exit_key;

__thread struct pfe_trace_buf *pfe_trace_my_buf __attribute__((tls_model("initial-exec")));
__thread uint32_t pfe_trace_my_tid __attribute__((tls_model("initial-exec")));

/* lib/outfile.c checks that out_fd is still ours, keeps SIGPIPE from the
 * program, and on the first failure says so once and stops writing. */
static void write_all(const char *p, size_t n)
{
	pfe_output_write(out_fd, p, n);
}

uint32_t pfe_trace_out_tid(void)
{
	if (!pfe_trace_my_tid)
		pfe_trace_my_tid = (uint32_t)gettid();
	return pfe_trace_my_tid;
}

int pfe_trace_out_fd(void)
{
	return out_fd;
}

static struct pfe_trace_buf *claim_slot(void)
{
	for (unsigned i = 0; i < NSLOTS; i++) {
		struct pfe_trace_buf *s = &slots[i];
		int free_ = 0;
		unsigned n;

		if (!s->data || __atomic_load_n(&s->claimed, __ATOMIC_RELAXED))
			continue;
		if (!__atomic_compare_exchange_n(&s->claimed, &free_, 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		n = __atomic_load_n(&nused, __ATOMIC_RELAXED);
		while (n <= i && !__atomic_compare_exchange_n(&nused, &n, i + 1, false,
							      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			;
		/*
		 * Dekker with the drainer, which sets draining before reading
		 * nused: either it sees this slot, or we see draining.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&draining, __ATOMIC_SEQ_CST))
			return PFE_TRACE_DIRECT;
		/* Without the key's destructor the slot would never come
		 * back; the drain at exit still writes it. */
		pthread_setspecific(exit_key, s);
		return s;
	}
	return PFE_TRACE_DIRECT;
}

static struct pfe_trace_buf *get_slot(void)
{
	if (!pfe_trace_my_buf)
		pfe_trace_my_buf = claim_slot();
	return pfe_trace_my_buf;
}

/* The drainer holds @s: wait for its one write(2). */
__attribute__((noinline, cold)) static bool own_slow(struct pfe_trace_buf *s)
{
	for (;;) {
		int cur = PFE_BUF_IDLE;

		if (__atomic_compare_exchange_n(&s->busy, &cur, PFE_BUF_OWNER, false,
						__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			return true;
		if (cur != PFE_BUF_DRAINER)
			return false;
		sched_yield();
	}
}

/*
 * Take @s for its owner; false when the line must be written directly.
 * Inline LL/SC rather than the out-of-line atomics helpers: no call, so the
 * hook's common path needs no stack frame (nor, with pointer authentication,
 * a PAC/AUT pair).
 */
__attribute__((target("no-outline-atomics"))) static inline bool own(struct pfe_trace_buf *s)
{
	int cur = PFE_BUF_IDLE;

	if (__builtin_expect(__atomic_compare_exchange_n(&s->busy, &cur, PFE_BUF_OWNER, false,
							 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE),
			     1))
		return true;
	return cur == PFE_BUF_DRAINER && own_slow(s);
}

static void release(struct pfe_trace_buf *s)
{
	__atomic_store_n(&s->busy, PFE_BUF_IDLE, __ATOMIC_RELEASE);
}

void pfe_trace_out_write(const char *line, size_t n)
{
	struct pfe_trace_buf *s = get_slot();

	if (s == PFE_TRACE_DIRECT || n > PFE_TRACE_BUF_BYTES || !own(s)) {
		write_all(line, n);
		return;
	}
	if (s->len + n > PFE_TRACE_BUF_BYTES) {
		write_all(s->data, s->len);
		s->len = 0;
	}
	memcpy(s->data + s->len, line, n);
	s->len += n;
	release(s);
}

void pfe_trace_out_flush_owned(struct pfe_trace_buf *s)
{
	write_all(s->data, s->len);
	s->len = 0;
}

/* The thread's first line, a buffer the drainer holds or has taken. */
char *pfe_trace_out_begin_slow(uint32_t *tid)
{
	struct pfe_trace_buf *s;

	*tid = pfe_trace_out_tid();
	s = get_slot();
	if (s == PFE_TRACE_DIRECT || !own(s))
		return NULL;
	if (s->len + PFE_TRACE_LINE_MAX > PFE_TRACE_BUF_BYTES)
		pfe_trace_out_flush_owned(s);
	return s->data + s->len;
}

static void flush_own(struct pfe_trace_buf *s)
{
	if (s == PFE_TRACE_DIRECT || !s || !own(s))
		return;
	write_all(s->data, s->len);
	s->len = 0;
	release(s);
}

/* pthread key destructor: the thread is exiting (return or pthread_exit). */
static void thread_exit(void *arg)
{
	struct pfe_trace_buf *s = arg;

	flush_own(s);
	/* Traced calls from later TSD destructors of this thread. */
	pfe_trace_my_buf = PFE_TRACE_DIRECT;
	if (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE) == PFE_BUF_IDLE)
		__atomic_store_n(&s->claimed, 0, __ATOMIC_RELEASE);
}

void pfe_trace_out_drain(void)
{
	unsigned n;

	if (out_fd < 0)
		return;
	__atomic_store_n(&draining, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = __atomic_load_n(&nused, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < n; i++) {
		struct pfe_trace_buf *s = &slots[i];

		for (int tries = 0;; tries++) {
			int cur = PFE_BUF_IDLE;

			if (__atomic_compare_exchange_n(&s->busy, &cur, PFE_BUF_DRAINER, false,
							__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
				write_all(s->data, s->len);
				s->len = 0;
				__atomic_store_n(&s->busy, PFE_BUF_DRAINED, __ATOMIC_RELEASE);
				break;
			}
			/*
			 * OWNER: a thread is between claiming its buffer and
			 * releasing it, a few hundred instructions. Never wait
			 * for ourselves (exit() from a signal handler that
			 * interrupted an append) and never forever (a stopped
			 * thread): those lines are lost rather than the exit.
			 */
			if (cur == PFE_BUF_DRAINED || s == pfe_trace_my_buf || tries > 1000)
				break;
			sched_yield();
		}
	}
}

static void atfork_prepare(void)
{
	flush_own(pfe_trace_my_buf);
}

/* The child has one thread: the other slots belong to the parent's threads
 * and their lines are the parent's to write. */
static void atfork_child(void)
{
	for (unsigned i = 0; i < NSLOTS; i++) {
		struct pfe_trace_buf *s = &slots[i];

		if (s == pfe_trace_my_buf)
			continue;
		s->len = 0;
		s->busy = draining ? PFE_BUF_DRAINED : PFE_BUF_IDLE;
		s->claimed = 0;
	}
	pfe_trace_my_tid = 0;
}

__attribute__((destructor)) static void pfe_trace_out_fini(void)
{
	pfe_trace_out_drain();
}

int pfe_trace_out_start(const char *path)
{
	int fd;
	char *pool;

	if (out_fd >= 0)
		return -EALREADY;
	/* A new image after execve, or a child, appends to its parent's file. */
	if (path)
		fd = pfe_output_open(path,
				     pfe_follow_out_flags(path, PFE_OUT_TRUNC | PFE_OUT_APPEND));
	else
		fd = pfe_fd_dup_high(STDERR_FILENO, "PFE_OUTPUT (stderr)");
	if (fd < 0)
		return fd;
	if (pthread_key_create(&exit_key, thread_exit) != 0) {
		pfe_fd_close(fd);
		return -EAGAIN;
	}
	/* Without a pool every line is written directly: slower, still correct. */
	pool = mmap(NULL, (size_t)NSLOTS * PFE_TRACE_BUF_BYTES, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pool != MAP_FAILED)
		for (unsigned i = 0; i < NSLOTS; i++)
			slots[i].data = pool + (size_t)i * PFE_TRACE_BUF_BYTES;
	pfe_atfork(atfork_prepare, NULL, atfork_child);
	pfe_atexit(pfe_trace_out_drain);
	out_fd = fd;
	return 0;
}
