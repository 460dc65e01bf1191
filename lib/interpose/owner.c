/* SPDX-License-Identifier: MIT */
/*
 * Which process owns the trace held in its memory. A process's rings and
 * buffered lines are its own to write, except in a vfork child (its
 * memory is its parent's, or, under qemu-user, a copy of it) and in a
 * child of clone() without fork handlers: there the parent writes them,
 * and the child must not write them a second time. A fork() child runs
 * the fork handlers (fork.c), which make it the owner of what it holds.
 */
#include <unistd.h>

#include "interpose.h"

static pid_t start_pid; /* the process the constructor ran in */
static pid_t flush_pid; /* the process that owns the trace in this memory */

void pfe_owner_init(void)
{
	start_pid = getpid();
	flush_pid = start_pid;
}

bool pfe_owner_new_process(void)
{
	return getpid() != start_pid;
}

void pfe_owner_forked(void)
{
	flush_pid = getpid();
}

bool pfe_owner_of_trace(void)
{
	return getpid() == flush_pid;
}
