#!/bin/sh
# Runs every unit test (cmocka, TAP output) and integration script, counts
# "ok" / "not ok" lines, and closes with "N passed, N failed".
# Environment: QEMU (empty on arm64 hosts), CC, OBJDUMP, B (build dir).
# TESTS="glob" limits the run, e.g. TESTS='*trace*' make check.
set -u
B=${B:-build}
export B QEMU CC OBJDUMP
export LIBPFE="$(pwd)/$B/libpfe.so"
export TOP="$(pwd)"
pattern=${TESTS:-*}
log="$B/tests/log"
mkdir -p "$log"
pass=0
fail=0

count() {	# $1: name, $2: exit status, $3: output file
	p=$(grep -c '^ok ' "$3")
	f=$(grep -c '^not ok ' "$3")
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited with status $2" >>"$3"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 ran no test" >>"$3"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		echo "FAIL $1 ($p passed, $f failed)"
		grep -v '^ok ' "$3" | sed 's/^/    /' | head -60
	else
		echo "PASS $1 ($p)"
	fi
}

for t in $B/tests/unit/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	case "$n" in $pattern) ;; *) continue ;; esac
	out="$log/$n.out"
	if [ -n "$QEMU" ]; then
		CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 $QEMU "$t" >"$out" 2>&1
	else
		CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" >"$out" 2>&1
	fi
	count "unit/$n" $? "$out"
done

for t in tests/integ/t_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	case "$n" in $pattern) ;; *) continue ;; esac
	out="$log/$n.out"
	timeout 600 sh "$t" >"$out" 2>&1
	count "integ/$n" $? "$out"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
