#!/bin/sh
# Hooks attached and detached while threads run (tests/progs/live_app.c):
# exact counts for a hook attached throughout while another thread attaches
# and detaches thousands of times; fork in the middle of that (the child
# attaches, detaches and counts on its own); signals delivered to hooked
# code and hooked code called from a signal handler; a library dlopen()ed
# and dlclose()d in a loop while a thread calls into it and another
# attaches and detaches (its functions get the live hook each time, and
# after the last dlclose none of its sites remains).
. tests/lib.sh
plan 20
P=$TOP/tests/progs

tcc -O2 -I"$TOP/include" -fpatchable-function-entry=2 -o "$T/live_app" "$P/live_app.c" \
	-lpthread -ldl
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/liblive.so" "$P/live_lib.c"

prun "$T/live_app" stress 50000 2000 >"$T/stress.out" 2>"$T/stress.err"
expect_status "stress: exit status" 0 $?
expect_eq "stress: exact counts, no poison, detach stops the hook" "calls 400000 hooked 400000
transient attach failures 0 poison seen 0
transient calls within bound: yes
remove 0
after remove hooked 400000" "$(cat "$T/stress.out")"
expect_eq "stress: nothing on stderr" "" "$(cat "$T/stress.err")"

prun "$T/live_app" fork 50000 500 >"$T/fork.out" 2>"$T/fork.err"
expect_status "fork: exit status" 0 $?
expect_eq "fork: exact counts in the child and the parent" "child: hot_b calls 1000 hooked 1000
child exit 0
calls 400000 hooked 400000
transient attach failures 0 poison seen 0
transient calls within bound: yes
remove 0
after remove hooked 400000" "$(cat "$T/fork.out")"
expect_eq "fork: nothing on stderr" "" "$(cat "$T/fork.err")"

prun "$T/live_app" signal 300 >"$T/signal.out" 2>"$T/signal.err"
expect_status "signal: exit status" 0 $?
expect_eq "signal: exact counts" "hot_a calls == hooked, interrupted: yes
hot_b calls from the handler == hooked, handler ran: yes
remove 0 0" "$(cat "$T/signal.out")"

prun "$T/live_app" dl "$T/liblive.so" 500 40 >"$T/dl.out" 2>"$T/dl.err"
expect_status "dl: exit status" 0 $?
expect_eq "dl: every call of the reloaded library hooked, no site left" "sites before: 1
lib_fn calls 20000 hooked 20000
churn failures 0
sites after: 1
lib_fn after dlclose: No such file or directory
remove 0" "$(cat "$T/dl.out")"
expect_eq "dl: nothing on stderr" "" "$(cat "$T/dl.err")"

# The tracer is an ordinary hook: a library loaded later gets it too, also
# when nothing it names is loaded at start-up.
PFE_TRACE='lib_fn' PFE_OUTPUT=$T/dltrace prun "$T/live_app" dl "$T/liblive.so" 50 4 \
	>"$T/dltr.out" 2>"$T/dltr.err"
expect_status "dl+trace: exit status" 0 $?
expect_eq "dl+trace: every call of lib_fn traced, nothing else" "200 0" \
	"$(awk '$3 == "lib_fn"' "$T/dltrace" | wc -l | tr -d ' ') $(awk '$3 != "lib_fn"' "$T/dltrace" | wc -l | tr -d ' ')"
expect_eq "dl+trace: stderr" "libpfe: PFE_TRACE: 'lib_fn' matches no patchable function loaded so far" \
	"$(cat "$T/dltr.err")"

# A thread started by a library's constructor before libpfe's runs the
# library's code while libpfe writes slot 0: it is parked meanwhile.
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/libearly.so" "$P/live_early_lib.c" -lpthread
tcc -O2 -I"$TOP/include" -fpatchable-function-entry=2 -o "$T/live_early" "$P/live_early.c" \
	-L"$T" -learly -Wl,-rpath,"$T" -ldl
PFE_DEBUG=1 prun "$T/live_early" >"$T/early.out" 2>"$T/early.err"
expect_status "early thread: exit status" 0 $?
expect_eq "early thread: exact counts" "thread ran before main: yes
calls 5000 hooked 5000
remove 0
after remove hooked 5000" "$(cat "$T/early.out")"
expect_grep "early thread: parked while slot 0 was written" \
	"^libpfe: libearly.so: slot 0 of 7 sites written with 1 threads parked$" "$T/early.err"

# dlmopen into a new namespace (dl_iterate_phdr does not report it): found
# through the handle's link map, hooked, and dropped at dlclose, each time.
prun "$T/live_app" dlm "$T/liblive.so" >"$T/dlm.out" 2>"$T/dlm.err"
expect_status "dlmopen: exit status" 0 $?
expect_eq "dlmopen: a new namespace is hooked and dropped" "sites with the library: 2
lib_fn calls 100 hooked 100
sites after dlclose: 1
sites with the library: 2
lib_fn calls 200 hooked 200
sites after dlclose: 1
sites with the library: 2
lib_fn calls 300 hooked 300
sites after dlclose: 1
remove 0" "$(cat "$T/dlm.out")"
expect_eq "dlmopen: nothing on stderr" "" "$(cat "$T/dlm.err")"
