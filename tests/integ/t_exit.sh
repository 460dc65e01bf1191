#!/bin/sh
# Exit hooks (tests/progs/exit_app.c): exact entry/exit counts on recursion,
# results changed by exit hooks, nested durations, longjmp out of three
# traced frames (closed with PFE_RET_UNWOUND at the longjmp), a tail call
# between traced functions, an entry hook that returns at once, the depth
# bound (PFE_DEPTH: 4096 by default, 256, a malformed value). Plain, with
# NOPs before the symbol (=4,2), and BTI+PAC on a CPU that enforces both
# (pac-ret functions sign the return trampoline's address).
. tests/lib.sh
P=$TOP/tests/progs
plan 17

cat >"$T/want" <<'END'
fib(10) 55
fib: calls 177 177 == entries, exits 0 maxdepth 10 depth 0
add1(1) 1002 half(3) 1.750
detached: add1(1) 2 half(3) 1.500
durations: spin positive, outer >= both yes
longjmp 0: entries 3 exits 0 unwound 3 depth 0
after: fib(5) 5 jmp1(0) 2 entries 18 exits 18 unwound 0 depth 0
longjmp 1: entries 3 exits 0 unwound 3 depth 0
after: fib(5) 5 jmp1(0) 2 entries 18 exits 18 unwound 0 depth 0
longjmp 2: entries 3 exits 0 unwound 3 depth 0
after: fib(5) 5 jmp1(0) 2 entries 18 exits 18 unwound 0 depth 0
tail_a(1) 6
exit tail_b
exit tail_a
early(5) 77 entries 0 exits 1
deep(300) 300 entries 301 exits 301
deep(10) 10 entries 11 exits 11
deep(5000) 5000 entries 5001 exits 4096 unwound 0
flags other than 0 and PFE_RET_UNWOUND: 0
detached: fib(10) 55
END

BTI_LINK="-mbranch-protection=standard -nostartfiles -z force-bti -Wl,--fatal-warnings"
for v in "e2:-fpatchable-function-entry=2" "e42:-fpatchable-function-entry=4,2" \
	"ebti:-fpatchable-function-entry=2 $BTI_LINK $P/bti_start.S"; do
	name=${v%%:*}
	# shellcheck disable=SC2086
	tcc -O2 -I"$TOP/include" -o "$T/$name" "$P/exit_app.c" -ldl ${v#*:}
	if [ "$name" = ebti ]; then
		QEMU_CPU=max
		export QEMU_CPU
	fi
	trun "$T/$name" >"$T/$name.plain" 2>&1
	expect_eq "$name: runs without libpfe" "libpfe: absent" "$(cat "$T/$name.plain")"
	prun "$T/$name" >"$T/$name.out" 2>"$T/$name.err"
	expect_status "$name: runs with libpfe" 0 $?
	expect_file "$name: exact output" "$T/want" "$T/$name.out"
	expect_eq "$name: nothing on stderr" "" "$(cat "$T/$name.err")"
done
${OBJDUMP:-aarch64-linux-gnu-objdump} -d "$T/ebti" | awk '/<fib>:/,/^$/' >"$T/ebti.fib"
expect_grep "ebti: fib signs its return address" 'paciasp' "$T/ebti.fib"

# PFE_DEPTH=256: calls deeper than 256 frames get no exit hook.
sed -e 's/^deep(300) 300 entries 301 exits 301$/deep(300) 300 entries 301 exits 256/' \
	-e 's/^deep(5000) 5000 entries 5001 exits 4096 /deep(5000) 5000 entries 5001 exits 256 /' \
	"$T/want" >"$T/want256"
PFE_DEPTH=256 prun "$T/ebti" >"$T/d256.out" 2>"$T/d256.err"
expect_file "PFE_DEPTH=256: exact output" "$T/want256" "$T/d256.out"
expect_eq "PFE_DEPTH=256: nothing on stderr" "" "$(cat "$T/d256.err")"
# A malformed value: one line, the default.
PFE_DEPTH=lots prun "$T/ebti" >"$T/dbad.out" 2>"$T/dbad.err"
expect_file "PFE_DEPTH=lots: default depth" "$T/want" "$T/dbad.out"
expect_eq "PFE_DEPTH=lots: one error line" \
	"libpfe: PFE_DEPTH='lots': expected a number of frames from 16 to 4194304; using 4096" \
	"$(cat "$T/dbad.err")"
