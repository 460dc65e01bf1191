/* SPDX-License-Identifier: MIT */
/* What the recording harnesses share (fuzz.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "pfe.h"
#include "util.h"

static char root[64], dir[96];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_root(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void fuzz_init(void)
{
	const char *tmp = getenv("TMPDIR");

	if (root[0])
		return;
	snprintf(root, sizeof(root), "%s/pfe-fuzz-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("fuzz: mkdtemp");
		exit(1);
	}
	snprintf(dir, sizeof(dir), "%s/r", root);
	atexit(remove_root);
	if (!getenv("FUZZ_VERBOSE")) {
		/* The commands' output and error lines; sanitizers write to fd 2. */
		stdout = fopen("/dev/null", "w");
		stderr = fopen("/dev/null", "w");
		if (!stdout || !stderr)
			exit(1);
	}
}

const char *fuzz_reset(void)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(dir, 0700);
	return dir;
}

/* @rel: components of [A-Za-z0-9._-], none "." or ".."; directories made. */
static int make_parents(const char *rel, char *path, size_t len)
{
	size_t n = strlen(rel);

	if (!n || n > 200 || rel[0] == '/' ||
	    strspn(rel, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
			"nopqrstuvwxyz0123456789._-/") != n)
		return -1;
	for (const char *c = rel; *c;) {
		size_t k = strcspn(c, "/");

		if (!k || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return -1;
		c += k;
		if (*c) {
			snprintf(path, len, "%s/%.*s", dir, (int)(c - rel), rel);
			if (mkdir(path, 0700) && errno != EEXIST)
				return -1;
			c++;
		}
	}
	snprintf(path, len, "%s/%s", dir, rel);
	return 0;
}

int fuzz_put_file(const char *rel, const void *data, size_t len)
{
	char path[512];
	int fd;
	ssize_t n = 0;

	if (make_parents(rel, path, sizeof(path)))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (len)
		n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

int fuzz_put_fifo(const char *rel)
{
	char path[512];

	return make_parents(rel, path, sizeof(path)) ? -1 : mkfifo(path, 0600);
}

int fuzz_put_zero(const char *rel)
{
	char path[512];

	return make_parents(rel, path, sizeof(path)) ? -1 : symlink("/dev/zero", path);
}

void fuzz_run_commands(void)
{
	static const char *const cmds[][12] = {
	    {"info", "-d", "DIR"},
	    {"replay", "-d", "DIR"},
	    {"replay", "-d", "DIR", "-F", "f*,main", "-N", "g", "-D", "3", "-t", "1ns"},
	    {"replay", "-d", "DIR", "--flat", "--no-demangle"},
	    {"report", "-d", "DIR", "-s", "self"},
	    {"dump", "--chrome", "-d", "DIR"},
	    {"dump", "--flame", "--no-demangle", "-d", "DIR"},
	    {"dump", "--perfetto", "-d", "DIR"},
	    {"graph", "-d", "DIR"},
	    {"graph", "-d", "DIR", "--callers", "f*"},
	    {"report", "-d", "DIR", "--diff", "DIR"},
	};
	static int (*const fn[])(int, char **) = {
	    cmd_info, cmd_replay, cmd_replay, cmd_replay, cmd_report, cmd_dump,
	    cmd_dump, cmd_dump,	  cmd_graph,  cmd_graph,  cmd_report,
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *argv[13] = {0};
		int argc;

		for (argc = 0; argc < 12 && cmds[i][argc]; argc++)
			argv[argc] = strcmp(cmds[i][argc], "DIR") ? (char *)cmds[i][argc] : dir;
		optind = 0; /* glibc: a full reinitialisation of getopt */
		fn[i](argc, argv);
		fflush(stdout);
	}
}

/* main.c's, which the harnesses do not link (it has main); weak, so that
 * the one of another file wins if it moves there. */
__attribute__((weak)) const char pfe_usage[] = "usage: pfe (fuzzing harness)\n";

__attribute__((weak)) int usage_error(const char *cmd, const char *fmt, ...)
{
	return 2;
}
