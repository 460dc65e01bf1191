#!/bin/sh
# PFE_CONTROL: the tracer enabled, changed and disabled while the program
# runs (tests/progs/live_ctl.c drives its own FIFO and waits for each
# command's line in PFE_CONTROL_LOG). The trace holds exactly the calls of
# the phases that traced them; a malformed pattern keeps the old ones; the
# command log says what was done; `list` prints the site list.
. tests/lib.sh
plan 24
P=$TOP/tests/progs

tcc -O2 -fpatchable-function-entry=2 -o "$T/live_ctl" "$P/live_ctl.c" -lpthread
rm -f "$T/fifo" "$T/log" "$T/trace"
PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/trace \
	prun "$T/live_ctl" >"$T/out" 2>"$T/err"
expect_status "control: exit status" 0 $?
expect_eq "control: program output" "done" "$(cat "$T/out")"
expect_eq "control: the FIFO was created" "fifo" "$(test -p "$T/fifo" && echo fifo)"
LOG="ok trace f1,f2
ok trace f3,f1
error trace f,,: empty term at offset 2 (expected a function name or glob)
ok trace off
error trace off: No such file or directory
error bogus: expected trace, graph, summary, depth, min-duration or list (README.md \"Runtime control\")
ok trace f2
ok list
ok trace nosuch
ok trace off"
expect_eq "control: command log" "$LOG" "$(cat "$T/log")"
expect_eq "control: exactly the calls of the traced phases" "f1 f2 f1 f3 f1 f3 f2" \
	"$(awk '$3 != "g" {print $3}' "$T/trace" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "control: the caller of each" "7" \
	"$(awk '$3 != "g" && $4 == "<-" && $5 ~ /^calls\+0x[0-9a-f]+$/' "$T/trace" | wc -l | tr -d ' ')"
expect_eq "control: g never traced" "0" "$(awk '$3 == "g"' "$T/trace" | wc -l | tr -d ' ')"
expect_grep "control: list shows the sites" "^live_ctl 0x[0-9a-f]+ f2$" "$T/err"
expect_eq "control: stderr has the list, the pattern's error and one warning" \
	"libpfe: PFE_CONTROL trace 'f,,': empty term at offset 2 (expected a function name or glob)
libpfe: PFE_TRACE: 'nosuch' matches no patchable function loaded so far" \
	"$(grep -v '^live_ctl 0x[0-9a-f]* [a-z_0-9]*\( bti\)\{0,1\}$' "$T/err")"

# The same commands in graph mode: the same answers, and only graph lines
# (no flat hook beside the graph hooks), the same calls entered and left.
rm -f "$T/fifo" "$T/log" "$T/gtrace"
PFE_GRAPH=1 PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/gtrace \
	prun "$T/live_ctl" >"$T/out" 2>"$T/err"
expect_status "graph control: exit status" 0 $?
expect_eq "graph control: command log" "$LOG" "$(cat "$T/log")"
expect_eq "graph control: only graph lines" 0 \
	"$(grep -cvE '^[0-9]+ \| ' "$T/gtrace")"
expect_eq "graph control: the calls of the traced phases, entered and left" \
	"f1 f2 f1 f3 f1 f3 f2 / f1 f2 f1 f3 f1 f3 f2" \
	"$(awk '$3 ~ /\(\)$/ && $4 == "{" { sub(/\(\)$/, "", $3); e = e $3 " " }
		$3 == "}" && $4 != "g" { x = x $4 " " }
		END { sub(/ $/, "", e); sub(/ $/, "", x); print e " / " x }' "$T/gtrace")"

# One pattern through every mode and filter (live_ctl modes): each phase's
# lines in its own format, none mixed; the filters drop exactly the deeper
# and the shorter calls; "summary" writes the table of the calls since
# "summary on" at once. Times and durations are taken out, the rest exact.
rm -f "$T/fifo" "$T/log" "$T/mtrace"
PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/mtrace \
	prun "$T/live_ctl" modes >"$T/out" 2>"$T/err"
expect_status "modes: exit status" 0 $?
expect_eq "modes: command log" "ok trace calls,f1,f2,f3
ok graph on
ok graph time
ok depth 1
ok depth off
ok min-duration 1s
ok min-duration off
ok summary on
ok summary
ok summary off
ok graph off
error graph sideways: expected 'graph on', 'graph off' or 'graph time'
ok trace f1(),f2
ok graph on
error trace f1(,f2: f1: '(,f2': no ')'
ok trace off" "$(cat "$T/log")"
G='| calls() {
|   f1() {
|   } f1
|   f2() {
|   } f2
|   f3() {
|   } f3
| } calls'
F='calls <- main
f1 <- calls
f2 <- calls
f3 <- calls'
GT=$(printf '%s\n' "$G" | sed 's/^/T /')
expect_eq "modes: each phase in its format, filters applied" "$F
$G
$GT
T | calls() {
T | } calls
$GT
$GT
table
$GT
$F
$F
f1() <- calls
f2 <- calls
| f1() {
| } f1
| f2() {
| } f2
| f1() {
| } f1
| f2() {
| } f2" "$(awk '
	/^# pid [0-9]+: / { next }
	/^ +Total \(us\)/ { print "table"; next }
	/^ +=+/ || /^ +[0-9]+\.[0-9][0-9][0-9] / { next }
	$2 == "|" { sub(/^[0-9]+ /, "") }
	$3 == "|" { sub(/^[0-9]+ [0-9.]+ /, "T ") }
	$3 != "|" && $2 ~ /^[0-9]+\.[0-9]+$/ { sub(/^[0-9]+ [0-9.]+ /, "") }
	{ sub(/ \([0-9]+\.[0-9][0-9][0-9] us\)$/, ""); sub(/\+0x[0-9a-f]+$/, ""); print }' "$T/mtrace")"
expect_eq "modes: the summary's rows, calls since summary on" "1 calls
1 f1
1 f2
1 f3" "$(awk '/^ +[0-9]+\.[0-9][0-9][0-9] / { print $3, $7 }' "$T/mtrace" | sort -k2)"
expect_eq "modes: on stderr, only the malformed signature's error" \
	"libpfe: PFE_TRACE: f1: '(,f2': no ')'" "$(cat "$T/err")"

# A program that overwrites its environment strings (setproctitle, as
# redis does) keeps its PFE_CONTROL_LOG: libpfe copied every PFE_* value.
rm -f "$T/fifo" "$T/log" "$T/ctrace"
PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/ctrace \
	prun "$T/live_ctl" clobber >"$T/out" 2>"$T/err"
expect_status "environment overwritten: exit status" 0 $?
expect_eq "environment overwritten: command log" "ok trace f1
ok trace off" "$(cat "$T/log" 2>&1)"
expect_eq "environment overwritten: f1 traced" "f1 <- calls" \
	"$(awk '{ sub(/\+0x[0-9a-f]+$/, "", $5); print $3, $4, $5 }' "$T/ctrace")"

# "trace off" is remembered: switching modes afterwards traces nothing.
rm -f "$T/fifo" "$T/log" "$T/otrace"
PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/otrace \
	prun "$T/live_ctl" off >"$T/out" 2>"$T/err"
expect_eq "trace off, then mode switches: command log" "ok trace f1
ok trace off
ok graph on
ok graph time
ok graph off
ok summary on
ok summary off" "$(cat "$T/log")"
expect_eq "trace off, then mode switches: nothing traced after off" "f1 <- calls" \
	"$(awk '{ sub(/\+0x[0-9a-f]+$/, "", $5); print $3, $4, $5 }' "$T/otrace")"

# depth and min-duration are answered within a second while a thread
# makes traced calls without pause.
rm -f "$T/fifo" "$T/log" "$T/btrace"
PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/btrace \
	prun "$T/live_ctl" busy >"$T/out" 2>"$T/err"
expect_eq "busy: every filter answered within a second" \
	"depth 2
min-duration 1us
depth off
min-duration off
done" "$(awk '$NF == "done" || $NF + 0 < 1000 { NF--; if (NF == 0) print "done"; else print }' "$T/out")"
