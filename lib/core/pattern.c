/* SPDX-License-Identifier: MIT */
/*
 * The PFE_TRACE pattern language (lib/core/pattern.h). Pure code: libc string
 * functions and malloc at compile time only, no process state.
 *
 * The glob matcher is our own rather than fnmatch(3): the parser must reject
 * exactly what the matcher cannot interpret (an unterminated "[" is an error
 * here, a literal "[" for fnmatch), it must not depend on the locale, and it
 * has to be small enough to fuzz on the host under the sanitizers.
 *
 * A comma always ends a term, even inside "[...]" (function and object names
 * never contain one); "\," escapes it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

struct pfe_term {
	const char *text;   /* as written, trimmed, without "!" */
	const char *name;   /* glob for the function name */
	const char *object; /* glob for the object's basename, or NULL */
	bool exclude;
	unsigned long hits;
};

struct pfe_pattern {
	char *spec;
	char *pool; /* text, name and object strings of every term */
	size_t nterms;
	size_t ninclude;
	struct pfe_term *terms;
};

/* ------------------------------------------------------------ matching */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool in_class(const char *name, size_t len, unsigned char c)
{
#define CLASS(s) (len == sizeof(s) - 1 && !memcmp(name, s, len))
	bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
	bool digit = c >= '0' && c <= '9';

	if (CLASS("alpha"))
		return lower || upper;
	if (CLASS("digit"))
		return digit;
	if (CLASS("alnum"))
		return lower || upper || digit;
	if (CLASS("lower"))
		return lower;
	if (CLASS("upper"))
		return upper;
	if (CLASS("xdigit"))
		return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	if (CLASS("space"))
		return c == ' ' || (c >= '\t' && c <= '\r');
	if (CLASS("blank"))
		return c == ' ' || c == '\t';
	if (CLASS("punct"))
		return c > ' ' && c < 0x7f && !lower && !upper && !digit;
	if (CLASS("print"))
		return c >= ' ' && c < 0x7f;
	if (CLASS("graph"))
		return c > ' ' && c < 0x7f;
	if (CLASS("cntrl"))
		return c < ' ' || c == 0x7f;
	return false;
#undef CLASS
}

static bool known_class(const char *name, size_t len)
{
	static const char *const names[] = {"alpha", "digit", "alnum", "lower", "upper", "xdigit",
					    "space", "blank", "punct", "print", "graph", "cntrl"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !memcmp(names[i], name, len))
			return true;
	return false;
}

/*
 * Match @c against the bracket expression at *@pp (just past its "["), which
 * compile has validated. Leaves *@pp past the closing "]".
 */
static bool match_bracket(const char **pp, unsigned char c)
{
	const char *p = *pp;
	bool negate = false, hit = false, first = true;

	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	while (*p != ']' || first) {
		unsigned char lo, hi;

		first = false;
		if (p[0] == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");

			hit |= in_class(p + 2, end - (p + 2), c);
			p = end + 2;
			continue;
		}
		if (*p == '\\')
			p++;
		lo = hi = (unsigned char)*p++;
		if (p[0] == '-' && p[1] != ']') {
			p++;
			if (*p == '\\')
				p++;
			hi = (unsigned char)*p++;
		}
		hit |= c >= lo && c <= hi;
	}
	*pp = p + 1;
	return hit != negate;
}

/*
 * Glob match without recursion: on a mismatch, go back to the last "*" and
 * let it swallow one more character. O(len(pat) * len(str)) at worst.
 */
static bool glob_match(const char *pat, const char *str)
{
	const char *p = pat, *s = str;
	const char *star_p = NULL, *star_s = NULL;

	while (*s) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;

			if (match_bracket(&q, (unsigned char)*s)) {
				p = q;
				s++;
				continue;
			}
		} else if (*p) {
			const char *lit = *p == '\\' ? p + 1 : p;

			if (*lit == *s) {
				p = lit + 1;
				s++;
				continue;
			}
		}
		if (!star_p)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* ------------------------------------------------------------ C++ names */

static pfe_demangle_fn demangler;

void pfe_pattern_set_demangler(pfe_demangle_fn fn)
{
	demangler = fn;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The "(" opening the parameter list that ends at s[n - 1] == ')', or -1. */
static long params_start(const char *s, size_t n)
{
	long depth = 0;

	for (long i = (long)n - 1; i >= 0; i--) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0)
			return i;
	}
	return -1;
}

