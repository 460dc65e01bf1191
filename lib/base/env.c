/* SPDX-License-Identifier: MIT */
/*
 * libpfe's environment: secure_getenv(3) for every PFE_* (env.h). A setuid
 * program must not let its caller choose files it writes (PFE_OUTPUT,
 * PFE_LIST) or functions it redirects; secure_getenv returns NULL when the
 * kernel set AT_SECURE, so all of libpfe's inputs vanish at once.
 *
 * The values are copied at start-up (pfe_env_copy): a program may rewrite
 * its environment strings in place (setproctitle() in redis and nginx
 * copies environ and overwrites the original block with the title), and
 * what libpfe reads after the constructor (PFE_CONTROL_LOG at every
 * command, PFE_OUTPUT when control starts tracing) must still be what the
 * user set. Nothing libpfe keeps points into the environment block.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "base.h"

extern char **environ;

/* "NAME=value" of every PFE_* and LIBPFE_* variable at start-up, copied;
 * NULL before the copy (then the environment itself is read). Written
 * once by the constructor, before libpfe starts a thread. */
static char **copied;

static bool ours(const char *e)
{
	return !strncmp(e, "PFE_", 4) || !strncmp(e, "LIBPFE_", 7);
}

void pfe_env_copy(void)
{
	size_t n = 0, k = 0;
	char **v;

	if (copied || pfe_env_secure())
		return;
	for (char **e = environ; e && *e; e++)
		n += ours(*e);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return;
	for (char **e = environ; e && *e && k < n; e++) {
		if (!ours(*e))
			continue;
		v[k] = strdup(*e);
		if (!v[k]) {
			while (k)
				free(v[--k]);
			free(v);
			return; /* reading the environment itself, as before */
		}
		k++;
	}
	copied = v;
}

const char *pfe_env(const char *name)
{
	size_t len = strlen(name);

	if (!copied || !ours(name))
		return secure_getenv(name);
	for (char **e = copied; *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	/* Not set at start-up: tests set variables later (setenv). */
	return secure_getenv(name);
}

bool pfe_env_secure(void)
{
	return getauxval(AT_SECURE) != 0;
}

/*
 * True the first time a malformed @name is reported: a variable read in
 * several places (PFE_GRAPH) still gets one line. A full table only means
 * a repeated line.
 */
static bool first_complaint(const char *name)
{
	static const char *said[32];

	for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
		const char *s = __atomic_load_n(&said[i], __ATOMIC_ACQUIRE);

		if (!s && __atomic_compare_exchange_n(&said[i], &s, name, false, __ATOMIC_ACQ_REL,
						      __ATOMIC_ACQUIRE))
			return true;
		if (!strcmp(s, name))
			return false;
	}
	return true;
}

bool pfe_env_bool(const char *name, bool dflt)
{
	const char *v = pfe_env(name);
	bool b;

	if (!v || !*v)
		return dflt;
	if (pfe_parse_bool(v, &b) == 0)
		return b;
	if (first_complaint(name))
		pfe_err("%s='%s': expected %s; using %d", name, v, PFE_EXPECT_BOOL, dflt);
	return dflt;
}

int pfe_env_graph(void)
{
	const char *v = pfe_env("PFE_GRAPH");
	int mode;

	if (!v || !*v)
		return PFE_GRAPH_OFF;
	if (pfe_parse_graph(v, &mode) == 0)
		return mode;
	if (first_complaint("PFE_GRAPH"))
		pfe_err("PFE_GRAPH='%s': expected %s; using 0", v, PFE_EXPECT_GRAPH);
	return PFE_GRAPH_OFF;
}

static uint64_t env_number(const char *name, uint64_t dflt, int (*parse)(const char *, uint64_t *),
			   const char *expect)
{
	const char *v = pfe_env(name);
	uint64_t n;

	if (!v || !*v)
		return dflt;
	if (parse(v, &n) == 0)
		return n;
	if (first_complaint(name))
		pfe_err("%s='%s': expected %s; using the default", name, v, expect);
	return dflt;
}

uint64_t pfe_env_size(const char *name, uint64_t dflt)
{
	return env_number(name, dflt, pfe_parse_size, PFE_EXPECT_SIZE);
}

uint64_t pfe_env_duration(const char *name, uint64_t dflt)
{
	return env_number(name, dflt, pfe_parse_duration, PFE_EXPECT_DURATION);
}
