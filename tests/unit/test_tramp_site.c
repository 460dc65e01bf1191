/* SPDX-License-Identifier: MIT */
/*
 * test_tramp.c through the per-site path: pfe_site_trampoline (the variant
 * matching urcu-bp's barrier choice) with its fast path in assembly.
 */
#define TRAMP_VARIANT 1
#include "unit/test_tramp.c"
