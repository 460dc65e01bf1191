/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the parsers pfe applies to what users and recordings
 * give it, the first byte choosing which: the PFE_TRACE pattern language
 * (-F, -N; lib/pattern.c), durations and numbers (-t; lib/envparse.c), the
 * text files' unescaping and numbers (util.c), the C++ demangler on a
 * recording's symbols, and xstrdup_shown, whose result must be valid UTF-8
 * (jansson checks) without control characters.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envparse.h"
#include "fuzz.h"
#include "pattern.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	demangle_for_patterns();
	return 0;
}

/* xstrdup_shown's promise, checked independently of its code. */
static void check_shown(const char *s)
{
	char *out = xstrdup_shown(s);
	json_t *j = json_string(out);

	if (!j) {
		fprintf(stderr, "xstrdup_shown: not UTF-8: %s\n", out);
		abort();
	}
	for (const unsigned char *c = (const unsigned char *)out; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			fprintf(stderr, "xstrdup_shown: control character 0x%02x\n", *c);
			abort();
		}
	json_decref(j);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, err[256], buf[512];
	uint64_t v;
	bool b;

	if (!size)
		return 0;
	s = strndup((const char *)data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 5) {
	case 0: {
		struct pfe_pattern *p = pfe_pattern_compile(s, err, sizeof(err));
		static const char *const names[][2] = {
		    {"main", "app"}, {"foo", NULL}, {"_ZN2ns1fEv", "libx.so"}, {"ns::f()", "a"}};

		if (!p)
			break;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			pfe_pattern_match(p, names[i][0], names[i][1]);
		pfe_pattern_match(p, s, s);
		for (size_t i = 0; i < pfe_pattern_nterms(p); i++)
			pfe_pattern_term(p, i, &b);
		pfe_pattern_free(p);
		break;
	}
	case 1:
		pfe_parse_duration(s, &v);
		pfe_parse_size(s, &v);
		pfe_parse_uint(s, 1, 65535, &v);
		pfe_parse_bool(s, &b);
		break;
	case 2:
		parse_u64(s, &v);
		check_shown(s);
		check_shown(unescape(s));
		break;
	case 3: {
		char *d = demangle(s);

		if (d)
			check_shown(d);
		free(d);
		pfe_demangled_base(s, buf, sizeof(buf));
		break;
	}
	default:
		check_shown(s);
		break;
	}
	free(s);
	return 0;
}
