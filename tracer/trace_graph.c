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
 * (lib/base/saferead.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlcmd.h"
#include "hooks.h"
#include "shadow.h"
#include "trace_graph.h"
#include "trace_rec.h"
#include "tracer.h"

static bool graph;

/* Strings and stack arguments of the program: lib/base/saferead.c. */
static bool safe_read(uintptr_t addr, void *buf, size_t n)
{
	return pfe_safe_read(buf, addr, n);
}

static const struct pfe_sig *cur_sig(void)
{
	return pfe_cur_hook ? pfe_cur_hook->sig : NULL;
}

/*
 * The arguments as text, "(\"abc\", 3)": they must be read now, on the
 * traced thread, while the strings they point to exist. Only functions with
 * a signature pay for it.
 */
static void put_args(struct pfe_rec r, const struct pfe_sig *sig, const struct pfe_regs *regs)
{
	char b[512];
	size_t n = 1;

	b[0] = '(';
	n += pfe_sig_fmt_args(b + n, sizeof(b) - 2 - n, sig, regs, safe_read);
	b[n++] = ')';
	pfe_ring_put_text(r, PFE_REC_ARGS, b, n);
}

static void put_ret(struct pfe_rec r, const struct pfe_sig *sig, const struct pfe_ret_regs *ret)
{
	char b[256];
	size_t n = pfe_sig_fmt_value(b, sizeof(b), sig->ret, pfe_sig_ret(sig, ret), safe_read);

	pfe_ring_put_text(r, PFE_REC_RETVAL, b, n);
}

/* ------------------------------------------------------------- hooks */

/* The events of a call, whichever path takes it. Graph text prints no
 * caller: the entry carries its level instead (trace_rec.h), and the exit
 * the call's duration. */
static inline struct pfe_rec graph_entry_rec(uint64_t now, const struct pfe_site *site,
					     const struct pfe_regs *regs, unsigned level)
{
	return pfe_rec_entry(now, site->id,
			     pfe_ring_record  ? regs->lr
			     : level > 0xffff ? 0xffff
					      : level);
}

static inline struct pfe_rec graph_exit_rec(uint64_t now, const struct pfe_site *site,
					    unsigned level, bool unwound, uint64_t ns)
{
	struct pfe_rec r = pfe_rec_exit(now, site->id, level, unwound);

	if (!pfe_ring_record)
		r.w1 |= pfe_ring_dur_pack(ns);
	return r;
}

static void graph_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	const struct pfe_sig *sig = cur_sig();
	struct pfe_rec r;

	if (!pfe_exit_now_room())
		return; /* beyond PFE_DEPTH: no "}" will come; counted instead */
	r = graph_entry_rec(pfe_ring_clock(), site, regs, pfe_exit_now_level());
	if (sig)
		put_args(r, sig, regs);
	else
		pfe_ring_put(r);
}

static void graph_exit_full(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
			    const struct pfe_sig *sig);

/* The common exit, no signature and nothing lost, without a frame: the
 * rest in graph_exit_full(). */
static void graph_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		       void *data)
{
	if (__builtin_expect(pfe_exit_lost || (pfe_cur_hook && pfe_cur_hook->sig), 0)) {
		graph_exit_full(site, ret, ns, cur_sig());
		return;
	}
	pfe_ring_put(graph_exit_rec(pfe_ring_clock(), site, pfe_exit_now_level(),
				    ret->flags & PFE_RET_UNWOUND, ns));
}

static __attribute__((noinline)) void graph_exit_full(const struct pfe_site *site,
						      struct pfe_ret_regs *ret, uint64_t ns,
						      const struct pfe_sig *sig)
{
	bool unwound = ret->flags & PFE_RET_UNWOUND;
	unsigned long lost = pfe_exit_take_lost();
	unsigned depth = pfe_exit_now_level();
	uint64_t now = pfe_ring_clock();
	struct pfe_rec r;

	if (lost && !pfe_ring_record)
		pfe_ring_put(pfe_rec_plain(
		    PFE_REC_DEEP, now, (uint64_t)lost << 16 | (depth > 0xffff ? 0xffff : depth)));
	r = graph_exit_rec(now, site, depth, unwound, ns);
	if (sig && sig->ret.kind != PFE_TK_VOID && !unwound)
		put_ret(r, sig, ret);
	else
		pfe_ring_put(r);
}

