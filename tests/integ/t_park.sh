#!/bin/sh
# Parking, observed from outside libpfe (tests/progs/park_probe.c): while
# libpfe writes slot 0 of a library dlopen()ed by a program with another
# thread running, that thread is stopped (its counter frozen for 50 ms) and
# sleeping in the kernel (state S), and runs again afterwards. Without
# libpfe the same program shows the thread running, so the probe can tell.
. tests/lib.sh
plan 6
P=$TOP/tests/progs
tcc -O2 -fpatchable-function-entry=2 -o "$T/park_probe" "$P/park_probe.c" -pthread -ldl \
	-Wl,--export-dynamic-symbol=mprotect
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/liblive.so" "$P/live_lib.c"

prun "$T/park_probe" "$T/liblive.so" >"$T/park.out" 2>"$T/park.err"
expect_status "parked: exit status" 0 $?
expect_eq "parked: the other thread stopped while slot 0 was written" "slot 0 written: yes
spinner advanced meanwhile: no
spinner state meanwhile: S" "$(cat "$T/park.out")"
expect_eq "parked: nothing on stderr" "" "$(cat "$T/park.err")"

# The control: the program's own mprotect(W+X) without libpfe, before the
# dlopen, sees the thread run. (PARK_PROBE_SELF makes the probe call it.)
PARK_PROBE_SELF=1 trun "$T/park_probe" "$T/liblive.so" >"$T/self.out" 2>"$T/self.err"
expect_status "control: exit status" 0 $?
expect_eq "control: without libpfe the thread runs meanwhile" "slot 0 written: yes
spinner advanced meanwhile: yes
spinner state meanwhile: R" "$(cat "$T/self.out")"
expect_eq "control: nothing on stderr" "" "$(cat "$T/self.err")"
