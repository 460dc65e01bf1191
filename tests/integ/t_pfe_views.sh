#!/bin/sh
# The pfe command's other views of recordings that tests/tools/pfe_gen.py
# writes: report --diff of two runs, one function made slower; graph and
# graph --callers, with their totals checked against their parts; dump
# --perfetto decoded (protoc, and a decoder of our own) against the recording
# and --chrome, a signature's arguments and results included. Runs on the
# host, no qemu.
. tests/lib.sh
plan 24
PFE=$TOP/$B/pfe
GEN() { python3 "$TOP/tests/tools/pfe_gen.py" "$@"; }
cd "$T" || exit 1

# ---------------------------------------------------------------- --diff
# Two runs of one program; in the second, work() takes 4 us more (its
# caller main() as much), parse() 0.5 us less; old() ran only in the first,
# new() only in the second, both 0.5 us (equal changes: by name).
GEN base <<'EOF2'
process 100
object app /usr/bin/app main parse work helper old
thread 100 main
E 1000 main
E 2000 parse
X 3000 parse
E 4000 work
E 4100 helper
X 4200 helper
X 5000 work
E 6000 old
X 6500 old
X 10000 main
EOF2
GEN other <<'EOF2'
process 200
object app /usr/bin/app main parse work helper new
thread 200 main
E 1000 main
E 2000 parse
X 2500 parse
E 3500 work
E 3600 helper
X 3700 helper
X 8500 work
E 9500 new
X 10000 new
X 13500 main
EOF2
cat >want <<'EOF2'
# base:  base
# other: other
# times in us; change: other - base, largest change of the total first
  Base total  Other total   Total change     Base self   Other self    Self change  Base calls Other calls Calls change  Function
  ==========  ===========   ============     =========   ==========    ===========  ========== =========== ============  ========
       1.000        5.000         +4.000         0.900        4.900         +4.000           1           1            0  work
       9.000       12.500         +3.500         6.500        6.500          0.000           1           1            0  main
           -        0.500         +0.500             -        0.500         +0.500           -           1           +1  new (only in other)
       0.500            -         -0.500         0.500            -         -0.500           1           -           -1  old (only in base)
       1.000        0.500         -0.500         1.000        0.500         -0.500           1           1            0  parse
       0.100        0.100          0.000         0.100        0.100          0.000           1           1            0  helper
EOF2
"$PFE" report -d base --diff other >out 2>err
expect_status "report --diff: exit status" 0 $?
expect_eq "report --diff: the slower function first" work "$(awk 'NR == 6 { print $NF }' out)"
expect_file "report --diff: both runs, the change, functions of one run marked" want out
expect_eq "report --diff the other way: the change negated, same order" \
	"-4.000 work|-3.500 main|-0.500 new|+0.500 old|+0.500 parse|0.000 helper" \
	"$("$PFE" report -d other --diff base | awk 'NR > 5 { printf "%s%s %s", s, $3, $10; s = "|" }')"
# The caller whose total changed as much as its callee's comes after it.
GEN same <<'EOF2'
process 300
object app /usr/bin/app main work
thread 300 main
E 1000 main
E 2000 work
X 3000 work
X 4000 main
EOF2
GEN slower <<'EOF2'
process 300
object app /usr/bin/app main work
thread 300 main
E 1000 main
E 2000 work
X 9000 work
X 10000 main
EOF2
expect_eq "report --diff: a tie of totals goes to the changed self time" "work main" \
	"$("$PFE" report -d same --diff slower | awk 'NR > 5 { printf "%s%s", s, $NF; s = " " }')"
"$PFE" report -d base --diff nothere >/dev/null 2>err
expect_eq "report --diff: a missing recording, one line, status 1" "1|1" "$?|$(wc -l <err | tr -d ' ')"

