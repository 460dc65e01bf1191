/* SPDX-License-Identifier: MIT */
/*
 * PFE_CONTROL commands (ctlcmd.c): one line in, one parsed command out.
 * Pure, so that every accepted form and every refusal is tested on the host
 * (tests/unit/test_ctlcmd.c); tracer/control.c executes what this returns.
 *
 *   trace <patterns>      PFE_TRACE's language, signatures included
 *   trace off
 *   graph on|off|time     PFE_GRAPH's values ("time": graph lines with times)
 *   summary on|off        PFE_SUMMARY: a table instead of lines
 *   summary               write the table of the calls so far now
 *   depth <n>|off         PFE_DEPTH: calls nested deeper are not written
 *   min-duration <t>|off  PFE_MIN_DURATION: shorter calls are not written
 *   list [<path>]         PFE_LIST
 */
#ifndef PFE_CTLCMD_H
#define PFE_CTLCMD_H

#include <stddef.h>
#include <stdint.h>

#include "envparse.h"

enum pfe_ctl_op {
	PFE_CTL_NONE,  /* blank line or # comment: nothing to do, no reply */
	PFE_CTL_TRACE, /* arg: the patterns */
	PFE_CTL_TRACE_OFF,
	PFE_CTL_GRAPH,	 /* value: PFE_GRAPH_OFF, _ON or _TIME */
	PFE_CTL_SUMMARY, /* value: 0 or 1 */
	PFE_CTL_SUMMARY_NOW,
	PFE_CTL_DEPTH,	      /* value: frames shown, 0 for no limit */
	PFE_CTL_MIN_DURATION, /* value: nanoseconds, 0 for no filter */
	PFE_CTL_LIST,	      /* arg: the path, or NULL */
};

/* The deepest PFE_DEPTH / "depth" limit (lib/hooks/exit.c's PFE_DEPTH_MAX). */
#define PFE_CTL_DEPTH_MAX (1u << 22)

struct pfe_ctl_cmd {
	enum pfe_ctl_op op;
	const char *arg; /* points into the line */
	uint64_t value;
};

/*
 * Parse @line (one command, without its newline; leading and trailing blanks
 * are ignored and the line is modified to drop them). Returns 0, or -EINVAL
 * with what was expected in @why (@len bytes).
 */
int pfe_ctl_parse(char *line, struct pfe_ctl_cmd *cmd, char *why, size_t len);

/* PFE_DEPTH's value: a number of frames from 1 to PFE_CTL_DEPTH_MAX. */
int pfe_ctl_parse_depth(const char *s, uint64_t *out);

#define PFE_CTL_EXPECT_DEPTH "a number of frames from 1 to 4194304"

#endif /* PFE_CTLCMD_H */
