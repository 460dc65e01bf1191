/* SPDX-License-Identifier: MIT */
/*
 * The PFE_TRACE tracer: an entry hook attached with the public
 * pfe_hook_add(), writing one line per call in the style of ftrace's function
 * tracer:
 *
 *   <tid> <seconds since start, µs> <function> <- <caller>+0x<offset>
 *
 * The caller is the return address the function was called with (what
 * ftrace prints as the parent ip), so "main+0x24" is the instruction after
 * the call in main.
 *
 * The hook only stores a 16-byte event in the thread's ring (trace_rec.h):
 * the time from the architecture's counter, the site's id and the return address. The line
 * is formatted later by the writer thread (trace_rec.c, trace_text.c), which
 * names the caller as below. With PFE_RECORD=<dir> the events are written
 * as they are instead (tracer/record.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlcmd.h"
#include "hooks.h"
#include "trace_graph.h"
#include "trace_rec.h"
#include "tracer.h"

static struct pfe_hook *trace_hook_handle;
/* The patterns attached now, for a failed change to go back to. */
static char *cur_spec;

/*
 * The hook: one event, no lock, no malloc, no system call (unless the
 * thread's ring is new or full), async-signal-safe.
 */
static void trace_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	pfe_ring_put(pfe_rec_entry(pfe_ring_clock(), site->id, regs->lr));
}

int pfe_trace_start(const char *spec, const char *output)
{
	char err[256];
	struct pfe_pattern *pat;
	int r = 0;

	if (trace_hook_handle)
		return -EALREADY;
	if (pfe_trace_graph_wanted(spec)) /* signatures, PFE_GRAPH: trace_graph.c */
		return pfe_trace_graph_start(spec, output);
	pat = pfe_pattern_compile(spec, err, sizeof(err));
	if (!pat) {
		r = -errno;
		pfe_err("PFE_TRACE='%s': %s", spec ? spec : "(null)", err);
		return r;
	}
	r = pfe_trace_open(output, false);
	if (r < 0) {
		pfe_pattern_free(pat);
		return r;
	}
	pfe_pattern_free(pat);

	/* Attached even when nothing matches now: a library loaded later with
	 * dlopen gets the tracer too (registry.c applies live hooks to it). */
	trace_hook_handle =
	    pfe_hook_add_ext(spec, trace_entry, NULL, NULL, NULL, NULL, PFE_HOOK_KEEP);
	if (!trace_hook_handle) {
		r = -errno;
		pfe_err("PFE_TRACE='%s': cannot attach the tracer: %s", spec, strerror(errno));
		return r;
	}
	/* After the attach: the hook's own pattern counted the dynamic sites
	 * it made (lib/core/dynsite.c), which exist only from then on. */
	pfe_trace_warn_unmatched(trace_hook_handle->pat);
	free(cur_spec);
	cur_spec = strdup(spec);
	pfe_debug("PFE_TRACE='%s': tracing %zu functions", spec,
		  pfe_hook_nsites(trace_hook_handle));
	return 0;
}

/* ------------------------------------------------------------ runtime control */
/*
 * Called by the PFE_CONTROL thread (tracer/control.c), never from a hook. The
 * output stays open across stops and restarts: one trace file per run.
 */
int pfe_trace_stop(void)
{
	struct pfe_hook *h = trace_hook_handle;
	int r = pfe_trace_graph_stop(); /* graph and signature hooks */

	if (!h)
		return r;
	trace_hook_handle = NULL;
	return pfe_hook_remove(h);
}

/* @spec in the mode it asks for: flat lines, or trace_graph.c's hooks for
 * PFE_GRAPH, PFE_SUMMARY and signatures. Nothing else attached. */
static int attach_spec(const char *spec)
{
	if (pfe_trace_graph_wanted(spec)) {
		int r = pfe_trace_graph_start(spec, pfe_env("PFE_OUTPUT"));

		if (r)
			pfe_trace_graph_stop();
		return r;
	}
	/* As for PFE_TRACE: kept even when nothing matches yet, so that a
	 * library loaded later is traced; a term matching nothing is warned of. */
	trace_hook_handle =
	    pfe_hook_add_ext(spec, trace_entry, NULL, NULL, NULL, NULL, PFE_HOOK_KEEP);
	if (!trace_hook_handle)
		return -errno;
	pfe_trace_warn_unmatched(trace_hook_handle->pat);
	return 0;
}

