/* SPDX-License-Identifier: MIT */
/*
 * Where the tracer's events go, opened once per process image.
 */
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "trace_out.h"
#include "trace_rec.h"
#include "tracer.h"

/* PFE_OUTPUT when it names the pid (%p), for fork children. */
static char out_tmpl[4096];

/* A fork child writes its text where %p names its own pid: the file is
 * opened as the parent's was (a recording gets the child's directory in
 * trace_rec.c). On failure the child goes on writing to the parent's. */
static void output_forked(void)
{
	char path[sizeof(out_tmpl)];
	int r = pfe_path_expand(path, sizeof(path), out_tmpl, getpid());

	if (r == 0)
		r = pfe_trace_out_reopen(path);
	if (r < 0) {
		pfe_err("PFE_OUTPUT='%s': cannot open for writing in child %d: %s; it writes "
			"to its parent's file",
			out_tmpl, (int)getpid(), pfe_output_strerror(r));
		return;
	}
	pfe_ring_set_out_fd(pfe_trace_out_fd());
}

/*
 * Where the events go: PFE_RECORD=<dir> files, or text to @output (NULL:
 * stderr). Opened (and a file truncated) even when nothing matches: a trace
 * left over from an earlier run must not pass for this run's. Once per
 * process image; the graph and signature modes (trace_graph.c) share it.
 */
int pfe_trace_open(const char *output, bool graph)
{
	const char *dir = pfe_env("PFE_RECORD");
	char path[4096];
	int r = 0;

	if (pfe_ring_started())
		return 0;
	if (dir && *dir) {
		if (output)
			pfe_err("PFE_OUTPUT='%s': ignored: PFE_RECORD='%s' records instead", output,
				dir);
		r = pfe_ring_start(-1, dir, graph, false);
	} else {
		if (output)
			r = pfe_path_expand(path, sizeof(path), output, getpid());
		if (r == 0)
			r = pfe_trace_out_start(output ? path : NULL);
		if (r < 0) {
			pfe_err("PFE_OUTPUT='%s': cannot open for writing: %s; not tracing",
				output ? output : "(stderr)", pfe_output_strerror(r));
			return r;
		}
		r = pfe_ring_start(pfe_trace_out_fd(), NULL, graph, pfe_trace_summary_mode());
		if (r == 0 && output && strstr(output, "%p") && strlen(output) < sizeof(out_tmpl)) {
			strcpy(out_tmpl, output);
			pfe_atfork(NULL, NULL, output_forked);
		}
	}
	if (r == 0)
		pfe_trace_note_others();
	return r;
}
