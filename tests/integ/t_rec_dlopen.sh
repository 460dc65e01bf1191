#!/bin/sh
# Issue 26: a library dlopen'd and dlclose'd again (uftrace's s-dlopen,
# tests/progs/dlopen_app.c) keeps its names in a recording. Before, the
# writer named objects at its own syncs, and an object loaded and unloaded
# between two of them was off every list it walked: replay showed site#5,
# site#6 for foo and bar. Now the loading thread writes an object's names
# as it is published, before its sites can fire. Recorded 20 times, since
# it depended on when the writer ran.
# test-timeout: 480
. tests/lib.sh
plan 6
PFE=$TOP/$B/pfe
P=$TOP/tests/progs
tcc -O2 -fpatchable-function-entry=2 -o "$T/dlopen_app" "$P/dlopen_app.c" -ldl
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/libabc.so" "$P/dlopen_abc.c"
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/libfoo.so" "$P/dlopen_foo.c"
# The same libraries built without the flag: their functions become
# dynamic sites when the -f terms name them, after the library is listed.
tcc -O2 -shared -fPIC -o "$T/libabc_nf.so" "$P/dlopen_abc.c"
tcc -O2 -shared -fPIC -o "$T/libfoo_nf.so" "$P/dlopen_foo.c"
tcc -O2 -fpatchable-function-entry=2 -o "$T/dlfork_app" "$P/dlfork_app.c" -lpthread -ldl
cd "$T" || exit 1

# The graph of one run, without times and tids.
graph() {
	"$PFE" replay -d rec 2>/dev/null | sed -n 's/^[^|]*| *//p'
}
want='main() {
call() {
lib_a() {
lib_b() {
lib_c();
} /* lib_b */
} /* lib_a */
} /* call */
call() {
foo() {
bar();
} /* foo */
} /* call */
} /* main */'

runs=20 out_ok=0 replay_ok=0 report_ok=0 bad=
i=0
while [ $i -lt $runs ]; do
	i=$((i + 1))
	if timeout -k 5 "$RUN_TIMEOUT" "$PFE" record -d rec ./dlopen_app ./libabc.so ./libfoo.so >out 2>err &&
		[ "$(cat out)" = "lib_a 4
foo 7" ] && [ ! -s err ]; then
		out_ok=$((out_ok + 1))
	fi
	if [ "$(graph)" = "$want" ]; then
		replay_ok=$((replay_ok + 1))
	else
		bad="run $i: $(graph | tr '\n' ' ')"
	fi
	# Every function by name, each called once.
	[ "$("$PFE" report -d rec | awk 'NR > 2 { print $7, $3 }' | sort | tr '\n' ' ')" = \
		"bar 1 call 2 foo 1 lib_a 1 lib_b 1 lib_c 1 main 1 " ] && report_ok=$((report_ok + 1))
done
expect_eq "$runs runs: status 0, the program's output, nothing on stderr" $runs $out_ok
expect_eq "$runs runs: every replay names every function${bad:+ ($bad)}" $runs $replay_ok
expect_eq "$runs runs: every report names every function, called once" $runs $report_ok

# Dynamic sites: those of a library unloaded before the writer's next sync
# are written at its unload (before, site#2 to site#6 in 5 runs of 5).
dyn_ok=0 bad=
i=0
while [ $i -lt 10 ]; do
	i=$((i + 1))
	timeout -k 5 "$RUN_TIMEOUT" "$PFE" record -f 'main,call,lib_a,lib_b,lib_c,foo,bar' -d rec \
		./dlopen_app ./libabc_nf.so ./libfoo_nf.so >/dev/null 2>&1
	if [ "$(graph)" = "$want" ]; then
		dyn_ok=$((dyn_ok + 1))
	else
		bad="run $i: $(graph | tr '\n' ' ')"
	fi
done
expect_eq "without the flag, 10 runs: every replay names every function${bad:+ ($bad)}" 10 $dyn_ok

# The same in a fork child: its dlopen found libpfe's dlopen lock held by
# the parent's thread (a recursive mutex, owned by a tid the child does not
# have) and waited forever.
timeout -k 5 "$RUN_TIMEOUT" "$PFE" record -d rec ./dlopen_app ./libabc.so ./libfoo.so fork \
	>out 2>err
st=$?
# The parent's main, then the child's graph, which starts inside main.
expect_eq "fork: status 0, the child's output, its graph names every function" "0
lib_a 4
foo 7
main();
call() {
lib_a() {
lib_b() {
lib_c();
} /* lib_b */
} /* lib_a */
} /* call */
call() {
foo() {
bar();
} /* foo */
} /* call */" "$st
$(cat out)
$(graph)"

# Forks while another thread loads and unloads: the fork's prepare handlers
# took the recording's meta lock before the dlopen lock, a dlclose the
# other way round, and both threads waited for good (about 10 s here).
PFE_RECORD=rec3 PFE_TRACE='*' prun ./dlfork_app ./libabc.so 10 >out 2>err
st=$?
expect_eq "fork while dlopen and dlclose: no deadlock, status 0, nothing on stderr" "0
forks 10" "$st
$(cat out err)"
