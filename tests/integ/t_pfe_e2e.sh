#!/bin/sh
# pfe end to end: `pfe record` of a four-thread C++ program through libpfe's
# PFE_RECORD, then report (exact calls), replay (balanced, nested, every
# thread), JSON (parsed; B/E per thread; calls as in report), folded stacks
# (self times as in report), demangled names and a C++ pattern.
. tests/lib.sh
plan 12
PFE=$TOP/$B/pfe
CHECK() { python3 "$TOP/tests/tools/pfe_check.py" "$@"; }
CXX=${CC%gcc}g++
$CXX -O2 -g -Wall -Werror -fpatchable-function-entry=2 -o "$T/shapes" \
	"$TOP/tests/progs/cxx_shapes.cc" -lpthread || { echo "not ok - compile"; exit 1; }
cd "$T" || exit 1

"$PFE" record -d rec -- ./shapes 3 >out 2>err
st=$?
if ! ls rec/*/info >/dev/null 2>&1; then
	# This libpfe writes no PFE_RECORD recording yet (issue 9).
	for c in status output stderr report replay threads leaf chrome flame stack pattern \
		no-demangle; do
		skip "e2e: $c" "this libpfe does not record (PFE_RECORD)"
	done
	exit 0
fi
(exit $st)
expect_status "record: the program's status" 0 $?
expect_eq "record: the program's output" "sum 432 scale 4 3.0" "$(cat out)"
expect_eq "record: nothing on stderr" "" "$(cat err)"

"$PFE" report -d rec >report.txt 2>err
expect_eq "report: exact calls of every function" "main 1
scale(double) 1
scale(int) 1
shapes::Circle::area() const 12
shapes::Square::area() const 12
shapes::total(shapes::Shape* const*, int) 12
worker(void*) 4" "$(awk 'NR > 2 { n = $3; for (i = 0; i < 6; i++) sub(/^ *[^ ]+/, ""); sub(/^ +/, ""); print $0, n }' report.txt | LC_ALL=C sort)"

"$PFE" replay -d rec >replay.out 2>err
expect_eq "replay: balanced and nested" ok "$(CHECK replay replay.out)"
expect_eq "replay: four threads" 4 "$(sed -n 's/^.\{11\} \[ *\([0-9]*\)\].*/\1/p' replay.out | sort -u | wc -l)"
expect_eq "replay: a leaf on one line, demangled" 24 \
	"$(grep -Ec '\| +shapes::(Circle|Square)::area\(\) const;$' replay.out)"

"$PFE" dump --chrome -d rec >trace.json 2>err
expect_eq "dump --chrome: parses, balanced, calls as in report" ok "$(CHECK chrome trace.json report.txt)"
"$PFE" dump --flame -d rec >folded 2>err
expect_eq "dump --flame: self times as in report" ok "$(CHECK flame folded report.txt)"
expect_grep "dump --flame: a C++ stack" '^main;worker\(void\*\);shapes::total\(shapes::Shape\* const\*, int\);shapes::Circle::area\(\) const [0-9]+$' folded

"$PFE" record -f 'shapes::*' -d rec2 -- ./shapes 1 >/dev/null 2>&1
expect_eq "record -f 'shapes::*': only those" "shapes::Circle::area() const 6
shapes::Square::area() const 6
shapes::total(shapes::Shape* const*, int) 6" \
	"$("$PFE" report -d rec2 | awk 'NR > 2 { n = $3; for (i = 0; i < 6; i++) sub(/^ *[^ ]+/, ""); sub(/^ +/, ""); print $0, n }' | LC_ALL=C sort)"
expect_eq "--no-demangle" "_ZN6shapes5totalEPKPNS_5ShapeEi" \
	"$("$PFE" report -d rec2 --no-demangle -s calls | awk 'NR == 3 { print $7 }')"
