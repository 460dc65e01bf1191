/* SPDX-License-Identifier: MIT */
/*
 * A program that does what daemons and careless programs do to libpfe's
 * descriptors and signals (tests/integ/t_harden.sh). Built with
 * -fpatchable-function-entry=2; f() is the traced function.
 *
 *   first DATA        open DATA: prints the descriptor it got
 *   closeall DATA FILLER FIFO LOG ERR
 *                     send "trace f" into FIFO and wait for LOG's answer,
 *                     close 3-1023, open DATA (prints the descriptor, writes
 *                     "mine"), fill every free descriptor up to 1022 with
 *                     FILLER (O_RDWR|O_APPEND), call f("hello") 200 times,
 *                     send "trace off", wait for its answer and for libpfe's
 *                     line in ERR (its stderr), call f again, then print
 *                     what DATA holds
 *   reopen FIFO LOG   send "trace f(str)" into FIFO and wait for LOG's
 *                     answer, close 3 and up (close_range), call f("a")
 *                     3 times, send "trace off", call f("b"), send
 *                     "trace f(str)" again, call f("c"): each command
 *                     through a new open() of FIFO, waiting for its answer
 *   replace FIFO LOG ERR fifo|file|chmod|link
 *                     send "trace f(str)" and wait for its answer, close 3
 *                     and up, open FIFO for writing (libpfe's read keeps
 *                     the old FIFO open), replace FIFO by a new FIFO, a
 *                     regular file, or a symbolic link to it (moved to
 *                     FIFO.moved), or make it writable by others, send
 *                     "trace off" through the descriptor held, wait for its
 *                     answer and for libpfe's line in ERR (its stderr),
 *                     then try to send "trace f(str)" by the path
 *   loop N STATUS     call f("x") N times, then exit with STATUS
 *   ctl FIFO LOG CMDS N  write the bytes of file CMDS into FIFO and wait
 *                     until LOG has N lines; call f once before and after
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOINL __attribute__((noinline, noclone))

static volatile long sink;

NOINL int f(const char *s)
{
	sink += s[0];
	return (int)strlen(s);
}

static void say(const char *fmt, long v)
{
	char b[128];
	int n = snprintf(b, sizeof(b), fmt, v);

	/* stdout may be one of the descriptors just closed: write to 1. */
	if (write(1, b, (size_t)n) != n)
		exit(3);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Wait until the file @path holds @text (up to 20 s). */
static int wait_for(const char *path, const char *text)
{
	for (int i = 0; i < 800; i++) {
		char l[4096] = "";
		int lf = open(path, O_RDONLY), found = 0;

		if (lf >= 0) {
			found = read(lf, l, sizeof(l) - 1) > 0 && strstr(l, text);
			close(lf);
		}
		if (found)
			return 1;
		nap_ms(25);
	}
	return 0;
}

/* Write @cmd into the FIFO, without blocking when nobody reads it. */
static int command(const char *fifo, const char *cmd)
{
	int w = open(fifo, O_WRONLY | O_NONBLOCK), ok;

	if (w < 0)
		return 0;
	ok = write(w, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);
	close(w);
	return ok;
}

static int closeall(const char *data, const char *filler, const char *fifo, const char *log,
		    const char *err)
{
	char buf[64] = "";
	int fd, n, last = -1;

	/* The control thread is up and back in read() on its descriptor. */
	say("first command answered: %ld\n",
	    command(fifo, "trace f\n") && wait_for(log, "ok trace f\n"));
	nap_ms(1000);
	for (int i = 3; i < 1024; i++)
		close(i);
	fd = open(data, O_RDWR | O_CREAT | O_TRUNC, 0644);
	say("data fd %ld\n", fd);
	if (write(fd, "mine\n", 5) != 5)
		return 1;
	while ((n = open(filler, O_RDWR | O_APPEND)) >= 0 && n < 1022)
		last = n;
	say("filled up to %ld\n", n >= 0 ? n : last);
	for (int i = 0; i < 200; i++)
		f("hello");
	/* The control thread, blocked in read() on the FIFO it opened, gets
	 * this command, runs it, and then finds its descriptor number
	 * holding FILLER: it stops with one line. */
	say("second command answered: %ld\n",
	    command(fifo, "trace off\n") && wait_for(log, "ok trace off\n"));
	say("control stopped: %ld\n", (long)wait_for(err, "PFE_CONTROL="));
	for (int i = 0; i < 200; i++)
		f("again");
	n = (int)pread(fd, buf, sizeof(buf) - 1, 0);
	say("data holds %ld bytes: ", n);
	if (write(1, buf, n > 0 ? (size_t)n : 0) < 0)
		return 1;
	say("offset %ld\n", (long)lseek(fd, 0, SEEK_CUR));
	return 0;
}

