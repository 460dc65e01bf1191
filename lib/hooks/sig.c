/* SPDX-License-Identifier: MIT */
/*
 * Function signatures: the parser. Pure code (see sig.h for the syntax);
 * where each argument arrives and how it is read is the architecture's
 * (arch/arm64/abi.c), the libffi side is in wrap.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
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
	pfe_arch_place_args(sig);
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
