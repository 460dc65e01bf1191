#!/bin/sh
# libpfe's start-up per patch site: every instruction of a whole run of
# bench/patch.c returning at main (-m), with libpfe preloaded, counted under
# qemu (-singlestep -d exec,nochain), at N sites less the same program with
# the first of STARTUP_SIZES (one site), divided by the sites added. The
# quick run's first size is 1,000, not 1: it counts what a site adds between
# 1,000 and 2,000 sites, without the fixed part of a whole run (/proc/self/maps
# and the environment read), which moved its 1,000-site figure by some 40
# from one tree or machine to another. The programs are patch.sh's
# (bench/gen.sh's functions). Exits 1 when a figure is over STARTUP_SITE_MAX.
set -eu
. bench/lib.sh
STARTUP_SITE_MAX=${STARTUP_SITE_MAX:-300}
if [ -z "$QEMU" ]; then
	echo "5. Start-up per site: needs qemu's instruction log (not measured)"
	exit 0
fi

whole() {	# bin: instructions of the whole run
	fifo=$W/startup-log.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	awk -v b=none -v e=none -f bench/outside.awk <"$fifo" >"$W/startup-count.txt" &
	apid=$!
	grun "LD_PRELOAD=$LIBPFE" "-singlestep -d exec,nochain -D $fifo" "$1" -m >/dev/null 2>&1 || true
	wait "$apid" || true
	rm -f "$fifo"
	awk '$1 == "outside" { print $2 }' "$W/startup-count.txt"
}

# shellcheck disable=SC2086
set -- $STARTUP_SIZES
first=$1
echo "5. Start-up with libpfe: instructions of a whole run returning at main, per site (less a $first-site program)"
printf '   %8s %12s %10s %10s  %s\n' sites insns "per site" target verdict
fail=0
say "startup $first"
one=$(whole "$W/patch-$first")
for n in $STARTUP_SIZES; do
	[ "$n" = "$first" ] && continue
	say "startup $n"
	all=$(whole "$W/patch-$n")
	if [ -z "$one" ] || [ -z "$all" ]; then
		printf '   %8s   not measured: the run failed\n' "$n"
		continue
	fi
	ps=$(awk -v a="$one" -v b="$all" -v n="$n" -v f="$first" 'BEGIN { printf "%.1f", (b - a) / (n - f) }')
	v=$(awk -v p="$ps" -v m="$STARTUP_SITE_MAX" 'BEGIN { print (p <= m) ? "PASS" : "FAIL" }')
	[ "$v" = PASS ] || fail=1
	printf '   %8s %12s %10s %10s  %s\n' "$n" "$all" "$ps" "<= $STARTUP_SITE_MAX" "$v"
	csv startup "$n" c 1 insn_whole_run "$all" insn
	csv startup "$n" c 1 insn_per_site "$ps" insn
	csv target startup "$n" 1 verdict "$v" ""
done
csv startup "$first" c 1 insn_whole_run "$one" insn
echo
exit $fail
