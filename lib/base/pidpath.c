/* SPDX-License-Identifier: MIT */
/*
 * "%p" in a path given by the user (PFE_OUTPUT, PFE_LIST, the control
 * channel's "list") becomes the writing process's id, so that the
 * processes of one run, which inherit the variable, do not write into one
 * file. Pure: the caller passes the pid (the child's own after a fork).
 */
#include <errno.h>
#include <string.h>

#include "outfile.h"

int pfe_path_expand(char *out, size_t len, const char *in, int pid)
{
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		char num[12];
		const char *add = p;
		size_t k = 1;

		if (p[0] == '%' && p[1] == 'p') {
			unsigned v = (unsigned)pid;
			char *e = num + sizeof(num);

			do
				*--e = (char)('0' + v % 10);
			while (v /= 10);
			add = e;
			k = (size_t)(num + sizeof(num) - e);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			p++;
		}
		if (n + k >= len)
			return -ENAMETOOLONG;
		memcpy(out + n, add, k);
		n += k;
	}
	if (n >= len)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return 0;
}