/* Commands sent after close_range(3, ~0U), which a daemon calls: the
 * FIFO libpfe read is opened again under its number, if it is the same. */
static int reopen(const char *fifo, const char *log)
{
	say("first command answered: %ld\n",
	    command(fifo, "trace f(str)\n") && wait_for(log, "ok trace f(str)\n"));
	nap_ms(1000);
	if (close_range(3, ~0U, 0))
		return 1;
	for (int i = 0; i < 3; i++)
		f("a");
	say("second command answered: %ld\n",
	    command(fifo, "trace off\n") && wait_for(log, "ok trace off\n"));
	f("b");
	/* Only a FIFO opened again reaches libpfe now: the first one had
	 * no other reader than the read that the last command ended. */
	say("third command answered: %ld\n",
	    command(fifo, "trace f(str)\n") && wait_for(log, "ok trace off\nok trace f(str)\n"));
	f("c");
	return 0;
}

/* The FIFO replaced or changed as @how says after close_range: commands
 * stop, with one line. */
static int replace(const char *fifo, const char *log, const char *err, const char *how)
{
	char moved[4096];
	int w, nf;

	say("first command answered: %ld\n",
	    command(fifo, "trace f(str)\n") && wait_for(log, "ok trace f(str)\n"));
	nap_ms(1000);
	if (close_range(3, ~0U, 0))
		return 1;
	/* libpfe's read() still holds the FIFO: it has a reader. */
	w = open(fifo, O_WRONLY | O_NONBLOCK);
	snprintf(moved, sizeof(moved), "%s.moved", fifo);
	if (w < 0)
		return 1;
	if (!strcmp(how, "chmod"))
		nf = chmod(fifo, 0602);
	else if (!strcmp(how, "link"))
		nf = rename(fifo, moved) || symlink(moved, fifo);
	else if (unlink(fifo))
		nf = -1;
	else if (!strcmp(how, "fifo"))
		nf = mkfifo(fifo, 0600);
	else
		nf = close(open(fifo, O_WRONLY | O_CREAT | O_EXCL, 0600));
	if (nf)
		return 1;
	say("command through the old FIFO answered: %ld\n",
	    write(w, "trace off\n", 10) == 10 && wait_for(log, "ok trace off\n"));
	say("control stopped: %ld\n", (long)wait_for(err, "PFE_CONTROL="));
	close(w);
	nap_ms(200);
	f("z");
	/* A FIFO now: nobody reads it (ENXIO). A file: written, never read. */
	say("command by the path sent: %ld\n", (long)command(fifo, "trace f(str)\n"));
	nap_ms(500);
	f("z");
	return 0;
}

static long count_lines(const char *path)
{
	char b[8192];
	long n = 0;
	int fd = open(path, O_RDONLY);
	ssize_t got;

	while (fd >= 0 && (got = read(fd, b, sizeof(b))) > 0)
		for (ssize_t i = 0; i < got; i++)
			n += b[i] == '\n';
	if (fd >= 0)
		close(fd);
	return n;
}

static int ctl(const char *fifo, const char *log, const char *cmds, long want)
{
	char b[16384];
	int in = open(cmds, O_RDONLY), w = open(fifo, O_WRONLY);
	ssize_t n = in < 0 ? -1 : read(in, b, sizeof(b));
	long got = 0;

	f("before");
	if (n <= 0 || w < 0 || write(w, b, (size_t)n) != n)
		return 1;
	close(w);
	for (int i = 0; i < 800 && (got = count_lines(log)) < want; i++)
		nap_ms(25);
	nap_ms(100);
	say("answered %ld\n", count_lines(log));
	f("after");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "ctl"))
		return ctl(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "first")) {
		say("first fd %ld\n", open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644));
		f("first");
		return 0;
	}
	if (argc == 7 && !strcmp(argv[1], "closeall"))
		return closeall(argv[2], argv[3], argv[4], argv[5], argv[6]);
	if (argc == 4 && !strcmp(argv[1], "reopen"))
		return reopen(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "replace"))
		return replace(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && !strcmp(argv[1], "loop")) {
		long n = atol(argv[2]);

		for (long i = 0; i < n; i++)
			f("x");
		return atoi(argv[3]);
	}
	fprintf(stderr,
		"usage: %s first DATA | closeall DATA FILLER FIFO LOG ERR | reopen FIFO LOG | "
		"replace FIFO LOG ERR fifo|file|chmod|link | loop N STATUS\n",
		argv[0]);
	return 2;
}
