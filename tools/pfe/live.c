/* SPDX-License-Identifier: MIT */
/*
 * pfe live: record PROG into a temporary directory, replay it when PROG
 * ends, remove the directory: `uftrace live` for libpfe. -d DIR records into
 * DIR instead and keeps it (an earlier recording there moves to DIR.old, as
 * with pfe record). replay's options apply to the replay; PROG's exit status
 * (or the signal that ended it) is pfe's, so that pfe live fits in scripts.
 * `pfe PROG ...` is the same when PROG is not a subcommand's name (main.c).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfe.h"
#include "util.h"

struct live {
	const char *patterns; /* -f */
	bool entries_only;    /* -e */
	struct replay *r;
};

static int live_opt(void *ctx, int c, const char *arg)
{
	struct live *l = ctx;

	switch (c) {
	case 'f':
		l->patterns = arg;
		return PFE_PROCEED;
	case 'e':
		l->entries_only = true;
		return PFE_PROCEED;
	default:
		return replay_opt(l->r, c, arg);
	}
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * A replay ended by a signal (SIGPIPE: pfe ./app | head; ^C) must not leave
 * the temporary recording behind. nftw and malloc are not for a signal
 * handler, so the paths are listed before the replay (children before their
 * directory) and the handler only calls unlink and rmdir, which are
 * async-signal-safe, then ends pfe with the same signal.
 */
static char **doomed;
static bool *doomed_dir;
static size_t ndoomed, doomed_cap;
static bool guarded;
static const int fatal[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM};
static struct sigaction fatal_old[sizeof(fatal) / sizeof(fatal[0])];

static int list_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ndoomed == doomed_cap) {
		doomed_cap = doomed_cap ? doomed_cap * 2 : 64;
		doomed = xrealloc(doomed, doomed_cap * sizeof(*doomed));
		doomed_dir = xrealloc(doomed_dir, doomed_cap * sizeof(*doomed_dir));
	}
	doomed_dir[ndoomed] = flag == FTW_DP;
	doomed[ndoomed++] = xstrdup(path);
	return 0;
}

static void remove_and_die(int sig)
{
	for (size_t i = 0; i < ndoomed; i++)
		if (doomed_dir[i])
			rmdir(doomed[i]);
		else
			unlink(doomed[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard_tmp(const char *dir, bool on)
{
	struct sigaction sa = {.sa_handler = remove_and_die};

	if (on) {
		ndoomed = 0;
		if (nftw(dir, list_entry, 16, FTW_DEPTH | FTW_PHYS))
			return; /* then only the normal removal */
		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
			sigaction(fatal[i], NULL, &fatal_old[i]);
			if (fatal_old[i].sa_handler != SIG_IGN) /* nohup's stays ignored */
				sigaction(fatal[i], &sa, NULL);
		}
		guarded = true;
		return;
	}
	for (size_t i = 0; guarded && i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &fatal_old[i], NULL);
	guarded = false;
	for (size_t i = 0; i < ndoomed; i++)
		free(doomed[i]);
	free(doomed);
	free(doomed_dir);
	doomed = NULL;
	doomed_dir = NULL;
	ndoomed = doomed_cap = 0;
}

int cmd_live(int argc, char **argv)
{
	char shorts[64], tmp[PATH_MAX];
	struct live l = {"*", false, replay_new()};
	const char *tmpdir = getenv("TMPDIR");
	struct pfe_opts o;
	bool keep;
	int ret, status = 0;

	pfe_opts_init(&o, "live");
	o.dir = NULL;
	o.takes_args = true;
	snprintf(shorts, sizeof(shorts), "f:e%s", replay_shortopts);
	ret = pfe_getopt(&o, argc, argv, shorts, replay_longopts, live_opt, &l);
	if (ret == PFE_PROCEED && o.argi >= argc)
		ret = usage_error("live", "expected a program to run");
	if (ret != PFE_PROCEED) {
		replay_free(l.r);
		return ret;
	}
	keep = o.dir;
	if (!keep) {
		snprintf(tmp, sizeof(tmp), "%s/pfe-live.XXXXXX",
			 tmpdir && *tmpdir ? tmpdir : "/tmp");
		if (!mkdtemp(tmp)) {
			pfe_say("live: cannot create %s: %s (expected a writable TMPDIR)", tmp,
				strerror(errno));
			replay_free(l.r);
			return 1;
		}
		o.dir = tmp;
	}
	ret = record_run(o.dir, l.patterns, l.entries_only, RECORD_WAIT_DEFAULT, argv + o.argi,
			 &status);
	if (ret == PFE_PROCEED) {
		if (!keep)
			guard_tmp(tmp, true);
		ret = replay_run(l.r, &o);
		fflush(stdout); /* a closed pipe shows now, while guarded */
		if (!keep)
			guard_tmp(tmp, false);
	} else
		status = -1; /* PROG did not run: no replay */
	replay_free(l.r);
	if (!keep && nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS))
		pfe_say("live: cannot remove %s: %s", tmp, strerror(errno));
	if (status == -1)
		return ret;
	fflush(NULL);
	/* A replay that failed (its line is on stderr) is not PROG's success. */
	if (ret && WIFEXITED(status) && !WEXITSTATUS(status))
		return ret;
	return record_pass_status(status);
}
