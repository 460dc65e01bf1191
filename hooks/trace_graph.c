/* SPDX-License-Identifier: MIT */
/*
 * The PFE_TRACE tracer with signatures and the function-graph mode.
 *
 * pfe_trace_start (trace.c) hands the spec here when PFE_GRAPH is set (and
 * not "0") or a term carries a signature (README.md "Signatures"):
 *
 *   PFE_TRACE='parse(str,int)->long,fmt*,!fmt_debug'
 *
 * A term is "name[@object][(types)[->type]]"; the commas inside parentheses
 * belong to the signature. Each term with a signature gets its own hook with
 * it; the others share one hook, which also excludes the signature terms'
 * names so that no function is printed twice. "!term" exclusions apply to
 * every hook.
 *
 * Without PFE_GRAPH the lines are the tracer's, with the arguments after the
 * name and, for a function with a result, a line when it returns:
 *   <tid> <s.us> parse("abc", 3) <- main+0x24
 *   <tid> <s.us> parse = 7
 * With PFE_GRAPH=1 every traced function gets an exit hook and the lines
 * nest like ftrace's function_graph and uftrace's replay, the time being the
 * call's duration:
 *   <tid> | parse("abc", 3) {
 *   <tid> |   fmt() {
 *   <tid> |   } fmt (0.520 us)
 *   <tid> | } parse = 7 (3.100 us)
 * Beyond 100 levels the indentation stays and the level is shown:
 *   <tid> |   <200 spaces> [101] parse("abc", 3) {
 * Functions without a signature show "()". Nesting is the thread's count of
 * outstanding hooked frames (the exit hooks' shadow stack). A frame left by
 * longjmp, an exception, pthread_exit... closes with "} fmt (0.520 us,
 * unwound)"; calls beyond PFE_DEPTH print nothing, and the next exit says
 * how many were not shown, in a C comment one level deeper than that exit:
 * "904 calls deeper than PFE_DEPTH not shown".
 *
 * String and stack arguments are read without ever faulting
 * (lib/saferead.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demangle.h"
#include "dispatch.h"
#include "env.h"
#include "exit.h"
#include "outfile.h"
#include "pattern.h"
#include "saferead.h"
#include "sig.h"
#include "trace_fmt.h"
#include "trace_graph.h"
#include "trace_out.h"

#define GLINE_MAX 1024

static uint64_t t0;
static bool graph;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ----------------------------------------------------------- reading */

/* Strings and stack arguments of the program: lib/saferead.c. */
static bool safe_read(uintptr_t addr, void *buf, size_t n)
{
	return pfe_safe_read(buf, addr, n);
}

/* ---------------------------------------------------------- printing */

struct line {
	char b[GLINE_MAX];
	size_t n;
};

static void add(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->b) - 1 - l->n)
		n = sizeof(l->b) - 1 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void adds(struct line *l, const char *s)
{
	add(l, s, strlen(s));
}

static void add_u(struct line *l, uint64_t v, unsigned min_digits)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v || sizeof(d) - i < min_digits);
	add(l, d + i, sizeof(d) - i);
}

static void add_value(struct line *l, struct pfe_type t, union pfe_value v)
{
	l->n += pfe_sig_fmt_value(l->b + l->n, sizeof(l->b) - l->n, t, v, safe_read);
}

static void add_args(struct line *l, const struct pfe_sig *sig, const struct pfe_regs *regs)
{
	add(l, "(", 1);
	if (sig)
		l->n += pfe_sig_fmt_args(l->b + l->n, sizeof(l->b) - l->n, sig, regs, safe_read);
	add(l, ")", 1);
}

static void add_name(struct line *l, const struct pfe_site *site)
{
	if (pfe_site_label(site))
		adds(l, pfe_site_label(site));
	else
		add(l, "?", 1);
}

/* Deeper levels are indented as this one and say their level: "[N] ". */
#define GRAPH_INDENT_MAX 100

