#!/bin/sh
# C++ names: PFE_TRACE lines show demangled names (PFE_DEMANGLE=0: the
# symbols), and patterns select functions by their demangled names
# ('shapes::*', '*::area') as well as by the mangled ones. Exact counts.
. tests/lib.sh
plan 14
CXX=${CC%gcc}g++
$CXX -O2 -g -Wall -Werror -fpatchable-function-entry=2 -o "$T/shapes" \
	"$TOP/tests/progs/cxx_shapes.cc" -lpthread || { echo "not ok - compile"; exit 1; }

# names SPEC [VAR=VALUE...]: the function names of the trace lines, counted.
names() {
	spec=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	env PFE_TRACE="$spec" "$@" sh -c '. tests/lib.sh >/dev/null; prun "$0" 1' "$T/shapes" \
		>"$T/out" 2>"$T/err"
	echo "status $?"
	sed -e 's/^[0-9]* [0-9.]* //' -e 's/ <- .*$//' -e 's/(.*) {$//' "$T/err" | sort | uniq -c |
		sed 's/^ *//'
}

expect_eq "shapes::* selects the namespace, shown demangled" "status 0
6 shapes::Circle::area() const
6 shapes::Square::area() const
6 shapes::total(shapes::Shape* const*, int)" "$(names 'shapes::*')"
expect_eq "program output unchanged" "sum 84 scale 4 3.0" "$(cat "$T/out")"

expect_eq "*::area selects both overriders" "status 0
6 shapes::Circle::area() const
6 shapes::Square::area() const" "$(names '*::area')"

expect_eq "exclusion by demangled name" "status 0
6 shapes::total(shapes::Shape* const*, int)" "$(names 'shapes::*,!*::area')"

expect_eq "the mangled name still selects" "status 0
6 shapes::total(shapes::Shape* const*, int)" "$(names '_ZN6shapes5totalEPKPNS_5ShapeEi')"

expect_eq "overloads by their name" "status 0
1 scale(double)
1 scale(int)" "$(names 'scale')"
expect_eq "a class by its qualified name" "status 0
6 shapes::Circle::area() const" "$(names 'shapes::Circle::*@shapes')"

expect_eq "PFE_DEMANGLE=0 shows the symbols" "status 0
6 _ZN6shapes5totalEPKPNS_5ShapeEi
6 _ZNK6shapes6Circle4areaEv
6 _ZNK6shapes6Square4areaEv" "$(names 'shapes::*' PFE_DEMANGLE=0)"

expect_eq "PFE_DEMANGLE=1 is the default" "status 0
6 shapes::total(shapes::Shape* const*, int)" "$(names '*::total' PFE_DEMANGLE=1)"

names '*::total' PFE_DEMANGLE=maybe >/dev/null
expect_grep "a malformed PFE_DEMANGLE is named" "PFE_DEMANGLE='maybe'" "$T/err"
expect_eq "... and the default applies" "6 shapes::total(shapes::Shape* const*, int)" \
	"$(grep -v PFE_DEMANGLE "$T/err" | sed -e 's/^[0-9]* [0-9.]* //' -e 's/ <- .*$//' | sort | uniq -c | sed 's/^ *//')"

PFE_TRACE='*::area' PFE_GRAPH=1 prun "$T/shapes" 1 >/dev/null 2>"$T/graph"
expect_eq "graph lines name the frames demangled" "6 } shapes::Circle::area() const
6 } shapes::Square::area() const" \
	"$(sed -n 's/^[0-9]* | *\(} .*\) ([0-9.]* us)$/\1/p' "$T/graph" | sort | uniq -c | sed 's/^ *//')"

PFE_LIST=1 prun "$T/shapes" >/dev/null 2>"$T/list"
expect_grep "PFE_LIST: symbols by default" '^shapes 0x[0-9a-f]+ _ZNK6shapes6Circle4areaEv$' "$T/list"
PFE_LIST=1 PFE_DEMANGLE=1 prun "$T/shapes" >/dev/null 2>"$T/list"
expect_grep "PFE_LIST with PFE_DEMANGLE=1: demangled" '^shapes 0x[0-9a-f]+ shapes::Circle::area\(\) const$' "$T/list"
