/* SPDX-License-Identifier: MIT */
/*
 * Reading libpfe's environment (env.c). Every PFE_* variable goes through
 * here: secure_getenv(3), so that a setuid or otherwise AT_SECURE program
 * ignores them, and one error line for a malformed value.
 */
#ifndef PFE_ENV_H
#define PFE_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "envparse.h"

/* The value of @name, or NULL when unset or when the process runs with
 * AT_SECURE (then libpfe is inert; init.c says so once). A PFE_* or
 * LIBPFE_* variable set at start-up is read from libpfe's copy, whatever
 * the program did to its environment since. */
const char *pfe_env(const char *name);
/* Copy every PFE_* and LIBPFE_* variable: the constructor's first step. */
void pfe_env_copy(void);

/* True when the process runs with AT_SECURE (setuid, file capabilities). */
bool pfe_env_secure(void);

/* A boolean variable: @dflt when unset or empty; a malformed value gets
 * "libpfe: NAME='value': expected ...; using <dflt>" once and @dflt. */
bool pfe_env_bool(const char *name, bool dflt);

/* PFE_GRAPH: PFE_GRAPH_OFF, _ON or _TIME (envparse.h); a boolean or "time",
 * else the error line once and off. */
int pfe_env_graph(void);

/* A size or duration variable, as pfe_env_bool: @dflt when unset, empty or
 * malformed (with the error line). */
uint64_t pfe_env_size(const char *name, uint64_t dflt);
uint64_t pfe_env_duration(const char *name, uint64_t dflt);

#endif /* PFE_ENV_H */
