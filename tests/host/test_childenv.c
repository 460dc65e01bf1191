/* SPDX-License-Identifier: MIT */
/* childenv.c on the build machine under ASan/UBSan. */
#include "unit/test_childenv.c"
