#!/bin/sh
# The public hook API on a program built with -fpatchable-function-entry=2
# (and =4,2, NOPs before the symbol too): arguments in x0-x8, q0-q7 and the
# static chain x18 survive a hook that clobbers them; a hook changes an
# argument, the pc (the function is replaced) and lr; detaching puts back
# `mov x9, x30; nop`; the site holds `mov x9, x30; bl` while attached.
. tests/lib.sh
. tests/integ/hooks_common.sh
plan 15

for v in "h2:-fpatchable-function-entry=2" "h42:-fpatchable-function-entry=4,2" \
	"h2nopie:-fpatchable-function-entry=2 -no-pie"; do
	name=${v%%:*}
	# shellcheck disable=SC2086
	tcc -O2 -I"$TOP/include" -o "$T/$name" "$P/hooks_app.c" -ldl ${v#*:}
	hooks_check "$name" "$T/$name"
done
