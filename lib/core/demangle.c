/* SPDX-License-Identifier: MIT */
/*
 * C++ names through the C++ runtime's demangler (demangle.h).
 *
 * __cxa_demangle is part of the Itanium C++ ABI and exported by libstdc++
 * (and libc++abi) with C linkage:
 *   char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);
 * It returns a malloc'd string (status 0), or NULL with status -2 for a name
 * that is not a valid mangled name. Linking libstdc++ into libpfe would load
 * it into every C program we trace; instead the symbol is looked up when a
 * table with C++ names is discovered: RTLD_DEFAULT finds it in a C++ program,
 * and a C program that dlopen'ed a C++ library RTLD_LOCAL has libstdc++
 * loaded without it being global, which dlopen(RTLD_NOLOAD) reaches.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"
#include "env.h"
#include "pattern.h"

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

static cxa_demangle_fn cxa_demangle;

static const char *const runtimes[] = {"libstdc++.so.6", "libc++abi.so.1", "libc++.so.1"};

/* Find __cxa_demangle once it is loaded; called again until it is. */
static cxa_demangle_fn find_demangler(void)
{
	cxa_demangle_fn fn = __atomic_load_n(&cxa_demangle, __ATOMIC_ACQUIRE);

	if (fn)
		return fn;
	fn = (cxa_demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
	for (size_t i = 0; !fn && i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		void *h = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);

		if (h) {
			fn = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
			dlclose(h); /* NOLOAD took a reference; the object stays */
		}
	}
	if (fn) {
		__atomic_store_n(&cxa_demangle, fn, __ATOMIC_RELEASE);
		pfe_pattern_set_demangler(pfe_demangle);
	}
	return fn;
}

static bool is_cxx_name(const char *name)
{
	return name && name[0] == '_' && name[1] == 'Z';
}

/* The demangled @name, malloc'd, or NULL. */
static char *demangle_alloc(cxa_demangle_fn fn, const char *name)
{
	int status = 0;
	char *s = fn(name, NULL, NULL, &status);

	if (status) {
		free(s);
		return NULL;
	}
	return s;
}

bool pfe_demangle(const char *name, char *out, size_t len)
{
	cxa_demangle_fn fn;
	size_t n;
	char *s;

	if (!is_cxx_name(name) || !(fn = find_demangler()) || !(s = demangle_alloc(fn, name)))
		return false;
	n = strlen(s);
	if (n >= len) {
		free(s);
		return false;
	}
	memcpy(out, s, n + 1);
	free(s);
	return true;
}

bool pfe_demangle_ready(void)
{
	return find_demangler() != NULL;
}

int pfe_site_set_label(struct pfe_sitetab *t, struct pfe_site *s)
{
	struct pfe_label_chunk *c = t->labels;
	cxa_demangle_fn fn;
	size_t len;
	char *d;

	if (s->label)
		return 0;
	/* The symbol itself unless a demangled name is there to show. */
	if (!is_cxx_name(s->name) || !pfe_env_bool("PFE_DEMANGLE", true) ||
	    !(fn = find_demangler()) || !(d = demangle_alloc(fn, s->name))) {
		__atomic_store_n(&s->label, s->name, __ATOMIC_RELEASE);
		return 0;
	}
	len = strlen(d) + 1;
	if (!c || c->cap - c->used < len) {
		size_t cap = len > 4096 ? len : 4096;

		c = malloc(sizeof(*c) + cap);
		if (!c) {
			free(d);
			return -ENOMEM;
		}
		*c = (struct pfe_label_chunk){.next = t->labels, .cap = cap};
		t->labels = c;
	}
	memcpy(c->buf + c->used, d, len);
	free(d);
	/* Pairs with the acquire in pfe_site_label: a reader sees the text. */
	__atomic_store_n(&s->label, c->buf + c->used, __ATOMIC_RELEASE);
	c->used += len;
	return 0;
}
