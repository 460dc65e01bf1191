#!/bin/sh
# The pfe command's reading side on recordings that tests/tools/pfe_gen.py
# writes from tracer/record.h alone: two threads with exact replay, report,
# folded stacks, JSON (parsed by Python's json module), filters, C++ names;
# the format's corners (48-bit time wrap, TIME, unwound frames, frames without
# exits, unknown extended events, a file cut short); a signature's arguments
# and results (format version 2); each error case: one
# line and a non-zero exit status. Runs on the host, no qemu.
. tests/lib.sh
plan 53
PFE=$TOP/$B/pfe
GEN() { python3 "$TOP/tests/tools/pfe_gen.py" "$@"; }
CHECK() { python3 "$TOP/tests/tools/pfe_check.py" "$@"; }
cd "$T" || exit 1

GEN r1 <<'EOF'
process 100
object app /usr/bin/app main foo bar _ZNK6shapes6Circle4areaEv ?
object libc.so.6 /lib/libc.so.6
thread 100 main
E 1000 main
E 2000 foo
E 3000 bar
X 4000 bar
E 5000 bar
X 7000 bar
X 9000 foo
E 10000 _ZNK6shapes6Circle4areaEv
X 10500 _ZNK6shapes6Circle4areaEv
E 11000 %4
X 11200 %4
X 20000 main
thread 101 worker 1
E 1500 foo
E 1600 bar
L 1700 3
X 1800 bar
X 2500 foo
EOF

cat >want <<'EOF'
# DURATION     TID     FUNCTION
            [   100] | main() {
            [   100] |   foo() {
   1.000 us [   100] |     bar();
   2.000 us [   100] |     bar();
   7.000 us [   100] |   } /* foo */
   0.500 us [   100] |   shapes::Circle::area() const;
   0.200 us [   100] |   app+0x1500();
  19.000 us [   100] | } /* main */
            [   101] | foo() {
   0.200 us [   101] |   bar();
            [   101] | /* 3 events lost */
   1.000 us [   101] | } /* foo */
EOF
"$PFE" replay -d r1 >replay.out 2>err
expect_status "replay: exit status" 0 $?
expect_file "replay: two threads, exact graph" want replay.out
expect_eq "replay: balanced and nested" ok "$(CHECK replay replay.out)"
expect_eq "replay: nothing on stderr for a complete recording" "" "$(cat err)"

cat >want <<'EOF'
    Total (us)      Self (us)      Calls     Min (us)     Avg (us)     Max (us)  Function
    ==========      =========      =====     ========     ========     ========  ========
        19.000         11.300          1       19.000       19.000       19.000  main
         8.000          4.800          2        1.000        4.000        7.000  foo
         3.200          3.200          3        0.200        1.066        2.000  bar
         0.500          0.500          1        0.500        0.500        0.500  shapes::Circle::area() const
         0.200          0.200          1        0.200        0.200        0.200  app+0x1500
EOF
"$PFE" report -d r1 >report.txt
expect_file "report: exact totals, self times and calls over both threads" want report.txt
expect_eq "report -s calls: by calls, then name" "bar foo app+0x1500 main shapes::Circle::area()" \
	"$("$PFE" report -d r1 -s calls | awk 'NR > 2 { printf "%s%s", s, $7; s = " " }')"
expect_eq "report -s self" "main foo bar shapes::Circle::area() app+0x1500" \
	"$("$PFE" report -d r1 -s self | awk 'NR > 2 { printf "%s%s", s, $7; s = " " }')"
expect_eq "report -s max" "main foo bar shapes::Circle::area() app+0x1500" \
	"$("$PFE" report -d r1 -s max | awk 'NR > 2 { printf "%s%s", s, $7; s = " " }')"

"$PFE" dump --chrome -d r1 >trace.json
expect_status "dump --chrome: exit status" 0 $?
expect_eq "dump --chrome: parses, B/E balanced per thread, calls as in report" ok \
	"$(CHECK chrome trace.json report.txt)"
