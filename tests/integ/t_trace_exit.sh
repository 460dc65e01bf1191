#!/bin/sh
# The trace is complete however the program ends: return from main, exit()
# from the worker while main waits, exit() from main while the worker is
# blocked (its buffered lines must be taken from it), pthread_exit in main.
# Also PFE_OUTPUT unset (stderr) and a PFE_OUTPUT that cannot be opened.
. tests/lib.sh
. tests/integ/trace_common.sh
plan 53

build app -fpatchable-function-entry=2
expected "$T/app" "$T/app" 2 3 >"$T/app.want"

for mode in return exit-thread blocked-exit pthread-exit; do
	run_traced "$mode" "$SPEC" "$T/app" "$mode"
	check_run "$mode"
	check_trace "$mode" "$T/app.want"
	expect_eq "$mode: lines per thread" "9 13 " "$(per_thread "$T/$mode.trace")"
done
expect_eq "exit-thread: exit status 3" 3 "$(cat "$T/exit-thread.rc")"

# Many calls: the buffers fill and are written many times over; still every
# line, in order (400 and 300 loop iterations).
run_traced many "top" "$T/app" return 400 300
check_run many
check_format many "$T/many.trace"
expect_eq "many: lines per thread" "300 400 " "$(per_thread "$T/many.trace")"
top_m=$(ra "$T/app" main top)
top_w=$(ra "$T/app" worker top)
awk '{ print $3, $4, $5 }' "$T/many.trace" | sort | uniq -c | sed 's/^ *//' | sort >"$T/many.counts"
printf '400 top <- %s\n300 top <- %s\n' "$top_m" "$top_w" | sort >"$T/many.want"
expect_file "many: callers" "$T/many.want" "$T/many.counts"

# No PFE_OUTPUT: the trace goes to stderr, and nothing else does.
trun "$T/app" >"$T/stderr.ref" 2>&1
PFE_TRACE=$SPEC prun "$T/app" >"$T/stderr.out" 2>"$T/stderr.trace"
expect_file "stderr: program output unchanged" "$T/stderr.ref" "$T/stderr.out"
check_trace stderr "$T/app.want"

# PFE_OUTPUT that cannot be opened: one line, nothing traced, program intact.
PFE_TRACE=$SPEC PFE_OUTPUT=/nonexistent/dir/trace prun "$T/app" >"$T/badout.out" 2>"$T/badout.err"
expect_eq "bad PFE_OUTPUT: exit status" 0 $?
expect_file "bad PFE_OUTPUT: program output unchanged" "$T/stderr.ref" "$T/badout.out"
expect_eq "bad PFE_OUTPUT: one error line" \
	"libpfe: PFE_OUTPUT='/nonexistent/dir/trace': cannot open for writing: No such file or directory; not tracing" \
	"$(cat "$T/badout.err")"

# PFE_OUTPUT with %p: the file is named after the pid, which is the main
# thread's tid in the trace.
rm -f "$T"/pid.*.trace
PFE_TRACE=$SPEC PFE_OUTPUT="$(pwd)/$T/pid.%p.trace" prun "$T/app" >"$T/pid.out" 2>"$T/pid.err"
expect_file "%p: program output unchanged" "$T/stderr.ref" "$T/pid.out"
set -- "$T"/pid.*.trace
expect_eq "%p: one trace file" 1 $#
pid=$(basename "$1" .trace)
pid=${pid#pid.}
main_tid=$(awk '$3 == "main" { print $1 }' "$1")
expect_eq "%p: file named after the main thread's tid" "$main_tid" "$pid"
cp "$1" "$T/pid.trace"
check_trace pid "$T/app.want"

# exit() from main while the worker is blocked inside worker(): graph text
# closes the worker's frame and main's, marked as still open at the end, and every
# thread's graph is balanced; the summary counts the worker's call.
PFE_GRAPH=1 PFE_TRACE=$SPEC PFE_OUTPUT=$T/blocked.graph prun "$T/app" blocked-exit >/dev/null 2>&1
if python3 "$TOP/tests/graph_check.py" "$T/blocked.graph" >"$T/blocked.check" 2>&1; then
	pass "blocked-exit, graph: balanced per thread"
else
	fail "blocked-exit, graph: balanced per thread" "$(head -5 "$T/blocked.check")"
fi
expect_eq "blocked-exit, graph: the worker's frame closed, still open at the end" 1 \
	"$(grep -cE '^[0-9]+ \| \} worker \([0-9]+\.[0-9]{3} us, still open at the end\)$' "$T/blocked.graph")"
expect_eq "blocked-exit, graph: main's frame too (exit() was called in it), nothing else" \
	"main worker" "$(sed -n 's/.*} \([a-z]*\) (.*still open at the end)$/\1/p' "$T/blocked.graph" | sort | tr '\n' ' ' | sed 's/ $//')"
PFE_SUMMARY=1 PFE_TRACE=$SPEC PFE_OUTPUT=$T/blocked.sum prun "$T/app" blocked-exit >/dev/null 2>&1
expect_eq "blocked-exit, summary: the open call counted" "1 main
1 worker" "$(awk '$7 == "main" || $7 == "worker" { print $3, $7 }' "$T/blocked.sum" | sort -k2)"
