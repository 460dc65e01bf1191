/* SPDX-License-Identifier: MIT */
/* ctlcmd.c on the build machine under ASan/UBSan (with the value parsers it
 * uses: check-host links one module per test). */
#include "envparse.c"
#include "unit/test_ctlcmd.c"
