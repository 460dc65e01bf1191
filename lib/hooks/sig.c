/* SPDX-License-Identifier: MIT */
/*
 * Function signatures: the parser and the AAPCS64 argument placement. Pure
 * code (see sig.h for the syntax); the libffi side is in wrap.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sig.h"

struct type_name {
	const char *name;
	uint8_t kind, size;
};

static const struct type_name type_names[] = {
    {"void", PFE_TK_VOID, 0},	     {"i8", PFE_TK_SINT, 1},
    {"i16", PFE_TK_SINT, 2},	     {"i32", PFE_TK_SINT, 4},
    {"i64", PFE_TK_SINT, 8},	     {"u8", PFE_TK_UINT, 1},
    {"u16", PFE_TK_UINT, 2},	     {"u32", PFE_TK_UINT, 4},
    {"u64", PFE_TK_UINT, 8},	     {"int8_t", PFE_TK_SINT, 1},
    {"int16_t", PFE_TK_SINT, 2},     {"int32_t", PFE_TK_SINT, 4},
    {"int64_t", PFE_TK_SINT, 8},     {"uint8_t", PFE_TK_UINT, 1},
    {"uint16_t", PFE_TK_UINT, 2},    {"uint32_t", PFE_TK_UINT, 4},
    {"uint64_t", PFE_TK_UINT, 8},    {"char", PFE_TK_CHAR, 1},
    {"signed char", PFE_TK_SINT, 1}, {"unsigned char", PFE_TK_UINT, 1},
    {"short", PFE_TK_SINT, 2},	     {"unsigned short", PFE_TK_UINT, 2},
    {"int", PFE_TK_SINT, 4},	     {"signed", PFE_TK_SINT, 4},
    {"unsigned", PFE_TK_UINT, 4},    {"unsigned int", PFE_TK_UINT, 4},
    {"long", PFE_TK_SINT, 8},	     {"unsigned long", PFE_TK_UINT, 8},
    {"long long", PFE_TK_SINT, 8},   {"unsigned long long", PFE_TK_UINT, 8},
    {"size_t", PFE_TK_UINT, 8},	     {"ssize_t", PFE_TK_SINT, 8},
    {"intptr_t", PFE_TK_SINT, 8},    {"uintptr_t", PFE_TK_UINT, 8},
    {"off_t", PFE_TK_SINT, 8},	     {"bool", PFE_TK_BOOL, 1},
    {"_Bool", PFE_TK_BOOL, 1},	     {"float", PFE_TK_FLOAT, 4},
    {"double", PFE_TK_DOUBLE, 8},    {"ptr", PFE_TK_PTR, 8},
    {"str", PFE_TK_STR, 8},
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* One type from [@s, @e): words joined by single spaces, "const" dropped,
 * then the '*'s counted. */
static int parse_type(const char *s, const char *e, struct pfe_type *t, char *why, size_t len)
{
	char words[64];
	size_t n = 0;
	unsigned stars = 0;
	const char *p = s;

	while (p < e) {
		const char *w;

		while (p < e && is_space(*p))
			p++;
		if (p == e)
			break;
		if (*p == '*') {
			stars++;
			p++;
			continue;
		}
		if (stars) {
			snprintf(why, len, "'%.*s': nothing may follow '*'", (int)(e - s), s);
			return -EINVAL;
		}
		w = p;
		while (p < e && !is_space(*p) && *p != '*')
			p++;
		if ((size_t)(p - w) == 5 && !memcmp(w, "const", 5))
			continue;
		if (n + (size_t)(p - w) + 2 > sizeof(words)) {
			snprintf(why, len, "'%.*s': type name too long", (int)(e - s), s);
			return -EINVAL;
		}
		if (n)
			words[n++] = ' ';
		memcpy(words + n, w, (size_t)(p - w));
		n += (size_t)(p - w);
	}
	words[n] = '\0';
	if (!n) {
		snprintf(why, len, "empty type in '%.*s'", (int)(e - s), s);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
		if (strcmp(words, type_names[i].name))
			continue;
		if (stars) {
			bool str = stars == 1 && !strcmp(words, "char");

			*t = (struct pfe_type){str ? PFE_TK_STR : PFE_TK_PTR, 8};
		} else {
			*t = (struct pfe_type){type_names[i].kind, type_names[i].size};
		}
		return 0;
	}
	if (stars) {
		/* Any other pointer: struct foo *, my_t * ... */
		*t = (struct pfe_type){PFE_TK_PTR, 8};
		return 0;
	}
	snprintf(why, len, "unknown type '%s'", words);
	return -EINVAL;
}

static void place_args(struct pfe_sig *sig)
{
	unsigned ngrn = 0, nsrn = 0, nsaa = 0;

	for (unsigned i = 0; i < sig->nargs; i++) {
		bool fp = sig->arg[i].kind == PFE_TK_FLOAT || sig->arg[i].kind == PFE_TK_DOUBLE;
		unsigned *next = fp ? &nsrn : &ngrn;

		if (*next < 8) {
			sig->loc[i] = (struct pfe_arg_loc){fp ? PFE_LOC_V : PFE_LOC_X, *next};
			++*next;
		} else {
			sig->loc[i] = (struct pfe_arg_loc){PFE_LOC_STACK, nsaa};
			nsaa += 8;
		}
	}
}

