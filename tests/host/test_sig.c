/* SPDX-License-Identifier: MIT */
/* The signature unit tests, built natively with ASan/UBSan (make check-host),
 * with the placement and register reads of arch/arm64/abi.c. */
#include "unit/test_sig.c"
#include "sigfmt.c"
#include "abi.c"
