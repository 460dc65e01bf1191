/* SPDX-License-Identifier: MIT */
/*
 * pfe record: run a program with libpfe preloaded and PFE_RECORD=<dir>.
 *
 * A program for another architecture than pfe's own (its ELF header says)
 * runs under qemu-<arch> (PFE_QEMU names another emulator), with
 * "-E LD_PRELOAD=..." so that libpfe is preloaded into the program and not
 * into the emulator; QEMU_CPU and the rest of the environment pass through.
 * libpfe.so is $PFE_LIB, else next to the pfe binary (the build tree), else
 * <prefix>/lib/libpfe.so for pfe installed in <prefix>/bin.
 *
 * The program's stdin, stdout and stderr are pfe's; its exit status is
 * pfe's (a signal that ended it ends pfe the same way).
 *
 * pfe returns when every process of the recording has ended, so that a
 * reader run right after sees all their calls: a child that outlives the
 * program (a daemon, uftrace's s-daemon) goes on writing after the program
 * has exited. pfe is a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER):
 * the orphans of the program's tree become pfe's children instead of
 * init's, and pfe waits for them until it has no child left. Nothing the
 * program does to its descriptors (a daemon closes them all) or its
 * session (setsid) hides a process from that, and a process has written
 * its recording when it has ended (libpfe writes at exit). A process that
 * runs on, a server, is waited for -w seconds (default 60) or until ^C;
 * then one line names what still runs, and its recording is read as it
 * stands.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"
#include "pfe.h"
#include "reader.h"
#include "util.h"

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_AARCH64:
		return "aarch64";
	case EM_X86_64:
		return "x86_64";
	case EM_386:
		return "i386";
	case EM_ARM:
		return "arm";
	case EM_RISCV:
		return "riscv64";
	case EM_PPC64:
		return "ppc64le";
	case EM_S390:
		return "s390x";
	default:
		return NULL;
	}
}

/* e_machine of the ELF file @path, or -1 after one error line. */
static int elf_machine(const char *path, const char *what)
{
	unsigned char h[EI_NIDENT + 4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		pfe_say("record: cannot run %s: %s", what, strerror(errno));
		return -1;
	}
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n < (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG)) {
		pfe_say("record: cannot run %s: not an ELF program (expected a program built with "
			"-fpatchable-function-entry=2)",
			what);
		return -1;
	}
	/* e_machine follows e_type, in the file's byte order. */
	return h[EI_DATA] == ELFDATA2MSB ? h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3]
					 : h[EI_NIDENT + 3] << 8 | h[EI_NIDENT + 2];
}

