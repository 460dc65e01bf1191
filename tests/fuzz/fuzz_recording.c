/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: a whole recording directory from one input, read by
 * every pfe reading command (fuzz_run_commands).
 *
 * The input is the directory's files one after another, each a header line
 * and its bytes:
 *
 *   <path> <size>\n<size bytes>   a regular file (fewer bytes if the input
 *                                 ends first)
 *   <path> fifo\n                 a FIFO
 *   <path> zero\n                 a symbolic link to /dev/zero
 *
 * <path> is relative to the recording ("1234/info", "1234/1234.dat"), made
 * of [A-Za-z0-9._-] and "/", without "." or ".." components; directories
 * are created as needed. A header line that is not one of these ends the
 * input. tests/fuzz/pack.py converts a recording into this form and back.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	fuzz_init();
	fuzz_reset();
	for (int files = 0; p < end && files < 64; files++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p) < 256 ? (size_t)(end - p) : 256);
		char line[256], *sp;

		if (!nl)
			break;
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		p = nl + 1;
		sp = strrchr(line, ' ');
		if (!sp)
			break;
		*sp++ = '\0';
		if (!strcmp(sp, "fifo")) {
			fuzz_put_fifo(line);
		} else if (!strcmp(sp, "zero")) {
			fuzz_put_zero(line);
		} else {
			char *e;
			unsigned long long n = strtoull(sp, &e, 10);

			if (!*sp || *e)
				break;
			if (n > (size_t)(end - p))
				n = (size_t)(end - p);
			fuzz_put_file(line, p, (size_t)n);
			p += n;
		}
	}
	fuzz_run_commands();
	return 0;
}
