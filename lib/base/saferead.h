/* SPDX-License-Identifier: MIT */
/*
 * Reading the traced program's memory without ever faulting (saferead.c):
 * strings behind a char * argument, arguments passed on the stack. The
 * address comes from the program and may be anything: NULL, freed, the
 * guard page below a coroutine's stack.
 */
#ifndef PFE_SAFEREAD_H
#define PFE_SAFEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copy @n bytes at @src to @dst; false (and @dst unspecified) when any of
 * them cannot be read. No descriptor, no lock, no malloc; async-signal-safe;
 * errno preserved. At most one system call per page touched.
 */
bool pfe_safe_read(void *dst, uintptr_t src, size_t n);

/* Tests: skip process_vm_readv and use the probe (what qemu-user does). */
extern bool pfe_safe_read_force_probe;

#endif /* PFE_SAFEREAD_H */
