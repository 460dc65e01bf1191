#!/bin/sh
# Issue 26: pfe record returns when every process of the recording has
# ended, not when the program has: a daemon that outlives it (uftrace's
# s-daemon, tests/progs/daemon_fork.c: orphaned, its own session, every
# descriptor closed) is waited for, so that a replay right after shows its
# calls. One that runs on is waited for -w seconds, then named.
. tests/lib.sh
plan 8
PFE=$TOP/$B/pfe
tcc -O2 -fpatchable-function-entry=2 -o "$T/daemon_fork" "$TOP/tests/progs/daemon_fork.c"
cd "$T" || exit 1

"$PFE" record -d rec ./daemon_fork 10 >out 2>err
expect_status "the program's exit status passes through" 3 $?
expect_eq "nothing on stderr" "" "$(cat err)"
"$PFE" replay -d rec >graph.txt 2>/dev/null
expect_eq "replayed at once: the daemon's 10 calls and the parent's" "leaf 10
parent_fn 1" "$(sed -n 's/^[^|]*| *\([a-z_]*\)();$/\1/p' graph.txt | sort | uniq -c |
	awk '{ print $2, $1 }')"

# A daemon that sleeps 3 s, waited for 1 s.
"$PFE" record -w 1 -d rec2 ./daemon_fork 3 3000 >out 2>err
expect_status "-w 1: the program's exit status" 3 $?
pid=$(sed -n 's/^pfe: record: still running 1 s after the program ended, not waiting for pid \([0-9]*\) of the recording (its recording may lack its last calls; -w SECONDS waits longer)$/\1/p' err)
expect_eq "-w 1: one line names the process still running" "1 yes" \
	"$(wc -l <err | tr -d ' ') $([ -n "$pid" ] && [ -d "rec2/$pid" ] && echo yes)"
# Let it end before the next check and the script's end.
i=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
expect_eq "-w 1: the daemon's calls are recorded when it ends" 3 \
	"$("$PFE" replay -d rec2 2>/dev/null | grep -c '| leaf();$')"

# ^C once the program has ended: pfe stops waiting and names the daemon.
"$PFE" record -d rec4 ./daemon_fork 3 5000 </dev/null >out 2>err &
rec=$!
i=0
# The program has ended when its info has its end line (the daemon's has
# none for seconds); pfe is waiting very soon after.
until [ "$(grep -l '^end ' rec4/*/info 2>/dev/null | wc -l)" -eq 1 ] || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
kill -INT $rec
wait $rec
st=$?
expect_eq "^C after the program: status 3, one line naming the daemon" "3 1" \
	"$st $(grep -c '^pfe: record: interrupted, not waiting for pid [0-9]* of the recording (its recording may lack its last calls)$' err)"
pid=$(sed -n 's/.*not waiting for pid \([0-9]*\) .*/\1/p' err)
i=0
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done

"$PFE" record -w 1x -d rec3 ./daemon_fork </dev/null >/dev/null 2>err
st=$?
expect_eq "-w 1x: status 2, one line" "2 pfe: record: -w '1x': expected seconds from 0 to 86400 (see pfe --help)" \
	"$st $(cat err)"
