#!/bin/sh
# Discovery with -mbranch-protection=standard: `bti c` precedes the NOPs of
# every function that may be called indirectly, the table points past it,
# and libpfe lists the function (the symbol) with " bti". The programs are
# linked -z force-bti with tests/progs/bti_start.S and run on a CPU that
# enforces BTI (QEMU_CPU=max).
. tests/lib.sh
. tests/integ/discover_common.sh
plan 23

QEMU_CPU=max
export QEMU_CPU
funcs="main square sum_squares twice"
BTI_LINK="-mbranch-protection=standard -nostartfiles -z force-bti -Wl,--fatal-warnings"

for v in "b2:-fpatchable-function-entry=2" "b42:-fpatchable-function-entry=4,2" \
	"b2nopie:-fpatchable-function-entry=2 -no-pie"; do
	name=${v%%:*}
	# shellcheck disable=SC2086
	tcc -o "$T/$name" "$P/disc_app.c" "$P/bti_start.S" $CFLAGS_DISC $BTI_LINK ${v#*:}
	$READELF -n "$T/$name" >"$T/$name.notes"
	expect_grep "$name: has the BTI property" 'AArch64 feature: BTI, PAC' "$T/$name.notes"
	list "$name" "$T/$name"
	check_run "$name"
	# shellcheck disable=SC2086
	expected "$name" "$T/$name" $funcs >"$T/$name.want"
	check_list "$name" "$T/$name.want"
	# The compiler gives `bti c` to all but the static, directly called
	# square(): both kinds are covered.
	expect_eq "$name: three bti sites" 3 "$(grep -c ' bti$' "$T/$name.list")"
done

# Stripped: the landing pad still shows where the function starts.
$STRIP --strip-all -o "$T/b2s" "$T/b2"
list b2s "$T/b2s"
check_run b2s
expected b2s "$T/b2" main=? square=? sum_squares=? twice=? >"$T/b2s.want"
check_list b2s "$T/b2s.want"

# The CPU really enforces BTI: the same program with Debian's startup files
# (no `bti c` at _start) dies with SIGILL, so the runs above mean something.
# qemu's max CPU enforces it; so does an arm64 CPU listing "bti" in
# /proc/cpuinfo. Elsewhere the check cannot run: a SKIP saying why.
if [ -n "$QEMU" ] || grep -qw bti /proc/cpuinfo 2>/dev/null; then
	tcc -o "$T/nobti" "$P/disc_app.c" -mbranch-protection=standard -z force-bti \
		-fpatchable-function-entry=2 2>/dev/null
	trun "$T/nobti" >/dev/null 2>&1
	expect_eq "BTI is enforced (SIGILL without bti_start.S)" 132 $?
else
	skip "BTI is enforced (SIGILL without bti_start.S)" \
		"no qemu and no bti in /proc/cpuinfo: nothing here enforces BTI"
fi
