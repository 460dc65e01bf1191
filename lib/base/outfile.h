/* SPDX-License-Identifier: MIT */
/*
 * Every file libpfe creates or writes on the user's behalf (outfile.c):
 * trace output, PFE_LIST, PFE_RECORD files, the control FIFO and its log.
 * One place decides how such a file is opened (flags, mode, which
 * descriptor it gets, which existing files are refused) and how it is
 * written, so that hardening applies to all of them.
 */
#ifndef PFE_OUTFILE_H
#define PFE_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libpfe's descriptors live at or above this number, out of the range a
 * program expects its own open() calls to return; under a soft
 * RLIMIT_NOFILE of PFE_FD_MIN + 16 or less, 16 below the limit. */
#define PFE_FD_MIN 1000

#define PFE_OUT_TRUNC  0x1 /* start empty (else append to what is there) */
#define PFE_OUT_APPEND 0x2 /* O_APPEND: concurrent writers never overwrite */

/*
 * Open @path for writing, creating it with mode 0600; returns a
 * close-on-exec descriptor >= PFE_FD_MIN (when the limit allows), kept
 * (see pfe_fd_keep), or -errno. Refused: a symbolic link (-ELOOP); an
 * existing file or FIFO owned by another user or writable by others
 * (-EPERM); a FIFO nobody reads (-ENXIO: opening it would block); anything
 * but a regular file, FIFO or character device (-EINVAL). The type is
 * checked on the opened descriptor before anything is truncated. Says
 * nothing: the caller names its variable in the one error line, with
 * pfe_output_strerror().
 */
int pfe_output_open(const char *path, unsigned flags);
/* The regular files pfe_output_open opened, as device and inode: slot @i
 * (below PFE_OUTPUT_FILES_MAX) when it holds one. Any thread, no malloc. */
#define PFE_OUTPUT_FILES_MAX 16
bool pfe_output_file(unsigned i, uint64_t *dev, uint64_t *ino);
/*
 * @in with each "%p" replaced by @pid and "%%" by "%" (pidpath.c). Returns
 * 0, or -ENAMETOOLONG when it does not fit in @len (nothing is cut short:
 * a shorter name would be another file).
 */
int pfe_path_expand(char *out, size_t len, const char *in, int pid);
/* The reason for an error of pfe_output_open, for people. */
const char *pfe_output_strerror(int err);

/* The PFE_CONTROL FIFO: created (0600) when missing, opened read-write
 * without following a link; refused when it is not a FIFO (-EINVAL) or
 * belongs to another user or is writable by others (-EPERM). Returns a kept
 * descriptor named @what, opened again when the program closes it, or
 * -errno. */
int pfe_fifo_open(const char *path, const char *what);

/*
 * Keep @fd: move it to a close-on-exec descriptor >= PFE_FD_MIN (closing
 * @fd; @fd itself when none is free) and remember what it refers to
 * (device and inode), so that a program that closes or reuses it is
 * noticed before libpfe uses it again. @what names it in messages (copied).
 * Returns the descriptor, or -errno (@fd closed).
 */
int pfe_fd_keep(int fd, const char *what);
/* pfe_fd_keep without a name. */
int pfe_fd_move_high(int fd);
/* A kept duplicate of @fd at or above PFE_FD_MIN; @fd stays open. */
int pfe_fd_dup_high(int fd, const char *what);

/*
 * 0 when kept descriptor @fd still refers to the file it was opened on, or
 * the program closed it and it was opened again under its number (the trace
 * file in append mode, the control FIFO: same file, same checks as the
 * first open). Else -ESTALE, after one line (once per descriptor) "<what>:
 * descriptor N was closed or reused by the program; ..." or "...was closed
 * by the program and cannot be opened again: <why>; ...": from then on
 * libpfe stops using it. One fstat(2); async-signal-safe. A descriptor not
 * kept passes.
 */
int pfe_fd_check(int fd);
/* Forget and close a kept descriptor (or any other). */
void pfe_fd_close(int fd);

/*
 * Write all @n bytes of @buf to @fd, retrying after EINTR and short writes.
 * A kept descriptor is checked first (pfe_fd_check). SIGPIPE never reaches
 * the program: it is blocked in this thread around the write and, when the
 * write raised it, consumed. The first failure on a kept descriptor says
 * one line ("<what>: ...; no more output there") and every later call fails
 * at once with the same error, without a system call. Returns 0 or -errno
 * (-EPIPE: the reader went away). Async-signal-safe.
 */
int pfe_output_write(int fd, const void *buf, size_t n);

#endif /* PFE_OUTFILE_H */
