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
$CC $CFLAGS -fPIC -shared -o "$D/libdemo.so" examples/demo_lib.c
$CC $CFLAGS -Iexamples -o "$D/demo" examples/demo_main.c -L"$D" -ldemo \
	-Wl,-rpath,'$ORIGIN' -pthread

echo "\$ PFE_TRACE='$SPEC' PFE_OUTPUT=$D/trace.txt LD_PRELOAD=$B/libpfe.so $D/demo"
rm -f "$D/trace.txt"
# PFE_TRACE goes through qemu's own environment, which the program inherits:
# qemu's -E splits its argument at commas. LD_PRELOAD must not (it would load
# libpfe into qemu itself).
export PFE_TRACE="$SPEC" PFE_OUTPUT="$D/trace.txt"
if [ -n "$QEMU" ]; then
	$QEMU -E LD_PRELOAD="$LIBPFE" "$D/demo"
else
	LD_PRELOAD="$LIBPFE" "$D/demo"
fi
echo
echo "--- $D/trace.txt: <tid> <seconds since start> <function> <- <caller>+<offset>"
echo "--- (each thread's lines are in call order in the file; shown merged by time)"
if [ -s "$D/trace.txt" ]; then
	sort -s -n -k2,2 "$D/trace.txt"
else
	echo "(no trace written)"
fi
