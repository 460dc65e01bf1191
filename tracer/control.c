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
 * PFE_CONTROL_LOG=<path> appends one line per command: "ok <command>" or
 * "error <command>: <reason>" (for scripts that must know when a command has
 * taken effect); without it only errors are said, on stderr. Commands are
 * shown escaped (control bytes and invalid UTF-8 as \xNN).
 *
 * Input rules: a command is at most 4,095 bytes; a longer line is answered
 * with one error and discarded whole, up to and including its newline. A
 * line with a NUL byte is answered with an error and not run. The FIFO must
 * belong to the process's user and not be writable by others (outfile.c):
 * else another user could feed it commands (`list <path>` truncates files).
 *
 * Why a thread and a FIFO rather than a signal: attaching takes the patch
 * lock, allocates and waits for grace periods, none of which a signal
 * handler may do. The thread exists only when PFE_CONTROL is set; it blocks
 * every signal (the program's handlers run in the program's threads), runs
 * no code of the program, and is therefore not parked when objects are
 * loaded (park.c). It does not survive fork(): a child is not controlled.
 *
 * A program that closes every descriptor (daemons) closes the FIFO's too:
 * it is opened again under its number where its path still names the same
 * FIFO (outfile.c), and commands go on; else one line says why they stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctlcmd.h"
#include "interpose.h"
#include "tracer.h"

/* The longest command; a longer line is discarded whole. */
#define CMD_MAX 4095

static int ctl_fd = -1;
static const char *ctl_log;

/*
 * Answer @cmd (@n bytes, not NUL-terminated): "ok <cmd>" or "error <cmd>:
 * <why>" appended to PFE_CONTROL_LOG, or errors only on stderr. The command
 * is escaped (sanitize.c): it may hold any byte.
 */
static void reply(const char *cmd, size_t n, int err, const char *why)
{
	char shown[4 * CMD_MAX + 8], line[sizeof(shown) + 128];
	int len, fd;

	pfe_sanitize(shown, sizeof(shown), cmd, n);
	if (err && !why)
		why = strerror(-err);
	if (!ctl_log) {
		if (err)
			pfe_err("PFE_CONTROL: %.200s%s: %s", shown,
				strlen(shown) > 200 ? "..." : "", why);
		return;
	}
	if (err)
		len = snprintf(line, sizeof(line), "error %s: %s\n", shown, why);
	else
		len = snprintf(line, sizeof(line), "ok %s\n", shown);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	fd = pfe_output_open(ctl_log, PFE_OUT_APPEND);
	if (fd < 0) {
		pfe_err_once("PFE_CONTROL_LOG=%s: cannot open: %s", ctl_log,
			     pfe_output_strerror(fd));
		return;
	}
	/* A failed write has been said by outfile.c. */
	pfe_output_write(fd, line, (size_t)len);
	pfe_fd_close(fd);
}

/* Run @cmd (ctlcmd.c parses it); 0 or -errno, and in *@why a reason
 * better than strerror's. */
static int run(char *cmd, const char **why)
{
	static char buf[256]; /* the control thread's only */
	static uint64_t min_ns;
	static unsigned depth;
	struct pfe_ctl_cmd c;
	int err;

	buf[0] = '\0';
	if (pfe_ctl_parse(cmd, &c, buf, sizeof(buf))) {
		*why = buf;
		return -EINVAL;
	}
	switch (c.op) {
	case PFE_CTL_NONE:
		return 0;
	case PFE_CTL_TRACE:
		err = pfe_trace_set(c.arg, buf, sizeof(buf));
		break;
	case PFE_CTL_TRACE_OFF:
		return pfe_trace_stop();
	case PFE_CTL_GRAPH:
		err = pfe_trace_set_mode((int)c.value, false);
		if (err == -ENOTSUP)
			*why = "PFE_RECORD records in the mode it started with";
		return err;
	case PFE_CTL_SUMMARY:
		err = pfe_trace_set_summary(c.value != 0);
		if (err == -ENOTSUP)
			*why = "PFE_RECORD records in the mode it started with";
		return err;
	case PFE_CTL_SUMMARY_NOW:
		err = pfe_trace_summary_now();
		if (err == -ENOENT)
			*why = "not in summary mode (summary on)";
		return err;
	case PFE_CTL_DEPTH:
		depth = (unsigned)c.value;
		pfe_trace_set_filters(min_ns, depth);
		return 0;
	case PFE_CTL_MIN_DURATION:
		min_ns = c.value;
		pfe_trace_set_filters(min_ns, depth);
		return 0;
	case PFE_CTL_LIST:
		/* Opened as outfile.c allows: no link, no file of another user. */
		err = pfe_list_sites(c.arg ? c.arg : "1", "PFE_CONTROL list");
		if (err && c.arg)
			*why = pfe_output_strerror(err);
		return err;
	default:
		return -EINVAL;
	}
	if (err && buf[0])
		*why = buf;
	return err;
}

