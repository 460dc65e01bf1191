/* SPDX-License-Identifier: MIT */
/* The message escaping tests, built natively with ASan/UBSan (make check-host). */
#include "unit/test_sanitize.c"
