/* SPDX-License-Identifier: MIT */
/* PFE_CONTROL commands, parsed (ctlcmd.h). Pure. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctlcmd.h"
#include "envparse.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* @s starts with the word @w, followed by the end or a blank: the rest,
 * blanks skipped, in *@rest. */
static bool word(const char *s, const char *w, const char **rest)
{
	size_t n = strlen(w);

	if (strncmp(s, w, n) || (s[n] && !blank(s[n])))
		return false;
	for (s += n; blank(*s);)
		s++;
	*rest = s;
	return true;
}

int pfe_ctl_parse_depth(const char *s, uint64_t *out)
{
	return pfe_parse_uint(s, 1, PFE_CTL_DEPTH_MAX, out);
}

static int expected(char *why, size_t len, const char *what)
{
	snprintf(why, len, "expected %s", what);
	return -EINVAL;
}

int pfe_ctl_parse(char *line, struct pfe_ctl_cmd *cmd, char *why, size_t len)
{
	const char *a;
	size_t n;
	int mode;
	bool on;

	while (blank(*line))
		line++;
	n = strlen(line);
	while (n && blank(line[n - 1]))
		line[--n] = '\0';
	*cmd = (struct pfe_ctl_cmd){PFE_CTL_NONE, NULL, 0};
	if (!*line || *line == '#')
		return 0;
	if (word(line, "trace", &a)) {
		if (!*a)
			return expected(why, len, "'trace <patterns>' or 'trace off'");
		cmd->op = strcmp(a, "off") ? PFE_CTL_TRACE : PFE_CTL_TRACE_OFF;
		cmd->arg = cmd->op == PFE_CTL_TRACE ? a : NULL;
		return 0;
	}
	if (word(line, "graph", &a)) {
		if (pfe_parse_graph(a, &mode))
			return expected(why, len, "'graph on', 'graph off' or 'graph time'");
		cmd->op = PFE_CTL_GRAPH;
		cmd->value = (uint64_t)mode;
		return 0;
	}
	if (word(line, "summary", &a)) {
		if (!*a) {
			cmd->op = PFE_CTL_SUMMARY_NOW;
			return 0;
		}
		if (pfe_parse_bool(a, &on))
			return expected(why, len, "'summary', 'summary on' or 'summary off'");
		cmd->op = PFE_CTL_SUMMARY;
		cmd->value = on;
		return 0;
	}
	if (word(line, "depth", &a)) {
		cmd->op = PFE_CTL_DEPTH;
		if (!strcmp(a, "off"))
			return 0;
		if (pfe_ctl_parse_depth(a, &cmd->value))
			return expected(why, len,
					"'depth off' or 'depth <n>', " PFE_CTL_EXPECT_DEPTH);
		return 0;
	}
	if (word(line, "min-duration", &a)) {
		cmd->op = PFE_CTL_MIN_DURATION;
		if (!strcmp(a, "off"))
			return 0;
		if (pfe_parse_duration(a, &cmd->value))
			return expected(
			    why, len,
			    "'min-duration off' or 'min-duration <t>', " PFE_EXPECT_DURATION);
		return 0;
	}
	if (word(line, "list", &a)) {
		cmd->op = PFE_CTL_LIST;
		cmd->arg = *a ? a : NULL;
		return 0;
	}
	return expected(why, len,
			"trace, graph, summary, depth, min-duration or list (README.md "
			"\"Runtime control\")");
}
