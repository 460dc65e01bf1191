#!/bin/sh
# A fork child's trace (tests/progs/fork_app.c): the child makes 10,000
# traced calls of leaf() and ends with _exit(), _Exit() or exit(), without
# a writer thread of its own; every call is written, in flat and graph
# text and in a recording, with the default 1 MiB ring and with 16 MiB;
# with PFE_OUTPUT=...%p... each process writes its own file.
# test-timeout: 400
. tests/lib.sh
plan 23
P=$TOP/tests/progs
PFE=$TOP/$B/pfe
RUN_TIMEOUT=120
tcc -O2 -fpatchable-function-entry=2 -o "$T/app" "$P/fork_app.c"
N=10000

# child_pid OUT: the child's pid the parent printed.
child_pid() { sed -n 's/^child \([0-9]*\) status 0$/\1/p' "$1"; }

# count_flat FILE PID: flat lines of leaf called by child_work from PID.
count_flat() { grep -cE "^$2 [0-9.]+ leaf <- child_work\+0x" "$1"; }
# count_graph FILE PID: graph exits of leaf in PID.
count_graph() { grep -cE "^$2 \| +\} leaf \(" "$1"; }

for how in _exit _Exit exit; do
	PFE_TRACE=leaf PFE_OUTPUT=$T/flat-$how prun "$T/app" $how $N >"$T/flat-$how.out" 2>&1
	c=$(child_pid "$T/flat-$how.out")
	expect_eq "flat, child ends with $how: every call" "$N" "$(count_flat "$T/flat-$how" "$c")"
done
for buf in 1M 16M; do
	PFE_BUFFER=$buf PFE_GRAPH=1 PFE_TRACE=leaf PFE_OUTPUT=$T/graph-$buf \
		prun "$T/app" _exit $N >"$T/graph-$buf.out" 2>&1
	c=$(child_pid "$T/graph-$buf.out")
	expect_eq "graph, $buf ring, child ends with _exit: every call" "$N" \
		"$(count_graph "$T/graph-$buf" "$c")"
	PFE_BUFFER=$buf PFE_TRACE=leaf PFE_OUTPUT=$T/flat-$buf \
		prun "$T/app" _exit $N >"$T/flat-$buf.out" 2>&1
	c=$(child_pid "$T/flat-$buf.out")
	expect_eq "flat, $buf ring, child ends with _exit: every call" "$N" \
		"$(count_flat "$T/flat-$buf" "$c")"
done
for buf in 1M 16M; do
	rm -rf "$T/rec-$buf"
	PFE_BUFFER=$buf PFE_GRAPH=1 PFE_TRACE=leaf PFE_RECORD=$T/rec-$buf \
		prun "$T/app" _exit $N >"$T/rec-$buf.out" 2>&1
	c=$(child_pid "$T/rec-$buf.out")
	if [ -d "$T/rec-$buf/$c" ]; then
		"$PFE" replay -d "$T/rec-$buf" >"$T/rec-$buf.txt" 2>&1
		expect_eq "record, $buf ring, child ends with _exit: every call" "$N" \
			"$(grep -cE "\[ *$c\] \| +leaf\(\);" "$T/rec-$buf.txt")"
		expect_grep "record, $buf ring: the child's recording is complete" '^end ' \
			"$T/rec-$buf/$c/info"
	else
		fail "record, $buf ring, child ends with _exit: every call" "no $T/rec-$buf/$c"
		fail "record, $buf ring: the child's recording is complete" "no $T/rec-$buf/$c"
	fi
done
# The parent's own calls are all there too.
expect_eq "flat: the parent's calls" 4 \
	"$(grep -cE "^[0-9]+ [0-9.]+ leaf <- parent_work\+0x" "$T/flat-_exit")"

# PFE_OUTPUT with %p: one file per process, each with its own calls.
PFE_TRACE=leaf PFE_OUTPUT="$T/pp-%p.txt" prun "$T/app" _exit 100 >"$T/pp.out" 2>&1
c=$(child_pid "$T/pp.out")
expect_eq "%p: one file per process" 2 "$(find "$T" -name 'pp-*.txt' | wc -l | tr -d ' ')"
expect_eq "%p: the child's calls in the child's file, alone" "100 100" \
	"$(wc -l <"$T/pp-$c.txt" | tr -d ' ') $(count_flat "$T/pp-$c.txt" "$c")"
pp=$(find "$T" -name 'pp-*.txt' ! -name "pp-$c.txt")
expect_eq "%p: the parent's file holds its calls, none of the child's" "0 4" \
	"$(grep -c "^$c " "$pp") $(grep -cE ' leaf <- parent_work\+0x' "$pp")"

# PFE_SUMMARY: one table per process in the same file, each headed by its
# pid; the child's counts only its own calls.
PFE_SUMMARY=1 PFE_TRACE=leaf,child_work,parent_work PFE_OUTPUT=$T/sum prun "$T/app" exit 100 \
	>"$T/sum.out" 2>&1
c=$(child_pid "$T/sum.out")
expect_eq "summary: two tables, the child's first" "# pid $c: $T/app exit 100
# pid" "$(grep '^# pid' "$T/sum" | sed '2s/ [0-9].*//')"
# rows TABLE: "calls function" of the TABLE-th table, sorted by name.
rows() {
	awk -v k="$1" '/^# pid/ { n++; next } n == k && $3 ~ /^[0-9]+$/ { print $3, $7 }' "$T/sum" |
		sort -k2
}
expect_eq "summary: the child's own calls only, then the parent's" "1 child_work
100 leaf
/
4 leaf
2 parent_work" "$(rows 1; echo /; rows 2)"

# Graph mode: the child goes on inside main, which its parent entered. Its
# lines open main first ("inherited at fork"), so that each process's graph
# is balanced per thread, however the child ends; in one file and in one
# file per process (%p).
# balanced NAME FILE: tests/graph_check.py accepts FILE.
balanced() {
	if python3 "$TOP/tests/graph_check.py" "$2" >"$2.check" 2>&1; then pass "$1"; else
		fail "$1" "$(head -5 "$2.check")"
	fi
}
for how in _exit exit return; do
	PFE_GRAPH=1 PFE_TRACE=main,leaf,child_work,parent_work PFE_OUTPUT=$T/fg-$how \
		prun "$T/app" $how 100 >"$T/fg-$how.out" 2>&1
	balanced "graph, child ends with $how: both processes balanced per thread" "$T/fg-$how"
done
c=$(child_pid "$T/fg-return.out")
expect_eq "graph: the child's first line opens main, inherited" \
	"$c | main() { /* inherited at fork */" "$(grep -m1 "^$c " "$T/fg-return")"
PFE_GRAPH=1 PFE_TRACE=main,leaf,child_work,parent_work PFE_OUTPUT="$T/fgp-%p" \
	prun "$T/app" _exit 100 >"$T/fgp.out" 2>&1
c=$(child_pid "$T/fgp.out")
balanced "graph, %p: the child's file balanced" "$T/fgp-$c"
balanced "graph, %p: the parent's file balanced" "$(find "$T" -name 'fgp-*' ! -name "fgp-$c" ! -name '*.check')"
