#!/bin/sh
# libpfe's own calls never reach the trace (tests/progs/interpose_app.c): a
# program defining malloc, free and memcpy itself, with those traced, shows
# only its own calls to them — flat and graph mode, with the tracer started
# through PFE_CONTROL (the control thread's work), and across dlopen (the
# discovery of the new object) and fork (the fork handlers). Before the
# recursion guard covered libpfe's entry points, the constructor alone added
# "free <- libpfe.so+0x..." lines before main.
. tests/lib.sh
P=$TOP/tests/progs
plan 8

tcc -O1 -fno-builtin -rdynamic -fpatchable-function-entry=2 -o "$T/ip" "$P/interpose_app.c" -ldl
TR=free,malloc,memcpy,main,work

# names FILE: "function <- caller" per trace line, offsets dropped.
names() {
	sed -n 's/^[0-9][0-9]* [0-9.][0-9.]* \([^ ]*\) <- \([^+ ]*\)+0x[0-9a-f]*$/\1 <- \2/p' "$1"
}
WORK='work <- main
malloc <- work
memcpy <- work
free <- work'

PFE_TRACE=$TR PFE_OUTPUT=$T/flat prun "$T/ip" >"$T/flat.out" 2>&1
expect_eq "flat: only the program's calls" "main <- libc.so.6
$WORK" "$(names "$T/flat")"
expect_eq "flat: every line is a call line" "5" "$(wc -l <"$T/flat" | tr -d ' ')"
expect_eq "flat: output, nothing on stderr" "interposed" "$(cat "$T/flat.out")"

PFE_GRAPH=1 PFE_TRACE=$TR PFE_OUTPUT=$T/graph prun "$T/ip" >/dev/null 2>&1
expect_eq "graph: only the program's calls" "| main() {
|   work() {
|     malloc() {
|     } malloc
|     memcpy() {
|     } memcpy
|     free() {
|     } free
|   } work
| } main" "$(sed 's/^[0-9]* //; s/ ([0-9.]* us)$//' "$T/graph")"

rm -f "$T/fifo" "$T/log"
PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/log PFE_OUTPUT=$T/ctl \
	prun "$T/ip" control "$T/fifo" "$T/log" >/dev/null 2>"$T/ctl.err"
expect_eq "control: only the program's calls" "$WORK" "$(names "$T/ctl")"
expect_eq "control: both commands done" "ok trace malloc,memcpy,free,work
ok trace off" "$(cat "$T/log"; cat "$T/ctl.err")"

# dlopen: the real dlopen's allocations are the program's request (callers
# in ld.so) and stay; libpfe's discovery of libm (libelf, libpfe) must not.
PFE_TRACE=$TR PFE_OUTPUT=$T/more prun "$T/ip" more >/dev/null 2>&1
expect_eq "dlopen, fork: no caller in libpfe or libelf" "" \
	"$(grep -E ' <- (libpfe|libelf)' "$T/more")"
expect_eq "dlopen, fork: the calls of parent and child" "$(printf '%s\n%s\n' "$WORK" "$WORK" | sort)" \
	"$(names "$T/more" | grep -E ' <- (main|work)$' | grep -v '^main' | sort)"
