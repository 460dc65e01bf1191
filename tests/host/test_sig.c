/* SPDX-License-Identifier: MIT */
/* The signature unit tests, built natively with ASan/UBSan (make check-host). */
#include "unit/test_sig.c"
#include "sigfmt.c"
