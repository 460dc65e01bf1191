#!/bin/sh
# PFE_SUMMARY names the functions of a library that was dlclose()d (issue
# 28's last finding): a library loaded, called and unloaded three times
# gives one row per function, with every call of the three loads, instead
# of "site N (unloaded)" rows, one per load.
. tests/lib.sh
plan 4
P=$TOP/tests/progs

tcc -O2 -o "$T/dlsum_app" "$P/dlsum_app.c" -ldl
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/libsum.so" "$P/live_lib.c"

PFE_SUMMARY=1 PFE_TRACE=lib_fn,lib_other PFE_OUTPUT=$T/sum \
	prun "$T/dlsum_app" "$T/libsum.so" 3 1000 >"$T/out" 2>"$T/err"
expect_status "exit status" 0 $?
# 3 * (1 + ... + 1000) + 2 * (0 + 1 + 2)
expect_eq "the program's output" "sum 1501506" "$(cat "$T/out")"
expect_eq "one row per function, every call of the three loads" "3000 lib_fn
3 lib_other" "$(awk 'NR > 3 { print $3, $7 }' "$T/sum")"
expect_eq "no row of an unnamed site" "" "$(grep unloaded "$T/sum")"
