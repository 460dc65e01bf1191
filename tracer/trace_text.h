/* SPDX-License-Identifier: MIT */
/*
 * PFE_TRACE text from the tracer's events (trace_text.c).
 */
#ifndef PFE_TRACE_TEXT_H
#define PFE_TRACE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* One event as the writer hands it over. */
struct pfe_text_ev {
	struct pfe_rec r; /* in-memory form (trace_rec.h) */
	uint32_t tid;
	uint64_t ns;	  /* since the tracer's start */
	const char *text; /* the ARGS/RETVAL payload that followed, or NULL */
	size_t ntext;
	bool graph;	  /* PFE_GRAPH text */
	bool time;	  /* PFE_GRAPH=time: graph lines carry ns as flat lines do */
	bool open_at_end; /* an EXIT made up for a call the image ended in */
	bool inherited;	  /* an ENTRY made up for a call a fork child inherited */
};

/* Longest line pfe_text_format writes. */
#define PFE_TEXT_LINE_MAX 2048

/* Format @e into @buf (@cap >= PFE_TEXT_LINE_MAX bytes); returns the
 * length, newline included, or 0 when the event prints nothing. Inside an
 * RCU read-side section (sites and callers are named). */
size_t pfe_text_format(char *buf, size_t cap, const struct pfe_text_ev *e);

#endif /* PFE_TRACE_TEXT_H */
