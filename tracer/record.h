/* SPDX-License-Identifier: MIT */
/*
 * The PFE_RECORD format, version 2: what libpfe writes on the traced thread
 * and what the pfe command (and the in-process text writer) reads. Pure code
 * and fixed-width little-endian fields, so that a recording taken on an arm64
 * board reads the same on any host. Nothing here knows how records are
 * buffered or written; nothing in the hot path knows how they are read.
 *
 * Version 2 defines the ARGS and RETVAL payloads below (a signature's
 * arguments and result) and which call each belongs to; everything else is
 * version 1's. A reader reads both versions the same way: a version 1 writer
 * may have written the same payloads, which version 1 readers skipped.
 *
 * A recording is a directory (PFE_RECORD=<dir>, default of `pfe record`:
 * pfe.data). Each process image that records into it gets a subdirectory
 * named by its pid, "<pid>" (the k-th image of the same pid after execve:
 * "<pid>.<k>", k = 1, 2, ...), created with mkdir(2) so that two images never
 * share one:
 *
 *   <dir>/<pid>/info            text: the process (see below)
 *   <dir>/<pid>/objects         text: objects as they were loaded and unloaded
 *   <dir>/<pid>/sym-<obj>.txt   text: sites and symbols of object <obj>
 *   <dir>/<pid>/threads         text: "<tid> <name>" (a later line wins)
 *   <dir>/<pid>/<tid>.dat       binary: one thread's events
 *
 * Text files are lines of space-separated fields; the last field of a line
 * may contain spaces and is C-escaped (\\, \n, \t, \xHH for other bytes
 * below 0x20 or 0x7f). Numbers are decimal unless written 0x... (hex).
 *
 * info, "key value" per line, in any order; unknown keys are ignored:
 *   format pfe-record 2       always the first line (1: an older recording)
 *   pid 1234 / ppid 1200
 *   exe /path/to/program
 *   cmdline <argv joined by spaces, each C-escaped and quoted when needed>
 *   date 2026-11-28T12:00:00Z UTC wall clock at clock_base
 *   clock_hz 62500000         the counter's frequency (arch/arm64/arch-inline.h)
 *   clock_base 123456789      the counter at time 0 (start of libpfe)
 *   realtime_ns 1795000000000000000  CLOCK_REALTIME at clock_base
 *   arch aarch64
 *   mode entry|graph          graph: exits are recorded too
 *   end <ticks> events <n> lost <n>   written last at a clean exit; a
 *                             recording without it was cut short
 *
 * objects, one line per event, in order:
 *   object <obj> <first_site> <nsites> 0x<bias> 0x<lo> 0x<hi> <ticks> <path>
 *        object <obj> (0, 1, ... in this process) appeared at <ticks>
 *        (relative to clock_base); its sites have the global site ids
 *        first_site .. first_site + nsites - 1 in the order of sym-<obj>.txt;
 *        [lo, hi) spans its executable segments (objects without sites,
 *        nsites 0, are listed too: they name callers such as libc)
 *   unload <obj> <ticks>
 *   An object with sites is listed (objects line and sym file) when libpfe
 *   takes it in, before any of its sites can fire, and stays listed after
 *   its unload line; dynamic sites, which hooks make later, are listed at
 *   the writer's next pass or at their object's unload at the latest:
 *   every site id an event names is in some object's range, however soon
 *   the object was unloaded (dlopen then dlclose).
 *
 * sym-<obj>.txt, offsets are from the object's bias (what nm prints):
 *   site <index> 0x<offset> <flags> <name>   flags: "-" or "bti"; name "?"
 *                                            for a site without a symbol
 *   sym 0x<offset> 0x<size> <name>           every function symbol, for
 *                                            naming return addresses
 *
 * <tid>.dat: a 64-byte header (struct pfe_rec_header) and then events of
 * 16 bytes (two little-endian u64 words). A file cut short (a crash) ends in
 * a partial event, which a reader drops with a note.
 *
 *   w0 bits  0..3   type (PFE_REC_*)
 *      bits  4..15  site id bits 0..11 (entry, exit), or the count of 16-byte
 *                   units that follow (types >= PFE_REC_EXTENDED)
 *      bits 16..63  time: ticks since clock_base, modulo 2^48 (a reader
 *                   unwraps per thread: time never goes back in one thread;
 *                   a writer emits PFE_REC_TIME before a gap of 2^47 ticks)
 *   w1 for ENTRY:   bits 0..47 the return address; bits 48..63 site id bits
 *                   12..27
 *   w1 for EXIT, EXIT_UNWOUND:
 *                   bits 0..15 depth: the traced frames of this thread still
 *                   open around the one that exits (0 for the outermost
 *                   traced call; the indentation level of PFE_GRAPH text),
 *                   saturating at 0xffff; bits 16..47 zero;
 *                   bits 48..63 site id bits 12..27
 *   w1 for LOST:    events dropped before this one (PFE_BUFFER=...,drop)
 *   w1 for TIME:    the full 64-bit ticks since clock_base
 *   w1 for a type >= PFE_REC_EXTENDED: the payload's length in bytes, which
 *                   follows in w0's unit count of 16-byte units; readers skip
 *                   extended types they do not know
 *   ARGS payload:   the arguments of the call entered by the ENTRY just
 *                   before it (a term with a signature, "parse(str,int)"),
 *                   as PFE_TRACE prints them: UTF-8 text, parentheses
 *                   included ("(\"abc\", 3)"; strings cut at 32 bytes, then
 *                   "..."), w1 bytes long, not NUL-terminated, padded with
 *                   zeros to the 16-byte unit; at most 512 bytes
 *   RETVAL payload: the result of the call closed by the EXIT just before it
 *                   (a signature with "->type"), as text ("7"), the same way;
 *                   not after EXIT_UNWOUND. In an entries-only recording
 *                   (no PFE_REC_F_GRAPH), such an EXIT and its RETVAL are the
 *                   only exits: the result of a call whose entry came before
 *                   (the EXIT's depth counts only the signature's calls)
 *   Both share their event's time. A payload that follows no such event,
 *   or is empty, names nothing; a reader keeps the text up to its first NUL.
 *
 * An entry's depth is the depth of its matching exit; a reader rebuilds it by
 * nesting (entries deeper than 256 open frames get no exit: the shadow stack's
 * limit, PFE_SHADOW_MAX). EXIT_UNWOUND closes a frame the function left without returning
 * (longjmp, an exception, pthread_exit, a stack switch away for good), with
 * the time libpfe noticed, innermost first.
 */