# ----------------------------------------------------------------- graph
# Two threads; foo() twice from main (one path), recursion, C++ names.
GEN g1 <<'EOF2'
process 100
object app /usr/bin/app main foo bar rec _ZN2ns4workEv
thread 100 main
E 1000 main
E 2000 foo
E 2100 bar
X 2600 bar
E 3000 bar
X 3200 bar
X 4000 foo
E 5000 rec
E 5500 rec
E 5600 rec
E 5700 bar
X 5900 bar
X 6000 rec
X 6500 rec
X 7000 rec
E 8000 foo
X 8300 foo
E 9000 _ZN2ns4workEv
E 9100 bar
X 9400 bar
X 9900 _ZN2ns4workEv
X 20000 main
thread 102 worker
E 1000 _ZN2ns4workEv
E 1500 bar
X 2500 bar
X 3000 _ZN2ns4workEv
E 4000 foo
X 4100 foo
EOF2
cat >want <<'EOF2'
# process 100, thread 100 (main): calls per path
# TOTAL (us)    SELF (us) : (CALLS) FUNCTION
      19.000       13.800 : (1) main
       2.300        1.600 :  +-(2) foo
       0.700        0.700 :  | +-(2) bar
       2.000        1.000 :  +-(1) rec
       1.000        0.600 :  | +-(1) rec
       0.400        0.200 :  |   +-(1) rec
       0.200        0.200 :  |     +-(1) bar
       0.900        0.600 :  +-(1) ns::work()
       0.300        0.300 :    +-(1) bar

# process 100, thread 102 (worker): calls per path
# TOTAL (us)    SELF (us) : (CALLS) FUNCTION
       2.000        1.000 : (1) ns::work()
       1.000        1.000 :  +-(1) bar
       0.100        0.100 : (1) foo
EOF2
"$PFE" graph -d g1 >graph.txt 2>err
expect_status "graph: exit status" 0 $?
expect_file "graph: each thread's roots, calls and times per path" want graph.txt
expect_eq "graph: every total is self plus the children's totals" ok \
	"$(python3 "$TOP/tests/tools/pfe_graph.py" sums graph.txt)"
"$PFE" report -d g1 >report.txt
expect_eq "graph: self times and calls per function add up to report's" ok \
	"$(python3 "$TOP/tests/tools/pfe_graph.py" report graph.txt report.txt)"
cat >want <<'EOF2'
# calls under 'ns::*', every thread: calls per path
# TOTAL (us)    SELF (us) : (CALLS) FUNCTION
       2.900        1.600 : (2) ns::work()
       1.300        1.300 :  +-(2) bar
EOF2
"$PFE" graph -d g1 -F 'ns::*' >out
expect_file "graph -F: the subtrees of a function over every thread" want out
cat >want <<'EOF2'
# callers of 'bar', every thread: its calls and times through each path of callers
# TOTAL (us)    SELF (us) : (CALLS) FUNCTION
       2.200        2.200 : (5) bar
       1.300        1.300 :  +-(2) ns::work()
       0.300        0.300 :  | +-(1) main
       0.700        0.700 :  +-(2) foo
       0.700        0.700 :  | +-(2) main
       0.200        0.200 :  +-(1) rec
       0.200        0.200 :    +-(1) rec
       0.200        0.200 :      +-(1) rec
       0.200        0.200 :        +-(1) main
EOF2
"$PFE" graph -d g1 --callers bar >out
expect_file "graph --callers: the paths of callers leading to a function" want out
expect_eq "graph --callers: no path has more calls than the function" ok \
	"$(python3 "$TOP/tests/tools/pfe_graph.py" callers out)"
# Frames unwound, without exits, still open at the end: the sums still hold.
GEN g2 <<'EOF2'
process 200 noend
object app /usr/bin/app main a b c
thread 200
E 10 main
E 20 a
E 30 b
U 40 b
E 50 b
E 52 c
XD 60 a 1
E 70 c
X 80 c
E 90 a
EOF2
"$PFE" graph -d g2 >out 2>/dev/null
expect_eq "graph: the sums hold with unwound, unreturned and open frames" ok \
	"$(python3 "$TOP/tests/tools/pfe_graph.py" sums out)"
"$PFE" graph -d g1 -F foo --callers bar >/dev/null 2>err
expect_eq "graph: -F and --callers together, one line, status 2" \
	"2|pfe: graph: -F and --callers: expected one (see pfe --help)" "$?|$(cat err)"

# ------------------------------------------------------- dump --perfetto
# Decoded by protoc --decode_raw and by tests/tools/pfe_perfetto.py (its own
# wire decoder, Perfetto's field numbers): per thread track, balanced slices
# with the recording's names and nanosecond times; interned names defined
# before use; the sequence flags.
PB() { python3 "$TOP/tests/tools/pfe_perfetto.py" "$@"; }
"$PFE" dump --perfetto -d g1 >g1.pftrace 2>err
expect_status "dump --perfetto: exit status" 0 $?
if command -v protoc >/dev/null 2>&1; then
	protoc --decode_raw <g1.pftrace >raw.txt 2>err
	expect_eq "dump --perfetto: protoc --decode_raw reads it" "0|31" \
		"$?|$(grep -c '^1 {' raw.txt)"
