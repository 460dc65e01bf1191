/* SPDX-License-Identifier: MIT */
/*
 * The tracer's output: per-thread buffers written with one write(2) each,
 * drained at thread exit, fork and process exit. See trace_out.c.
 */
#ifndef PFE_TRACE_OUT_H
#define PFE_TRACE_OUT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_fmt.h"

/*
 * Open @path (NULL: a duplicate of stderr) and set up the buffers. Call once,
 * from the constructor, before the hook is attached. Returns 0 or -errno.
 */
int pfe_trace_out_start(const char *path);

/* The calling thread's id, cached; async-signal-safe. */
uint32_t pfe_trace_out_tid(void);

/* One thread's buffer (trace_out.c explains the states); here for the
 * inline fast path below. */
enum { PFE_BUF_IDLE, PFE_BUF_OWNER, PFE_BUF_DRAINER, PFE_BUF_DRAINED };

struct pfe_trace_buf {
	int claimed; /* 0 free, 1 owned by a thread */
	int busy;    /* PFE_BUF_* */
	uint32_t len;
	char *data; /* PFE_TRACE_BUF_BYTES in the mmap'ed pool */
} __attribute__((aligned(64)));

/* At most PIPE_BUF: each write(2) of a buffer is atomic even on a pipe. */
#define PFE_TRACE_BUF_BYTES PIPE_BUF
/* A thread without a buffer writes each line directly. */
#define PFE_TRACE_DIRECT ((struct pfe_trace_buf *)1)

extern __thread struct pfe_trace_buf *pfe_trace_my_buf __attribute__((tls_model("initial-exec")));
extern __thread uint32_t pfe_trace_my_tid __attribute__((tls_model("initial-exec")));

char *pfe_trace_out_begin_slow(uint32_t *tid);
void pfe_trace_out_flush_owned(struct pfe_trace_buf *b);

/*
 * Reserve room for one line (PFE_TRACE_LINE_MAX bytes) in the calling
 * thread's buffer and set *@tid. Returns where to format the line, to be
 * followed by pfe_trace_out_commit() with its length; or NULL when this
 * thread writes its lines directly (pfe_trace_out_write). Lock-free,
 * malloc-free, async-signal-safe.
 *
 * Inline, with the slow paths out of line, so that the tracer's hook is one
 * function with one frame; callers should be compiled with
 * target("no-outline-atomics") so that the CAS is inline LL/SC too.
 */
static inline char *pfe_trace_out_begin(uint32_t *tid)
{
	struct pfe_trace_buf *b = pfe_trace_my_buf;
	int cur = PFE_BUF_IDLE;

	if (__builtin_expect(!b || b == PFE_TRACE_DIRECT || !pfe_trace_my_tid, 0) ||
	    !__atomic_compare_exchange_n(&b->busy, &cur, PFE_BUF_OWNER, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE))
		return pfe_trace_out_begin_slow(tid);
	*tid = pfe_trace_my_tid;
	if (__builtin_expect(b->len + PFE_TRACE_LINE_MAX > PFE_TRACE_BUF_BYTES, 0))
		pfe_trace_out_flush_owned(b);
	return b->data + b->len;
}

static inline void pfe_trace_out_commit(size_t n)
{
	struct pfe_trace_buf *b = pfe_trace_my_buf;

	b->len += (uint32_t)n;
	__atomic_store_n(&b->busy, PFE_BUF_IDLE, __ATOMIC_RELEASE);
}

/*
 * Append one complete line for the calling thread. Lock-free, malloc-free,
 * async-signal-safe; lines of one thread reach the file in the order given.
 */
void pfe_trace_out_write(const char *line, size_t n);

/* Write every thread's buffered lines and switch to one write(2) per line.
 * Called at process exit; safe to call more than once. */
void pfe_trace_out_drain(void);

/* The output file descriptor, or -1 before start. For tests. */
int pfe_trace_out_fd(void);

#endif /* PFE_TRACE_OUT_H */
