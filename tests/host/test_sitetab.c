/* SPDX-License-Identifier: MIT */
/* The site table's unit tests, built for the host with ASan/UBSan
 * (make check-host): the same source as the cross-built cmocka test. */
#include "unit/test_sitetab.c"
