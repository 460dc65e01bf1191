/* SPDX-License-Identifier: MIT */
/* The pattern unit tests, built natively with ASan/UBSan (make check-host). */
#include "unit/test_pattern.c"
