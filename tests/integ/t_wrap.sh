#!/bin/sh
# Wrappers that call the original through libffi (tests/progs/wrap_app.c):
# times10 wrapped to 20x+1 (argument doubled, result plus one), attached and
# detached 20 times while another thread calls it (every result plain or
# wrapped, exact sums); a recursive wrapped function; double/string/int
# arguments; errors. Plain, and BTI+PAC on a CPU that enforces both: the
# body past the patch site is no landing pad, so libffi's `blr` must not
# reach it directly. The same program built without
# -fpatchable-function-entry (d2, dbti): every function a dynamic site, whose
# original is the stub's relocated first instruction (arch/arm64/dynstub.c),
# reached after the `paciasp` of sum() in dbti.
. tests/lib.sh
plan 16
P=$TOP/tests/progs

cat >"$T/want" <<'END'
outside a hook: -22
wrapped: times10(5) 101
detached: times10(5) 50
wrapped: sum(4) 5010
detached: sum(4) 10
wrapped: scale(1.5, "xy", 2) 16.000
without a signature: -22, times10(1) 10
attach times10 (long: Invalid argument
attach times10 (long)->blob: Invalid argument
threaded: all calls plain or wrapped, other 0, call errors 0
threaded: wrapped at least 29 per attach: yes, plain too: yes
wrapper runs match wrapped results: yes
END

BTI_LINK="-mbranch-protection=standard -nostartfiles -z force-bti -Wl,--fatal-warnings"
for v in "w2:-fpatchable-function-entry=2" \
	"wbti:-fpatchable-function-entry=2 $BTI_LINK $P/bti_start.S" \
	"d2:" "dbti:$BTI_LINK $P/bti_start.S"; do
	name=${v%%:*}
	# shellcheck disable=SC2086
	tcc -O2 -I"$TOP/include" -o "$T/$name" "$P/wrap_app.c" -ldl -lpthread ${v#*:}
	if [ "$name" = wbti ] || [ "$name" = dbti ]; then
		QEMU_CPU=max
		export QEMU_CPU
	fi
	trun "$T/$name" >"$T/$name.plain" 2>&1
	expect_eq "$name: runs without libpfe" "libpfe: absent" "$(cat "$T/$name.plain")"
	prun "$T/$name" >"$T/$name.out" 2>"$T/$name.err"
	expect_status "$name: runs with libpfe" 0 $?
	expect_file "$name: exact output" "$T/want" "$T/$name.out"
	case $name in
	d*) want_err="libpfe: $(realpath "$T/$name"): no __patchable_function_entries section (build with -fpatchable-function-entry=2); only its functions' dynamic sites can be traced" ;;
	*) want_err= ;;
	esac
	expect_eq "$name: nothing on stderr but the note on a program without the flag" \
		"$want_err" "$(cat "$T/$name.err")"
done
