/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the pfe command's files (util.c). */
#ifndef PFE_TOOL_UTIL_H
#define PFE_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "pfe: <msg>" on stderr. */
void pfe_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that ends the command with one line when memory runs out. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* A growing array: *@v with room for *@cap elements of @size; room for one more. */
void grow(void *v, size_t *cap, size_t n, size_t size);

/* Parse a whole decimal or 0x number; false if @s is not one. */
bool parse_u64(const char *s, uint64_t *out);

/*
 * @s as it may be shown on a terminal and written into JSON, malloc'd: bytes
 * below 0x20, 0x7f, the C1 controls (U+0080..U+009F) and bytes that are not
 * part of valid UTF-8 become "\xHH" (one per byte); the rest is kept. A
 * recording's names are bytes from another machine (a thread name the kernel
 * cut inside a character, a Latin-1 path, an escape sequence): printed raw,
 * they would drive the terminal or make the JSON invalid.
 */
char *xstrdup_shown(const char *s);
/* The @len bytes at @s (followed by a NUL, which utf8 decoding stops at) as
 * xstrdup_shown shows them, NUL-terminated in @out (room for 4 * @len + 1):
 * a text with a length of its own. Returns the length written. */
size_t shown_into(char *out, const char *s, size_t len);

/* Undo the C escapes of the recording's text files (\\ \n \t \xHH), in place. */
char *unescape(char *s);

/* The C++ demangler (names.c): the demangled @name, malloc'd, or NULL when
 * @name is not a C++ symbol. Also installs it for pattern matching. */
char *demangle(const char *name);
void demangle_for_patterns(void);

#endif