int pfe_sig_parse(const char *text, struct pfe_sig *sig, char *why, size_t len)
{
	const char *p = text, *close, *q;
	int err;

	memset(sig, 0, sizeof(*sig));
	while (is_space(*p))
		p++;
	if (*p != '(') {
		snprintf(why, len, "'%s': a signature starts with '('", text);
		return -EINVAL;
	}
	close = strchr(++p, ')');
	if (!close) {
		snprintf(why, len, "'%s': no ')'", text);
		return -EINVAL;
	}
	for (q = p; q < close && is_space(*q); q++)
		;
	if (q < close) {
		for (;;) {
			const char *e = memchr(p, ',', (size_t)(close - p));

			if (!e)
				e = close;
			if (sig->nargs == PFE_SIG_MAX_ARGS) {
				snprintf(why, len, "'%s': more than %d arguments", text,
					 PFE_SIG_MAX_ARGS);
				return -EINVAL;
			}
			err = parse_type(p, e, &sig->arg[sig->nargs], why, len);
			if (err)
				return err;
			sig->nargs++;
			if (e == close)
				break;
			p = e + 1;
		}
		if (sig->nargs == 1 && sig->arg[0].kind == PFE_TK_VOID) {
			sig->nargs = 0;
		} else {
			for (unsigned i = 0; i < sig->nargs; i++)
				if (sig->arg[i].kind == PFE_TK_VOID) {
					snprintf(why, len, "'%s': void argument", text);
					return -EINVAL;
				}
		}
	}
	p = close + 1;
	while (is_space(*p))
		p++;
	sig->ret = (struct pfe_type){PFE_TK_VOID, 0};
	if (*p) {
		if (p[0] != '-' || p[1] != '>') {
			snprintf(why, len, "'%s': expected '->type' after ')'", text);
			return -EINVAL;
		}
		p += 2;
		err = parse_type(p, p + strlen(p), &sig->ret, why, len);
		if (err)
			return err;
	}
	place_args(sig);
	return 0;
}

int pfe_sig_split(const char *spec, int (*fn)(const char *term, size_t len, void *ctx), void *ctx)
{
	const char *start = spec, *p;
	int depth = 0, r;

	for (p = spec;; p++) {
		if (*p == '(') {
			depth++;
		} else if (*p == ')' && depth) {
			depth--;
		} else if ((*p == ',' && !depth) || !*p) {
			r = fn(start, (size_t)(p - start), ctx);
			if (r || !*p)
				return r;
			start = p + 1;
		}
	}
}

size_t pfe_sig_name_len(const char *term)
{
	const char *p = strchr(term, '(');

	return p ? (size_t)(p - term) : strlen(term);
}

/* The low @size bytes of @raw, extended as @kind says. */
static union pfe_value extend(struct pfe_type t, uint64_t raw)
{
	union pfe_value v;
	unsigned shift = 64 - 8 * (t.size ? t.size : 8);

	switch (t.kind) {
	case PFE_TK_SINT:
	case PFE_TK_CHAR:
		v.i = (int64_t)(raw << shift) >> shift;
		break;
	case PFE_TK_BOOL:
		v.u = (raw & 0xff) != 0;
		break;
	default:
		v.u = (raw << shift) >> shift;
		break;
	}
	return v;
}

static union pfe_value from_vreg(struct pfe_type t, const union pfe_vreg *r)
{
	union pfe_value v;

	if (t.kind == PFE_TK_FLOAT)
		v.d = r->s;
	else
		v.d = r->d;
	return v;
}

bool pfe_sig_arg_read(const struct pfe_sig *sig, const struct pfe_regs *regs, unsigned i,
		      pfe_mem_reader rd, union pfe_value *v)
{
	struct pfe_arg_loc l = sig->loc[i];
	struct pfe_type t = sig->arg[i];
	uintptr_t slot;
	uint64_t raw;

	switch (l.cls) {
	case PFE_LOC_X:
		*v = extend(t, regs->x[l.n]);
		return true;
	case PFE_LOC_V:
		*v = from_vreg(t, &regs->v[l.n]);
		return true;
	default:
		/* The caller's stack: on a coroutine's stack the slot may be
		 * past its end, on a guard page. */
		slot = (uintptr_t)regs->sp + l.n;
		if (!rd(slot, &raw, t.kind == PFE_TK_FLOAT ? sizeof(float) : sizeof(raw)))
			return false;
		if (t.kind == PFE_TK_FLOAT) {
			float f;

			memcpy(&f, &raw, sizeof(f));
			v->d = f;
		} else if (t.kind == PFE_TK_DOUBLE) {
			memcpy(&v->d, &raw, sizeof(v->d));
		} else {
			*v = extend(t, raw);
		}
		return true;
	}
}

static bool plain_read(uintptr_t addr, void *buf, size_t n)
{
	memcpy(buf, (const void *)addr, n);
	return true;
}

union pfe_value pfe_sig_arg(const struct pfe_sig *sig, const struct pfe_regs *regs, unsigned i)
{
	union pfe_value v = {0};

	pfe_sig_arg_read(sig, regs, i, plain_read, &v);
	return v;
}

union pfe_value pfe_sig_ret(const struct pfe_sig *sig, const struct pfe_ret_regs *ret)
{
	if (sig->ret.kind == PFE_TK_FLOAT || sig->ret.kind == PFE_TK_DOUBLE)
		return from_vreg(sig->ret, &ret->v[0]);
	return extend(sig->ret, ret->x[0]);
}

void pfe_sig_set_ret(const struct pfe_sig *sig, struct pfe_ret_regs *ret, union pfe_value v)
{
	if (sig->ret.kind == PFE_TK_FLOAT)
		ret->v[0].s = (float)v.d;
	else if (sig->ret.kind == PFE_TK_DOUBLE)
		ret->v[0].d = v.d;
	else
		ret->x[0] = v.u;
}
