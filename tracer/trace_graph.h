/* SPDX-License-Identifier: MIT */
/*
 * The tracer's signature and function-graph modes (trace_graph.c), and what
 * they borrow from trace.c.
 */
#ifndef PFE_TRACE_GRAPH_H
#define PFE_TRACE_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "trace_fmt.h"

/* True when PFE_GRAPH is set (not "0") or @spec has a signature. */
bool pfe_trace_graph_wanted(const char *spec);
/* pfe_trace_start for those modes: same contract; again after
 * pfe_trace_graph_stop for new patterns (the output stays open). */
int pfe_trace_graph_start(const char *spec, const char *output);
/* Detach what pfe_trace_graph_start attached; -ENOENT when nothing. */
int pfe_trace_graph_stop(void);
/* Why the last pfe_trace_graph_start refused its patterns ("" if it did
 * not say): for the control log. Control thread or constructor. */
extern char pfe_trace_graph_why[256];
/* Some hook of these modes is attached. */
bool pfe_trace_graph_active(void);

#endif /* PFE_TRACE_GRAPH_H */
