/* SPDX-License-Identifier: MIT */
/* The pfe command: one function per subcommand (record.c, replay.c, ...). */
#ifndef PFE_TOOL_H
#define PFE_TOOL_H

#include <stdbool.h>

#define PFE_DEFAULT_DIR "pfe.data"

/* Options every reading subcommand takes. */
struct pfe_opts {
	const char *dir; /* -d, default pfe.data */
	bool demangle;	 /* --no-demangle clears it */
};

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_info(int argc, char **argv);

/* The error line for an unknown option or a missing argument, and status 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
