/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics. One write(2) per line so that lines from several threads never
 * interleave, and no stdio so that it is safe in signal handlers and before
 * the program's own stdio is set up. Messages repeat what libpfe was given
 * (PFE_* values, control commands, paths): control bytes and invalid UTF-8
 * in them are escaped (sanitize.c), so that they cannot drive the terminal.
 * Written through outfile.c: a stderr that is a closed pipe costs the line,
 * never a SIGPIPE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

static void pfe_vlog(const char *fmt, va_list ap)
{
	char msg[512], line[sizeof(msg) + 16];
	int saved = errno;
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t len;

	if (n < 0)
		n = 0;
	if (n > (int)sizeof(msg) - 1)
		n = sizeof(msg) - 1;
	memcpy(line, "libpfe: ", 8);
	len = 8 + pfe_sanitize(line + 8, sizeof(line) - 9, msg, (size_t)n);
	line[len++] = '\n';
	pfe_output_write(STDERR_FILENO, line, len);
	errno = saved;
}

void pfe_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pfe_vlog(fmt, ap);
	va_end(ap);
}

/* Off until the constructor says: log.c reads no variable itself. */
static bool debug_on;

void pfe_log_set_debug(bool on)
{
	debug_on = on;
}

void pfe_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug_on)
		return;
	va_start(ap, fmt);
	pfe_vlog(fmt, ap);
	va_end(ap);
}
