/* SPDX-License-Identifier: MIT */
/*
 * The page size, from the auxiliary vector: no system call, safe in a
 * signal handler (saferead.c asks from one), the same answer everywhere.
 */
#include <sys/auxv.h>

#include "base.h"

size_t pfe_page_size(void)
{
	static size_t ps;
	size_t v = __atomic_load_n(&ps, __ATOMIC_RELAXED);

	if (!v) {
		v = (size_t)getauxval(AT_PAGESZ);
		/* 4 KiB is the smallest page arm64 Linux has. */
		if (!v || (v & (v - 1)))
			v = 4096;
		__atomic_store_n(&ps, v, __ATOMIC_RELAXED);
	}
	return v;
}
