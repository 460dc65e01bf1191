#!/bin/sh
# Graph text stays balanced across switches (issue 26): four busy threads
# call nested traced functions while tests/progs/switch_bal.c sends 100
# `trace <patterns>` commands (other sets, the same set again, a signature
# in some) and nine mode switches through PFE_CONTROL. A call open at a
# switch closes with a normal "}" line when it returns, where its "{" went,
# so the graph lines of every thread, taken out of the flat lines of the
# flat phases, pass tests/graph_check.py with nothing unwound.
. tests/lib.sh
plan 5
P=$TOP/tests/progs

tcc -O2 -fpatchable-function-entry=2 -o "$T/switch_bal" "$P/switch_bal.c" -lpthread
rm -f "$T/fifo" "$T/log" "$T/trace"
RUN_TIMEOUT=90
PFE_GRAPH=1 PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/trace \
	prun "$T/switch_bal" >"$T/out" 2>"$T/err"
expect_status "switches: exit status" 0 $?
expect_eq "switches: program output" "done" "$(cat "$T/out")"
# 100 sets, 9 modes, "trace off": each answered "ok", nothing else.
expect_eq "switches: 110 commands, all done" "110/110" \
	"$(grep -c '^ok \(trace\|graph\|summary\) ' "$T/log")/$(wc -l <"$T/log" | tr -d ' ')"
# The graph lines ("graph time" ones without their time), per thread.
sed -n 's/^\([0-9][0-9]*\) \([0-9][0-9]*\.[0-9]\{6\} \)\{0,1\}| /\1 | /p' "$T/trace" \
	>"$T/graph"
if python3 "$TOP/tests/graph_check.py" "$T/graph" >"$T/check" 2>&1; then
	pass "switches: graph_check passes"
else
	fail "switches: graph_check passes" "$(head -5 "$T/check")"
fi
expect_eq "switches: four threads, none unwound" "4 0" \
	"$(awk '{ n++; u += $4 } END { print n, u }' "$T/check")"
