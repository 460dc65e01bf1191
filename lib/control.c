/* SPDX-License-Identifier: MIT */
/*
 * Runtime control: PFE_CONTROL=<path> names a FIFO (created when missing)
 * that a libpfe thread reads, one command per line:
 *
 *   trace <patterns>   trace these functions from now on (PFE_TRACE's
 *                      language), replacing the patterns in force; the
 *                      output is PFE_OUTPUT's, opened on first use
 *   trace off          stop tracing (the output stays open)
 *   list [<path>]      the PFE_LIST listing, to <path> or stderr
 *
 * e.g.  mkfifo /tmp/pfe; PFE_CONTROL=/tmp/pfe ... ./app &
 *       echo 'trace worker*' >/tmp/pfe; ...; echo 'trace off' >/tmp/pfe
 *
 * PFE_CONTROL_LOG=<path> appends one line per command executed: "ok
 * <command>" or "error <command>: <reason>" (for scripts that must know when
 * a command has taken effect); without it only errors are said, on stderr.
 *
 * Why a thread and a FIFO rather than a signal: attaching takes the patch
 * lock, allocates and waits for grace periods, none of which a signal
 * handler may do. The thread exists only when PFE_CONTROL is set; it blocks
 * every signal (the program's handlers run in the program's threads), runs
 * no code of the program, and is therefore not parked when objects are
 * loaded (park.c). It does not survive fork(): a child is not controlled.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "env.h"
#include "live.h"
#include "park.h"
#include "outfile.h"
#include "guard.h"
#include "pfe_internal.h"

static int ctl_fd = -1;
static const char *ctl_log;

static void reply(const char *cmd, int err)
{
	char line[600];
	int n, fd;

	if (err)
		n = snprintf(line, sizeof(line), "error %s: %s\n", cmd, strerror(-err));
	else
		n = snprintf(line, sizeof(line), "ok %s\n", cmd);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (!ctl_log) {
		if (err)
			pfe_err("PFE_CONTROL: %.*s", n - 1, line);
		return;
	}
	fd = pfe_output_open(ctl_log, PFE_OUT_APPEND);
	if (fd < 0) {
		pfe_err_once("PFE_CONTROL_LOG=%s: cannot open: %s", ctl_log, strerror(-fd));
		return;
	}
	if (pfe_output_write(fd, line, (size_t)n))
		pfe_err_once("PFE_CONTROL_LOG=%s: short write", ctl_log);
	close(fd);
}

static void run(char *cmd)
{
	int err;

	while (*cmd == ' ' || *cmd == '\t')
		cmd++;
	if (!*cmd || *cmd == '#')
		return;
	if (!strcmp(cmd, "trace off")) {
		err = pfe_trace_stop();
	} else if (!strncmp(cmd, "trace ", 6)) {
		err = pfe_trace_set(cmd + 6);
	} else if (!strcmp(cmd, "list")) {
		pfe_list_sites("1");
		err = 0;
	} else if (!strncmp(cmd, "list ", 5)) {
		pfe_list_sites(cmd + 5);
		err = 0;
	} else {
		err = -EINVAL;
	}
	reply(cmd, err);
}

static void *control_main(void *arg)
{
	char buf[4096];
	size_t have = 0;

	/* Everything this thread runs is libpfe's work: never traced. */
	pfe_guard_enter();
	pfe_park_exempt((pid_t)syscall(SYS_gettid));
	for (;;) {
		ssize_t n = read(ctl_fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pfe_err("PFE_CONTROL: read failed: %s; no more commands",
				n ? strerror(errno) : "end of file");
			return NULL;
		}
		have += (size_t)n;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			run(line);
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) {
			pfe_err("PFE_CONTROL: command longer than %zu bytes ignored", have);
			have = 0;
		}
	}
}

void pfe_control_start(void)
{
	const char *path = pfe_env("PFE_CONTROL");
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	struct stat st;
	int err;

	if (!path || !*path)
		return;
	ctl_log = pfe_env("PFE_CONTROL_LOG");
	if (ctl_log && !*ctl_log)
		ctl_log = NULL;
	if (mkfifo(path, 0600) && errno != EEXIST) {
		pfe_err("PFE_CONTROL=%s: cannot create the FIFO: %s", path, strerror(errno));
		return;
	}
	/* Read and write: never blocks in open, never sees end of file when a
	 * writer goes away. */
	ctl_fd = open(path, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0 || fstat(ctl_fd, &st) || !S_ISFIFO(st.st_mode)) {
		pfe_err("PFE_CONTROL=%s: %s", path, ctl_fd < 0 ? strerror(errno) : "not a FIFO");
		if (ctl_fd >= 0)
			close(ctl_fd);
		ctl_fd = -1;
		return;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, control_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pfe_err("PFE_CONTROL=%s: cannot start the control thread: %s", path, strerror(err));
		close(ctl_fd);
		ctl_fd = -1;
	}
}
