#!/bin/sh
# The pfe command's other views of recordings that tests/tools/pfe_gen.py
# writes: report --diff of two runs, one function made slower. Runs on the
# host, no qemu.
. tests/lib.sh
plan 6
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
