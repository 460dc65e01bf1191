/* SPDX-License-Identifier: MIT */
/*
 * The pfe reader's fuzz harnesses (tests/fuzz/fuzz_*.c): libFuzzer's entry
 * points, and what the harnesses share (fuzz_common.c). Each harness builds
 * two ways: with clang -fsanitize=fuzzer,address,undefined for `make fuzz`,
 * and with HOSTCC and ASan/UBSan around standalone.c, which feeds files to
 * LLVMFuzzerTestOneInput, for `make check-host` (the corpus and every crash
 * found so far, tests/fuzz/regress/, as regression cases).
 */
#ifndef PFE_FUZZ_H
#define PFE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Once: stdout and stderr of the commands to /dev/null (FUZZ_VERBOSE=1
 * keeps them), a scratch directory removed at exit. */
void fuzz_init(void);

/* The scratch recording directory, emptied. */
const char *fuzz_reset(void);

/* In the recording directory: a regular file @rel holding @data, a FIFO,
 * a symbolic link to /dev/zero. Parent directories are created. -1 when
 * @rel is not a plain relative path or cannot be created. */
int fuzz_put_file(const char *rel, const void *data, size_t len);
int fuzz_put_fifo(const char *rel);
int fuzz_put_zero(const char *rel);

/* Every reading command of pfe (info, replay and its options, report, dump
 * --chrome and --flame) over the recording directory. */
void fuzz_run_commands(void);

#endif
