/* SPDX-License-Identifier: MIT */
/*
 * Every file libpfe creates or writes on the user's behalf (outfile.c):
 * trace output, PFE_LIST, PFE_RECORD files, the control log. One place
 * decides how such a file is opened (flags, mode, which descriptor it gets)
 * and how it is written, so that hardening applies to all of them.
 */
#ifndef PFE_OUTFILE_H
#define PFE_OUTFILE_H

#include <stddef.h>

/* libpfe's descriptors live at or above this number, out of the range a
 * program expects its own open() calls to return. */
#define PFE_FD_MIN 200

#define PFE_OUT_TRUNC  0x1 /* start empty (else append to what is there) */
#define PFE_OUT_APPEND 0x2 /* O_APPEND: concurrent writers never overwrite */

/* Open @path for writing, creating it; returns a close-on-exec descriptor
 * >= PFE_FD_MIN (when the limit allows) or -errno. Says nothing: the caller
 * names its variable in the one error line. */
int pfe_output_open(const char *path, unsigned flags);

/* A close-on-exec duplicate of @fd at or above PFE_FD_MIN (closing @fd), or
 * @fd itself when none is free. */
int pfe_fd_move_high(int fd);

/* Write all @n bytes of @buf to @fd, retrying after EINTR and short
 * writes. Returns 0 or -errno. Async-signal-safe. */
int pfe_output_write(int fd, const void *buf, size_t n);

#endif /* PFE_OUTFILE_H */