#ifndef PFE_RECORD_H
#define PFE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PFE_REC_VERSION	    2
#define PFE_REC_VERSION_MIN 1	      /* the oldest a reader reads */
#define PFE_REC_MAGIC	    "PFETHRD" /* 8 bytes with the NUL */

enum pfe_rec_type {
	PFE_REC_ENTRY = 1,
	PFE_REC_EXIT = 2,
	PFE_REC_EXIT_UNWOUND = 3,
	PFE_REC_LOST = 4,
	PFE_REC_TIME = 5,
	PFE_REC_EXTENDED = 8, /* 8..15: followed by a payload */
	PFE_REC_ARGS = 8,     /* typed arguments of the preceding entry */
	PFE_REC_RETVAL = 9,   /* the result of the preceding exit */
};

#define PFE_REC_SITE_BITS 28
#define PFE_REC_SITE_MAX  ((1u << PFE_REC_SITE_BITS) - 1)
#define PFE_REC_TIME_BITS 48
#define PFE_REC_TIME_MASK ((UINT64_C(1) << PFE_REC_TIME_BITS) - 1)
#define PFE_REC_ADDR_MASK ((UINT64_C(1) << 48) - 1)

/* The header of <tid>.dat, little-endian on disk. */
struct pfe_rec_header {
	char magic[8];	     /* PFE_REC_MAGIC */
	uint32_t version;    /* PFE_REC_VERSION */
	uint32_t hdr_size;   /* 64: events start here */
	uint32_t pid;	     /* process (the image's pid) */
	uint32_t tid;	     /* thread */
	uint64_t clock_base; /* the counter at time 0, as in info */
	uint64_t flags;	     /* PFE_REC_F_* */
	uint8_t reserved[24];
};
#define PFE_REC_F_DROP	0x1 /* PFE_BUFFER=...,drop: events may be lost */
#define PFE_REC_F_GRAPH 0x2 /* exits recorded */
_Static_assert(sizeof(struct pfe_rec_header) == 64, "header is 64 bytes");

