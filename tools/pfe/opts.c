/* SPDX-License-Identifier: MIT */
/*
 * The options every reading subcommand takes (-d DIR, --no-demangle,
 * --help) and the opening of the recording they name, in one place, so that
 * replay, report, dump, info and the commands built on them parse and word
 * their errors alike.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfe.h"
#include "reader.h"
#include "util.h"

static const struct option common_longopts[] = {
    {"no-demangle", no_argument, NULL, PFE_OPT_NO_DEMANGLE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

void pfe_opts_init(struct pfe_opts *o, const char *cmd)
{
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->dir = PFE_DEFAULT_DIR;
	o->demangle = true;
}

int pfe_getopt(struct pfe_opts *o, int argc, char **argv, const char *shortopts,
	       const struct option *longopts, pfe_opt_fn fn, void *ctx)
{
	size_t n = 0, m = 0;
	struct option *all;
	char *shorts;
	int c, ret = PFE_PROCEED;

	while (longopts && longopts[n].name)
		n++;
	while (common_longopts[m].name)
		m++;
	all = xcalloc(n + m + 1, sizeof(*all));
	if (n)
		memcpy(all, longopts, n * sizeof(*all));
	memcpy(all + n, common_longopts, (m + 1) * sizeof(*all));
	/* "+": options end at the first argument (a program and its own options);
	 * ":": a missing argument is told apart from an unknown option. */
	shorts = xmalloc(strlen(shortopts) + 8);
	sprintf(shorts, "%s:d:h%s", o->takes_args ? "+" : "", shortopts);
	opterr = 0;
	optind = 0; /* rescan from argv[1], also when a command parses twice */
	while (ret == PFE_PROCEED && (c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case PFE_OPT_NO_DEMANGLE:
			o->demangle = false;
			break;
		case 'h':
			fputs(pfe_usage, stdout);
			ret = 0;
			break;
		case ':':
			ret = usage_error(o->cmd, "%s needs an argument", argv[optind - 1]);
			break;
		case '?':
			ret = usage_error(o->cmd, "unknown option '%s'", argv[optind - 1]);
			break;
		default:
			ret = fn ? fn(ctx, c, optarg) : PFE_PROCEED;
			break;
		}
	}
	free(all);
	free(shorts);
	if (ret != PFE_PROCEED)
		return ret;
	o->argi = optind;
	if (!o->takes_args && optind < argc)
		return usage_error(o->cmd, "unexpected argument '%s'", argv[optind]);
	return PFE_PROCEED;
}

int pfe_open_recording(const struct pfe_opts *o, struct rd_recording *rec)
{
	return rd_open(rec, o->dir, o->demangle) ? 1 : 0;
}
