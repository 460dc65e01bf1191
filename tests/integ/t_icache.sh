#!/bin/sh
# pfe_sync_icache as built into libpfe.so issues the maintenance arm64
# requires after writing code (qemu runs fine without it, hardware does
# not): CTR_EL0 read, dc cvau over the range, dsb ish, ic ivau over the
# range, dsb ish, isb, in that order, each of the two walking the range
# line by line. unit/test_icache checks that every write path calls it for
# exactly the words written.
. tests/lib.sh
plan 3
: "${OBJDUMP:=aarch64-linux-gnu-objdump}"
$OBJDUMP -d --no-show-raw-insn --disassemble=pfe_sync_icache "$LIBPFE" |
	sed -n '/<pfe_sync_icache>:$/,$p' >"$T/sync.dis"
expect_eq "pfe_sync_icache: the maintenance sequence" \
	"ctr_el0 dc-cvau dsb-ish ic-ivau dsb-ish isb" \
	"$(awk '/mrs.*ctr_el0/ { s = s " ctr_el0" } $2 == "dc" && $3 == "cvau," { s = s " dc-cvau" }
		$2 == "ic" && $3 == "ivau," { s = s " ic-ivau" } $2 == "dsb" { s = s " dsb-" $3 }
		$2 == "isb" { s = s " isb" } END { sub(/^ /, "", s); print s }' "$T/sync.dis")"
# loop OP: "yes" when a conditional branch after the OP line jumps back to it.
loop() {
	awk -v op="$1" '
		$2 == op { at = $1; sub(/:$/, "", at) }
		at != "" && $2 ~ /^(b\.|cbnz|cbz|tbnz|tbz)/ {
			for (i = 3; i <= NF; i++) if ($i == at) { print "yes"; exit } }' "$T/sync.dis"
}
expect_eq "pfe_sync_icache: dc cvau walks the range" yes "$(loop dc)"
expect_eq "pfe_sync_icache: ic ivau walks the range" yes "$(loop ic)"
