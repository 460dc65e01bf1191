/* SPDX-License-Identifier: MIT */
/*
 * Where a stripped object's separate debug file may be, and how to tell it is
 * the object's own: GDB's rules ("Debugging Information in Separate Files"),
 * which Debian's -dbgsym packages follow. Pure code (no I/O), tested on the
 * host; lib/core/elfobj.c opens the candidates.
 *
 *   by build-id:        <dir>/.build-id/<first byte>/<the rest>.debug
 *   by .gnu_debuglink:  <object's dir>/<name>, <object's dir>/.debug/<name>,
 *                       <dir>/<object's dir>/<name>
 *
 * where <dir> is each directory of PFE_DEBUGINFO (default /usr/lib/debug). A
 * file found by build-id must carry the same build-id; one found by its
 * debuglink name must match the link's CRC-32 (and the build-id when the
 * object has one): a debug file of another build would name other addresses,
 * and libpfe would patch the wrong instructions.
 */
#ifndef PFE_DEBUGNAME_H
#define PFE_DEBUGNAME_H

#include <stddef.h>
#include <stdint.h>

#define PFE_DEBUGINFO_DEFAULT "/usr/lib/debug"

/* The CRC-32 of .gnu_debuglink (IEEE 802.3, as zlib's crc32): pass 0 first,
 * then the previous result to continue. */
uint32_t pfe_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * The contents of a .gnu_debuglink section: a file name (no '/'), NUL, zero
 * padding to 4 bytes, the CRC-32 in the object's byte order (@big_endian).
 * Returns 0 and sets *@name (pointing into @data) and *@crc, or -EINVAL.
 */
int pfe_debuglink_parse(const void *data, size_t len, int big_endian, const char **name,
			uint32_t *crc);

/* "<dir>/.build-id/xx/yyyy.debug" for a build-id of @n bytes (2..64).
 * Returns 0, -EINVAL for a bad id, -ENAMETOOLONG when @cap is too small. */
int pfe_debug_buildid_path(char *buf, size_t cap, const char *dir, const uint8_t *id, size_t n);

/*
 * The @k-th debuglink candidate (k = 0, 1, ...) for an object at @obj_path
 * (absolute) with link name @name, and the PFE_DEBUGINFO list @dirs
 * (colon-separated). Returns 0, -ENOENT past the last one, or
 * -ENAMETOOLONG (skip it and go on with k + 1).
 */
int pfe_debuglink_path(char *buf, size_t cap, const char *obj_path, const char *name,
		       const char *dirs, unsigned k);

#endif /* PFE_DEBUGNAME_H */
