#!/bin/sh
# Runs every unit test (cmocka, TAP output) and integration script, counts
# their TAP lines, and closes with "N passed, N failed, N skipped".
#
# A script passes only when it exits 0, ran at least one check, printed its
# plan ("1..N", from `plan N` in tests/lib.sh; cmocka prints its own) and ran
# exactly N checks: an assertion that never ran is a failure, not a pass.
# "ok - name # SKIP reason" is a skip: shown with its reason and counted
# apart, never as a pass. "not ok - name # TODO reason" is a known open
# target (e.g. a bench figure an issue is about): shown, counted as skipped.
# Each script gets TEST_TIMEOUT seconds (default 180, far below CI's 90
# minutes; a script may ask for more with a "# test-timeout: N" line, as the
# bench smoke test does), and tests/lib.sh gives each program it runs
# RUN_TIMEOUT (default 30): a hang becomes a failure, not a stalled run.
#
# Environment: QEMU (empty on arm64 hosts), CC, OBJDUMP, B (build dir).
# TESTS="glob" limits the run, e.g. TESTS='*trace*' make check.
# TEST_DIR (default tests/integ) and UNIT_DIR (default $B/tests/unit) say
# where the scripts and unit test binaries are (tests/integ/t_runner.sh
# points them at scripts made to fail).
set -u
B=${B:-build}
QEMU=${QEMU-qemu-aarch64}
TEST_TIMEOUT=${TEST_TIMEOUT:-180}
TEST_DIR=${TEST_DIR:-tests/integ}
UNIT_DIR=${UNIT_DIR:-$B/tests/unit}
LIBPFE="$(pwd)/$B/libpfe.so"
TOP="$(pwd)"
export B QEMU CC OBJDUMP LIBPFE TOP
pattern=${TESTS:-*}
log="$B/tests/log"
mkdir -p "$log"
pass=0
fail=0
skip=0

# count NAME STATUS OUTPUT: tally the TAP lines of one test; add "not ok"
# lines to OUTPUT for what the runner itself finds wrong.
count() {
	awk -v status="$2" -v limit="${TIMEOUT_NOW:-$TEST_TIMEOUT}" '
		/^1\.\.[0-9]+/ { plans++; planned += substr($1, 4) + 0; next }
		/^Bail out!/ { bail = $0; next }
		/^(not )?ok( |$)/ {
			checks++
			if ($0 ~ /# *[Ss][Kk][Ii][Pp]([ \t]|$)/ || ($0 ~ /^not ok/ && $0 ~ /# *TODO([ \t]|$)/))
				s++
			else if ($0 ~ /^ok/) p++
			else f++
		}
		END {
			if (status == 124 || status == 137)
				{ print "not ok - timed out after " limit " s (TEST_TIMEOUT)"; f++; cut = 1 }
			else if (status != 0 && f == 0)
				{ print "not ok - exited with status " status; f++ }
			if (bail != "") { print "not ok - " bail; f++; cut = 1 }
			if (cut) ;
			else if (checks == 0 && f == 0) { print "not ok - ran no check"; f++ }
			else if (plans == 0 && f == 0) { print "not ok - declared no plan (plan N in tests/lib.sh)"; f++ }
			else if (plans > 0 && checks != planned)
				{ print "not ok - planned " planned " checks, ran " checks + 0; f++ }
			print "#counts " p + 0, f + 0, s + 0
		}' "$3" >"$3.verdict"
	grep -v '^#counts ' "$3.verdict" >>"$3"
	# shellcheck disable=SC2046 # three numbers
	set -- "$1" "$3" $(sed -n 's/^#counts //p' "$3.verdict")
	rm -f "$2.verdict"
	pass=$((pass + $3))
	fail=$((fail + $4))
	skip=$((skip + $5))
	sk=""
	[ "$5" -eq 0 ] || sk=", $5 skipped"
	if [ "$4" -ne 0 ]; then
		echo "FAIL $1 ($3 passed, $4 failed$sk)"
		grep -v '^ok ' "$2" | grep -v '^1\.\.' | grep -viE '^not ok.*# *todo' |
			sed 's/^/    /' | head -60
	else
		echo "PASS $1 ($3$sk)"
	fi
	grep -iE '^(not )?ok.*# *(skip|todo)' "$2" | sed 's/^/    /'
}

for t in "$UNIT_DIR"/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	# shellcheck disable=SC2254 # TESTS is a glob
	case "$n" in $pattern) ;; *) continue ;; esac
	out="$log/$n.out"
	# shellcheck disable=SC2086 # $QEMU may carry options
	if [ -n "$QEMU" ]; then
		CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 "$TEST_TIMEOUT" $QEMU "$t" >"$out" 2>&1
	else
		CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 "$TEST_TIMEOUT" "$t" >"$out" 2>&1
	fi
	count "unit/$n" $? "$out"
done

for t in "$TEST_DIR"/t_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	# shellcheck disable=SC2254
	case "$n" in $pattern) ;; *) continue ;; esac
	out="$log/$n.out"
	# A script that needs longer says so in a "# test-timeout: N" line.
	lim=$(sed -n 's/^# test-timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -1)
	timeout -k 5 "${lim:-$TEST_TIMEOUT}" sh "$t" >"$out" 2>&1
	TIMEOUT_NOW=${lim:-$TEST_TIMEOUT} count "integ/$n" $? "$out"
done

if [ "$skip" -ne 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
