#!/bin/sh
# A library's functions hooked and unhooked while other threads dlopen and
# dlclose it, in the default namespace and through dlmopen in new ones
# (tests/progs/dlrace_app.c). No hook stays attached, so the library's sites
# toggle while it is unloaded: dlclose must drop them before their text is
# unmapped. Then a library whose destructor (run by dlclose, under libpfe's
# patch lock) attaches and detaches a hook itself.
. tests/lib.sh
plan 6
P=$TOP/tests/progs

tcc -O2 -I"$TOP/include" -fpatchable-function-entry=2 -o "$T/dlrace_app" "$P/dlrace_app.c" \
	-lpthread -ldl
tcc -O2 -I"$TOP/include" -shared -fPIC -fpatchable-function-entry=2 -o "$T/libdlrace.so" \
	"$P/dlrace_lib.c" -ldl

# About 30 s under qemu on a loaded machine: the loaders wait for the patch
# lock against two threads that take it thousands of times.
RUN_TIMEOUT=150 prun "$T/dlrace_app" "$T/libdlrace.so" 1000 >"$T/race.out" 2>"$T/race.err"
expect_status "race: exit status (no crash)" 0 $?
expect_eq "race: every call right, every add and remove succeeded, no site left" \
"dlopen: loads 1000 calls 10000 wrong 0 errors 0
dlmopen: loads 1000 calls 10000 wrong 0 errors 0
churn: more rounds than loads: yes, add failures 0, remove failures 0
library sites left: No such file or directory" "$(cat "$T/race.out")"
expect_eq "race: nothing on stderr" "" "$(cat "$T/race.err")"

# The destructor's hook: in the default namespace it finds libpfe's API
# (20 times); a dlmopen namespace does not see the preloaded libpfe.
DLRACE_DTOR=1 prun "$T/dlrace_app" "$T/libdlrace.so" 20 >"$T/dtor.out" 2>"$T/dtor.err"
expect_status "destructor: exit status (no deadlock)" 0 $?
expect_eq "destructor: its hook ran once each time, no site left" "20 20
library sites left: No such file or directory" \
	"$(grep -c '^destructor: hooked 1 remove 0$' "$T/dtor.out") $(grep -c '^destructor: hooked 0 remove -1$' "$T/dtor.out")
$(grep '^library' "$T/dtor.out")"
expect_eq "destructor: nothing on stderr" "" "$(cat "$T/dtor.err")"
