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

# Run a target program without libpfe.
trun() {
	if [ -n "$QEMU" ]; then $QEMU "$@"; else "$@"; fi
}

# Run a target program with libpfe preloaded. QEMU_CPU=max in the caller's
# environment selects a CPU that enforces BTI and PAC.
prun() {
	if [ -n "$QEMU" ]; then
		$QEMU -E LD_PRELOAD="$LIBPFE" "$@"
	else
		LD_PRELOAD="$LIBPFE" "$@"
	fi
}

pass() { echo "ok - $1"; }
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
	if [ "$2" -eq "$3" ]; then pass "$1"; else fail "$1" "exit status $3, expected $2"; fi
}

# plan N: this script runs exactly N checks (a TAP plan line, "1..N").
# tests/run.sh fails a script whose count of ok/not ok lines differs.
plan() { echo "1..$1"; }
