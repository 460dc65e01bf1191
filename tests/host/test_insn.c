/* SPDX-License-Identifier: MIT */
/* insn.c on the build machine under ASan/UBSan, every imm26 value. */
#define PFE_INSN_STRIDE 1
#include "unit/test_insn.c"