expect_eq "dump --chrome: thread names and the lost events" "main|worker 1|3" \
	"$(python3 -c 'import json,sys
d = json.load(open("trace.json"))["traceEvents"]
print("|".join([e["args"]["name"] for e in d if e["name"] == "thread_name"] +
	[str(e["args"]["count"]) for e in d if e["ph"] == "i"]))')"

cat >want <<'EOF'
foo 800
foo;bar 200
main 11300
main;app+0x1500 200
main;foo 4000
main;foo;bar 3000
main;shapes::Circle::area() const 500
EOF
"$PFE" dump --flame -d r1 >folded
expect_file "dump --flame: exact folded stacks" want folded
expect_eq "dump --flame: self times match report" ok "$(CHECK flame folded report.txt)"

expect_eq "--no-demangle: the symbol" "_ZNK6shapes6Circle4areaEv" \
	"$("$PFE" report -d r1 --no-demangle | awk '/Circle/ { print $7 }')"
expect_eq "--no-demangle in the JSON" 2 \
	"$("$PFE" dump --chrome --no-demangle -d r1 | grep -c '"name":"_ZNK6shapes6Circle4areaEv"')"

cat >want <<'EOF'
# DURATION     TID     FUNCTION
            [   101] | foo() {
   0.200 us [   101] |   bar();
            [   101] | /* 3 events lost */
   1.000 us [   101] | } /* foo */
EOF
"$PFE" replay -d r1 --tid 101 >out
expect_file "replay --tid" want out

cat >want <<'EOF'
# DURATION     TID     FUNCTION
  19.000 us [   100] | main();
   1.000 us [   101] | foo();
            [   101] | /* 3 events lost */
EOF
"$PFE" replay -d r1 -D 1 >out
expect_file "replay -D 1: callers of hidden calls become leaves; losses shown" want out

cat >want <<'EOF'
# DURATION     TID     FUNCTION
            [   100] | main() {
            [   100] |   foo() {
   1.000 us [   100] |     bar();
   2.000 us [   100] |     bar();
   7.000 us [   100] |   } /* foo */
  19.000 us [   100] | } /* main */
   1.000 us [   101] | foo();
            [   101] | /* 3 events lost */
EOF
"$PFE" replay -d r1 -t 1us >out
expect_file "replay -t 1us: shorter calls hidden" want out

cat >want <<'EOF'
# DURATION     TID     FUNCTION
            [   100] | foo() {
   1.000 us [   100] |   bar();
   2.000 us [   100] |   bar();
   7.000 us [   100] | } /* foo */
            [   101] | foo() {
   0.200 us [   101] |   bar();
            [   101] | /* 3 events lost */
   1.000 us [   101] | } /* foo */
EOF
"$PFE" replay -d r1 -F foo >out
expect_file "replay -F foo: its subtrees, from depth 0" want out

cat >want <<'EOF'
# DURATION     TID     FUNCTION
            [   100] | main() {
   0.500 us [   100] |   shapes::Circle::area() const;
   0.200 us [   100] |   app+0x1500();
  19.000 us [   100] | } /* main */
            [   101] | /* 3 events lost */
EOF
"$PFE" replay -d r1 -N foo >out
expect_file "replay -N foo: its subtrees hidden" want out
expect_eq "replay -F with a C++ pattern" "   0.500 us [   100] | shapes::Circle::area() const;" \
	"$("$PFE" replay -d r1 -F '*::area' | sed -e 1d -e '/lost/d')"

cat >want <<'EOF'
100 0.000001 main <- _start+0x10
100 0.000002 foo <- _start+0x10
100 0.000003 bar <- _start+0x10
100 0.000005 bar <- _start+0x10
100 0.000010 shapes::Circle::area() const <- _start+0x10
100 0.000011 app+0x1500 <- _start+0x10
101 0.000001 foo <- _start+0x10
101 0.000001 bar <- _start+0x10
EOF
"$PFE" replay -d r1 --flat >out
expect_file "replay --flat: the PFE_TRACE line format" want out

