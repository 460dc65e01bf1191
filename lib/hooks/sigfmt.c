/* SPDX-License-Identifier: MIT */
/*
 * Typed values as the tracer prints them. Pure: memory a string argument
 * points to is read only through the caller's reader (the tracer's never
 * faults). Allocation-free; async-signal-safe except for the %g of float
 * and double (glibc's snprintf, which uses no lock and no heap at this
 * precision).
 */
#include <stdio.h>
#include <string.h>

#include "sig.h"

struct out {
	char *buf;
	size_t len, n;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->n + 1 < o->len; i++)
		o->buf[o->n++] = s[i];
	if (o->len)
		o->buf[o->n] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u(struct out *o, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, d + i, sizeof(d) - i);
}

static void put_i(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, "-", 1);
		put_u(o, -(uint64_t)v);
	} else {
		put_u(o, (uint64_t)v);
	}
}

static void put_hex(struct out *o, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	d[--i] = 'x';
	d[--i] = '0';
	put(o, d + i, sizeof(d) - i);
}

/* One character inside quotes, C-escaped. */
static void put_char(struct out *o, unsigned char c, char quote)
{
	char e[4] = {'\\', 0, 0, 0};

	switch (c) {
	case '\n':
		e[1] = 'n';
		break;
	case '\t':
		e[1] = 't';
		break;
	case '\r':
		e[1] = 'r';
		break;
	case '\\':
		e[1] = '\\';
		break;
	default:
		if (c == (unsigned char)quote) {
			e[1] = quote;
			break;
		}
		if (c >= 0x20 && c < 0x7f) {
			put(o, (const char *)&c, 1);
			return;
		}
		e[1] = 'x';
		e[2] = "0123456789abcdef"[c >> 4];
		e[3] = "0123456789abcdef"[c & 15];
		put(o, e, 4);
		return;
	}
	put(o, e, 2);
}

static void put_str(struct out *o, uintptr_t p, pfe_mem_reader rd)
{
	char s[PFE_SIG_STR_MAX];
	size_t got = 0;
	bool nul = false;

	if (!p) {
		puts_(o, "NULL");
		return;
	}
	/* In chunks that end at page boundaries, so that a short string just
	 * before an unmapped page still reads; the reader probes each chunk. */
	while (got < sizeof(s)) {
		size_t chunk = 4096 - ((p + got) & 4095);
		const char *z;

		if (chunk > sizeof(s) - got)
			chunk = sizeof(s) - got;
		if (!rd(p + got, s + got, chunk)) {
			if (!got) {
				puts_(o, "(bad ");
				put_hex(o, p);
				puts_(o, ")");
				return;
			}
			break;
		}
		z = memchr(s + got, '\0', chunk);
		if (z) {
			got = (size_t)(z - s);
			nul = true;
			break;
		}
		got += chunk;
	}
	put(o, "\"", 1);
	for (size_t i = 0; i < got; i++)
		put_char(o, (unsigned char)s[i], '"');
	put(o, "\"", 1);
	if (!nul)
		puts_(o, "...");
}

size_t pfe_sig_fmt_value(char *buf, size_t len, struct pfe_type t, union pfe_value v,
			 pfe_mem_reader rd)
{
	struct out o = {buf, len, 0};
	char f[40];

	if (len)
		buf[0] = '\0';
	switch (t.kind) {
	case PFE_TK_SINT:
		put_i(&o, v.i);
		break;
	case PFE_TK_UINT:
		put_u(&o, v.u);
		break;
	case PFE_TK_BOOL:
		puts_(&o, v.u ? "true" : "false");
		break;
	case PFE_TK_CHAR:
		put(&o, "'", 1);
		put_char(&o, (unsigned char)v.i, '\'');
		put(&o, "'", 1);
		break;
	case PFE_TK_PTR:
		put_hex(&o, v.u);
		break;
	case PFE_TK_STR:
		put_str(&o, (uintptr_t)v.u, rd);
		break;
	case PFE_TK_FLOAT:
	case PFE_TK_DOUBLE:
		snprintf(f, sizeof(f), "%g", v.d);
		puts_(&o, f);
		break;
	default:
		break;
	}
	return o.n;
}

size_t pfe_sig_fmt_args(char *buf, size_t len, const struct pfe_sig *sig,
			const struct pfe_regs *regs, pfe_mem_reader rd)
{
	union pfe_value v;
	size_t n = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < sig->nargs && n + 1 < len; i++) {
		if (i) {
			if (n + 3 > len)
				break;
			memcpy(buf + n, ", ", 3);
			n += 2;
		}
		if (pfe_sig_arg_read(sig, regs, i, rd, &v)) {
			n += pfe_sig_fmt_value(buf + n, len - n, sig->arg[i], v, rd);
		} else {
			struct out o = {buf + n, len - n, 0};

			puts_(&o, "(bad ");
			put_hex(&o, (uintptr_t)regs->sp + sig->loc[i].n);
			puts_(&o, ")");
			n += o.n;
		}
	}
	return n;
}
