#!/bin/sh
# tests/lib.sh's trun and prun, the only way the suite runs target programs,
# in both of their branches: under $QEMU, and with QEMU empty as on an arm64
# host (here on x86_64 that needs binfmt_misc to hand the arm64 program to
# qemu-aarch64, which scripts/deps.sh registers; tests/lib.sh then passes
# LD_PRELOAD in QEMU_SET_ENV). Each branch must run the
# program without libpfe (trun) and with it (prun), pass PFE_* with commas
# intact, pass the exit status back, and let the tracer write its trace.
. tests/lib.sh
plan 10
P=$TOP/tests/progs
tcc -O2 -fpatchable-function-entry=2 -o "$T/run_probe" "$P/run_probe.c"

# probe MODE: the checks for one branch of the helpers (QEMU as set now).
probe() {
	trun "$T/run_probe" >"$T/$1.plain" 2>&1
	expect_eq "$1: trun runs the program without libpfe" "7 libpfe: absent
PFE_PROBE=(unset)" "$? $(cat "$T/$1.plain")"
	rm -f "$T/$1.trace"
	PFE_PROBE='a,b,c' PFE_TRACE='main,probe_fn' PFE_OUTPUT="$TOP/$T/$1.trace" \
		prun "$T/run_probe" >"$T/$1.out" 2>"$T/$1.err"
	expect_eq "$1: prun preloads libpfe, passes PFE_* and the status" "7 libpfe: loaded
PFE_PROBE=a,b,c" "$? $(cat "$T/$1.out")"
	expect_eq "$1: the tracer traced both functions" "main probe_fn" \
		"$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $3 }' "$T/$1.trace" 2>/dev/null)"
	expect_eq "$1: nothing on stderr" "" "$(cat "$T/$1.err")"
}

if [ -n "$QEMU" ]; then
	probe qemu
else
	for c in "trun: runs the program without libpfe" "prun: preloads libpfe" \
		"tracer traced both functions" "nothing on stderr"; do
		skip "qemu: $c" "QEMU is empty (an arm64 host): no qemu branch to run"
	done
fi

if [ "$(uname -m)" = aarch64 ]; then
	how="natively"
elif grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
	how="through binfmt_misc"
else
	how=""
fi
if [ -n "$how" ]; then
	QEMU='' probe direct
else
	for c in "trun: runs the program without libpfe" "prun: preloads libpfe" \
		"tracer traced both functions" "nothing on stderr"; do
		skip "direct: $c" "this host runs no arm64 program without qemu (no binfmt_misc entry)"
	done
fi

# Without qemu, the preload reaches the program and nothing else: env(1)
# carries it, so timeout(1) (a host program) never loads libpfe; through
# binfmt_misc, QEMU_SET_ENV keeps it from the host's qemu-aarch64.
if [ "$(uname -m)" = aarch64 ]; then
	pre="LD_PRELOAD=$LIBPFE"
else
	pre="QEMU_SET_ENV=LD_PRELOAD=$LIBPFE"
fi
expect_eq "direct: prun's command line" "timeout -k 5 30 env $pre prog arg" \
	"$(timeout() { echo timeout "$@"; }; QEMU='' RUN_TIMEOUT=30 prun prog arg)"
expect_eq "qemu: prun's command line" \
	"timeout -k 5 30 qemu-aarch64 -E LD_PRELOAD=$LIBPFE prog arg" \
	"$(timeout() { echo timeout "$@"; }; QEMU=qemu-aarch64 RUN_TIMEOUT=30 prun prog arg)"
