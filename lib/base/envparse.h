/* SPDX-License-Identifier: MIT */
/*
 * Values of libpfe's environment variables: pure parsers, testable on the
 * host (tests/host/test_envparse.c). Each returns 0 or -EINVAL and leaves
 * *@out untouched on error, so the caller can keep its default and say so.
 */
#ifndef PFE_ENVPARSE_H
#define PFE_ENVPARSE_H

#include <stdbool.h>
#include <stdint.h>

/* 1, yes, true, on / 0, no, false, off (any case); nothing else. */
int pfe_parse_bool(const char *s, bool *out);

/* A decimal integer in [@min, @max], without sign, spaces or suffix. */
int pfe_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A byte count: decimal with an optional K, M or G (powers of 1024). */
int pfe_parse_size(const char *s, uint64_t *out);

/* A duration in nanoseconds: decimal (a fraction allowed) followed by ns,
 * us, ms or s; "1.5ms" is 1500000. A bare number is refused: which unit a
 * user meant cannot be guessed. */
int pfe_parse_duration(const char *s, uint64_t *out);

/* What the parsers above expect, for the one error line. */
/* PFE_GRAPH and the control channel's "graph ...". */
enum { PFE_GRAPH_OFF, PFE_GRAPH_ON, PFE_GRAPH_TIME };
/* PFE_GRAPH's value: 0 and the mode, or -EINVAL (a boolean or "time"). */
int pfe_parse_graph(const char *s, int *mode);
#define PFE_EXPECT_GRAPH    "0, 1, yes, no, true, false, on, off or time"
#define PFE_EXPECT_BOOL	    "0, 1, yes, no, true, false, on or off"
#define PFE_EXPECT_SIZE	    "a byte count such as 65536, 64K or 4M"
#define PFE_EXPECT_DURATION "a duration such as 500ns, 10us, 1.5ms or 2s"

#endif /* PFE_ENVPARSE_H */
