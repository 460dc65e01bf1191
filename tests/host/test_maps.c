/* SPDX-License-Identifier: MIT */
/* maps.c on the build machine under ASan/UBSan. */
#include "unit/test_maps.c"