/* Where the name starts: past the return type, i.e. the last space outside
 * <...>, (...) and [...] that is not part of "operator new" and the like. */
static size_t name_start(const char *s, size_t n)
{
	size_t start = 0;
	long depth = 0;

	for (size_t i = 0; i < n; i++) {
		if (!strncmp(s + i, "operator", 8) &&
		    (i == 0 || s[i - 1] == ':' || s[i - 1] == ' ')) {
			i += 7; /* "operator<", "operator()", "operator new" are one name */
			while (i + 1 < n && s[i + 1] != '(')
				i++;
			continue;
		}
		if (s[i] == '<' || s[i] == '(' || s[i] == '[')
			depth++;
		else if ((s[i] == '>' || s[i] == ')' || s[i] == ']') && depth > 0)
			depth--;
		else if (s[i] == ' ' && depth == 0)
			start = i + 1;
	}
	return start;
}

char *pfe_demangled_base(const char *full, char *out, size_t len)
{
	static const char *const quals[] = {" const", " volatile", " &&", " &", " noexcept"};
	size_t n = strlen(full), end, start;
	const char *clone;
	bool again = true;

	if (!len)
		return out;
	while (n && (clone = strstr(full, " [clone ")) && full[n - 1] == ']' &&
	       (size_t)(clone - full) < n)
		n = (size_t)(clone - full);
	end = n;
	while (again) {
		again = false;
		for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]); q++)
			if (ends_with(full, end, quals[q])) {
				end -= strlen(quals[q]);
				again = true;
			}
	}
	if (end && full[end - 1] == ')' && params_start(full, end) > 0) {
		end = (size_t)params_start(full, end);
		start = name_start(full, end);
	} else {
		start = 0;
		end = n;
	}
	n = end - start < len - 1 ? end - start : len - 1;
	memcpy(out, full + start, n);
	out[n] = '\0';
	return out;
}

/* A function's names as a pattern sees them: mangled, demangled, base. */
struct names {
	const char *v[3];
	bool demangled; /* v[1], v[2] tried */
	char full[1024], base[512];
};

static bool term_matches(const struct pfe_term *t, struct names *nm, const char *object)
{
	if (t->object && (!object || !glob_match(t->object, object)))
		return false;
	if (glob_match(t->name, nm->v[0]))
		return true;
	if (!nm->demangled) {
		nm->demangled = true;
		if (demangler && nm->v[0][0] == '_' && nm->v[0][1] == 'Z' &&
		    demangler(nm->v[0], nm->full, sizeof(nm->full))) {
			nm->v[1] = nm->full;
			nm->v[2] = pfe_demangled_base(nm->full, nm->base, sizeof(nm->base));
		}
	}
	return (nm->v[1] && glob_match(t->name, nm->v[1])) ||
	       (nm->v[2] && glob_match(t->name, nm->v[2]));
}

/* ------------------------------------------------------ unflagged functions */

/* A glob without wildcards: an exact name (escapes count as wildcards, the
 * rare name that needs one is still reached through its object). */
static bool is_exact(const char *glob)
{
	return !strpbrk(glob, "*?[\\");
}

/* Whether include term @t may select an unflagged function of @object. */
static bool term_reaches(const struct pfe_term *t, const char *object, unsigned reach)
{
	if (t->object && (!object || !glob_match(t->object, object)))
		return false;
	if (reach & PFE_REACH_GLOB)
		return true;
	if ((reach & PFE_REACH_NAMED) && t->object)
		return true;
	return (reach & PFE_REACH_EXACT) && is_exact(t->name);
}

bool pfe_pattern_reaches(const struct pfe_pattern *p, const char *object, unsigned reach)
{
	if (!p->ninclude)
		return (reach & PFE_REACH_GLOB) != 0;
	for (size_t i = 0; i < p->nterms; i++)
		if (!p->terms[i].exclude && term_reaches(&p->terms[i], object, reach))
			return true;
	return false;
}

const char *pfe_pattern_exact(const struct pfe_pattern *p, size_t i, const char *object)
{
	const struct pfe_term *t = i < p->nterms ? &p->terms[i] : NULL;

	if (!t || t->exclude || !is_exact(t->name) ||
	    (t->object && (!object || !glob_match(t->object, object))))
		return NULL;
	return t->name;
}

/*
 * @func of @object against @p: the include terms that select it (with
 * @unflagged, only those that reach an unflagged function with @reach)
 * count a hit, and an exclude term matching it drops it.
 */
