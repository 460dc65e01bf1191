/* SPDX-License-Identifier: MIT */
/*
 * Replays files through a harness without libFuzzer, for `make check-host`
 * (built with HOSTCC and ASan/UBSan): each argument is a file, or a
 * directory whose files are fed in name order. A memory error or undefined
 * behaviour ends it through the sanitizer, naming the input above it.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static size_t ran;

static void run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!fp) {
		perror(path);
		exit(1);
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n);
	fclose(fp);
	/* A line before each input: the sanitizer's report follows the culprit. */
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "fuzz replay: %s\n", path);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	ran++;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char **names = NULL;
		size_t n = 0;

		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			run_file(argv[i]);
			continue;
		}
		d = opendir(argv[i]);
		while (d && (de = readdir(d))) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
			if (de->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			if (!names || !(names[n++] = strdup(path)))
				return 1;
		}
		if (d)
			closedir(d);
		if (n)
			qsort(names, n, sizeof(*names), cmp_name);
		for (size_t k = 0; k < n; k++) {
			run_file(names[k]);
			free(names[k]);
		}
		free(names);
	}
	dprintf(1, "%s: %zu inputs, no error\n", argv[0], ran); /* stdout may be /dev/null */
	return 0;
}
