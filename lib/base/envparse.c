/* SPDX-License-Identifier: MIT */
/* Pure parsers for libpfe's environment variables (envparse.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "envparse.h"

int pfe_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Digits at @s into *@v; the end in *@end. -EINVAL without a digit or on
 * overflow. */
static int digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t n = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	*v = n;
	*end = p;
	return 0;
}

int pfe_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;

	if (!s || digits(s, &v, &end) || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int pfe_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	unsigned shift = 0;
	uint64_t v;

	if (!s || digits(s, &v, &end))
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1])
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

int pfe_parse_duration(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
	uint64_t whole, frac = 0, scale = 1;
	const char *p;

	if (!s || digits(s, &whole, &p))
		return -EINVAL;
	if (*p == '.') {
		const char *q = ++p;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale >= UINT64_C(1000000000))
				continue; /* beyond a nanosecond of a second */
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (p == q)
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t u = units[i].ns;

		if (strcasecmp(p, units[i].unit))
			continue;
		if (whole > UINT64_MAX / u)
			return -EINVAL;
		*out = whole * u + frac * u / scale;
		return 0;
	}
	return -EINVAL;
}

int pfe_parse_graph(const char *s, int *mode)
{
	bool b;

	if (s && !strcmp(s, "time")) {
		*mode = PFE_GRAPH_TIME;
		return 0;
	}
	if (pfe_parse_bool(s, &b))
		return -EINVAL;
	*mode = b ? PFE_GRAPH_ON : PFE_GRAPH_OFF;
	return 0;
}
