#!/bin/sh
# The pattern language end to end: globs, "!" exclusion, "@object", terms
# matching nothing (one warning each, the rest traced), and malformed values
# (one error line, nothing traced, the program unchanged).
. tests/lib.sh
. tests/integ/trace_common.sh
plan 68

build app -fpatchable-function-entry=2
build_shared shared -fpatchable-function-entry=2

# traced NAME: the sorted set of "function <- caller" of the trace.
traced() {
	awk '{ print $3 }' "$T/$1.trace" | sort | uniq -c | sed 's/^ *//' | tr '\n' ' '
}

run_traced glob '*af,t?p' "$T/app"
check_run glob
expect_eq "glob: *af,t?p" "10 leaf 5 top " "$(traced glob)"

run_traced bracket '[lm][ie]*' "$T/app"
check_run bracket
expect_eq "bracket: [lm][ie]*" "10 leaf 5 mid " "$(traced bracket)"

run_traced exclude '*,!leaf,!m*' "$T/app"
check_run exclude
expect_eq "exclude: *,!leaf,!m*" "1 other 5 top 1 worker " "$(traced exclude)"

run_traced exclude_only '!leaf,!mid,!main' "$T/app"
check_run exclude_only
expect_eq "exclude only: everything else" "1 other 5 top 1 worker " "$(traced exclude_only)"

run_traced object '*@libtrfuncs.so' "$T/shared"
check_run object
expect_eq "object: *@libtrfuncs.so" "10 leaf 5 mid 1 other 5 top " "$(traced object)"

run_traced object_glob 'main@sha*,top@lib*,mid@shared' "$T/shared"
check_run object_glob "libpfe: PFE_TRACE: 'mid@shared' matches no patchable function loaded so far"
expect_eq "object glob: main@sha*,top@lib*" "1 main 5 top " "$(traced object_glob)"

run_traced nomatch 'fooo' "$T/app"
check_run nomatch "libpfe: PFE_TRACE: 'fooo' matches no patchable function loaded so far"
expect_eq "nomatch: empty trace file" "" "$(cat "$T/nomatch.trace")"

run_traced partial 'top,fooo,ba[rz]*,!leaf' "$T/app"
check_run partial "libpfe: PFE_TRACE: 'fooo' matches no patchable function loaded so far
libpfe: PFE_TRACE: 'ba[rz]*' matches no patchable function loaded so far"
expect_eq "partial: top still traced" "5 top " "$(traced partial)"

# Graph mode and signatures warn of each term as flat mode does.
PFE_GRAPH=1 run_traced graph_partial 'main,nosuch,top' "$T/app"
check_run graph_partial "libpfe: PFE_TRACE: 'nosuch' matches no patchable function loaded so far"
run_traced sig_partial 'main,nosuch,top(int)->int' "$T/app"
expect_eq "sig_partial: stderr" "libpfe: PFE_TRACE: 'nosuch' matches no patchable function loaded so far" \
	"$(cat "$T/sig_partial.err")"

# Malformed: exactly one line naming the value and what was expected; the
# output file is not even created.
bad() {	# NAME SPEC MESSAGE
	run_traced "$1" "$2" "$T/app"
	check_run "$1" "libpfe: PFE_TRACE='$2': $3"
	if [ -e "$T/$1.trace" ]; then fail "$1: no trace file"; else pass "$1: no trace file"; fi
}
bad empty_term 'top,,leaf' 'empty term at offset 4 (expected a function name or glob)'
bad trailing 'top,' 'empty term at offset 4 (expected a function name or glob)'
bad empty '' 'empty term at offset 0 (expected a function name or glob)'
bad bracket_open 'top,l[ea' 'unterminated [ at offset 5 (expected ])'
bad no_name '@app' 'empty function name before @ at offset 0 (expected a function name or glob)'
bad no_object 'top@' 'empty object after @ at offset 3 (expected an object file name or glob)'
bad lone_bang 'top,!' 'lone ! at offset 4 (expected a function name or glob after it)'
bad two_at 'top@a@b' 'second @ at offset 5 (expected one object glob per term)'
