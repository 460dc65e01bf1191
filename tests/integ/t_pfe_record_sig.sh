#!/bin/sh
# pfe record with signatures (tests/progs/typed_app.c, t_trace_typed.sh's
# terms): the recording replays with the argument and result text of live
# PFE_GRAPH=1 text, line by line (tids, times and pointers masked; replay's
# leaf "f(1) = 2;" compared as the live "f(1) {" and "} f = 2"); replay
# --flat of it, and of a recording of entries only, gives live PFE_TRACE's
# typed lines; --chrome's args and --perfetto's debug annotations carry the
# same texts.
. tests/lib.sh
plan 9
PFE=$TOP/$B/pfe
. tests/integ/typed_common.sh
PFE_GRAPH=1 PFE_TRACE=$SPEC PFE_OUTPUT="$(pwd)/$T/graph.trace" prun "$T/typed" >/dev/null 2>&1
PFE_TRACE=$SPEC PFE_OUTPUT="$(pwd)/$T/flat.trace" prun "$T/typed" >/dev/null 2>&1
cd "$T" || exit 1

# Live graph text without tids and durations: "| fib(3) {", "|   } fib = 1".
live_graph() {
	sed -E -e 's/^[0-9]+ \| /| /' -e 's/ \([0-9]+\.[0-9]{3} us\)$//' \
		-e 's/0x[0-9a-f]{6,}/PTR/g' "$1"
}
# Replay in the same shape: a leaf "f(1) = 2;" becomes "f(1) {" and "} f = 2",
# a closing "} /* f = 2 */" becomes "} f = 2".
replay_as_live() {
	sed -E -e '/^# DURATION/d' -e 's/^.{11} \[ *[0-9]+\] \| /| /' \
		-e 's/0x[0-9a-f]{6,}/PTR/g' -e 't again' -e ':again' \
		-e 's/^\| ( *)([^(]+)(\(.*\)) = (.*);$/| \1\2\3 {\n| \1} \2 = \4/;t' \
		-e 's/^\| ( *)([^(]+)(\(.*\));$/| \1\2\3 {\n| \1} \2/;t' \
		-e 's/^\| ( *)\} \/\* (.*) \*\/$/| \1} \2/' "$1"
}
# PFE_TRACE lines: tid, time and caller offsets masked (t_trace_typed.sh).
mask_flat() {
	sed -E -e 's/^[0-9]+ [0-9]+\.[0-9]{6} /T S /' -e 's/\+0x[0-9a-f]+$/+X/' \
		-e 's/0x[0-9a-f]{6,}/PTR/g' "$1"
}

"$PFE" record -f "$SPEC" -d rec ./typed >out 2>err
expect_file "record: the program's output unchanged" ref out
expect_eq "record: nothing on stderr" "" "$(cat err)"

live_graph graph.trace >want
"$PFE" replay -d rec >replay.out 2>err
replay_as_live replay.out >got
expect_file "replay: the arguments and results of live PFE_GRAPH=1 text, line by line" want got

mask_flat flat.trace >want
"$PFE" replay --flat -d rec >out 2>err
mask_flat out >got
expect_file "replay --flat: live PFE_TRACE's typed lines (arguments, results)" want got

"$PFE" record -e -f "$SPEC" -d rece ./typed >/dev/null 2>&1
"$PFE" replay --flat -d rece >out 2>/dev/null
mask_flat out >got
expect_file "entries only: replay --flat, live PFE_TRACE's typed lines" want got
"$PFE" replay -d rece >out 2>err
expect_eq "entries only: results, no exit taken for a call entered before the recording" \
	"16|" "$(grep -c '| /\* [a-z_]* = .* \*/$' out)|$(cat err)"

# --chrome: "B name [args=...]" and "E name [retval=...]", as live graph text.
live_graph graph.trace | sed -n -E -e 's/^\| *([^(]+)(\(.+\)) \{$/B \1 [args=\2]/p' \
	-e 's/^\| *\} ([^ ]+) = (.*)$/E \1 [retval=\2]/p' >want
annotated() {
	sed -n -E 's/^[0-9]+ [0-9]+ ([BE]) [0-9]+ (.*\[.*)$/\1 \2/p' "$1" |
		sed -E 's/0x[0-9a-f]{6,}/PTR/g'
}
"$PFE" dump --chrome -d rec >rec.json 2>/dev/null
python3 "$TOP/tests/tools/pfe_perfetto.py" chrome rec.json >chrome.txt
annotated chrome.txt >got
expect_file "dump --chrome: the args and retval of live graph text" want got

"$PFE" dump --perfetto -d rec >rec.pftrace 2>/dev/null
python3 "$TOP/tests/tools/pfe_perfetto.py" events rec.pftrace >pf.txt 2>&1
annotated pf.txt >got
expect_eq "dump --perfetto: --chrome's events; annotations of live graph text" "same|same" \
	"$(cmp -s chrome.txt pf.txt && echo same)|$(cmp -s want got && echo same)"

"$PFE" record -f 't_int(int,int' -d bad ./typed >/dev/null 2>err
expect_eq "-f: a '(' without ')', one line, status 2" \
	"2|pfe: record: -f 't_int(int,int': '(' at offset 5 has no ')' (expected name(type, ...)->type)" \
	"$?|$(cat err)"