/* One line without its newline. Blank lines and # comments are no commands
 * and get no answer; every other line gets one. */
static void command(const char *line, size_t n)
{
	char cmd[CMD_MAX + 1];
	const char *why = NULL;
	size_t i = 0;
	int err;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	line += i;
	n -= i;
	if (!n || line[0] == '#')
		return;
	if (memchr(line, '\0', n)) {
		reply(line, n, -EINVAL, "contains a NUL byte; ignored");
		return;
	}
	memcpy(cmd, line, n);
	cmd[n] = '\0';
	err = run(cmd, &why);
	reply(line, n, err, why);
}

static void *control_main(void *arg)
{
	char buf[CMD_MAX + 1]; /* a command and its newline */
	size_t have = 0;
	bool discarding = false; /* inside a line longer than CMD_MAX */

	/* Everything this thread runs is libpfe's work: never traced. */
	pfe_guard_enter();
	pfe_park_exempt((pid_t)syscall(SYS_gettid));
	for (;;) {
		size_t start = 0;
		bool lost;
		ssize_t n;
		char *nl;

		/* The program may have closed our descriptor and opened one
		 * of its files under that number (outfile.c says so). */
		if (pfe_fd_check(ctl_fd))
			return NULL;
		n = read(ctl_fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		/* Closed between the check and the read: the check opens it
		 * again, or says in its line why not. */
		if (n < 0 && errno == EBADF) {
			if (pfe_fd_check(ctl_fd))
				return NULL;
			if (fcntl(ctl_fd, F_GETFD) >= 0)
				continue;
			errno = EBADF;
		}
		if (n <= 0) {
			pfe_err("PFE_CONTROL: read failed: %s; no more commands",
				n ? strerror(errno) : "end of file");
			return NULL;
		}
		/* A read blocked when the program closed the descriptor goes
		 * on with the FIFO and returns what a writer sent; leaving it
		 * dropped the FIFO's last reader, and a writer's next write
		 * would fail (EPIPE) or its open wait: open it again at once
		 * (outfile.c, when the path still names it), before the
		 * commands, which may take long. What was read came through
		 * the FIFO: it runs either way. */
		lost = pfe_fd_check(ctl_fd) != 0;
		have += (size_t)n;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t len = (size_t)(nl - (buf + start));

			/* The tail of a discarded line is no command. */
			if (!discarding)
				command(buf + start, len);
			discarding = false;
			start += len + 1;
		}
		have -= start;
		memmove(buf, buf + start, have);
		if (have == sizeof(buf)) {
			if (!discarding)
				reply(buf, 60, -E2BIG, "longer than 4095 bytes; discarded whole");
			discarding = true;
			have = 0;
		}
		if (lost)
			return NULL;
	}
}

static void control_start(void)
{
	const char *path = pfe_env("PFE_CONTROL");
	char what[160];
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (!path || !*path)
		return;
	ctl_log = pfe_env("PFE_CONTROL_LOG");
	if (ctl_log && !*ctl_log)
		ctl_log = NULL;
	snprintf(what, sizeof(what), "PFE_CONTROL=%s", path);
	ctl_fd = pfe_fifo_open(path, what);
	if (ctl_fd < 0) {
		pfe_err("PFE_CONTROL=%s: %s; no runtime control", path,
			ctl_fd == -EINVAL ? "not a FIFO (refused)" : pfe_output_strerror(ctl_fd));
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
		pfe_fd_close(ctl_fd);
		ctl_fd = -1;
	}
}

/* A client of the core of its own, registered after the tracer's (a
 * constructor of the next priority runs later, and clients are told in
 * registration order), so that the control thread starts once PFE_TRACE is
 * attached, and trace.c and control.c do not call each other. */
static const struct pfe_client control_client = {
    .name = "control",
    .ready = control_start,
};

__attribute__((constructor(PFE_CLIENT_PRIORITY + 1))) static void control_register(void)
{
	pfe_client_register(&control_client);
}
