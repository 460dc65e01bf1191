#!/bin/sh
# The same hooks on a BTI+PAC program (-mbranch-protection=standard, linked
# -z force-bti with tests/progs/bti_start.S) on a CPU that enforces both:
# the trampoline is entered from a guarded page and returns into one with
# `ret`, the hooks are called by BLR and need their `bti c`, and pac-ret
# functions sign the lr the trampoline hands them.
. tests/lib.sh
. tests/integ/hooks_common.sh
plan 8

QEMU_CPU=max
export QEMU_CPU
BTI_LINK="-mbranch-protection=standard -nostartfiles -z force-bti -Wl,--fatal-warnings"
# shellcheck disable=SC2086
tcc -O2 -I"$TOP/include" -o "$T/hbti" "$P/hooks_app.c" "$P/bti_start.S" -ldl \
	-fpatchable-function-entry=2 $BTI_LINK
: "${OBJDUMP:=aarch64-linux-gnu-objdump}"
"${OBJDUMP%objdump}readelf" -n "$T/hbti" >"$T/hbti.notes"
expect_grep "hbti: has the BTI property" 'AArch64 feature: BTI, PAC' "$T/hbti.notes"
hooks_check hbti "$T/hbti"

# Patching must not unguard the program's text: mprotect without PROT_BTI
# (which /proc/self/maps does not show) would drop the guard for good.
# shellcheck disable=SC2086
tcc -O2 -I"$TOP/include" -o "$T/guard" "$P/hooks_bti_guard.c" "$P/bti_start.S" -ldl \
	-fpatchable-function-entry=2 $BTI_LINK
trun "$T/guard" >"$T/guard.plain" 2>/dev/null
expect_eq "guard: BTI enforced without libpfe" "start: guarded" "$(cat "$T/guard.plain")"
prun "$T/guard" >"$T/guard.out" 2>/dev/null
expect_eq "guard: text stays guarded through init, attach and detach" "start: guarded
attached: guarded
detached: guarded
twice(21) 42" "$(cat "$T/guard.out")"
