/* SPDX-License-Identifier: MIT */
/* envparse.c on the build machine under ASan/UBSan. */
#include "unit/test_envparse.c"