/*
 * The fused form (lib/hooks/dispatch.h) of a graph hook without a signature: the
 * same events as graph_entry and graph_exit, with the level and times the
 * shadow stack has at hand. The time of the entry event is the call's t0,
 * so an exit's duration is exactly its time minus its entry's. Neither
 * makes a call on its common path, so neither needs a stack frame.
 */
static const struct pfe_hook_fused graph_fused;

static void graph_entry_fused(const struct pfe_site *site, struct pfe_regs *regs, void *vec)
{
	struct pfe_shadow *s = pfe_shadow_reserve(regs->sp);
	struct pfe_ring *g = pfe_ring_ready();
	unsigned level;
	uint64_t t0;

	if (__builtin_expect(!s || !g, 0)) {
		pfe_exit_enter_one(site, regs, vec); /* graph_entry, the long way */
		return;
	}
	level = pfe_shadow_level(s);
	t0 = pfe_ring_clock();
	pfe_ring_store(g, graph_entry_rec(t0, site, regs, level));
	pfe_shadow_commit(s, level, site, regs, t0, &graph_fused);
}

/*
 * The exit the frames of a hook with a signature keep (lib/hooks/exit.c),
 * and graph_exit_fused()'s when calls were lost or the ring is new or full:
 * the ordinary exit's work without the hook, which may be detached by now
 * (PFE_CONTROL switched patterns or modes: the call's "}" is still ours to
 * write). The result is shown with the signature of the graph hook the
 * site has now, which types the same function; without one, "}" alone.
 * Inside the read-side section of the return.
 */
static __attribute__((noinline)) void
graph_exit_kept(const struct pfe_site *site, struct pfe_ret_regs *ret, unsigned level, uint64_t t0)
{
	const struct pfe_hook_vec *v = __atomic_load_n(&site->hooks, __ATOMIC_CONSUME);
	const struct pfe_sig *sig = NULL;
	uint64_t old = pfe_exit_now;

	for (const struct pfe_hook_ent *e = v ? v->e : NULL; e && e->fn && !sig; e++)
		if (e->hook && e->hook->exit == graph_exit)
			sig = e->hook->sig;
	pfe_exit_now = level;
	graph_exit_full(site, ret, pfe_exit_ticks_to_ns(pfe_ring_clock() - t0), sig);
	pfe_exit_now = old;
}

static const struct pfe_hook_fused graph_kept = {NULL, graph_exit_kept};

static void graph_exit_fused(const struct pfe_site *site, struct pfe_ret_regs *ret, unsigned level,
			     uint64_t t0)
{
	struct pfe_ring *g = pfe_ring_ready();
	uint64_t now = pfe_ring_clock();

	/* graph_exit_full says how many calls were lost first; it also
	 * fills a new or full ring. */
	if (__builtin_expect(pfe_exit_lost != 0 || !g, 0)) {
		graph_exit_kept(site, ret, level, t0);
		return;
	}
	pfe_ring_store(g, graph_exit_rec(now, site, level, ret->flags & PFE_RET_UNWOUND,
					 pfe_exit_ticks_to_ns(now - t0)));
}

static const struct pfe_hook_fused graph_fused = {graph_entry_fused, graph_exit_fused};

static void typed_entry(const struct pfe_site *site, struct pfe_regs *regs, void *data)
{
	const struct pfe_sig *sig = cur_sig();
	struct pfe_rec r = pfe_rec_entry(pfe_ring_clock(), site->id, regs->lr);

	if (sig)
		put_args(r, sig, regs);
	else
		pfe_ring_put(r);
}

