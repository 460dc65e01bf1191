# shellcheck shell=sh
# Helpers for integration scripts (tests/integ/t_*.sh), sourced as
#   . tests/lib.sh
# Each check prints one TAP line: "ok - name" or "not ok - name" followed by
# "# " lines saying what differed. tests/run.sh counts them.
set -u
: "${B:=build}" "${CC:=aarch64-linux-gnu-gcc}" "${QEMU-qemu-aarch64}"
: "${LIBPFE:=$(pwd)/$B/libpfe.so}"
T="$B/tests/integ/$(basename "$0" .sh)"
rm -rf "$T"
mkdir -p "$T"

# Compile for the target: tcc -o out src.c [flags...]. Fails the script on error.
tcc() {
	$CC -g -Wall -Werror "$@" || { echo "not ok - compile: $*"; exit 1; }
}

# Every program a test runs gets RUN_TIMEOUT seconds (default 30): a hang
# fails its check within a minute instead of stalling the whole run.
: "${RUN_TIMEOUT:=30}"

# Run a target program without libpfe: under $QEMU, or directly when QEMU
# is empty (an arm64 host, or binfmt_misc running arm64 programs).
trun() {
	# $QEMU may carry options: split on purpose.
	# shellcheck disable=SC2086
	if [ -n "$QEMU" ]; then
		timeout -k 5 "$RUN_TIMEOUT" $QEMU "$@"
	else
		timeout -k 5 "$RUN_TIMEOUT" "$@"
	fi
}

# Run a target program with libpfe preloaded. LD_PRELOAD reaches only the
# program: qemu gets it through -E (else libpfe would load into qemu), and
# without qemu through env(1) (else into timeout(1)). With QEMU empty on a
# host that is not arm64, binfmt_misc runs the program under qemu-aarch64,
# a host program whose own ld.so would complain about an arm64 LD_PRELOAD:
# QEMU_SET_ENV hands it to the program only. Everything else the program
# needs (PFE_*) goes in the caller's environment, which the program
# inherits: qemu's -E would split a value at its commas. QEMU_CPU=max in the
# caller's environment selects a CPU that enforces BTI and PAC.
prun() {
	# shellcheck disable=SC2086
	if [ -n "$QEMU" ]; then
		timeout -k 5 "$RUN_TIMEOUT" $QEMU -E LD_PRELOAD="$LIBPFE" "$@"
	elif [ "$(uname -m)" != aarch64 ]; then
		timeout -k 5 "$RUN_TIMEOUT" env QEMU_SET_ENV=LD_PRELOAD="$LIBPFE" "$@"
	else
		timeout -k 5 "$RUN_TIMEOUT" env LD_PRELOAD="$LIBPFE" "$@"
	fi
}

pass() { echo "ok - $1"; }
# skip NAME REASON: a check that cannot run here, and why. tests/run.sh
# counts it as skipped, not passed; it still counts towards the plan.
skip() { echo "ok - $1 # SKIP $2"; }
fail() {
	echo "not ok - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}

# expect_eq NAME EXPECTED ACTUAL: strings equal.
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		echo "not ok - $1"
		echo "# expected:"; printf '%s\n' "$2" | sed 's/^/#   /'
		echo "# actual:"; printf '%s\n' "$3" | sed 's/^/#   /'
	fi
}

# expect_file NAME EXPECTED_FILE ACTUAL_FILE: files equal, diff on failure.
expect_file() {
	if cmp -s "$2" "$3"; then pass "$1"; else
		echo "not ok - $1"
		diff -u "$2" "$3" | head -40 | sed 's/^/# /'
	fi
}

# expect_grep NAME REGEX FILE: FILE has a line matching REGEX.
expect_grep() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else
		fail "$1" "no line matches /$2/ in $3:"
		head -20 "$3" | sed 's/^/#   /'
	fi
}

# expect_status NAME WANT GOT
expect_status() {
	if [ "$2" -eq "$3" ]; then
		pass "$1"
	elif [ "$3" -eq 124 ] || [ "$3" -eq 137 ]; then
		fail "$1" "exit status $3, expected $2: timed out (RUN_TIMEOUT=$RUN_TIMEOUT s)"
	else
		fail "$1" "exit status $3, expected $2"
	fi
}

# plan N: this script runs exactly N checks (a TAP plan line, "1..N").
# tests/run.sh fails a script whose count of ok/not ok lines differs.
plan() { echo "1..$1"; }
