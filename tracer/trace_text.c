/* SPDX-License-Identifier: MIT */
/*
 * PFE_TRACE text from events (event.h): the writer's half of the tracer.
 * The formats are the ones users and tests rely on (README.md "Tracing"):
 *
 *   flat:   <tid> <s.us> <function>[(args)] <- <caller>
 *           <tid> <s.us> <function> = <value>          (a typed result)
 *   graph:  <tid> | <two spaces per level>name(args) {
 *           <tid> | <two spaces per level>} name[ = value] (d.ddd us[, unwound])
 *
 * Beyond 100 levels the indentation stays and the level is shown: "[101] ".
 * Runs in the writer thread (or a flushing thread) inside an RCU read-side
 * section, so the sites and objects it names stay valid; never on the
 * traced call's path.
 */
#include <string.h>

#include "core.h"
#include "event.h"
#include "trace_text.h"
#include "tracer.h"

struct line {
	char *b;
	size_t n, cap;
};

static void add(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - 1 - l->n)
		n = l->cap - 1 - l->n;
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void adds(struct line *l, const char *s)
{
	add(l, s, strlen(s));
}

/* "00" to "99": two digits per division, half the divisions of one at a
 * time. The writer formats a time or a duration on every line. */
static const char digits2[201] = "00010203040506070809101112131415161718192021222324"
				 "25262728293031323334353637383940414243444546474849"
				 "50515253545556575859606162636465666768697071727374"
				 "75767778798081828384858687888990919293949596979899";

static void add_u(struct line *l, uint64_t v, unsigned min_digits)
{
	char d[24];
	size_t i = sizeof(d);

	while (v >= 100) {
		i -= 2;
		memcpy(d + i, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(d + i, digits2 + 2 * v, 2);
	} else {
		d[--i] = (char)('0' + v);
	}
	while (sizeof(d) - i < min_digits)
		d[--i] = '0';
	add(l, d + i, sizeof(d) - i);
}

/* @n copies of @c, as far as the line has room. */
static void add_fill(struct line *l, char c, size_t n)
{
	if (n > l->cap - 1 - l->n)
		n = l->cap - 1 - l->n;
	memset(l->b + l->n, c, n);
	l->n += n;
}

/* Deeper levels are indented as this one and say their level: "[N] ". */
#define GRAPH_INDENT_MAX 100

static void add_time(struct line *l, uint64_t ns);

/* "<tid> | " or, with PFE_GRAPH=time, "<tid> <s.us> | ". */
static void graph_head(struct line *l, const struct pfe_text_ev *e, unsigned level)
{
	add_u(l, e->tid, 1);
	if (e->time) {
		add(l, " ", 1);
		add_time(l, e->ns);
	}
	add(l, " | ", 3);
	add_fill(l, ' ', 2 * (size_t)(level < GRAPH_INDENT_MAX ? level : GRAPH_INDENT_MAX));
	if (level > GRAPH_INDENT_MAX) {
		add(l, "[", 1);
		add_u(l, level, 1);
		add(l, "] ", 2);
	}
}

static void add_site(struct line *l, const struct pfe_site *site, uint32_t id)
{
	const char *name = site ? pfe_site_label(site) : NULL;

	if (name) {
		adds(l, name);
	} else if (site) {
		add(l, "0x", 2);
		for (int sh = 60; sh >= 0; sh -= 4)
			if (site->func >> sh || !sh)
				add(l, &"0123456789abcdef"[(site->func >> sh) & 0xf], 1);
	} else {
		adds(l, "?");
	}
}

static void add_time(struct line *l, uint64_t ns)
{
	add_u(l, ns / 1000000000u, 1);
	add(l, ".", 1);
	add_u(l, ns / 1000 % 1000000, 6);
}

static size_t end(struct line *l)
{
	add(l, "\n", 1);
	return l->n;
}

size_t pfe_text_format(char *buf, size_t cap, const struct pfe_text_ev *e)
{
	struct line l = {buf, 0, cap};
	const struct pfe_site *site;
	unsigned type = pfe_rec_type(&e->r);

	site = pfe_site_by_id(pfe_rec_site(&e->r));

	if (type == PFE_REC_LOST) {
		if (e->graph)
			graph_head(&l, e, 0);
		else
			add_u(&l, e->tid, 1), add(&l, " ", 1), add_time(&l, e->ns), add(&l, " ", 1);
		adds(&l, "/* ");
		add_u(&l, e->r.w1, 1);
		adds(&l, " events lost: the buffer was full (PFE_BUFFER) */");
		return end(&l);
	}
	if (!e->graph) {
		if (type == PFE_REC_ENTRY) {
			struct line name = {(char[PFE_TRACE_NAME_MAX + 1]){0}, 0,
					    PFE_TRACE_NAME_MAX + 1};
			struct pfe_caller c;

			add_site(&name, site, 0);
			add(&name, e->text, e->ntext);
			name.b[name.n] = '\0';
			pfe_trace_caller(pfe_rec_ret(&e->r), &c);
			if (cap < PFE_TRACE_LINE_MAX)
				return 0;
			return pfe_trace_fmt_line(buf, e->tid, e->ns, name.b, site ? site->func : 0,
						  &c);
		}
		if (type != PFE_REC_EXIT || !e->text)
			return 0;
		/* A typed function's result: "<tid> <s.us> name = value". */
		add_u(&l, e->tid, 1);
		add(&l, " ", 1);
		add_time(&l, e->ns);
		add(&l, " ", 1);
		add_site(&l, site, 0);
		adds(&l, " = ");
		add(&l, e->text, e->ntext);
		return end(&l);
	}
	switch (type) {
	case PFE_REC_ENTRY:
		graph_head(&l, e, (unsigned)(e->r.w1 & 0xffff));
		add_site(&l, site, 0);
		if (e->text)
			add(&l, e->text, e->ntext);
		else
			add(&l, "()", 2);
		adds(&l, e->inherited ? " { /* inherited at fork */" : " {");
		return end(&l);
	case PFE_REC_EXIT:
	case PFE_REC_EXIT_UNWOUND: {
		uint64_t ns = pfe_ring_dur_unpack(e->r.w1);

		graph_head(&l, e, pfe_rec_depth(&e->r));
		adds(&l, "} ");
		add_site(&l, site, 0);
		if (e->text && type == PFE_REC_EXIT) {
			adds(&l, " = ");
			add(&l, e->text, e->ntext);
		}
		adds(&l, " (");
		add_u(&l, ns / 1000, 1);
		add(&l, ".", 1);
		add_u(&l, ns % 1000, 3);
		adds(&l, type == PFE_REC_EXIT_UNWOUND ? " us, unwound)"
			 : e->open_at_end	      ? " us, still open at the end)"
						      : " us)");
		return end(&l);
	}
	case PFE_REC_DEEP:
		graph_head(&l, e, (unsigned)(e->r.w1 & 0xffff) + 1);
		adds(&l, "/* ");
		add_u(&l, e->r.w1 >> 16, 1);
		adds(&l, " calls deeper than PFE_DEPTH not shown */");
		return end(&l);
	default:
		return 0;
	}
}