/* PROG as execvp would find it, in @out. */
int find_program(const char *prog, char *out, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, X_OK) ? -errno : 0;
	}
	for (const char *p = path ? path : "/usr/bin:/bin"; p;
	     p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL) {
		size_t n = strcspn(p, ":");

		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

static bool exists(const char *path)
{
	return !access(path, R_OK);
}

/* libpfe.so: PFE_LIB, next to pfe, or ../lib from pfe's directory. */
static int find_lib(char *out, size_t len)
{
	const char *env = getenv("PFE_LIB");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		if (!exists(env)) {
			pfe_say("record: PFE_LIB=%s: %s (expected libpfe.so)", env,
				strerror(errno));
			return -1;
		}
		snprintf(out, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		*slash = '\0';
		if (snprintf(out, len, "%s/libpfe.so", self) < (int)len && exists(out))
			return 0;
		if (snprintf(out, len, "%s/../lib/libpfe.so", self) < (int)len && exists(out))
			return 0;
	}
	pfe_say("record: libpfe.so not found next to pfe nor in its prefix's lib (expected "
		"PFE_LIB=/path/to/libpfe.so)");
	return -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/*
 * An earlier recording moves to DIR.old (replacing an older one), as uftrace
 * does with uftrace.data; a directory holding anything else is not ours to
 * move or remove.
 */
static int make_room(const char *dir)
{
	char old[PATH_MAX];
	struct stat st;

	switch (rd_probe(dir)) {
	case RD_PROBE_EMPTY:
		return 0;
	case RD_PROBE_OTHER:
		pfe_say("record: %s exists and is not a recording (expected a new directory or "
			"an earlier recording to move to %s.old)",
			dir, dir);
		return -1;
	case RD_PROBE_RECORDING:
		break;
	}
	snprintf(old, sizeof(old), "%s.old", dir);
	if (!lstat(old, &st)) {
		if (rd_probe(old) == RD_PROBE_OTHER) {
			pfe_say("record: %s exists and is not a recording (expected an earlier "
				"recording to replace)",
				old);
			return -1;
		}
		if (nftw(old, rm_entry, 16, FTW_DEPTH | FTW_PHYS)) {
			pfe_say("record: cannot remove %s: %s", old, strerror(errno));
			return -1;
		}
	}
	if (rename(dir, old)) {
		pfe_say("record: cannot move %s to %s: %s", dir, old, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {{NULL, 0, NULL, 0}};
	const char *dir = PFE_DEFAULT_DIR, *patterns = "*";
	unsigned wait_s = RECORD_WAIT_DEFAULT;
	bool entries_only = false;
	unsigned long v;
	char *end;
	int c, status, ret;

	opterr = 0;
	/* "+": options end at PROG, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+:f:d:gew:", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || errno || v > 86400 || optarg[0] == '-')
				return usage_error(
				    "record", "-w '%s': expected seconds from 0 to 86400", optarg);
			wait_s = (unsigned)v;
			break;
		case 'f':
			patterns = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'g': /* entry and exit: the default */
			entries_only = false;
			break;
		case 'e':
			entries_only = true;
			break;
		case ':':
			return usage_error("record", "%s needs an argument", argv[optind - 1]);
		default:
			return usage_error("record", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("record", "expected a program to run");
	ret = record_run(dir, patterns, entries_only, wait_s, argv + optind, &status);
	return ret != PFE_PROCEED ? ret : record_pass_status(status);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ^C while pfe waits for the recording's other processes. */
static volatile sig_atomic_t interrupted;

/* pfe's children now (orphans of the program's tree), space-separated,
 * after "pfe: record: <why>, not waiting for pid"; "?" when /proc does
 * not list them. */
static void say_still_running(const char *why)
{
	char path[64], pids[256] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	if (!f || !fgets(pids, sizeof(pids), f))
		snprintf(pids, sizeof(pids), "?");
	if (f)
		fclose(f);
	pids[strcspn(pids, "\n")] = '\0';
	if (pids[0] && pids[strlen(pids) - 1] == ' ')
		pids[strlen(pids) - 1] = '\0';
	pfe_say("record: %s, not waiting for pid %s of the recording (its recording may lack its "
		"last calls%s)",
		why, pids, interrupted ? "" : "; -w SECONDS waits longer");
}

static void on_interrupt(int sig)
{
	interrupted = 1;
}

/*
 * The rest of the recording's processes, orphans of the program's tree that
 * pfe inherited as a subreaper: reaped until none is left, for up to
 * @wait_s seconds, or until ^C (the program's own ^C is the program's:
 * this is after it ended). Polled every 10 ms: nothing to set up that the
 * program could disturb.
 */
static void wait_others(unsigned wait_s)
{
	struct sigaction sa = {.sa_handler = on_interrupt}, old;
	uint64_t deadline = now_ms() + (uint64_t)wait_s * 1000;
	char why[64];
	int st;

	interrupted = 0;
	sigaction(SIGINT, &sa, &old);
	for (;;) {
		pid_t pid = waitpid(-1, &st, WNOHANG);
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (pid > 0)
			continue;
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break; /* ECHILD: every process has ended */
		if (interrupted || now_ms() >= deadline) {
			if (interrupted)
				snprintf(why, sizeof(why), "interrupted");
			else
				snprintf(why, sizeof(why),
					 "still running %u s after the program ended", wait_s);
			say_still_running(why);
			break;
		}
		nanosleep(&ts, NULL);
	}
	sigaction(SIGINT, &old, NULL);
}

/*
 * -f's terms for pfe_pattern_compile, in @out (as long as @spec): a term
 * with a signature, "parse(const char *, int)->long", has commas of its
 * own, and its types are libpfe's to check (README.md "Signatures"), as
 * PFE_TRACE's. The signature's bytes become '?' (part of the name's glob),
 * so that an error's offset is still the one in @spec. -1 after one line
 * when a '(' has no ')'.
 */
static int term_names(const char *spec, char *out)
{
	size_t open = 0;
	int depth = 0;
	bool sig = false;

	for (size_t i = 0; spec[i]; i++) {
		char c = spec[i];

		if (c == '(' && !depth++ && !sig) {
			sig = true;
			open = i;
		} else if (c == ')' && depth) {
			depth--;
		} else if (c == ',' && !depth) {
			sig = false;
		}
		*out++ = sig ? '?' : c;
	}
	*out = '\0';
	if (depth) {
		pfe_say("record: -f '%s': '(' at offset %zu has no ')' (expected "
			"name(type, ...)->type)",
			spec, open);
		return -1;
	}
	return 0;
}

int record_run(const char *dir, const char *patterns, bool entries_only, unsigned wait_s,
	       char **argv, int *wstatus)
{
	char prog[PATH_MAX], lib[PATH_MAX], preload[PATH_MAX + 16], err[256], *names;
	struct sigaction ign = {.sa_handler = SIG_IGN}, oint, oquit;
	const char *qemu = NULL;
	struct pfe_pattern *pat;
	int host, target, status, argc = 0;
	char **args;
	pid_t pid;

	while (argv[argc])
		argc++;
	names = xmalloc(strlen(patterns) + 1);
	if (term_names(patterns, names)) {
		free(names);
		return 2;
	}
	pat = pfe_pattern_compile(names, err, sizeof(err));
	free(names);
	if (!pat) {
		pfe_say("record: -f '%s': %s", patterns, err);
		return 2;
	}
	pfe_pattern_free(pat);
	if (find_program(argv[0], prog, sizeof(prog))) {
		pfe_say("record: cannot run %s: %s", argv[0],
			strchr(argv[0], '/') ? strerror(errno) : "not found in PATH");
		return 127;
	}
	target = elf_machine(prog, argv[0]);
	host = elf_machine("/proc/self/exe", "pfe");
	if (target < 0 || host < 0)
		return 127;
	if (find_lib(lib, sizeof(lib)))
		return 1;
	if (target != host) {
		const char *arch = machine_name((unsigned)target);
		static char qbuf[64];

		qemu = getenv("PFE_QEMU");
		if (!qemu || !*qemu) {
			if (!arch) {
				pfe_say("record: %s: ELF machine %d has no known qemu (expected "
					"PFE_QEMU=<emulator>)",
					argv[0], target);
				return 127;
			}
			snprintf(qbuf, sizeof(qbuf), "qemu-%s", arch);
			qemu = qbuf;
		}
		if (strchr(lib, ',')) {
			pfe_say("record: %s: qemu's -E cannot pass a path with a comma", lib);
			return 1;
		}
	}
	if (make_room(dir))
		return 1;
	/* libpfe creates the process subdirectories; the top one is ours. */
	if (mkdir(dir, 0777) && errno != EEXIST) {
		pfe_say("record: cannot create %s: %s", dir, strerror(errno));
		return 1;
	}
	args = xcalloc((size_t)argc + 4, sizeof(*args));
	if (qemu) {
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", lib);
		args[0] = (char *)qemu;
		args[1] = "-E";
		args[2] = preload;
		memcpy(args + 3, argv, (size_t)argc * sizeof(*args));
		args[3] = prog;
	} else {
		memcpy(args, argv, (size_t)argc * sizeof(*args));
		args[0] = prog;
	}
	setenv("PFE_RECORD", dir, 1);
	setenv("PFE_TRACE", patterns, 1);
	if (entries_only)
		unsetenv("PFE_GRAPH");
	else
		setenv("PFE_GRAPH", "1", 1);
	/* Like system(3): ^C and ^\ are for the program; pfe waits for it. */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	fflush(NULL);
	/* Before the fork: a process the program starts may outlive it at once. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		if (!qemu)
			setenv("LD_PRELOAD", lib, 1);
		execvp(args[0], args);
		pfe_say("record: cannot run %s: %s", args[0], strerror(errno));
		_exit(127);
	}
	free(args);
	if (pid < 0) {
		pfe_say("record: fork: %s", strerror(errno));
		return 1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			pfe_say("record: waitpid: %s", strerror(errno));
			return 1;
		}
	wait_others(wait_s);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	*wstatus = status;
	return PFE_PROCEED;
}

int record_pass_status(int status)
{
	if (WIFSIGNALED(status)) {
		/* End the same way, without a core file of pfe's own. */
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		struct rlimit none = {0, 0};
		sigset_t set;

		setrlimit(RLIMIT_CORE, &none);
		sigaction(WTERMSIG(status), &dfl, NULL);
		sigemptyset(&set);
		sigaddset(&set, WTERMSIG(status));
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
