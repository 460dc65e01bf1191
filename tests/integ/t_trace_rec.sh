#!/bin/sh
# The tracer's per-thread rings (tracer/trace_rec.c) end to end: 4 threads x
# 100,000 calls and not one event lost or out of order, in text and in a
# PFE_RECORD recording; with PFE_BUFFER=...,drop every event is either
# written or counted as lost; the trace is complete up to a crash, abort(),
# SIGTERM and exit() from another thread, and the signal still ends the
# program as it would have.
# test-timeout: 400
. tests/lib.sh
plan 40
P=$TOP/tests/progs
PFE=$TOP/$B/pfe
RUN_TIMEOUT=240
tcc -O2 -pthread -fpatchable-function-entry=2 -o "$T/app" "$P/rec_app.c"
N=100000

# per_thread FILE FUNC: "<calls>" of FUNC per thread, sorted, on one line.
per_thread() {
	awk -v f="$2" '$3 == f { n[$1]++ } END { for (t in n) print n[t] }' "$1" | sort -n | tr '\n' ' '
}
# in_order FILE: the number of threads whose times ever go back.
in_order() {
	awk '{ if ($1 in last && $2 < last[$1]) back[$1] = 1; last[$1] = $2 }
		END { n = 0; for (t in back) n++; print n }' "$1"
}

PFE_TRACE=leaf,outer PFE_OUTPUT=$T/flat prun "$T/app" threads $N >"$T/flat.out" 2>"$T/flat.err"
expect_status "threads: exit status" 0 $?
expect_eq "threads: output unchanged" "done $((N * (N - 1) * 2))" "$(cat "$T/flat.out")"
expect_eq "threads: nothing on stderr" "" "$(cat "$T/flat.err")"
expect_eq "threads: every call of leaf, per thread" "$N $N $N $N " "$(per_thread "$T/flat" leaf)"
expect_eq "threads: one outer per thread" "1 1 1 1 " "$(per_thread "$T/flat" outer)"
expect_eq "threads: times never go back within a thread" 0 "$(in_order "$T/flat")"
expect_eq "threads: every line is a call line" 0 \
	"$(grep -cvE '^[0-9]+ [0-9]+\.[0-9]{6} (leaf|outer) <- (outer|worker)\+0x[0-9a-f]+$' "$T/flat")"

# Graph text: entries and exits balanced per thread, leaf at level 1.
PFE_GRAPH=1 PFE_TRACE=leaf,outer PFE_OUTPUT=$T/graph prun "$T/app" threads 20000 >/dev/null 2>&1
expect_status "graph: exit status" 0 $?
expect_eq "graph: leaf entries per thread" "20000 20000 20000 20000 " \
	"$(awk '$3 == "leaf()" { n[$1]++ } END { for (t in n) print n[t] }' "$T/graph" | sort -n | tr '\n' ' ')"
expect_eq "graph: leaf exits per thread, one level in" 80000 \
	"$(grep -cE '^[0-9]+ \|   \} leaf \([0-9]+\.[0-9]{3} us\)$' "$T/graph")"

# PFE_GRAPH=time: the same graph with the flat lines' time after the tid.
PFE_GRAPH=time PFE_TRACE=leaf,outer PFE_OUTPUT=$T/gtime prun "$T/app" threads 2000 >/dev/null 2>&1
expect_eq "graph time: every line has the time" "16008 16008" \
	"$(wc -l <"$T/gtime" | tr -d ' ') $(grep -cE '^[0-9]+ [0-9]+\.[0-9]{6} \| ' "$T/gtime")"
expect_eq "graph time: times never go back within a thread" 0 "$(in_order "$T/gtime")"
PFE_GRAPH=banana PFE_TRACE=leaf PFE_OUTPUT=$T/gbad prun "$T/app" segv >/dev/null 2>"$T/gbad.err"
expect_eq "PFE_GRAPH=banana: one line saying what was expected" \
	"libpfe: PFE_GRAPH='banana': expected 0, 1, yes, no, true, false, on, off or time; using 0" \
	"$(grep PFE_GRAPH "$T/gbad.err")"

# PFE_MIN_DURATION: only the call that lasts, and no callee of it.
PFE_GRAPH=1 PFE_MIN_DURATION=100ms PFE_TRACE=leaf,outer,slow PFE_OUTPUT=$T/mind \
	prun "$T/app" slow >/dev/null 2>&1
expect_eq "min-duration: only the long call's lines" "| slow() {
| } slow" "$(sed 's/^[0-9]* //; s/ ([0-9.]* us)$//' "$T/mind")"

# PFE_RECORD: the same calls, read back by pfe.
PFE_GRAPH=1 PFE_TRACE=leaf,outer PFE_RECORD=$T/rec prun "$T/app" threads $N >/dev/null 2>"$T/rec.err"
expect_status "record: exit status" 0 $?
expect_eq "record: nothing on stderr" "" "$(cat "$T/rec.err")"
"$PFE" report -d "$T/rec" -s calls >"$T/report" 2>"$T/report.err"
expect_eq "record: pfe report counts every call" "$((4 * N)) leaf
4 outer" "$(awk 'NR > 2 { print $3, $7 }' "$T/report")"
expect_eq "record: read without notes" "" "$(cat "$T/report.err")"
expect_eq "record: the end line counts every event, none lost" "events $((8 * N + 8)) lost 0" \
	"$(awk '$1 == "end" { print $3, $4, $5, $6 }' "$T"/rec/*/info)"
