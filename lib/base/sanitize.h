/* SPDX-License-Identifier: MIT */
/*
 * Text from outside (PFE_* values, control commands, file and symbol names)
 * made safe to show on a terminal or in a log: sanitize.c, pure.
 */
#ifndef PFE_SANITIZE_H
#define PFE_SANITIZE_H

#include <stddef.h>

/*
 * Copy @n bytes of @src to @dst (@len bytes, always NUL-terminated when
 * @len > 0), writing each control byte (below 0x20, and 0x7f) and each byte
 * that is not part of a valid UTF-8 sequence (overlong forms, surrogates and
 * code points above U+10FFFF included) as \xNN, and a tab as \t. A sequence
 * that does not fit whole is left out. Returns the length written.
 * Allocation-free, async-signal-safe.
 */
size_t pfe_sanitize(char *dst, size_t len, const char *src, size_t n);

#endif /* PFE_SANITIZE_H */
