/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics. One write(2) per line so that lines from several threads never
 * interleave, and no stdio so that it is safe in signal handlers and before
 * the program's own stdio is set up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "env.h"
#include "pfe_internal.h"

static void pfe_vlog(const char *fmt, va_list ap)
{
	char line[512];
	int saved = errno;
	int n = snprintf(line, sizeof(line), "libpfe: ");

	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		;
	errno = saved;
}

void pfe_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pfe_vlog(fmt, ap);
	va_end(ap);
}

void pfe_debug(const char *fmt, ...)
{
	static int on = -1;
	va_list ap;

	if (on < 0)
		on = pfe_env_bool("PFE_DEBUG", false);
	if (!on)
		return;
	va_start(ap, fmt);
	pfe_vlog(fmt, ap);
	va_end(ap);
}
