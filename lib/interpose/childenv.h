/* SPDX-License-Identifier: MIT */
/*
 * The environment of a child that libpfe follows (childenv.c, pure): the
 * envp a program passes to execve() or posix_spawn(), with libpfe's path in
 * LD_PRELOAD and the PFE_* variables it lacks. Built into caller-provided
 * memory without malloc, stdio or any other library call, because execve()
 * may be called in a vfork() child or after fork() in a multithreaded
 * program, where only async-signal-safe code may run. Tested on the host
 * (tests/host/test_childenv.c).
 */
#ifndef PFE_CHILDENV_H
#define PFE_CHILDENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfe_childenv {
	/* What the program passes; NULL is an empty environment. */
	char *const *envp;
	/* libpfe's path, put first in LD_PRELOAD unless an element of it is
	 * already @preload or @alias (the name the loader was given, when it
	 * differs). NULL: LD_PRELOAD is left as it is. */
	const char *preload;
	const char *alias;
	/* "NAME=value" entries added when envp has no NAME (the PFE_* of
	 * this process), NULL-terminated; may be NULL. */
	char *const *add;
	/* "NAME=value" entries that replace every NAME of envp (libpfe's
	 * private markers), NULL-terminated; may be NULL. */
	char *const *set;
	/* "NAME=value" entries removed from envp where it holds exactly them
	 * (this process's PFE_CONTROL, which a second process must not
	 * read), NULL-terminated; may be NULL. */
	char *const *drop;
};

/* Bytes pfe_childenv_build() needs for @c: the pointer vector and the one
 * string it writes (the new LD_PRELOAD), with room for alignment. */
size_t pfe_childenv_size(const struct pfe_childenv *c);

/*
 * Build the child's environment in @buf (@len bytes, any alignment): envp's
 * entries in their order, each NAME of c->set replaced, each c->drop entry
 * left out, LD_PRELOAD rewritten
 * in place when it lacks libpfe; then LD_PRELOAD when envp had none, the
 * c->add entries envp lacks, and c->set. Strings are shared with the inputs
 * except the new LD_PRELOAD. Returns the NULL-terminated vector, or NULL
 * when @len is too small. Async-signal-safe.
 */
char **pfe_childenv_build(const struct pfe_childenv *c, void *buf, size_t len);

/* True when @envp's LD_PRELOAD names @path or @alias (either may be NULL). */
bool pfe_childenv_preloads(char *const *envp, const char *path, const char *alias);

/* True when the environment entry @entry ("NAME=value") is named @name. */
bool pfe_childenv_is(const char *entry, const char *name);

/*
 * The files libpfe has open for output, as a list "<dev>:<ino>,..." (hex)
 * handed to children in a private variable, so that a new image or a child
 * opening the same file appends to it instead of truncating what the
 * earlier one wrote.
 */
/* True when @list names the file (@dev, @ino). @list may be NULL. */
bool pfe_outputs_has(const char *list, uint64_t dev, uint64_t ino);
/* Append (@dev, @ino) to the NUL-terminated list in @buf (@len bytes)
 * unless it is there. Returns 0, or -ENOSPC leaving @buf unchanged. */
int pfe_outputs_add(char *buf, size_t len, uint64_t dev, uint64_t ino);

#endif /* PFE_CHILDENV_H */
