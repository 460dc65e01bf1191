/* SPDX-License-Identifier: MIT */
/* The site table's unit tests, built for the host with ASan/UBSan
 * (make check-host): the same source as the cross-built cmocka test, with
 * the symbol table it names sites from (check-host links one module). */
#include "symtab.c"
#include "unit/test_sitetab.c"
