/* SPDX-License-Identifier: MIT */
/*
 * C++ names through the C++ runtime's demangler, abi::__cxa_demangle
 * (libstdc++, the Itanium C++ ABI's interface, with C linkage): the same
 * demangler as libpfe uses in the traced process and as c++filt's output,
 * maintained with the compiler that produced the names.
 */
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "util.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *demangle(const char *name)
{
	int status = 0;
	char *s;

	if (!name || name[0] != '_' || name[1] != 'Z')
		return NULL;
	s = __cxa_demangle(name, NULL, NULL, &status);
	if (status) {
		free(s);
		return NULL;
	}
	return s;
}

static bool demangle_into(const char *name, char *out, size_t len)
{
	char *s = demangle(name);
	bool ok = s && strlen(s) < len;

	if (ok)
		strcpy(out, s);
	free(s);
	return ok;
}

void demangle_for_patterns(void)
{
	pfe_pattern_set_demangler(demangle_into);
}
