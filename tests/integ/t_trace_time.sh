#!/bin/sh
# The tracer's times are real (tests/progs/time_app.c): nap() sleeps 10 ms
# three times, each followed by mark(). The flat trace's times must rise
# through the run, put >= 10 ms between each nap and the next mark, and
# span no more than the program measured with its own clock; the function
# graph must give each nap a duration of at least 10 ms. Times stuck at
# zero, or from a clock that does not run, fail here.
. tests/lib.sh
plan 9
P=$TOP/tests/progs
tcc -O2 -fpatchable-function-entry=2 -o "$T/time_app" "$P/time_app.c"

PFE_TRACE='main,nap,mark' PFE_OUTPUT="$TOP/$T/flat.trace" prun "$T/time_app" \
	>"$T/flat.out" 2>"$T/flat.err"
expect_status "flat: exit status" 0 $?
expect_eq "flat: calls in order" "main nap mark nap mark nap mark" \
	"$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $3 }' "$T/flat.trace")"
expect_eq "flat: first time after start and below a minute" "ok" \
	"$(awk 'NR == 1 { print ($2 > 0 && $2 < 60) ? "ok" : "time " $2 }' "$T/flat.trace")"
expect_eq "flat: times strictly increase" "" \
	"$(awk 'NR > 1 && $2 <= t { print NR ": " $2 " after " t } { t = $2 }' "$T/flat.trace")"
expect_eq "flat: >= 10 ms from each nap to the next mark" "" \
	"$(awk '$3 == "nap" { n = $2 } $3 == "mark" && $2 - n < 0.010 {
		printf "mark at %s, nap at %s: %.6f s\n", $2, n, $2 - n }' "$T/flat.trace")"
el=$(sed -n 's/^elapsed_us //p' "$T/flat.out")
expect_eq "flat: first nap to last mark within the program's own ${el:-?} us" "ok" \
	"$(awk -v el="${el:-0}" '$3 == "nap" && !f { f = $2 } $3 == "mark" { l = $2 }
		END { d = (l - f) * 1e6; print (d >= 30000 && d <= el + 1000) ? "ok" : "span " d " us" }' \
		"$T/flat.trace")"

PFE_GRAPH=1 PFE_TRACE='main,nap,mark' PFE_OUTPUT="$TOP/$T/graph.trace" prun "$T/time_app" \
	>"$T/graph.out" 2>"$T/graph.err"
expect_status "graph: exit status" 0 $?
expect_eq "graph: each nap lasts 10 ms to 2 s" "10000 10000 10000" \
	"$(sed -n 's/.*} nap[^(]*(\([0-9.]*\) us.*/\1/p' "$T/graph.trace" |
		awk '{ printf "%s%s", (NR > 1 ? " " : ""), ($1 >= 10000 && $1 < 2000000) ? 10000 : $1 }')"
el=$(sed -n 's/^elapsed_us //p' "$T/graph.out")
expect_eq "graph: main lasts at least its loop (${el:-?} us)" "ok" \
	"$(sed -n 's/.*} main[^(]*(\([0-9.]*\) us.*/\1/p' "$T/graph.trace" |
		awk -v el="${el:-0}" '{ print ($1 >= el && el >= 30000) ? "ok" : "main " $1 " us" }')"