/* "<tid> <s.us> name = value" (trace_text.c) for a typed result. */
static void typed_exit(const struct pfe_site *site, struct pfe_ret_regs *ret, uint64_t ns,
		       void *data)
{
	const struct pfe_sig *sig = cur_sig();
	unsigned depth = pfe_exit_now_level();

	if (sig && !(ret->flags & PFE_RET_UNWOUND))
		put_ret(pfe_rec_exit(pfe_ring_clock(), site->id, depth, false), sig, ret);
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

/* The hooks this mode attached, for pfe_trace_graph_stop: one per term
 * with a signature and one shared. */
static struct pfe_hook *hooks[65];
char pfe_trace_graph_why[256];
static unsigned nhooks;

/* Whether @sig (checked by pfe_trace_graph_start) returns a value: "->void *"
 * is a pointer, not void. */
static bool has_result(const char *sig)
{
	struct pfe_sig s;
	char why[160];

	return sig && !pfe_sig_parse(sig, &s, why, sizeof(why)) && s.ret.kind != PFE_TK_VOID;
}

static int attach(const char *pattern, const char *sig)
{
	struct pfe_hook_ops ops = {graph ? graph_entry : typed_entry, NULL, sig};
	struct pfe_hook *h;

	if (graph)
		ops.exit = graph_exit;
	else if (has_result(sig))
		ops.exit = typed_exit;
	if (nhooks == sizeof(hooks) / sizeof(hooks[0]))
		return -E2BIG;
	/* Both keep their exits across a detach: frames open at a PFE_CONTROL
	 * switch close with their own "}" (lib/hooks/exit.c). */
	if (graph && !sig)
		h = pfe_hook_add_fused(pattern, &ops, &graph_fused, PFE_HOOK_KEEP);
	else if (graph)
		h = pfe_hook_add_kept(pattern, &ops, &graph_kept, PFE_HOOK_KEEP);
	else
		h = pfe_hook_add_ops_flags(pattern, &ops, NULL, PFE_HOOK_KEEP);
	if (h)
		hooks[nhooks++] = h;
	if (h)
		pfe_trace_warn_unmatched(h->pat);
	if (!h) {
		pfe_err("PFE_TRACE: cannot trace '%s'%s%s: %s", pattern, sig ? " " : "",
			sig ? sig : "", strerror(errno));
		return -errno;
	}
	return 0;
}

bool pfe_trace_graph_active(void)
{
	return nhooks != 0;
}

int pfe_trace_graph_stop(void)
{
	int r = nhooks ? 0 : -ENOENT;

	while (nhooks) {
		int e = pfe_hook_remove(hooks[--nhooks]);

		if (e && !r)
			r = e;
	}
	return r;
}

bool pfe_trace_graph_wanted(const char *spec)
{
	return pfe_trace_graph_mode() != PFE_GRAPH_OFF || pfe_trace_summary_mode() ||
	       (spec && strchr(spec, '('));
}

int pfe_trace_graph_start(const char *spec, const char *output)
{
	struct spec sp = {0};
	char why[160], *pat = NULL;
	int r = 0, e;

	/* PFE_SUMMARY needs every call's exit: the graph hooks, no lines. */
	graph = pfe_trace_graph_mode() != PFE_GRAPH_OFF || pfe_trace_summary_mode();
	if (!pfe_ring_started())
		pfe_ring_graph_time = pfe_trace_graph_mode() == PFE_GRAPH_TIME;
	pfe_trace_graph_why[0] = '\0';
	if (!spec || pfe_sig_split(spec, split_term, &sp))
		r = -EINVAL;
	for (unsigned i = 0; !r && i < sp.nt; i++) {
		struct pfe_sig sig;

		if (!sp.t[i].name || !sp.t[i].sig) {
			r = -ENOMEM;
		} else if (pfe_sig_parse(sp.t[i].sig, &sig, why, sizeof(why))) {
			pfe_err("PFE_TRACE: %s: %s", sp.t[i].name, why);
			snprintf(pfe_trace_graph_why, sizeof(pfe_trace_graph_why), "%s: %s",
				 sp.t[i].name, why);
			r = -EINVAL;
		}
	}
	if (!r)
		r = pfe_trace_open(output, graph);
	if (!r) {
		for (unsigned i = 0; i < sp.nt; i++) {
			append(&pat, sp.t[i].name, strlen(sp.t[i].name));
			if (sp.excl)
				append(&pat, sp.excl, strlen(sp.excl));
			if (pat && (e = attach(pat, sp.t[i].sig)) && !r)
				r = e;
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
			if (sp.plain && (e = attach(sp.plain, NULL)) && !r)
				r = e;
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
