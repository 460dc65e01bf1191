#!/bin/sh
# Discovery in every layout gcc emits without BTI: -fpatchable-function-entry
# =2, =3,1 and =4,2 (NOPs before the symbol), as PIE and non-PIE executables,
# and stripped. PFE_LIST must report exactly the program's four functions at
# the addresses nm gives, and preloading must not change the program's output.
. tests/lib.sh
. tests/integ/discover_common.sh
plan 51

funcs="main square sum_squares twice"

for v in "p2:-fpatchable-function-entry=2" "p31:-fpatchable-function-entry=3,1" \
	"p42:-fpatchable-function-entry=4,2" "p5:-fpatchable-function-entry=5" \
	"p2nopie:-fpatchable-function-entry=2 -no-pie"; do
	name=${v%%:*}
	# shellcheck disable=SC2086
	tcc -o "$T/$name" "$P/disc_app.c" $CFLAGS_DISC ${v#*:}
	list "$name" "$T/$name"
	check_run "$name"
	# shellcheck disable=SC2086
	expected "$name" "$T/$name" $funcs >"$T/$name.want"
	check_list "$name" "$T/$name.want"
	expect_eq "$name: four sites" 4 "$(wc -l <"$T/$name.list")"
done

$READELF -h "$T/p2" >"$T/p2.hdr"
expect_grep "p2 is a PIE" 'Type: +DYN' "$T/p2.hdr"
$READELF -h "$T/p2nopie" >"$T/p2nopie.hdr"
expect_grep "p2nopie is not" 'Type: +EXEC' "$T/p2nopie.hdr"

# =N,M really put M NOPs before the symbol (so the table entries point
# there, while the sites listed above are at the symbol).
for v in p31:1 p42:2; do
	name=${v%:*} m=${v#*:}
	a=$($NM "$T/$name" | awk '$3 == "sum_squares" { print $1 }')
	$OBJDUMP -d --start-address="$(printf '0x%x' $((0x$a - 4 * m)))" --stop-address="0x$a" \
		"$T/$name" | grep -cE '^ +[0-9a-f]+:[[:space:]]+d503201f[[:space:]]+nop' >"$T/$name.pre"
	expect_eq "$name: $m NOPs before sum_squares" "$m" "$(cat "$T/$name.pre")"
done

# Stripped: the same sites at the same addresses, no names (an executable
# exports none of them in .dynsym).
for name in p2 p31 p42 p2nopie; do
	$STRIP --strip-all -o "$T/${name}s" "$T/$name"
	list "${name}s" "$T/${name}s"
	check_run "${name}s"
	expected "${name}s" "$T/$name" main=? square=? sum_squares=? twice=? >"$T/${name}s.want"
	check_list "${name}s" "$T/${name}s.want"
done

# PFE_LIST=1 lists on stderr, and nothing is printed without PFE_LIST.
PFE_LIST=1 prun "$T/p2" >"$T/stderr.out" 2>"$T/stderr.list"
expect_file "PFE_LIST=1 lists on stderr" "$T/p2.want" "$T/stderr.list"
PFE_LIST=0 prun "$T/p2" >"$T/quiet.out" 2>"$T/quiet.err"
expect_eq "PFE_LIST=0: silent" "" "$(cat "$T/quiet.err")"
prun "$T/p2" >"$T/quiet.out" 2>"$T/quiet.err"
expect_eq "no PFE_LIST: silent" "" "$(cat "$T/quiet.err")"

# %p in PFE_LIST becomes the process id: exactly one file, named after it.
PFE_LIST="$(pwd)/$T/pid.%p.%%.list" prun "$T/p2" >/dev/null 2>"$T/pid.err"
set -- "$T"/pid.*.%.list
expect_eq "PFE_LIST=...%p...: one file" 1 $#
basename "$1" >"$T/pid.name"
expect_grep "PFE_LIST=...%p...: named by a pid" '^pid\.[0-9]+\.%\.list$' "$T/pid.name"
expect_file "PFE_LIST=...%p...: the list" "$T/p2.want" "$1"
