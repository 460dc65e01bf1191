/* SPDX-License-Identifier: MIT */
/* The pfe command: one function per subcommand (record.c, replay.c, ...). */
#ifndef PFE_TOOL_H
#define PFE_TOOL_H

#include <getopt.h>
#include <stdbool.h>

#define PFE_DEFAULT_DIR "pfe.data"

struct rd_recording;

/* Options every reading subcommand takes (opts.c). */
struct pfe_opts {
	const char *cmd; /* the subcommand, for messages */
	const char *dir; /* -d, default pfe.data */
	bool demangle;	 /* --no-demangle clears it */
	bool takes_args; /* arguments follow the options (a program to run) */
	int argi;	 /* then: the index of the first one */
};

/* getopt values of long options without a short one: beyond any character. */
enum {
	PFE_OPT_NO_DEMANGLE = 256,
	PFE_OPT_TID,
	PFE_OPT_FLAT,
	PFE_OPT_DIFF,
	PFE_OPT_CALLERS,
	PFE_OPT_PERFETTO,
};

/* pfe_getopt's "go on" result; anything else is the command's exit status. */
#define PFE_PROCEED (-1)

/* A subcommand's own option @c with its argument @arg (or NULL): PFE_PROCEED,
 * or an exit status (2 after a usage_error). */
typedef int (*pfe_opt_fn)(void *ctx, int c, const char *arg);

void pfe_opts_init(struct pfe_opts *o, const char *cmd);

/*
 * Parse @argv: -d DIR, --no-demangle and --help (the usage on stdout, status
 * 0) here, the command's @shortopts/@longopts through @fn. An unknown option,
 * a missing argument or (unless o->takes_args) an argument is a usage error.
 * Returns PFE_PROCEED, or the status to exit with.
 */
int pfe_getopt(struct pfe_opts *o, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, pfe_opt_fn fn, void *ctx);

/* rd_open of o->dir: 0, or 1 (the status) after the reader's one error line. */
int pfe_open_recording(const struct pfe_opts *o, struct rd_recording *rec);

/*
 * record.c: run @argv (PROG and its arguments, NULL-terminated) with libpfe
 * recording into @dir. PFE_PROCEED with PROG's wait status in *@wstatus, or
 * the status to exit with when PROG could not run (after one error line).
 * Returns when every process of the recording has ended (PROG's children
 * that outlive it, daemons), or @wait_s seconds after PROG when some have
 * not (one line names them).
 */
#define RECORD_WAIT_DEFAULT 60
int record_run(const char *dir, const char *patterns, bool entries_only, unsigned wait_s,
	       char **argv, int *wstatus);
/* End as PROG ended: its exit status, or the same signal (no core file). */
int record_pass_status(int wstatus);
/* PROG as execvp would find it, in @out: 0 or -errno. */
int find_program(const char *prog, char *out, size_t len);

/* replay.c's options and run, also for pfe live. */
struct replay;
extern const char replay_shortopts[];
extern const struct option replay_longopts[];
struct replay *replay_new(void);
int replay_opt(void *replay, int c, const char *arg);
int replay_run(struct replay *r, const struct pfe_opts *o);
void replay_free(struct replay *r);

/* perfetto.c: pfe dump --perfetto of @rec on stdout: 0, or -1 after one line. */
int dump_perfetto(struct rd_recording *rec);

/* The usage text of `pfe --help` (main.c). */
extern const char pfe_usage[];

int cmd_record(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_info(int argc, char **argv);

/* The error line for an unknown option or a missing argument, and status 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
