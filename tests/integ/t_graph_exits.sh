#!/bin/sh
# The graph tracer (PFE_TRACE='*' PFE_GRAPH=1) on programs that leave
# functions without returning (tests/progs/exits_app.c, exits_cxx.cc):
# longjmp out of nested frames, siglongjmp out of a signal handler (on the
# same stack and on a sigaltstack), a traced handler interrupting a traced
# function, pthread_exit and pthread_cancel from nested frames, ucontext
# coroutines switched in and out, recursion 10,000 deep (within PFE_DEPTH and
# beyond the default), C++ exceptions caught two levels up and rethrown, and
# two threads whose nested calls a 100 us timer interrupts anywhere, its
# handler calling traced functions (the fused graph path's push and pop
# interrupted midway, on the thread's stack and on a sigaltstack).
# For each, plain and BTI+PAC, both on QEMU_CPU=max: the program's output is
# unchanged, nothing on stderr, and tests/graph_check.py finds every thread's
# graph balanced and nested exactly as tests/integ/graph_exits/<mode>.tree
# (frames closed "unwound" where the program left them).
. tests/lib.sh
P=$TOP/tests/progs
W=$TOP/tests/integ/graph_exits
CXX=${CC%gcc}g++
# The checker: tests/graph_check.py.
check() { python3 "$TOP/tests/graph_check.py" "$@"; }
plan 72

# A CPU that enforces BTI and PAC, for both builds.
QEMU_CPU=max
export QEMU_CPU
BTI_LINK="-mbranch-protection=standard -nostartfiles -z force-bti -Wl,--fatal-warnings"

# run NAME PROG ARGS...: traced and untraced; checks status, output, stderr.
run() {
	_n=$1
	shift
	trun "$@" >"$T/$_n.ref" 2>&1
	PFE_TRACE='*' PFE_GRAPH=1 PFE_OUTPUT="$(pwd)/$T/$_n.trace" prun "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	_rc=$?
	if [ $_rc -eq 0 ] && cmp -s "$T/$_n.ref" "$T/$_n.out"; then
		pass "$_n: runs, output unchanged"
	else
		fail "$_n: runs, output unchanged" "exit status $_rc" "$(diff "$T/$_n.ref" "$T/$_n.out" | head -5)"
	fi
	expect_eq "$_n: nothing on stderr" "" "$(cat "$T/$_n.err")"
}

# graph NAME WANT [--coroutines]: the trace's graph is well formed and is WANT.
graph() {
	if check --tree ${3:+"$3"} "$T/$1.trace" >"$T/$1.tree" 2>&1; then
		expect_file "$1: graph balanced, nested as expected" "$2" "$T/$1.tree"
	else
		fail "$1: graph balanced, nested as expected" "$(head -5 "$T/$1.tree")"
	fi
}

for v in "plain:" "bti:$BTI_LINK $P/bti_start.S"; do
	b=${v%%:*}
	# shellcheck disable=SC2086
	tcc -O2 -pthread -fpatchable-function-entry=2 -o "$T/app-$b" "$P/exits_app.c" ${v#*:}
	# shellcheck disable=SC2086
	$CXX -O2 -g -Wall -Werror -fpatchable-function-entry=2 -o "$T/cxx-$b" \
		"$P/exits_cxx.cc" ${v#*:} || { echo "not ok - compile cxx-$b"; exit 1; }
	for m in longjmp siglongjmp signal exit cancel; do
		run "$b-$m" "$T/app-$b" "$m"
		graph "$b-$m" "$W/$m.tree"
	done
	# The handler on a sigaltstack: the same graph as on the main stack.
	run "$b-altstack" "$T/app-$b" altstack
	graph "$b-altstack" "$W/siglongjmp.tree"
	run "$b-coro" "$T/app-$b" coro
	graph "$b-coro" "$W/coro.tree" --coroutines
	run "$b-cxx" "$T/cxx-$b"
	graph "$b-cxx" "$W/cxx.tree"
	# The storm: balanced, nothing unwound or lost, every worker call
	# shown, and the handler's calls traced in some of them.
	run "$b-storm" "$T/app-$b" storm
	if check "$T/$b-storm.trace" >"$T/$b-storm.sum" 2>&1; then
		pass "$b-storm: graph balanced"
	else
		fail "$b-storm: graph balanced" "$(head -5 "$T/$b-storm.sum")"
	fi
	expect_eq "$b-storm: two busy threads, nothing unwound or lost" "2 0" \
		"$(awk '$2 >= 9000 { w++ } $4 != 0 || $8 != 0 { bad++ } END { print w + 0, bad + 0 }' \
			"$T/$b-storm.sum")"
	expect_eq "$b-storm: every worker call entered and returned" "6000 6000" \
		"$(grep -c ' st_a() {$' "$T/$b-storm.trace") $(grep -c ' } st_a (' "$T/$b-storm.trace")"
	expect_eq "$b-storm: handlers traced" yes \
		"$(grep -q ' st_sig() {$' "$T/$b-storm.trace" && echo yes || echo no)"
	# 10,000 deep: all of it within PFE_DEPTH=20000 ...
	PFE_DEPTH=20000
	export PFE_DEPTH
	run "$b-deep" "$T/app-$b" deep 10000
	unset PFE_DEPTH
	expect_eq "$b-deep: every call shown" "calls 10002 unwound 0 depth 10002 lost 0" \
		"$(check "$T/$b-deep.trace" 2>&1)"
	# ... and beyond the default 4096 frames: what is shown is balanced and
	# the trace says how many calls it does not show.
	run "$b-deep4096" "$T/app-$b" deep 10000
	expect_eq "$b-deep4096: 4096 frames shown, the rest counted" \
		"calls 4096 unwound 0 depth 4096 lost 5906" "$(check "$T/$b-deep4096.trace" 2>&1)"
done
