/* SPDX-License-Identifier: MIT */
/*
 * test_tramp.c through pfe_site_trampoline_mb, the variant with a dmb ish
 * on each side of the hooks for a urcu-bp without sys_membarrier (correct,
 * if slower, with it too).
 */
#define TRAMP_VARIANT 2
#include "unit/test_tramp.c"
