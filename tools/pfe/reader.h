/* SPDX-License-Identifier: MIT */
/*
 * The one reader of PFE_RECORD recordings (tracer/record.h) that every pfe
 * subcommand and the tests use. It parses a recording's directory (one
 * subdirectory per process image) and rebuilds each thread's call stack from
 * its events; it knows the format, not how the records were written.
 *
 * Errors are one line on stderr ("pfe: <path>: <what>, expected <what>") and
 * -1; notes (a recording cut short) are one line each and not errors.
 *
 * A recording may come from another machine, a crash or someone else: every
 * count is bounded by what the files hold and by the format's limits, only
 * regular files are read (symbolic links are not followed), and every name
 * is kept as it may be shown (xstrdup_shown, util.h: control characters and
 * bytes that are not UTF-8 as \xHH).
 */
#ifndef PFE_READER_H
#define PFE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd_sym {
	uint64_t off, size;
	char *name; /* as people see it: demangled unless told not to */
};

struct rd_object {
	unsigned id;
	uint32_t first_site, nsites;
	uint64_t bias, lo, hi, ticks;
	char *path;
	const char *base; /* file name of path */
	bool unloaded;
	uint64_t unload_ticks;
	struct rd_sym *syms; /* sorted by off */
	size_t nsyms;
};

struct rd_site {
	uint32_t id; /* global site id */
	struct rd_object *obj;
	uint64_t off;
	char *name;  /* the symbol, or NULL ("?") */
	char *label; /* what people see: demangled, or obj+0xoff */
};

struct rd_proc;

/* A range of addresses and the first object listing it (rd_symbolize). */
struct rd_span {
	uint64_t lo, hi;
	struct rd_object *obj;
};

struct rd_thread {
	uint32_t tid;
	char *name; /* from threads, or NULL */
	char *path; /* <tid>.dat */
	uint64_t size;
	struct rd_proc *proc;
};

struct rd_proc {
	char *path;	  /* <dir>/<pid>[.<k>] */
	const char *id;	  /* "<pid>[.<k>]" */
	unsigned version; /* of the format: PFE_REC_VERSION_MIN .. PFE_REC_VERSION */
	uint32_t pid, ppid;
	char *exe, *cmdline, *date, *arch, *mode;
	uint64_t clock_hz, clock_base, realtime_ns;
	bool ended; /* the "end" line: a clean exit */
	uint64_t end_ticks, nevents, nlost;
	struct rd_object *objs;
	size_t nobjs;
	struct rd_span *spans; /* disjoint, sorted */
	size_t nspans;
	/* The sites the sym files list, sorted by id; find one with rd_site().
	 * Not indexed by site id (ids may leave gaps, and a count in objects
	 * is no size to allocate): hence not named "sites". */
	struct rd_site *site_tab;
	size_t nsite_tab;
	struct rd_thread *threads; /* sorted by tid */
	size_t nthreads;
};

struct rd_recording {
	char *dir;
	struct rd_proc *procs; /* sorted by pid */
	size_t nprocs;
};

/*
 * Read the recording in @dir: every process image's info, objects, symbols
 * and thread list (the events are read by rd_walk). @demangle: labels are
 * demangled C++ names. Returns 0, or -1 after one error line.
 */
int rd_open(struct rd_recording *r, const char *dir, bool demangle);
void rd_close(struct rd_recording *r);

/* What @dir holds, before writing over it: nothing (or it does not exist),
 * a recording (a <pid>/info), or anything else. */
enum rd_probe { RD_PROBE_EMPTY, RD_PROBE_RECORDING, RD_PROBE_OTHER };
enum rd_probe rd_probe(const char *dir);

/* Nanoseconds for @ticks of @p's clock. */
uint64_t rd_ns(const struct rd_proc *p, uint64_t ticks);

/* Site @id, or NULL when no sym file lists it. O(log n). */
const struct rd_site *rd_site(const struct rd_proc *p, uint32_t id);

/* The label of site @id ("site#<id>" for an id no object lists). */
const char *rd_site_label(const struct rd_proc *p, uint32_t id);

/* @addr (a return address) as "sym+0xoff", "obj+0xoff" or "0x...", in @buf. */
const char *rd_symbolize(const struct rd_proc *p, uint64_t addr, char *buf, size_t len);

/* How a frame was closed. */
enum rd_end {
	RD_RETURNED, /* EXIT */
	RD_UNWOUND,  /* EXIT_UNWOUND: left without returning */
	RD_NOEXIT,   /* no exit recorded (beyond the shadow stack's depth):
			closed with its caller */
	RD_OPEN,     /* still open at the end of the thread's data */
};

struct rd_frame {
	uint32_t site;
	uint64_t entry_ns; /* since the process's clock_base */
	uint64_t ret;	   /* return address */
	uint64_t child_ns; /* time in closed callees */
	uint64_t nchild;   /* callees entered */
	/* What a signature recorded with the call (tracer/record.h: ARGS,
	 * RETVAL), as shown (util.h), or NULL: its arguments, "(\"abc\", 3)",
	 * from its entry on; its result, "7", in the exit callback of a call
	 * that returned. Valid until the frame is closed. */
	const char *args, *retval;
};

/* Callbacks of rd_walk; any may be NULL. stack[0..depth] are the open frames,
 * stack[depth] the one entered or closed. */
struct rd_walker {
	void (*entry)(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		      unsigned depth);
	void (*exit)(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		     unsigned depth, uint64_t exit_ns, enum rd_end how);
	void (*lost)(void *ctx, const struct rd_thread *t, uint64_t count, uint64_t ns);
	bool quiet; /* no notes (a second pass over the same thread) */
	/* A recording of entries only has no frame to close: the result
	 * ("7", as shown) of a call of @site that returned at @ns, entered
	 * earlier (a signature's "->type"). */
	void (*result)(void *ctx, const struct rd_thread *t, uint32_t site, uint64_t ns,
		       const char *text);
};

struct rd_stats {
	uint64_t events, entries, exits, lost;
	uint64_t orphan_exits; /* exits of frames entered before the recording */
	uint64_t skipped;      /* extended events of unknown types */
	uint64_t results;      /* entries only: results given to walker.result */
	uint64_t last_ns;
	bool graph; /* exits recorded (header flag) */
};

/* A payload's text is kept up to this many bytes (libpfe writes at most
 * 512: tracer/record.h); shown, it may take four times as many. */
#define RD_TEXT_MAX 512

/*
 * Read @t's events in order and call @w for each frame entered and closed;
 * frames open at the end are closed (RD_OPEN) at the last event's time, and
 * a partial event at the end is dropped with a note. Returns 0, or -1 after
 * one error line (unreadable file, bad header, version mismatch).
 */
int rd_walk(const struct rd_thread *t, const struct rd_walker *w, void *ctx, struct rd_stats *st);

/* Text helpers for the commands. */
const char *rd_fmt_us(uint64_t ns, char *buf, size_t len); /* "12.345" */

#endif /* PFE_READER_H */
