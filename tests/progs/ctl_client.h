/* SPDX-License-Identifier: MIT */
/*
 * A test program that drives its own PFE_CONTROL FIFO (live_ctl.c,
 * switch_bal.c): command() writes one command and waits until the control
 * log (PFE_CONTROL_LOG) holds its answer, so that each command's effect is
 * in place before the program goes on. Exits with one line after 20 s
 * without an answer.
 */
#ifndef PFE_TEST_CTL_CLIENT_H
#define PFE_TEST_CTL_CLIENT_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_lines(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY), n = 0;
	ssize_t r;

	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

static int cmds;

static void command(const char *fifo, const char *log, const char *cmd)
{
	int fd = open(fifo, O_WRONLY);

	if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
		printf("cannot write to %s\n", fifo);
		exit(1);
	}
	close(fd);
	cmds++;
	for (int i = 0; log_lines(log) < cmds; i++) {
		if (i == 20000) {
			printf("no reply to '%s'\n", cmd);
			exit(1);
		}
		usleep(1000);
	}
}

#endif /* PFE_TEST_CTL_CLIENT_H */
