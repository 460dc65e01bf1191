// SPDX-License-Identifier: MIT
// For t_pfe_record.sh: copies stdin to stdout, says on stderr what `pfe record`
// gave it (its PFE_* variables, whether libpfe is mapped), exits with argv[1]
// or dies of signal argv[2].
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "(unset)";
}

static const char *libpfe_mapped(void)
{
	static char path[512];
	char line[1024];
	FILE *f = fopen("/proc/self/maps", "r");

	strcpy(path, "no");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "libpfe.so")) {
			snprintf(path, sizeof(path), "%s", strchr(line, '/'));
			path[strcspn(path, "\n")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	return path;
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getchar()) != EOF)
		putchar(c);
	fprintf(stderr, "PFE_RECORD=%s PFE_TRACE=%s PFE_GRAPH=%s libpfe=%s\n", env("PFE_RECORD"),
		env("PFE_TRACE"), env("PFE_GRAPH"), libpfe_mapped());
	fflush(NULL);
	if (argc > 2)
		raise(atoi(argv[2]));
	return argc > 1 ? atoi(argv[1]) : 0;
}
