/* SPDX-License-Identifier: MIT */
/*
 * The tracer's output: per-thread buffers written with one write(2) each,
 * drained at thread exit, fork and process exit. See trace_out.c.
 */
#ifndef PFE_TRACE_OUT_H
#define PFE_TRACE_OUT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Open @path (NULL: a duplicate of stderr) and set up the buffers. Call once,
 * from the constructor, before the hook is attached. Returns 0 or -errno.
 */
int pfe_trace_out_start(const char *path);

/* The calling thread's id, cached; async-signal-safe. */
uint32_t pfe_trace_out_tid(void);

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
