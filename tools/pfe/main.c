/* SPDX-License-Identifier: MIT */
/*
 * pfe: record a program with libpfe, then read the recording
 * (PFE_RECORD format, tracer/record.h) as a function graph, a per-function
 * report, Chrome/Perfetto JSON or folded stacks. See pfe(1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pfe.h"
#include "util.h"

const char pfe_usage[] =
    "usage: pfe <command> [options]\n"
    "  record [-f PATTERNS] [-e] [-d DIR] [-w SECONDS] [--] PROG [ARGS...]\n"
    "        run PROG with libpfe, record its calls into DIR; return when every\n"
    "        process of it has ended, or SECONDS (60) after PROG; a term with a\n"
    "        signature, -f 'parse(const char *, int)->long', records its arguments\n"
    "        and result, which replay and dump show\n"
    "  live [-f PATTERNS] [-e] [-d DIR] [REPLAY OPTIONS] [--] PROG [ARGS...]\n"
    "        record PROG into a directory under $TMPDIR, replay it, remove it\n"
    "        (-d DIR: keep it there); PROG's exit status is pfe's\n"
    "  PROG [ARGS...]\n"
    "        the same as live PROG, when PROG is no command's name and is an\n"
    "        executable file (a path with a '/') or found in PATH (a name)\n"
    "  replay [-d DIR] [--tid T] [-D DEPTH] [-t MIN] [-F FUNC] [-N FUNC] [--flat]\n"
    "        each thread's function graph\n"
    "  report [-d DIR] [-s total|self|calls|avg|max]\n"
    "        time and calls per function\n"
    "  report [-d DIR] --diff OTHER_DIR\n"
    "        two runs per function side by side, the largest change first\n"
    "  graph [-d DIR] [-F FUNC | --callers FUNC]\n"
    "        calls and time aggregated per path (under FUNC; FUNC's callers)\n"
    "  dump --chrome|--flame|--perfetto [-d DIR]\n"
    "        Chrome JSON, folded stacks, or Perfetto's protobuf trace on stdout\n"
    "  info [-d DIR]\n"
    "        what the recording holds\n"
    "Reading commands take --no-demangle and --help; DIR defaults to pfe.data. See pfe(1).\n";

int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pfe_say("%s: %s (see pfe --help)", cmd, msg);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {{"record", cmd_record}, {"live", cmd_live},	  {"replay", cmd_replay},
		    {"report", cmd_report}, {"graph", cmd_graph}, {"dump", cmd_dump},
		    {"info", cmd_info}};

	char path[4096];

	if (argc < 2) {
		fputs(pfe_usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(pfe_usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	/* pfe PROG: PROG as execvp finds it, so that pfe ./app and pfe ls work and
	 * a misspelt command is still an unknown command. */
	if (argv[1][0] != '-' && !find_program(argv[1], path, sizeof(path)))
		return cmd_live(argc, argv);
	if (!strchr(argv[1], '/') && !access(argv[1], F_OK))
		pfe_say("unknown command '%s' (a program in this directory runs as pfe ./%s; see "
			"pfe --help)",
			argv[1], argv[1]);
	else
		pfe_say(
		    "unknown command '%s' (expected record, live, replay, report, graph, dump or "
		    "info, or a program to run; see pfe --help)",
		    argv[1]);
	return 2;
}
