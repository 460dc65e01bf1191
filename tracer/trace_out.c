/* SPDX-License-Identifier: MIT */
/*
 * Where PFE_TRACE text goes: the descriptor, opened once per process image.
 * The lines themselves are formatted and written by the tracer's writer
 * (trace_rec.c), in batches of at most PIPE_BUF bytes, so that each write(2)
 * is atomic on a pipe as well as on an O_APPEND file and lines of different
 * threads never mix.
 */
#include <errno.h>
#include <unistd.h>

#include "interpose.h"
#include "trace_out.h"

static int out_fd = -1;

int pfe_trace_out_fd(void)
{
	return out_fd;
}

int pfe_trace_out_start(const char *path)
{
	int fd;

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
	out_fd = fd;
	return 0;
}

int pfe_trace_out_reopen(const char *path)
{
	int fd = pfe_output_open(path, pfe_follow_out_flags(path, PFE_OUT_TRUNC | PFE_OUT_APPEND));

	if (fd < 0)
		return fd;
	if (out_fd >= 0)
		pfe_fd_close(out_fd);
	out_fd = fd;
	return 0;
}
