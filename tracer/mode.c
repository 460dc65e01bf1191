/* SPDX-License-Identifier: MIT */
/*
 * The tracer's modes: flat lines, graph (with times), summary. The
 * environment says which (PFE_GRAPH, PFE_SUMMARY) until the control thread
 * changes them (trace.c's pfe_trace_set_mode).
 */
#include "base.h"
#include "ctlcmd.h"
#include "tracer.h"

/* -1: as the environment says. The control thread changes them. */
static int graph_mode = -1, summary_mode = -1;

int pfe_trace_graph_mode(void)
{
	return graph_mode >= 0 ? graph_mode : pfe_env_graph();
}

bool pfe_trace_summary_mode(void)
{
	return summary_mode >= 0 ? summary_mode : pfe_env_bool("PFE_SUMMARY", false);
}

void pfe_trace_mode_set(int graph, bool summary)
{
	graph_mode = graph;
	summary_mode = summary;
}
