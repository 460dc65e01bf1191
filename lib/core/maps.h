/* SPDX-License-Identifier: MIT */
/*
 * Parser of /proc/self/maps lines. Pure: it never reads the file itself
 * (text.c does, without stdio), so it builds and is tested on any host.
 *
 *   5500000000-5500001000 r-xp 00000000 fe:00 10952994     /tmp/prog
 *   start      end        perms offset dev   inode         path
 */
#ifndef PFE_MAPS_H
#define PFE_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfe_map {
	uintptr_t start, end; /* [start, end) */
	int prot;	      /* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;	      /* 's': a write would reach the file or other processes */
	uint64_t offset;
	const char *path; /* into the parsed line, not NUL-terminated; "" if none */
	size_t pathlen;
};

/*
 * Parse one line of @len bytes (a trailing '\n' is allowed, a NUL is not
 * needed). Returns 0, or -EINVAL when the line does not have the form above;
 * *@m is then unspecified.
 */
int pfe_maps_parse_line(const char *line, size_t len, struct pfe_map *m);

/* "r-xp" etc. for @prot and @shared into @buf (5 bytes, NUL-terminated). */
const char *pfe_maps_perms(int prot, bool shared, char buf[5]);

#endif /* PFE_MAPS_H */
