/* SPDX-License-Identifier: MIT */
/* Files libpfe writes on the user's behalf (outfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "outfile.h"
#include "pfe_internal.h"

int pfe_fd_move_high(int fd)
{
	int hi;

	if (fd < 0 || fd >= PFE_FD_MIN)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, PFE_FD_MIN);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

int pfe_output_open(const char *path, unsigned flags)
{
	int oflags = O_WRONLY | O_CREAT | O_CLOEXEC;
	int fd;

	if (flags & PFE_OUT_TRUNC)
		oflags |= O_TRUNC;
	if (flags & PFE_OUT_APPEND)
		oflags |= O_APPEND;
	fd = open(path, oflags, 0644);
	if (fd < 0)
		return -errno;
	fd = pfe_fd_move_high(fd);
	/* Children and new images append to it (follow.c). */
	pfe_follow_note(fd);
	return fd;
}

int pfe_output_write(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
