/* SPDX-License-Identifier: MIT */
/*
 * tracer/: the PFE_TRACE tracer, a client of the core (lib/core/core.h's
 * struct pfe_client): it attaches hooks through the public API, and the core
 * tells it of start-up, image end, loads and unloads without naming it.
 *
 *   trace.c          the front-end: PFE_TRACE, patterns, attach and detach,
 *                    the client's callbacks
 *   trace_graph.c    graph mode and signatures (hooks with exits)
 *   mode.c           which mode: flat, graph, summary
 *   output.c         where events go: PFE_RECORD or text to PFE_OUTPUT
 *   caller.c         naming a caller from its return address
 *   unmatched.c      the warning for a term that matches nothing
 *   event.h          the 16-byte events of the per-thread rings (pure)
 *   trace_rec.h      the rings: the traced thread's inline fast path and
 *                    the rings' contract; trace_rec.c: their life (start,
 *                    flushes, exit, fatal signals, fork, run-time settings)
 *   ring_internal.h  what the rings' files share, and how the rings work:
 *     ring_put.c       the traced thread's side: claiming, putting
 *     ring_consume.c   consuming a ring into a sink: text lines, recording,
 *                      the summary's table
 *     ring_filter.c    graph text's filters (min-duration, depth)
 *     ring_open.c      the calls each thread has open, closed at the end
 *     ring_writer.c    the writer thread
 *     ring_out.c       a ring's busy word, output buffer and lines
 *     ring_state.c     the rings' shared state and the counter's ns
 *   trace_text.c     events as text lines
 *   trace_fmt.c      numbers and lines without printf (pure)
 *   trace_out.c      the text output file
 *   trace_summary.c  PFE_SUMMARY's table (sumtab.c: pure)
 *   rec_meta.c       a recording's metadata (record.h: the format)
 *   control.c        PFE_CONTROL: the tracer controlled through a FIFO
 *   ctlcmd.c         control commands parsed (pure, ctlcmd.h)
 */
#ifndef PFE_TRACER_H
#define PFE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_fmt.h"

/* ------------------------------------------------------------ trace.c */
/*
 * Start the PFE_TRACE tracer: compile @spec (one error line and -EINVAL when
 * malformed: nothing is patched), warn once for each include term matching no
 * patchable function, open @output (NULL: stderr) and attach the hook to every
 * selected function. Called when the core is ready (the client's ready
 * callback) and by the control thread.
 */
int pfe_trace_start(const char *spec, const char *output);
/* Runtime control (tracer/control.c): detach the tracer, in whatever mode
 * (-ENOENT when it is not attached); replace its patterns by @spec in the
 * mode the environment and @spec ask for (flat, PFE_GRAPH, PFE_SUMMARY,
 * signatures), starting the output on first use (PFE_OUTPUT). On failure the
 * old patterns stay, and for a malformed pattern @why (@len bytes) says where,
 * as for PFE_TRACE. Not from a hook. */
int pfe_trace_stop(void);
int pfe_trace_set(const char *spec, char *why, size_t len);
/* Control's "graph on|off|time" (PFE_GRAPH_*, ctlcmd.h), "summary on|off":
 * the same patterns in the new mode; -ENOTSUP when recording. "summary":
 * the table now (-ENOENT when not in summary mode). "depth", "min-duration":
 * graph lines deeper than @depth levels (0: all) or of calls shorter than
 * @min_ns (0: all) are not written. Control thread only. */
int pfe_trace_set_mode(int graph, bool summary);
int pfe_trace_set_summary(bool on);
int pfe_trace_summary_now(void);
void pfe_trace_set_filters(uint64_t min_ns, unsigned depth);

/* Warn once for each include term of @pat that matches no patchable
 * function loaded now (flat, graph and signature modes alike). */
struct pfe_pattern;
void pfe_trace_warn_unmatched(struct pfe_pattern *pat);

/* ----------------------------------------------------------- output.c */
/* Open where events go (PFE_RECORD or @output, NULL: stderr) and start the
 * rings, once per process image; @graph: events with exits. Returns 0 or
 * -errno after one line. */
int pfe_trace_open(const char *output, bool graph);

/* ------------------------------------------------------------- mode.c */
/* The modes asked for, by PFE_GRAPH and PFE_SUMMARY until the control
 * thread sets them. */
int pfe_trace_graph_mode(void);
bool pfe_trace_summary_mode(void);
void pfe_trace_mode_set(int graph, bool summary);

/* ----------------------------------------------------------- caller.c */
/* Name the caller at return address @ra, inside a read-side section. */
void pfe_trace_caller(uintptr_t ra, struct pfe_caller *c);
/* Take the snapshot of objects without sites that names callers. */
void pfe_trace_note_others(void);

#endif /* PFE_TRACER_H */
