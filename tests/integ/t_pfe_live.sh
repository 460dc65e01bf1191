#!/bin/sh
# pfe live and its shorthand pfe PROG: the program's output, then the replay
# of its recording; PROG's exit status or signal passes through; the
# temporary recording under $TMPDIR is gone afterwards (kept with -d DIR),
# also when a signal ends the replay;
# replay's options apply; an unknown command is still one, and the reading
# commands answer --help. Also dump --perfetto and graph of the recording.
. tests/lib.sh
plan 19
PFE=$TOP/$B/pfe
tcc -O2 -fpatchable-function-entry=2 -o "$T/app" "$TOP/tests/progs/pfe_live_app.c"
tcc -O2 -pthread -fpatchable-function-entry=2 -o "$T/many" "$TOP/tests/progs/rec_app.c"
cd "$T" || exit 1
mkdir tmp
TMPDIR=$(pwd)/tmp
export TMPDIR
# The replay without durations and thread ids, which change from run to run.
skel() { sed 's/^.\{11\} \[ *[0-9]*\] |/|/' "$@"; }
left() { find tmp -mindepth 1 -maxdepth 1 | wc -l; }

cat >want <<'EOF2'
result 14
# DURATION     TID     FUNCTION
| main() {
|   outer() {
|     inner();
|     inner();
|   } /* outer */
| } /* main */
EOF2
"$PFE" live ./app 3 >out 2>err
expect_status "live: PROG's exit status" 3 $?
skel out >got
expect_file "live: PROG's output, then the replay" want got
expect_eq "live: nothing on stderr" "" "$(cat err)"
expect_eq "live: no recording left in TMPDIR" 0 "$(left)"

"$PFE" ./app >out 2>err
expect_status "pfe ./app: status 0" 0 $?
skel out >got
expect_file "pfe ./app: the same as pfe live ./app" want got
expect_eq "pfe ./app: no recording left in TMPDIR" 0 "$(left)"

"$PFE" ./app 0 15 >out 2>/dev/null
expect_status "pfe ./app killed by SIGTERM: pfe ends the same way, after the replay" 143 $?
expect_eq "... the replay closes main as still open, no recording left" "| } /* main (still open at the end) */|0" \
	"$(skel out | tail -1)|$(left)"

cat >want <<'EOF2'
result 14
# DURATION     TID     FUNCTION
| main() {
|   outer();
| } /* main */
EOF2
"$PFE" live -D 2 -f 'main,outer,inner' -- ./app >out 2>&1
skel out >got
expect_file "live -D 2: replay's options apply" want got

"$PFE" live -d keep ./app >out 2>&1
"$PFE" replay -d keep >again 2>&1
expect_eq "live -d DIR: the recording is kept, its replay the one shown" \
	"$(sed 1d out)" "$(cat again)"

# The views of a real recording: pfe dump --perfetto (decoded by our own
# decoder) has --chrome's events; pfe graph's totals add up.
"$PFE" dump --perfetto -d keep >trace.pftrace 2>err
"$PFE" dump --chrome -d keep >trace.json 2>err
python3 "$TOP/tests/tools/pfe_perfetto.py" chrome trace.json >want
python3 "$TOP/tests/tools/pfe_perfetto.py" events trace.pftrace >got 2>&1
expect_file "dump --perfetto of a recorded program: the events of --chrome" want got
"$PFE" graph -d keep >graph.txt 2>err
expect_eq "graph of a recorded program: every total is self plus the children's totals" ok \
	"$(python3 "$TOP/tests/tools/pfe_graph.py" sums graph.txt)"

# A replay longer than a pipe holds, its reader gone after a line: pfe ends
# of SIGPIPE while replaying, and still removes the recording.
{
	"$PFE" ./many threads 2000 2>/dev/null
	echo $? >st
} | head -1 >/dev/null
expect_eq "a replay cut by SIGPIPE (| head): the signal's status, no recording left" "141|0" \
	"$(cat st)|$(left)"

"$PFE" live ./no-such-app >/dev/null 2>err
expect_status "live: a program that cannot run: 127" 127 $?
expect_eq "... one line, no recording left" "1|0" "$(wc -l <err | tr -d ' ')|$(left)"

"$PFE" frobnicate >/dev/null 2>err
expect_eq "an unknown command is still one" \
	"2|pfe: unknown command 'frobnicate' (expected record, live, replay, report, graph, dump or info, or a program to run; see pfe --help)" \
	"$?|$(cat err)"
"$PFE" app >/dev/null 2>err
expect_eq "a program of this directory without ./: a hint" \
	"2|pfe: unknown command 'app' (a program in this directory runs as pfe ./app; see pfe --help)" \
	"$?|$(cat err)"
ok=yes
for c in replay report dump info live; do
	if ! "$PFE" "$c" --help >out 2>&1 || ! grep -q '^usage: pfe' out; then
		ok="no: $c"
		break
	fi
done
expect_eq "every reading command and live: --help, status 0" yes "$ok"
