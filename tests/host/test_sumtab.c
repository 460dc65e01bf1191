/* SPDX-License-Identifier: MIT */
/* sumtab.c on the build machine under ASan/UBSan. */
#include "unit/test_sumtab.c"