int pfe_trace_set(const char *spec, char *why, size_t len)
{
	struct pfe_pattern *pat;
	char err[256];
	int r;

	/* A malformed pattern changes nothing, and says where it is wrong as
	 * PFE_TRACE does. Signatures are checked when attached. */
	if (!strchr(spec, '(')) {
		pat = pfe_pattern_compile(spec, err, sizeof(err));
		if (!pat) {
			r = -errno;
			snprintf(why, len, "%s", err);
			pfe_err("PFE_CONTROL trace '%s': %s", spec, err);
			return r;
		}
		pfe_pattern_free(pat);
	}
	if (!pfe_ring_started()) {
		r = pfe_trace_start(spec, pfe_env("PFE_OUTPUT"));
		if (!r && !trace_hook_handle && !pfe_trace_graph_active())
			r = -ENOENT;
	} else {
		/* Detach first: functions in both sets must not be traced twice
		 * while two hooks overlap. Nothing is traced in between. */
		pfe_trace_stop();
		r = attach_spec(spec);
		if (r && pfe_trace_graph_why[0])
			snprintf(why, len, "%s", pfe_trace_graph_why);
		if (r && cur_spec)
			attach_spec(cur_spec);
	}
	if (!r) {
		free(cur_spec);
		cur_spec = strdup(spec);
	}
	return r;
}

/*
 * Switch to graph mode @g (PFE_GRAPH_*) and summary @sum: detach, let every
 * hook in flight finish (a grace period), write out every event in the old
 * mode, tell the writer, and attach the same patterns in the new mode,
 * when they were attached. A
 * trace never mixes the two formats for one call's lines.
 */
int pfe_trace_set_mode(int g, bool sum)
{
	bool on = trace_hook_handle || pfe_trace_graph_active();
	int r;

	if (!pfe_ring_started()) {
		pfe_trace_mode_set(g, sum);
		return 0;
	}
	pfe_trace_stop();
	pfe_synchronize_rcu();
	pfe_ring_drain(false);
	r = pfe_ring_set_mode(g != PFE_GRAPH_OFF || sum, g == PFE_GRAPH_TIME, sum);
	if (!r)
		pfe_trace_mode_set(g, sum);
	/* After "trace off" the patterns are kept for no one: tracing
	 * stays off until a "trace" command. */
	if (on && cur_spec)
		attach_spec(cur_spec);
	return r;
}

int pfe_trace_set_summary(bool on)
{
	return pfe_trace_set_mode(pfe_trace_graph_mode(), on);
}

int pfe_trace_summary_now(void)
{
	return pfe_ring_summary_now();
}

/* The writer applies the filters as it writes, by the time each event was
 * stamped: what was stored before the change is written under the old ones,
 * without waiting for busy threads' rings to be written out. */
void pfe_trace_set_filters(uint64_t min_ns, unsigned depth)
{
	pfe_ring_set_filters(min_ns, depth);
}

/* ------------------------------------------------------------ the client */

/* Start-up discovery is done: trace what PFE_TRACE names. A bad value has
 * said so in one line and left everything unpatched. */
static void tracer_ready(void)
{
	const char *spec = pfe_env("PFE_TRACE");

	if (spec)
		pfe_trace_start(spec, pfe_env("PFE_OUTPUT"));
}

/* Before an exec or _exit: everything held for every thread is written out. */
static void tracer_image_end(void)
{
	pfe_ring_drain(false);
	pfe_ring_image_end();
}

static const struct pfe_client tracer_client = {
    .name = "tracer",
    /* Trace times count from the constructor, however late tracing starts. */
    .early = pfe_ring_note_start,
    .ready = tracer_ready,
    .image_end = tracer_image_end,
    .quit = pfe_ring_quit,
    .after_load = pfe_ring_after_load,
    .before_unload = pfe_ring_before_unload,
};

__attribute__((constructor(PFE_CLIENT_PRIORITY))) static void tracer_register(void)
{
	pfe_client_register(&tracer_client);
}