/* "<tid> | " and two spaces per level. */
static void graph_head(struct line *l, unsigned level)
{
	add_u(l, pfe_trace_out_tid(), 1);
	add(l, " | ", 3);
	for (unsigned i = 0; i < level && i < GRAPH_INDENT_MAX; i++)
		add(l, "  ", 2);
	if (level > GRAPH_INDENT_MAX) {
		add(l, "[", 1);
		add_u(l, level, 1);
		add(l, "] ", 2);
	}
}

static void emit(struct line *l)
{
	add(l, "\n", 1);
	pfe_trace_out_write(l->b, l->n);
}

static const struct pfe_sig *cur_sig(void)
{
	return pfe_cur_hook ? pfe_cur_hook->sig : NULL;
}

/* ------------------------------------------------------------- hooks */

static void graph_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	struct line l = {.n = 0};

	if (!pfe_exit_room())
		return; /* beyond PFE_DEPTH: no "}" will come; counted instead */
	graph_head(&l, pfe_exit_depth());
	add_name(&l, site);
	add_args(&l, cur_sig(), regs);
	adds(&l, " {");
	emit(&l);
}

static void graph_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		       void *data)
{
	const struct pfe_sig *sig = cur_sig();
	struct line l = {.n = 0};
	bool unwound = ret->flags & PFE_RET_UNWOUND;
	unsigned long lost = pfe_exit_take_lost();

	if (lost) {
		graph_head(&l, pfe_exit_depth() + 1);
		adds(&l, "/* ");
		add_u(&l, lost, 1);
		adds(&l, " calls deeper than PFE_DEPTH not shown */");
		emit(&l);
		l.n = 0;
	}
	graph_head(&l, pfe_exit_depth());
	adds(&l, "} ");
	add_name(&l, site);
	if (sig && sig->ret.kind != PFE_TK_VOID && !unwound) {
		adds(&l, " = ");
		add_value(&l, sig->ret, pfe_sig_ret(sig, ret));
	}
	adds(&l, " (");
	add_u(&l, ns / 1000, 1);
	add(&l, ".", 1);
	add_u(&l, ns % 1000, 3);
	adds(&l, unwound ? " us, unwound)" : " us)");
	emit(&l);
}

static void typed_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	char line[PFE_TRACE_LINE_MAX];
	struct line name = {.n = 0};
	struct pfe_caller c;
	size_t n;

	add_name(&name, site);
	if (cur_sig())
		add_args(&name, cur_sig(), regs);
	name.b[name.n < PFE_TRACE_NAME_MAX ? name.n : PFE_TRACE_NAME_MAX] = '\0';
	pfe_trace_caller(regs->lr, &c);
	n = pfe_trace_fmt_line(line, pfe_trace_out_tid(), now_ns() - t0, name.b, site->func, &c);
	pfe_trace_out_write(line, n);
}

/* "<tid> <s.us> name = value", the tracer's time format. */
static void typed_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		       void *data)
{
	const struct pfe_sig *sig = cur_sig();
	struct line l = {.n = 0};
	uint64_t t = now_ns() - t0;

	if (!sig)
		return;
	add_u(&l, pfe_trace_out_tid(), 1);
	add(&l, " ", 1);
	add_u(&l, t / 1000000000u, 1);
	add(&l, ".", 1);
	add_u(&l, t / 1000 % 1000000, 6);
	add(&l, " ", 1);
	add_name(&l, site);
	adds(&l, " = ");
	add_value(&l, sig->ret, pfe_sig_ret(sig, ret));
	emit(&l);
}

/* ------------------------------------------------------------- start */

struct spec {
	char *plain; /* include terms without signature, then !sig names */
	size_t nplain;
	char *excl; /* ",!a,!b": appended to every pattern */
	struct term {
		char *name, *sig;
	} t[64];
	unsigned nt;
	bool bad;
};

static void append(char **s, const char *a, size_t n)
{
	size_t old = *s ? strlen(*s) : 0;
	char *p = realloc(*s, old + n + 1);

	if (!p)
		return;
	memcpy(p + old, a, n);
	p[old + n] = '\0';
	*s = p;
}

