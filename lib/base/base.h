/* SPDX-License-Identifier: MIT */
/*
 * lib/base: what every other part of libpfe stands on. Nothing here knows
 * of sites, hooks or the tracer. Everything is hidden: only pfe.h is
 * exported (pfe.map). Internal calls return 0 or -errno.
 *
 *   log.c       one-line diagnostics on stderr
 *   env.c       PFE_* variables: secure_getenv, strict values (env.h)
 *   envparse.c  booleans, sizes, durations, PFE_GRAPH's values (pure, envparse.h)
 *   outfile.c   every file libpfe creates or writes; kept descriptors (outfile.h)
 *   pidpath.c   "%p" in a path as the writing process's id (pure, outfile.h)
 *   saferead.c  fault-safe reads of the program's memory (saferead.h)
 *   sanitize.c  control bytes and invalid UTF-8 escaped in messages (pure)
 *   glibc.c     atexit/atfork registration without libc_nonshared.a
 *   guard.h     the recursion guard around libpfe's own entry points
 *   thread.c    libpfe's per-thread words, in one TLS block (thread.h)
 */
#ifndef PFE_BASE_H
#define PFE_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "guard.h"
#include "outfile.h"
#include "saferead.h"
#include "sanitize.h"
#include "thread.h"

/* ------------------------------------------------------------------ log.c */
/* "libpfe: <msg>\n" written with one write(2) to stderr; async-signal-safe. */
void pfe_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only when PFE_DEBUG is set (pfe_log_set_debug). */
void pfe_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The constructor says whether PFE_DEBUG is on: log.c reads no variable. */
void pfe_log_set_debug(bool on);
/* Say it once per call site for the life of the process. */
#define pfe_err_once(...)                                                                          \
	do {                                                                                       \
		static int pfe_said_;                                                              \
		if (!__atomic_exchange_n(&pfe_said_, 1, __ATOMIC_RELAXED))                         \
			pfe_err(__VA_ARGS__);                                                      \
	} while (0)

/* ------------------------------------------------------------ glibc.c */
/* atexit(3) and pthread_atfork(3) without libc_nonshared.a (see glibc.c). */
int pfe_atexit(void (*fn)(void));
int pfe_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/* The page size, read once (getauxval, never a system call on the fast
 * path). */
size_t pfe_page_size(void);

#endif /* PFE_BASE_H */