static bool match(struct pfe_pattern *p, const char *func, const char *object, bool unflagged,
		  unsigned reach)
{
	bool included = !p->ninclude && (!unflagged || (reach & PFE_REACH_GLOB));
	struct names nm;

	if (!func)
		return false;
	nm.v[0] = func;
	nm.v[1] = nm.v[2] = NULL;
	nm.demangled = false;
	for (size_t i = 0; i < p->nterms; i++) {
		struct pfe_term *t = &p->terms[i];

		if (t->exclude || (unflagged && !term_reaches(t, object, reach)) ||
		    !term_matches(t, &nm, object))
			continue;
		__atomic_fetch_add(&t->hits, 1, __ATOMIC_RELAXED);
		included = true;
	}
	if (!included)
		return false;
	for (size_t i = 0; i < p->nterms; i++)
		if (p->terms[i].exclude && term_matches(&p->terms[i], &nm, object))
			return false;
	return true;
}

bool pfe_pattern_match(struct pfe_pattern *p, const char *func, const char *object)
{
	return match(p, func, object, false, 0);
}

bool pfe_pattern_match_unflagged(struct pfe_pattern *p, const char *func, const char *object,
				 unsigned reach)
{
	return match(p, func, object, true, reach);
}

/* ------------------------------------------------------------- parsing */

