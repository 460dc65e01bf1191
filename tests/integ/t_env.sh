#!/bin/sh
# Boolean PFE_* variables take 0/1, yes/no, true/false, on/off (any case)
# and nothing else: a malformed one is reported in exactly one line naming
# it, its value, what was expected and the default used, even when read in
# several places (PFE_GRAPH with a signature) or not at all this run; the
# default then applies. Well-formed values say nothing.
. tests/lib.sh
P=$TOP/tests/progs
plan 7

tcc -O2 -fpatchable-function-entry=2 -o "$T/app" "$P/follow_app.c"
EXPECT="expected 0, 1, yes, no, true, false, on or off"
# PFE_GRAPH is a boolean or "time" (graph lines with times).
EXPECT_GRAPH="expected 0, 1, yes, no, true, false, on, off or time"

# one NAME=VALUE [PFE_TRACE]: stderr of a run with the trace in a file.
one() {
	(
		# shellcheck disable=SC2163 # $1 is NAME=VALUE: export that
		export "$1"
		PFE_TRACE="${2:-main,child_work}" PFE_OUTPUT="$T/trace" \
			prun "$T/app" x child env >/dev/null 2>"$T/err"
	)
	cat "$T/err"
}

expect_eq "PFE_GRAPH=banana, read twice: one line, flat trace" \
	"libpfe: PFE_GRAPH='banana': $EXPECT_GRAPH; using 0
flat: 2" "$(one PFE_GRAPH=banana 'main,child_work()'; echo "flat: $(grep -c ' <- ' "$T/trace")")"
expect_eq "PFE_DEBUG=2: one line" "libpfe: PFE_DEBUG='2': $EXPECT; using 0" "$(one PFE_DEBUG=2)"
expect_eq "PFE_FOLLOW=y: one line, following on" "libpfe: PFE_FOLLOW='y': $EXPECT; using 1" \
	"$(one PFE_FOLLOW=y)"
expect_eq "PFE_GRAPH= 1 (space): one line, even without PFE_TRACE" \
	"libpfe: PFE_GRAPH=' 1': $EXPECT_GRAPH; using 0" \
	"$(PFE_GRAPH=' 1' prun "$T/app" x child env 2>&1 >/dev/null)"
expect_eq "PFE_GRAPH=Yes: graph mode, nothing said" "graph: 2" \
	"$(one PFE_GRAPH=Yes; echo "graph: $(grep -c '() {$' "$T/trace")")"
expect_eq "PFE_FOLLOW=off, PFE_DEBUG=false: nothing said" "" \
	"$(PFE_DEBUG=false PFE_FOLLOW=off PFE_TRACE=main prun "$T/app" x child env 2>&1 >/dev/null |
		grep -v ' <- ')"
expect_eq "PFE_GRAPH=TRUE: accepted" "" "$(one PFE_GRAPH=TRUE)"