/* One event as two host-order words (encode before writing, see below). */
struct pfe_rec {
	uint64_t w0, w1;
};
_Static_assert(sizeof(struct pfe_rec) == 16, "an event is 16 bytes");

static inline struct pfe_rec pfe_rec_entry(uint64_t ticks, uint32_t site, uint64_t ret)
{
	return (struct pfe_rec){
	    PFE_REC_ENTRY | (uint64_t)(site & 0xfff) << 4 | ticks << 16,
	    (ret & PFE_REC_ADDR_MASK) | (uint64_t)(site >> 12) << 48,
	};
}

static inline struct pfe_rec pfe_rec_exit(uint64_t ticks, uint32_t site, unsigned depth,
					  bool unwound)
{
	return (struct pfe_rec){
	    (unwound ? PFE_REC_EXIT_UNWOUND : PFE_REC_EXIT) | (uint64_t)(site & 0xfff) << 4 |
		ticks << 16,
	    (depth > 0xffff ? 0xffff : depth) | (uint64_t)(site >> 12) << 48,
	};
}

static inline struct pfe_rec pfe_rec_plain(enum pfe_rec_type type, uint64_t ticks, uint64_t w1)
{
	return (struct pfe_rec){(uint64_t)type | ticks << 16, w1};
}

static inline unsigned pfe_rec_type(const struct pfe_rec *r)
{
	return (unsigned)(r->w0 & 0xf);
}

/* Ticks modulo 2^48; unwrap with pfe_rec_unwrap. */
static inline uint64_t pfe_rec_time(const struct pfe_rec *r)
{
	return r->w0 >> 16;
}

static inline uint32_t pfe_rec_site(const struct pfe_rec *r)
{
	return (uint32_t)((r->w0 >> 4) & 0xfff) | (uint32_t)(r->w1 >> 48) << 12;
}

static inline uint64_t pfe_rec_ret(const struct pfe_rec *r)
{
	return r->w1 & PFE_REC_ADDR_MASK;
}

static inline unsigned pfe_rec_depth(const struct pfe_rec *r)
{
	return (unsigned)(r->w1 & 0xffff);
}

/* Extended events: 16-byte units of payload that follow. */
static inline unsigned pfe_rec_units(const struct pfe_rec *r)
{
	return pfe_rec_type(r) >= PFE_REC_EXTENDED ? (unsigned)((r->w0 >> 4) & 0xfff) : 0;
}

/*
 * The full time of @r given the previous full time @prev of the same thread:
 * time never goes back within a thread, so a smaller 48-bit value wrapped.
 */
static inline uint64_t pfe_rec_unwrap(uint64_t prev, uint64_t t48)
{
	uint64_t t = (prev & ~PFE_REC_TIME_MASK) | t48;

	if (t < prev)
		t += UINT64_C(1) << PFE_REC_TIME_BITS;
	return t;
}

/* Host order <-> the little-endian bytes on disk. */
static inline uint64_t pfe_rec_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline void pfe_rec_store(void *dst, struct pfe_rec r)
{
	uint64_t w[2] = {pfe_rec_le64(r.w0), pfe_rec_le64(r.w1)};

	memcpy(dst, w, sizeof(w));
}

static inline struct pfe_rec pfe_rec_load(const void *src)
{
	uint64_t w[2];

	memcpy(w, src, sizeof(w));
	return (struct pfe_rec){pfe_rec_le64(w[0]), pfe_rec_le64(w[1])};
}

#endif /* PFE_RECORD_H */
