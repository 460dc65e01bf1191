#!/bin/sh
# PFE_TRACE in every layout: -fpatchable-function-entry=2 (PIE and not),
# =3,1 and =4,2 (NOPs before the symbol), the traced functions in a shared
# library, and BTI+PAC under a CPU that enforces them. Each time: the exact
# lines of each thread (function and caller+offset as objdump computes them),
# 9 lines for the main thread and 13 for the worker, the program's output and
# exit status unchanged, nothing on stderr.
. tests/lib.sh
. tests/integ/trace_common.sh
plan 49

layout() {	# NAME LIBFILE: run, check
	run_traced "$1" "$SPEC" "$T/$1"
	check_run "$1"
	expected "$T/$1" "$2" 2 3 >"$T/$1.want"
	check_trace "$1" "$T/$1.want"
	expect_eq "$1: lines per thread" "9 13 " "$(per_thread "$T/$1.trace")"
	check_libc_callers "$1" "$T/$1.trace"
}

build p2 -fpatchable-function-entry=2
layout p2 "$T/p2"
build p2nopie -fpatchable-function-entry=2 -no-pie
layout p2nopie "$T/p2nopie"
build p31 -fpatchable-function-entry=3,1
layout p31 "$T/p31"
build p42 -fpatchable-function-entry=4,2
layout p42 "$T/p42"
build_shared shared -fpatchable-function-entry=2
layout shared "$T/libtrfuncs.so"

# BTI + PAC: `bti c` before the NOPs, return addresses signed; the program
# starts with our own BTI-marked _start (Debian's crt1.o has none).
build bti -fpatchable-function-entry=2 -mbranch-protection=standard -nostartfiles \
	"$P/bti_start.S" -Wl,-z,force-bti
$OBJDUMP -d "$T/bti" | grep -A1 '<top>:' | grep -c 'bti' >"$T/bti.has"
expect_eq "bti: top starts with bti c" 1 "$(cat "$T/bti.has")"
export QEMU_CPU=max
layout bti "$T/bti"
unset QEMU_CPU