expect_eq "record: 16 bytes per event, one 64-byte header per thread" \
	"$(((8 * N + 8) * 16 + 4 * 64))" "$(cat "$T"/rec/*/*.dat | wc -c | tr -d ' ')"

# PFE_SUMMARY=1: no lines, one table; exact calls from 4 threads, and the
# callee's time is exactly what its caller's total has beyond its self time.
PFE_SUMMARY=1 PFE_TRACE=leaf,outer PFE_OUTPUT=$T/sum prun "$T/app" threads 20000 >"$T/sum.out" 2>&1
expect_status "summary: exit status" 0 $?
expect_eq "summary: the program's output only" "done $((20000 * 19999 * 2))" "$(cat "$T/sum.out")"
expect_eq "summary: the table's header, after whose it is" "# pid $(awk 'NR == 1 { print $3 }' "$T/sum") $T/app threads 20000
    Total (us)      Self (us)      Calls     Min (us)     Avg (us)     Max (us)  Function
    ==========      =========      =====     ========     ========     ========  ========" \
	"$(head -3 "$T/sum")"
expect_eq "summary: exact calls, sorted by total" "4 outer
80000 leaf" "$(awk 'NR > 3 { print $3, $7 }' "$T/sum")"
expect_eq "summary: outer's total = its self + leaf's total (ns)" ok \
	"$(awk 'NR > 3 { t[$7] = $1; s[$7] = $2 }
		END { d = t["outer"] * 1000 - s["outer"] * 1000 - t["leaf"] * 1000
			print (d < 0.5 && d > -0.5) ? "ok" : "off by " d " ns" }' "$T/sum")"

# PFE_BUFFER=64K,drop: what is not written is counted, nothing else.
PFE_BUFFER=64K,drop PFE_TRACE=leaf PFE_OUTPUT=$T/drop prun "$T/app" threads $N >/dev/null 2>&1
expect_status "drop: exit status" 0 $?
expect_eq "drop: lines plus events counted lost = every call" $((4 * N)) \
	"$(awk '$3 == "leaf" { n++ } /events lost/ { for (i = 1; i < NF; i++) if ($i == "/*") n += $(i + 1) }
		END { print n }' "$T/drop")"
PFE_BUFFER=banana PFE_TRACE=leaf PFE_OUTPUT=$T/bad prun "$T/app" segv >/dev/null 2>"$T/bad.err"
expect_grep "PFE_BUFFER=banana: one line saying what was expected" \
	"^libpfe: PFE_BUFFER='banana': expected a size from 64K to 1G per thread" "$T/bad.err"

# Fatal signals at their default action: the trace first, then the signal.
for sig in segv:139 abort:134 term:143; do
	m=${sig%%:*}
	PFE_TRACE=leaf,outer PFE_OUTPUT=$T/$m prun "$T/app" "$m" >/dev/null 2>&1
	expect_status "$m: the signal still ends the program" "${sig#*:}" $?
	expect_eq "$m: every call before the signal" "outer leaf leaf leaf" \
		"$(awk '{ printf "%s%s", sep, $3; sep = " " }' "$T/$m")"
done

# exit() from a thread while main waits in nested calls: recorded too.
PFE_GRAPH=1 PFE_TRACE=leaf,outer,nested PFE_RECORD=$T/exrec prun "$T/app" exit 1000 >/dev/null 2>&1
expect_status "exit: status 5" 5 $?
expect_eq "exit: every call recorded" "2000 leaf
4 nested
2 outer" "$("$PFE" report -d "$T/exrec" -s calls 2>&1 | awk 'NR > 2 { print $3, $7 }')"

# A daemon closes every descriptor above 2 (and goes to /): libpfe opens
# its output file again and the trace goes on, in flat text and graph text.
tcc -O2 -fpatchable-function-entry=2 -o "$T/daemon" "$P/daemon_app.c"
PFE_TRACE=leaf PFE_OUTPUT=$T/daemon.trace prun "$T/daemon" 52 >/dev/null 2>"$T/daemon.err"
expect_eq "daemon: every call after closing 3-1023" 54 \
	"$(grep -cE '^[0-9]+ [0-9.]+ leaf <- main\+0x' "$T/daemon.trace")"
expect_eq "daemon: nothing on stderr" "" "$(cat "$T/daemon.err")"
PFE_GRAPH=1 PFE_TRACE=leaf PFE_OUTPUT=$T/daemon.graph prun "$T/daemon" 52 >/dev/null 2>&1
expect_eq "daemon, graph: every call after closing 3-1023" 54 \
	"$(grep -cE '^[0-9]+ \| leaf\(\) \{' "$T/daemon.graph")"
# The trace to a FIFO, read by cat (which holds it read-write, so that it
# never sees the end): opened again as the file is, still the same FIFO.
mkfifo "$T/daemon.fifo"
cat <>"$T/daemon.fifo" >"$T/daemon.fifo.got" &
reader=$!
PFE_TRACE=leaf PFE_OUTPUT=$T/daemon.fifo prun "$T/daemon" 52 >/dev/null 2>"$T/daemon.fifo.err"
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(wc -l <"$T/daemon.fifo.got")" -ge 54 ] && break
	sleep 0.2
done
kill "$reader"
wait "$reader" 2>/dev/null
expect_eq "daemon, output FIFO: every call after closing 3-1023, nothing on stderr" "54 -" \
	"$(grep -cE '^[0-9]+ [0-9.]+ leaf <- main\+0x' "$T/daemon.fifo.got") -$(cat "$T/daemon.fifo.err")"