"$PFE" info -d r1 >out
expect_eq "info: command, threads, objects, events, lost" \
	"command:   /usr/bin/app 1 2|events:    17|lost:      3|status:    complete|threads:   2|  100 main|  101 worker 1|objects:   2|  0 /usr/bin/app (5 sites)|  1 /lib/libc.so.6 (0 sites)" \
	"$(grep -E '^(command|events|lost|status|threads|objects|  )' out | paste -sd '|')"

# ---------------------------------------------------------------- corners
# 16 ns ticks; a 48-bit wrap between entry and exit; a gap of 2^47 ticks
# (the generator writes TIME before it); an unwound frame; frames entered
# beyond the shadow stack (no exit); an exit of a call entered before the
# recording; ARGS and an unknown extended type; a call still open; no end
# line; a partial event.
W=281474976710646  # 2^48 - 10
GEN r2 <<EOF
process 200 clock 62500000 noend
object app /usr/bin/app main a b c d
thread 200
X 5 d
E 10 main
E $W a
X $((W + 20)) a
E $((W + 30)) b
A $((W + 31)) 8 20
A $((W + 32)) 12 40
U $((W + 40)) b
E $((W + 50)) a
E $((W + 51)) b
E $((W + 52)) c
XD $((W + 60)) a 1
E $((W + 70)) d
X $((W + 70 + 140737488355328)) d
E $((W + 70 + 140737488355330)) c
cut 7
EOF
cat >want <<'EOF'
# DURATION     TID     FUNCTION
            [   200] | main() {
   0.320 us [   200] |   a();
            [   200] |   b() {
   0.160 us [   200] |   } /* b (unwound) */
            [   200] |   a() {
            [   200] |     b() {
            [   200] |       c() {
   0.128 us [   200] |       } /* c (no exit recorded) */
   0.144 us [   200] |     } /* b (no exit recorded) */
   0.160 us [   200] |   } /* a */
  2251799 s [   200] |   d();
            [   200] |   c() {
   0.000 us [   200] |   } /* c (still open at the end) */
  6755399 s [   200] | } /* main (still open at the end) */
EOF
"$PFE" replay -d r2 >out 2>err
expect_status "corners: exit status 0 for a recording cut short" 0 $?
expect_file "corners: wrap, TIME, unwound, no exit, open frames" want out
expect_eq "corners: balanced and nested" ok "$(CHECK replay out)"
expect_eq "corners: notes" "pfe: note: r2/200: cut short (no end line in info): read up to the last complete record
pfe: note: r2/200/200.dat: cut short: 7 bytes of a partial event after 17 events dropped
pfe: note: r2/200/200.dat: 1 exits of calls entered before the recording" "$(cat err)"
"$PFE" report -d r2 >report.txt 2>/dev/null
"$PFE" dump --chrome -d r2 >trace.json 2>/dev/null
expect_eq "corners: JSON balanced" ok "$(CHECK chrome trace.json report.txt)"
"$PFE" dump --flame -d r2 >folded 2>/dev/null
expect_eq "corners: folded self times match report" ok "$(CHECK flame folded report.txt)"
expect_eq "corners: report calls" "a 2|b 2|c 2|d 1|main 1" \
	"$(awk 'NR > 2 { print $7, $3 }' report.txt | sort | paste -sd '|')"

# Two processes (a fork) in one recording; entries-only mode.
GEN r3 <<'EOF'
process 300 entries
object app /usr/bin/app main f
thread 300
E 100 main
E 200 f
E 300 f
process 301 ppid 300
object app /usr/bin/app main f
thread 301
E 400 f
X 500 f
EOF
expect_eq "entries only, two processes: report counts calls" "f 3|main 1" \
	"$("$PFE" report -d r3 | awk 'NR > 2 { print $7, $3 }' | sort | paste -sd '|')"
expect_eq "entries only: replay lists the calls without durations" "# DURATION     TID     FUNCTION
            [   300] | main();
            [   300] | f();
            [   300] | f();
   0.100 us [   301] | f();" "$("$PFE" replay -d r3)"
