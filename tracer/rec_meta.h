/* SPDX-License-Identifier: MIT */
/*
 * The metadata of a PFE_RECORD recording (tracer/record.h): the directory of
 * this process image and its text files (info, objects, sym-<obj>.txt,
 * threads) and the header of each thread's <tid>.dat. rec_meta.c; the
 * events themselves are written by the tracer's writer (trace_rec.c).
 *
 * None of this is on a traced thread's hot path: start runs in the
 * constructor, the rest in the writer thread or at flush/exit, all under
 * libpfe's recursion guard. Calls are serialised by the caller
 * (trace_rec.c holds its own lock around them), except
 * pfe_rec_meta_thread_fd, which only reads what start wrote.
 */
#ifndef PFE_REC_META_H
#define PFE_REC_META_H

#include <stdbool.h>
#include <stdint.h>

struct pfe_object;

/*
 * Create <dir>/<pid> (or <pid>.<k> when an earlier image of this pid made
 * one: execve) with mkdir(2), creating <dir> itself when missing; write info
 * (without its end line), objects and sym-<obj>.txt for every object loaded
 * now (objects with sites from the object list, the others, libc, the vdso,
 * from dl_iterate_phdr with nsites 0), and an empty threads file.
 * @clock_hz is the counter's frequency, @clock_base the counter at time 0
 * (pfe_arch_counter_hz, pfe_arch_counter: arch/arm64/arch-inline.h), @graph: exits
 * are recorded (info "mode graph", header flag). Returns 0, or -errno after
 * one line naming the path and what was expected.
 */
int pfe_rec_meta_start(const char *dir, uint64_t clock_hz, uint64_t clock_base, bool graph,
		       bool drop);

/* The fork child: a new pid, so a new <dir>/<pid>; same contract as
 * start, with the same clock and mode. */
int pfe_rec_meta_restart(void);

/* Objects published since the last call (dlopen): their objects lines and
 * sym files, with time @ticks. The tracer calls it as an object is
 * published (before its sites can fire) and before each pass of the
 * writer. */
void pfe_rec_meta_sync_objects(uint64_t ticks);
/* @obj leaves (dlclose; it is off the object list already): its unload
 * line, after its objects line and sym file if no sync wrote them. */
void pfe_rec_meta_unload(const struct pfe_object *obj, uint64_t ticks);

/* Create <tid>.dat with its 64-byte header and return its descriptor (a
 * high, close-on-exec one: outfile.c), or -errno after one line. Appends a
 * "<tid> <name>" line to threads (the name from /proc/self/task/<tid>/comm
 * when it can be read). */
int pfe_rec_meta_thread_fd(uint32_t tid);

/* A clean end: the info file's end line. */
void pfe_rec_meta_end(uint64_t ticks, uint64_t events, uint64_t lost);

#endif /* PFE_REC_META_H */