static int split_term(const char *term, size_t len, void *ctx)
{
	struct spec *sp = ctx;
	size_t nl;
	char *t = strndup(term, len);

	if (!t)
		return -ENOMEM;
	nl = pfe_sig_name_len(t);
	if (t[0] == '!') {
		append(&sp->excl, ",", 1);
		append(&sp->excl, t, len);
	} else if (nl < len) {
		if (sp->nt == sizeof(sp->t) / sizeof(sp->t[0])) {
			pfe_err("PFE_TRACE: more than %zu terms with signatures",
				sizeof(sp->t) / sizeof(sp->t[0]));
			free(t);
			return -E2BIG;
		}
		sp->t[sp->nt].name = strndup(t, nl);
		sp->t[sp->nt].sig = strdup(t + nl);
		sp->nt++;
	} else {
		if (sp->nplain++)
			append(&sp->plain, ",", 1);
		append(&sp->plain, t, len);
	}
	free(t);
	return 0;
}

static int attach(const char *pattern, const char *sig)
{
	struct pfe_hook_ops ops = {graph ? graph_entry : typed_entry, NULL, sig};
	struct pfe_hook *h;

	if (graph)
		ops.exit = graph_exit;
	else if (sig && !strstr(sig, "->void") && strstr(sig, "->"))
		ops.exit = typed_exit;
	h = pfe_hook_add_ops_flags(pattern, &ops, NULL, PFE_HOOK_KEEP);
	if (h && !pfe_hook_nsites(h))
		pfe_err("PFE_TRACE: '%s' matches no patchable function loaded so far", pattern);
	if (!h) {
		pfe_err("PFE_TRACE: cannot trace '%s'%s%s: %s", pattern, sig ? " " : "",
			sig ? sig : "", strerror(errno));
		return -errno;
	}
	return 0;
}

bool pfe_trace_graph_wanted(const char *spec)
{
	return pfe_env_bool("PFE_GRAPH", false) || (spec && strchr(spec, '('));
}

int pfe_trace_graph_start(const char *spec, const char *output)
{
	struct spec sp = {0};
	char path[4096], why[160], *pat = NULL;
	int r = 0;

	graph = pfe_env_bool("PFE_GRAPH", false);
	if (!spec || pfe_sig_split(spec, split_term, &sp))
		r = -EINVAL;
	for (unsigned i = 0; !r && i < sp.nt; i++) {
		struct pfe_sig sig;

		if (!sp.t[i].name || !sp.t[i].sig) {
			r = -ENOMEM;
		} else if (pfe_sig_parse(sp.t[i].sig, &sig, why, sizeof(why))) {
			pfe_err("PFE_TRACE: %s: %s", sp.t[i].name, why);
			r = -EINVAL;
		}
	}
	if (!r && output)
		r = pfe_trace_fmt_path(path, sizeof(path), output, getpid());
	if (!r) {
		r = pfe_trace_out_start(output ? path : NULL);
		/* The same line as the plain tracer's (trace.c). */
		if (r)
			pfe_err("PFE_OUTPUT='%s': cannot open for writing: %s; not tracing",
				output ? output : "(stderr)", pfe_output_strerror(r));
	}
	if (!r) {
		pfe_trace_note_others();
		t0 = now_ns();
		for (unsigned i = 0; i < sp.nt; i++) {
			append(&pat, sp.t[i].name, strlen(sp.t[i].name));
			if (sp.excl)
				append(&pat, sp.excl, strlen(sp.excl));
			if (pat)
				attach(pat, sp.t[i].sig);
			free(pat);
			pat = NULL;
			/* The shared hook must not print these again. */
			append(&sp.plain, sp.nplain ? ",!" : "", sp.nplain ? 2 : 0);
			if (sp.nplain)
				append(&sp.plain, sp.t[i].name, strlen(sp.t[i].name));
		}
		if (sp.nplain) {
			if (sp.excl)
				append(&sp.plain, sp.excl, strlen(sp.excl));
			if (sp.plain)
				attach(sp.plain, NULL);
		}
	}
	for (unsigned i = 0; i < sp.nt; i++) {
		free(sp.t[i].name);
		free(sp.t[i].sig);
	}
	free(sp.plain);
	free(sp.excl);
	return r;
}