expect_eq "two processes in the JSON" "300 301" \
	"$("$PFE" dump --chrome -d r3 | python3 -c 'import json,sys
print(" ".join(sorted({str(e["pid"]) for e in json.load(sys.stdin)["traceEvents"]})))')"

# Callers (return addresses) are named by the symbol holding them, demangled.
GEN r8 <<'EOF'
process 800
object app /usr/bin/app 0x400000 main _ZN2ns1fEv
thread 800
E 1000 _ZN2ns1fEv 0x401108
E 2000 _ZN2ns1fEv 0x401204
X 3000 _ZN2ns1fEv
X 4000 _ZN2ns1fEv
EOF
expect_eq "replay --flat: callers demangled" "800 0.000001 ns::f() <- main+0x8
800 0.000002 ns::f() <- ns::f()+0x4" "$("$PFE" replay --flat -d r8)"
expect_eq "replay --flat --no-demangle: symbols" "800 0.000002 _ZN2ns1fEv <- _ZN2ns1fEv+0x4" \
	"$("$PFE" replay --flat --no-demangle -d r8 | sed -n 2p)"

# ------------------------------------------------------------- signatures
# Format version 2: ARGS after an entry, RETVAL after an exit (tracer/record.h).
# A leaf is printed at its exit with its result, a loss inside it after it;
# control bytes shown as \xHH; a text ends at its first NUL; no result for an
# unwound call nor for a payload that follows no call of its own.
GEN s1 <<'EOF2'
process 900 version 2
object app /usr/bin/app main parse leaf
thread 900
E 1000 main
E 2000 parse
ARGS 2000 ("abc", 3)
E 2100 leaf
ARGS 2100 (1)
X 2200 leaf
RET 2200 2
E 2400 leaf
ARGS 2400 (\x1b[31m)
L 2450 5
X 2500 leaf
RET 2500 \xc3\xa9\x00junk
E 2600 leaf
U 2700 leaf
RET 2700 9
RET 2800 10
X 3000 parse
RET 3000 7
E 4000 leaf
X 4500 leaf
X 9000 main
ARGS 9000 (x)
EOF2
cat >want <<'EOF2'
# DURATION     TID     FUNCTION
            [   900] | main() {
            [   900] |   parse("abc", 3) {
   0.100 us [   900] |     leaf(1) = 2;
   0.100 us [   900] |     leaf(\x1b[31m) = é;
            [   900] | /* 5 events lost */
            [   900] |     leaf() {
   0.100 us [   900] |     } /* leaf (unwound) */
   1.000 us [   900] |   } /* parse = 7 */
   0.500 us [   900] |   leaf();
   8.000 us [   900] | } /* main */
EOF2
"$PFE" replay -d s1 >out 2>err
expect_file "signatures: replay, arguments and results as PFE_GRAPH text has them" want out
expect_eq "signatures: replay --flat, PFE_TRACE's typed lines" "900 0.000001 main <- _start+0x10
900 0.000002 parse(\"abc\", 3) <- _start+0x10
900 0.000002 leaf(1) <- _start+0x10
900 0.000002 leaf = 2
900 0.000002 leaf(\x1b[31m) <- _start+0x10
900 0.000002 leaf = é
900 0.000002 leaf <- _start+0x10
900 0.000003 parse = 7
900 0.000004 leaf <- _start+0x10" "$("$PFE" replay --flat -d s1)"
"$PFE" dump --chrome -d s1 >s1.json
expect_eq "signatures: --chrome args on B, retval on E" "900 900 B 2000 parse [args=(\"abc\", 3)]
900 900 B 2100 leaf [args=(1)]
900 900 E 2200 leaf [retval=2]
900 900 B 2400 leaf [args=(\x1b[31m)]
900 900 E 2500 leaf [retval=é]
900 900 E 2700 leaf [end=unwound]
900 900 E 3000 parse [retval=7]" \
	"$(python3 "$TOP/tests/tools/pfe_perfetto.py" chrome s1.json | grep '\[')"
# Entries only: the typed exits are results, not exits of unknown calls.
GEN s2 <<'EOF2'
process 910 version 2 entries
object app /usr/bin/app main parse leaf
thread 910
E 1000 main
E 2000 parse
ARGS 2000 ("abc", 3)
E 2100 leaf
XD 2200 leaf 1
RET 2200 2
XD 3000 parse 0
RET 3000 7
EOF2
expect_eq "signatures, entries only: replay, results as comments, no note" "# DURATION     TID     FUNCTION
            [   910] | main();
            [   910] | parse(\"abc\", 3);
            [   910] | leaf();
            [   910] | /* leaf = 2 */
            [   910] | /* parse = 7 */|" "$("$PFE" replay -d s2 2>&1)|$("$PFE" replay -d s2 2>&1 >/dev/null)"
expect_eq "signatures, entries only: --flat" "910 0.000001 main <- _start+0x10
910 0.000002 parse(\"abc\", 3) <- _start+0x10
910 0.000002 leaf <- _start+0x10
910 0.000002 leaf = 2
910 0.000003 parse = 7" "$("$PFE" replay --flat -d s2)"

# ----------------------------------------------------------------- errors
# err_case NAME WANT_STATUS REGEX CMD...: the status, and one line matching.
err_case() {
	name=$1 want=$2 re=$3
	shift 3
	"$@" >/dev/null 2>err
	st=$?
	if [ "$st" -eq "$want" ] && [ "$(wc -l <err)" -eq 1 ] && grep -Eq -- "$re" err; then
		pass "error: $name"
	else
		fail "error: $name" "status $st (expected $want), stderr:" "$(cat err)"
	fi
}
mkdir empty
GEN r4 <<'EOF'
process 400 version 3
object app /usr/bin/app main
thread 400
EOF
GEN r5 <<'EOF'
process 500
object app /usr/bin/app main
thread 500
E 1 main
EOF
sed -i 's/^clock_hz .*//' r5/500/info
GEN r6 <<'EOF'
process 600
object app /usr/bin/app main
thread 600
header 20
EOF
GEN r7 <<'EOF'
process 700
object app /usr/bin/app main
thread 700
EOF
python3 -c 'import sys
f = open("r7/700/700.dat", "r+b"); f.seek(8); f.write(bytes([3, 0, 0, 0]))'
err_case "missing recording" 1 '^pfe: nothere: No such file or directory' "$PFE" replay -d nothere
err_case "no process in it" 1 '^pfe: empty: no process in the recording' "$PFE" report -d empty
err_case "version mismatch (info)" 1 'r4/400/info: format version 3, expected 1 to 2 \(a newer pfe' \
	"$PFE" report -d r4
err_case "version mismatch (thread file)" 1 'r7/700/700.dat: format version 3, expected 1 to 2$' \
	"$PFE" replay -d r7
err_case "info without its clock" 1 'r5/500/info: no clock_hz line' "$PFE" dump --flame -d r5
err_case "truncated header" 1 'r6/600/600.dat: truncated header \(20 of 64 bytes' "$PFE" dump --chrome -d r6
err_case "unknown option" 2 "^pfe: report: unknown option '--bogus'" "$PFE" report --bogus
err_case "unknown command" 2 "^pfe: unknown command 'frobnicate'" "$PFE" frobnicate
err_case "bad sort key" 2 "^pfe: report: -s 'speed': expected total, self, calls, avg or max" "$PFE" report -s speed
err_case "dump needs a format" 2 '^pfe: dump: expected --chrome or --flame' "$PFE" dump -d r1
err_case "bad duration" 2 "^pfe: replay: -t 'soon': expected a duration" "$PFE" replay -d r1 -t soon
err_case "bad -F pattern" 2 "^pfe: replay: -F 'a,,b': empty term at offset 2" "$PFE" replay -d r1 -F 'a,,b'
err_case "no such thread" 1 '^pfe: replay: no thread 999 in r1' "$PFE" replay -d r1 --tid 999
