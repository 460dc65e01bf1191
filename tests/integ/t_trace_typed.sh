#!/bin/sh
# PFE_TRACE with signatures (tests/progs/typed_app.c): int, long, unsigned,
# pointer, string (escaped, NULL, unmapped, cut at 32 bytes), float, double,
# char, bool, u8, short, 18 mixed arguments (the ninth integer and double on
# the stack), string and void results; exact lines with the thread id, the
# time, the caller offsets and the durations masked. Then PFE_GRAPH=1: the
# same calls nested with their results and durations; fib's recursion.
. tests/lib.sh
plan 11
. tests/integ/typed_common.sh

mask() {
	sed -E -e 's/^[0-9]+ [0-9]+\.[0-9]{6} /T S /' -e 's/^[0-9]+ \| /T | /' \
		-e 's/\+0x[0-9a-f]+$/+X/' -e 's/\([0-9]+\.[0-9]{3} us\)$/(D us)/' \
		-e 's/0x[0-9a-f]{6,}/PTR/g' "$1"
}

PFE_TRACE=$SPEC PFE_OUTPUT="$(pwd)/$T/plain.trace" prun "$T/typed" >"$T/plain.out" 2>"$T/plain.err"
expect_status "plain: runs" 0 $?
expect_file "plain: program output unchanged" "$T/ref" "$T/plain.out"
expect_eq "plain: nothing on stderr" "" "$(cat "$T/plain.err")"
mask "$T/plain.trace" >"$T/plain.masked"
cat >"$T/plain.want" <<'END'
T S t_int(2, -3) <- main+X
T S t_int = -1
T S t_long(-5, 7) <- main+X
T S t_long = -17
T S t_ptr(PTR) <- main+X
T S t_ptr = PTR
T S t_str("a\"b\n") <- main+X
T S t_str = 1
T S t_str(NULL) <- main+X
T S t_str = 0
T S t_str((bad 0x10)) <- main+X
T S t_str = 1
T S t_str("01234567890123456789012345678901"...) <- main+X
T S t_str = 1
T S t_dbl(1.25, 4) <- main+X
T S t_dbl = 5
T S t_char('x', true, 200, -5) <- main+X
T S t_char = 'x'
T S t_many(1, 0.5, 2, 0.5, 3, 0.5, 4, 0.5, 5, 0.5, 6, 0.5, 7, 0.5, 8, 0.5, 9, 2.5) <- main+X
T S t_many = 51
T S t_name(1) <- main+X
T S t_name = "one"
T S fib(3) <- main+X
T S fib(2) <- fib+X
T S fib(1) <- fib+X
T S fib = 1
T S fib(0) <- fib+X
T S fib = 0
T S fib = 1
T S fib(1) <- fib+X
T S fib = 1
T S fib = 2
T S t_void <- main+X
END
expect_file "plain: exact typed lines" "$T/plain.want" "$T/plain.masked"

PFE_GRAPH=1 PFE_TRACE=$SPEC PFE_OUTPUT="$(pwd)/$T/graph.trace" prun "$T/typed" \
	>"$T/graph.out" 2>"$T/graph.err"
expect_status "graph: runs" 0 $?
expect_file "graph: program output unchanged" "$T/ref" "$T/graph.out"
expect_eq "graph: nothing on stderr" "" "$(cat "$T/graph.err")"
mask "$T/graph.trace" >"$T/graph.masked"
cat >"$T/graph.want" <<'END'
T | t_int(2, -3) {
T | } t_int = -1 (D us)
T | t_long(-5, 7) {
T | } t_long = -17 (D us)
T | t_ptr(PTR) {
T | } t_ptr = PTR (D us)
T | t_str("a\"b\n") {
T | } t_str = 1 (D us)
T | t_str(NULL) {
T | } t_str = 0 (D us)
T | t_str((bad 0x10)) {
T | } t_str = 1 (D us)
T | t_str("01234567890123456789012345678901"...) {
T | } t_str = 1 (D us)
T | t_dbl(1.25, 4) {
T | } t_dbl = 5 (D us)
T | t_char('x', true, 200, -5) {
T | } t_char = 'x' (D us)
T | t_many(1, 0.5, 2, 0.5, 3, 0.5, 4, 0.5, 5, 0.5, 6, 0.5, 7, 0.5, 8, 0.5, 9, 2.5) {
T | } t_many = 51 (D us)
T | t_name(1) {
T | } t_name = "one" (D us)
T | fib(3) {
T |   fib(2) {
T |     fib(1) {
T |     } fib = 1 (D us)
T |     fib(0) {
T |     } fib = 0 (D us)
T |   } fib = 1 (D us)
T |   fib(1) {
T |   } fib = 1 (D us)
T | } fib = 2 (D us)
T | t_void() {
T | } t_void (D us)
END
expect_file "graph: exact nested lines" "$T/graph.want" "$T/graph.masked"
# t_ptr returns its argument + 16.
a=$(sed -n 's/.*t_ptr(0x\([0-9a-f]*\)) {$/\1/p' "$T/graph.trace")
r=$(sed -n 's/.*} t_ptr = 0x\([0-9a-f]*\) .*/\1/p' "$T/graph.trace")
expect_eq "graph: pointer result = argument + 16" "$(printf '%x' $((0x${a:-0} + 16)))" "${r:-none}"

PFE_TRACE='t_int(int,blob)->int' PFE_OUTPUT="$(pwd)/$T/bad.trace" prun "$T/typed" \
	>"$T/bad.out" 2>"$T/bad.err"
expect_file "bad signature: program output unchanged" "$T/ref" "$T/bad.out"
expect_eq "bad signature: one line on stderr" \
	"libpfe: PFE_TRACE: t_int: unknown type 'blob'" "$(cat "$T/bad.err")"