else
	skip "dump --perfetto: protoc --decode_raw reads it" "no protoc (protobuf-compiler)"
fi
cat >want <<'EOF2'
100 100 B 1000 main
100 100 B 2000 foo
100 100 B 2100 bar
100 100 E 2600 bar
100 100 B 3000 bar
100 100 E 3200 bar
100 100 E 4000 foo
100 100 B 5000 rec
100 100 B 5500 rec
100 100 B 5600 rec
100 100 B 5700 bar
100 100 E 5900 bar
100 100 E 6000 rec
100 100 E 6500 rec
100 100 E 7000 rec
100 100 B 8000 foo
100 100 E 8300 foo
100 100 B 9000 ns::work()
100 100 B 9100 bar
100 100 E 9400 bar
100 100 E 9900 ns::work()
100 100 E 20000 main
100 102 B 1000 ns::work()
100 102 B 1500 bar
100 102 E 2500 bar
100 102 E 3000 ns::work()
100 102 B 4000 foo
100 102 E 4100 foo
EOF2
PB events g1.pftrace >ev.txt 2>err
expect_file "dump --perfetto: per thread track, the recording's slices, names and ns" want ev.txt
expect_eq "dump --perfetto: each name interned once per sequence (thread)" "0 5 3" \
	"$(PB interned g1.pftrace)"
# Unwound, unreturned and open frames (their "end" annotation), lost events,
# two processes: as --chrome.
GEN p2 <<'EOF2'
process 300 noend
object app /usr/bin/app main a b c
thread 300 main
E 10 main
E 20 a
E 30 b
U 40 b
E 50 b
E 52 c
XD 60 a 1
L 65 7
E 70 c
X 80 c
E 90 a
process 301 ppid 300
object app /usr/bin/app main a
thread 301
E 400 a
X 500 a
EOF2
"$PFE" dump --perfetto -d p2 >p2.pftrace 2>/dev/null
"$PFE" dump --chrome -d p2 >p2.json 2>/dev/null
PB events p2.pftrace >ev.txt 2>&1
PB chrome p2.json >want
expect_file "dump --perfetto: the events of --chrome (unwound, open, lost, two processes)" want ev.txt
expect_eq "dump --perfetto --no-demangle: the symbol, once per thread" 2 \
	"$("$PFE" dump --perfetto --no-demangle -d g1 | grep -ao _ZN2ns4workEv | wc -l)"
# A signature's arguments on the slice's begin, its result on its end;
# entries only: the result an instant (format version 2).
GEN sig <<'EOF2'
process 400 version 2
object app /usr/bin/app main parse
thread 400
E 1000 main
E 2000 parse
ARGS 2000 ("abc", 3)
X 3000 parse
RET 3000 7
X 4000 main
process 401 version 2 entries
object app /usr/bin/app main parse
thread 401
E 1000 parse
ARGS 1000 (1)
XD 2000 parse 0
RET 2000 -1
EOF2
"$PFE" dump --perfetto -d sig >sig.pftrace 2>/dev/null
"$PFE" dump --chrome -d sig >sig.json 2>/dev/null
cat >want <<'EOF2'
400 400 B 1000 main
400 400 B 2000 parse [args=("abc", 3)]
400 400 E 3000 parse [retval=7]
400 400 E 4000 main
401 401 B 1000 parse [args=(1)]
401 401 E 1000 parse [end=no exit recorded]
401 401 I 2000 parse [retval=-1]
EOF2
PB events sig.pftrace >ev.txt 2>&1
expect_file "dump --perfetto: a signature's args and retval as debug annotations" want ev.txt
PB chrome sig.json >ev.txt 2>&1
expect_file "dump --chrome: the same args, retval and instant" want ev.txt
"$PFE" dump --perfetto --chrome -d g1 >/dev/null 2>err
expect_eq "dump: two formats, one line, status 2" \
	"2|pfe: dump: --chrome, --flame and --perfetto: expected one (see pfe --help)" "$?|$(cat err)"