struct parser {
	const char *s;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int parse_error(struct parser *ps, const char *fmt,
							     ...)
{
	va_list ap;

	if (ps->err && ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Validate the bracket expression at @i ("["); returns the index past "]". */
static long scan_bracket(struct parser *ps, long i)
{
	const char *s = ps->s;
	long j = i + 1;
	bool first = true;

	if (s[j] == '!' || s[j] == '^')
		j++;
	for (;;) {
		unsigned char lo, hi;
		long at = j;

		if (s[j] == '\0' || s[j] == ',')
			return parse_error(ps, "unterminated [ at offset %ld (expected ])", i);
		if (s[j] == ']' && !first)
			return j + 1;
		first = false;
		if (s[j] == '[' && s[j + 1] == ':') {
			long k = j + 2;

			while (s[k] && s[k] != ',' && !(s[k] == ':' && s[k + 1] == ']'))
				k++;
			if (s[k] != ':')
				return parse_error(
				    ps,
				    "unterminated [: at offset %ld (expected :] after a "
				    "character class name)",
				    j);
			if (!known_class(s + j + 2, k - (j + 2)))
				return parse_error(
				    ps,
				    "unknown character class '%.*s' at offset %ld "
				    "(expected alpha, digit, alnum, lower, upper, xdigit, "
				    "space, blank, punct, print, graph or cntrl)",
				    (int)(k - (j + 2)), s + j + 2, j);
			j = k + 2;
			continue;
		}
		if (s[j] == '\\') {
			if (s[j + 1] == '\0')
				return parse_error(
				    ps,
				    "dangling \\ at offset %ld (expected a character "
				    "after it)",
				    j);
			j++;
		}
		lo = hi = (unsigned char)s[j++];
		if (s[j] == '-' && s[j + 1] != ']' && s[j + 1] != '\0' && s[j + 1] != ',') {
			j++;
			if (s[j] == '\\') {
				if (s[j + 1] == '\0')
					return parse_error(ps,
							   "dangling \\ at offset %ld (expected a "
							   "character after it)",
							   j);
				j++;
			}
			hi = (unsigned char)s[j++];
			if (hi < lo)
				return parse_error(
				    ps,
				    "reversed range at offset %ld (expected the lower "
				    "character first)",
				    at);
		}
	}
}

/* Copy s[from, to) into the pool as a string. */
static const char *pool_put(char **pool, const char *s, long from, long to)
{
	char *out = *pool;

	memcpy(out, s + from, to - from);
	out[to - from] = '\0';
	*pool += to - from + 1;
	return out;
}

/*
 * Parse the term starting at *@pos; leave *@pos at the "," or NUL ending it.
 * Leading and trailing white space of the term, and around "@", is not part
 * of it; an escaped space is.
 */
static int parse_term(struct parser *ps, long *pos, struct pfe_term *t, char **pool)
{
	const char *s = ps->s;
	long i = *pos, start, name_start, name_end = -1, at = -1, obj_start = -1, end;

	while (is_ws(s[i]))
		i++;
	start = i;
	t->exclude = s[i] == '!';
	if (t->exclude)
		i++;
	while (is_ws(s[i]))
		i++;
	name_start = end = i;
	while (s[i] && s[i] != ',') {
		if (s[i] == '\\') {
			if (!s[i + 1])
				return parse_error(
				    ps,
				    "dangling \\ at offset %ld (expected a character "
				    "after it)",
				    i);
			i += 2;
			end = i;
		} else if (s[i] == '[') {
			i = scan_bracket(ps, i);
			if (i < 0)
				return -1;
			end = i;
		} else if (s[i] == '@') {
			if (at >= 0)
				return parse_error(
				    ps,
				    "second @ at offset %ld (expected one object glob "
				    "per term)",
				    i);
			at = i;
			name_end = end;
			i++;
			while (is_ws(s[i]))
				i++;
			obj_start = end = i;
		} else if (is_ws(s[i])) {
			i++;
		} else {
			end = ++i;
		}
	}
	*pos = i;
	if (at < 0)
		name_end = end;
	if (name_end == name_start) {
		if (at >= 0)
			return parse_error(ps,
					   "empty function name before @ at offset %ld (expected a "
					   "function name or glob)",
					   at);
		if (t->exclude)
			return parse_error(ps,
					   "lone ! at offset %ld (expected a function name or glob "
					   "after it)",
					   start);
		return parse_error(
		    ps, "empty term at offset %ld (expected a function name or glob)", start);
	}
	if (at >= 0 && end == obj_start)
		return parse_error(ps,
				   "empty object after @ at offset %ld (expected an object file "
				   "name or glob)",
				   at);
	t->text = pool_put(pool, s, name_start, end);
	t->name = pool_put(pool, s, name_start, name_end);
	t->object = at >= 0 ? pool_put(pool, s, obj_start, end) : NULL;
	t->hits = 0;
	return 0;
}

struct pfe_pattern *pfe_pattern_compile(const char *spec, char *err, size_t errlen)
{
	struct parser ps = {.s = spec, .err = err, .errlen = errlen};
	struct pfe_pattern *p;
	size_t len, n = 1;
	char *pool;
	long pos = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!spec) {
		parse_error(&ps, "no pattern (expected a function name or glob)");
		errno = EINVAL;
		return NULL;
	}
	len = strlen(spec);
	for (size_t i = 0; i < len; i++)
		n += spec[i] == ',';
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->spec = strdup(spec);
	p->terms = calloc(n, sizeof(*p->terms));
	/* text + name + object of every term: at most three copies of spec. */
	p->pool = malloc(3 * (len + 1) + 3 * n);
	if (!p->spec || !p->terms || !p->pool)
		goto nomem;
	pool = p->pool;
	for (;;) {
		struct pfe_term *t = &p->terms[p->nterms];

		if (parse_term(&ps, &pos, t, &pool) < 0) {
			pfe_pattern_free(p);
			errno = EINVAL;
			return NULL;
		}
		p->nterms++;
		p->ninclude += !t->exclude;
		if (spec[pos] != ',')
			break;
		pos++;
	}
	return p;
nomem:
	parse_error(&ps, "out of memory");
	pfe_pattern_free(p);
	errno = ENOMEM;
	return NULL;
}

size_t pfe_pattern_nterms(const struct pfe_pattern *p)
{
	return p->nterms;
}

const char *pfe_pattern_term(const struct pfe_pattern *p, size_t i, bool *exclude)
{
	if (i >= p->nterms)
		return NULL;
	if (exclude)
		*exclude = p->terms[i].exclude;
	return p->terms[i].text;
}

unsigned long pfe_pattern_term_hits(const struct pfe_pattern *p, size_t i)
{
	if (i >= p->nterms)
		return 0;
	return __atomic_load_n(&p->terms[i].hits, __ATOMIC_RELAXED);
}

void pfe_pattern_reset_hits(struct pfe_pattern *p)
{
	for (size_t i = 0; i < p->nterms; i++)
		__atomic_store_n(&p->terms[i].hits, 0, __ATOMIC_RELAXED);
}

const char *pfe_pattern_spec(const struct pfe_pattern *p)
{
	return p->spec;
}

void pfe_pattern_free(struct pfe_pattern *p)
{
	if (!p)
		return;
	free(p->spec);
	free(p->pool);
	free(p->terms);
	free(p);
}
