#!/bin/sh
# make demo: build the example (an executable, a shared library, two threads)
# for arm64 with -fpatchable-function-entry=2, run it with libpfe preloaded
# and PFE_TRACE set, and show its output and then the trace.
# Environment (from the Makefile): QEMU (empty on arm64), CC, B.
set -eu
: "${B:=build}" "${CC:=aarch64-linux-gnu-gcc}" "${QEMU-qemu-aarch64}"
D="$B/demo"
LIBPFE="$(pwd)/$B/libpfe.so"
SPEC=${PFE_TRACE:-'main,worker,fib,checksum,*square*@libdemo.so'}
mkdir -p "$D"

CFLAGS="-O2 -g -Wall -fpatchable-function-entry=2"
# shellcheck disable=SC2086 # CFLAGS: several words
$CC $CFLAGS -fPIC -shared -o "$D/libdemo.so" examples/demo_lib.c
# shellcheck disable=SC2016,SC2086 # $ORIGIN is for the dynamic linker
$CC $CFLAGS -Iexamples -o "$D/demo" examples/demo_main.c -L"$D" -ldemo \
	-Wl,-rpath,'$ORIGIN' -pthread

# The command, exactly as it runs. PFE_* go in the environment, which the
# program inherits (through qemu too: qemu's -E would split the value at
# its commas); only LD_PRELOAD goes through -E, or it would load libpfe
# into qemu itself.
if [ -n "$QEMU" ]; then
	# shellcheck disable=SC2086 # $QEMU may carry options
	set -- $QEMU -E LD_PRELOAD="$LIBPFE" "$D/demo"
else
	set -- env LD_PRELOAD="$LIBPFE" "$D/demo"
fi
echo "\$ PFE_TRACE='$SPEC' PFE_OUTPUT=$D/trace.txt $*"
rm -f "$D/trace.txt"
PFE_TRACE="$SPEC" PFE_OUTPUT="$D/trace.txt" "$@"
echo
echo "--- $D/trace.txt: <tid> <seconds since start> <function> <- <caller>+<offset>"
echo "--- (each thread's lines are in call order in the file; shown merged by time)"
if [ -s "$D/trace.txt" ]; then
	sort -s -n -k2,2 "$D/trace.txt"
else
	echo "(no trace written)"
fi
