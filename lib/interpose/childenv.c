/* SPDX-License-Identifier: MIT */
/*
 * A followed child's environment (childenv.h). No library calls at all, not
 * even strlen or memcpy: a program may define those itself, and this runs
 * in a vfork() child where the program's code must not be entered.
 */
#include <errno.h>

#include "childenv.h"

/* Nor may the compiler turn a copy loop into a call to memcpy. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

#define PRELOAD "LD_PRELOAD"

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static char *str_put(char *d, const char *s)
{
	while (*s)
		*d++ = *s++;
	return d;
}

/* Length of the name of "NAME=value" (all of @entry when it has no '='). */
static size_t name_len(const char *entry)
{
	size_t n = 0;

	while (entry[n] && entry[n] != '=')
		n++;
	return n;
}

static bool same_name(const char *a, const char *b)
{
	size_t n = name_len(a);

	if (n != name_len(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

bool pfe_childenv_is(const char *entry, const char *name)
{
	size_t i = 0;

	for (; name[i]; i++)
		if (entry[i] != name[i])
			return false;
	return entry[i] == '=';
}

static size_t count(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* True when @v has an entry with the name of @entry. */
static bool has_name(char *const *v, const char *entry)
{
	for (size_t i = 0; v && v[i]; i++)
		if (same_name(v[i], entry))
			return true;
	return false;
}

static bool has_entry(char *const *v, const char *entry)
{
	for (size_t i = 0; v && v[i]; i++) {
		size_t k = 0;

		while (v[i][k] && v[i][k] == entry[k])
			k++;
		if (v[i][k] == entry[k])
			return true;
	}
	return false;
}

/* The loader splits LD_PRELOAD at spaces and colons. */
static bool preload_has(const char *list, const char *path)
{
	size_t n;

	if (!path || !*path)
		return false;
	n = str_len(path);
	for (const char *p = list; *p;) {
		const char *e = p;

		while (*e && *e != ':' && *e != ' ')
			e++;
		if ((size_t)(e - p) == n) {
			size_t i = 0;

			while (i < n && p[i] == path[i])
				i++;
			if (i == n)
				return true;
		}
		p = *e ? e + 1 : e;
	}
	return false;
}

/* The first LD_PRELOAD entry of envp, or NULL. */
static const char *first_preload(char *const *envp)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (pfe_childenv_is(envp[i], PRELOAD))
			return envp[i];
	return NULL;
}

static bool needs_preload(const struct pfe_childenv *c, const char *old)
{
	if (!c->preload)
		return false;
	if (!old)
		return true;
	old += sizeof(PRELOAD);
	return !preload_has(old, c->preload) && !preload_has(old, c->alias);
}

bool pfe_childenv_preloads(char *const *envp, const char *path, const char *alias)
{
	const char *old = first_preload(envp);

	if (!old)
		return false;
	old += sizeof(PRELOAD);
	return preload_has(old, path) || preload_has(old, alias);
}

size_t pfe_childenv_size(const struct pfe_childenv *c)
{
	const char *old = first_preload(c->envp);
	size_t ptrs = count(c->envp) + 1 + count(c->add) + count(c->set) + 1;
	size_t bytes = ptrs * sizeof(char *) + sizeof(char *); /* + alignment */

	if (needs_preload(c, old))
		bytes += sizeof(PRELOAD "=") + str_len(c->preload) + 1 + (old ? str_len(old) : 0);
	return bytes;
}

char **pfe_childenv_build(const struct pfe_childenv *c, void *buf, size_t len)
{
	const char *old = first_preload(c->envp);
	uintptr_t at = ((uintptr_t)buf + sizeof(char *) - 1) & ~(uintptr_t)(sizeof(char *) - 1);
	char **v = (char **)at;
	size_t ptrs = count(c->envp) + 1 + count(c->add) + count(c->set) + 1, n = 0;
	char *s = (char *)(v + ptrs), *preload = NULL;

	if (len < pfe_childenv_size(c))
		return NULL;
	if (needs_preload(c, old)) {
		/* "LD_PRELOAD=<libpfe>[:<what envp had>]" */
		char *p = str_put(s, PRELOAD "=");

		p = str_put(p, c->preload);
		if (old && old[sizeof(PRELOAD)]) {
			*p++ = ':';
			p = str_put(p, old + sizeof(PRELOAD));
		}
		*p = '\0';
		preload = s;
	}
	for (size_t i = 0; c->envp && c->envp[i]; i++) {
		char *e = c->envp[i];

		if (has_name(c->set, e) || has_entry(c->drop, e))
			continue;
		if (e == old && preload)
			e = preload;
		v[n++] = e;
	}
	if (preload && !old)
		v[n++] = preload;
	for (size_t i = 0; c->add && c->add[i]; i++)
		if (!has_name(c->envp, c->add[i]) && !has_name(c->set, c->add[i]))
			v[n++] = c->add[i];
	for (size_t i = 0; c->set && c->set[i]; i++)
		v[n++] = c->set[i];
	v[n] = NULL;
	return v;
}

/* ------------------------------------------------------------ outputs */

static const char hex[] = "0123456789abcdef";

static char *put_hex(char *d, uint64_t x)
{
	char t[16];
	int n = 0;

	do {
		t[n++] = hex[x & 15];
		x >>= 4;
	} while (x);
	while (n)
		*d++ = t[--n];
	return d;
}

/* Parse hex digits at *@p up to a character not a digit; false if none. */
static bool get_hex(const char **p, uint64_t *out)
{
	uint64_t x = 0;
	const char *s = *p;
	int n = 0;

	for (;; s++, n++) {
		int d = *s >= '0' && *s <= '9'	 ? *s - '0'
			: *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
						 : -1;

		if (d < 0)
			break;
		if (n == 16)
			return false;
		x = x << 4 | (uint64_t)d;
	}
	*p = s;
	*out = x;
	return n > 0;
}

bool pfe_outputs_has(const char *list, uint64_t dev, uint64_t ino)
{
	const char *p = list;

	while (p && *p) {
		uint64_t d, i;
		bool ok =
		    get_hex(&p, &d) && *p == ':' && (p++, get_hex(&p, &i)) && (*p == ',' || !*p);

		if (ok && d == dev && i == ino)
			return true;
		while (*p && *p != ',') /* a malformed entry is skipped */
			p++;
		if (*p)
			p++;
	}
	return false;
}

int pfe_outputs_add(char *buf, size_t len, uint64_t dev, uint64_t ino)
{
	char item[2 * 16 + 3], *e;
	size_t have, n;

	if (pfe_outputs_has(buf, dev, ino))
		return 0;
	e = item;
	e = put_hex(e, dev);
	*e++ = ':';
	e = put_hex(e, ino);
	n = (size_t)(e - item);
	have = str_len(buf);
	if (have + (have ? 1 : 0) + n + 1 > len)
		return -ENOSPC;
	if (have)
		buf[have++] = ',';
	for (size_t i = 0; i < n; i++)
		buf[have + i] = item[i];
	buf[have + n] = '\0';
	return 0;
}
