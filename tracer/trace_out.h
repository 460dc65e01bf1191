/* SPDX-License-Identifier: MIT */
/*
 * Where PFE_TRACE text goes (trace_out.c).
 */
#ifndef PFE_TRACE_OUT_H
#define PFE_TRACE_OUT_H

/*
 * Open @path (NULL: a duplicate of stderr) with a high, close-on-exec
 * descriptor: truncated, or appended to when an earlier image of this
 * process or its parent writes there (follow.c). Once; returns 0 or -errno
 * (-EALREADY the second time).
 */
int pfe_trace_out_start(const char *path);

/* A fork child's own file @path, opened as pfe_trace_out_start opens it,
 * in place of its parent's. 0 or -errno (the old one kept). */
int pfe_trace_out_reopen(const char *path);

/* The output file descriptor, or -1 before start. */
int pfe_trace_out_fd(void);

#endif /* PFE_TRACE_OUT_H */
