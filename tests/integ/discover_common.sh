# shellcheck shell=sh
# Shared by tests/integ/t_discover_*.sh (sourced after tests/lib.sh).
# Builds programs from tests/progs and checks what PFE_LIST reports against
# the binutils' view of the same files.
# Its variables are for the scripts that source it:
# shellcheck disable=SC2034
: "${OBJDUMP:=aarch64-linux-gnu-objdump}"
BU=${OBJDUMP%objdump}		# binutils prefix: aarch64-linux-gnu- or empty
NM=${BU}nm
READELF=${BU}readelf
STRIP=${BU}strip
OBJCOPY=${BU}objcopy
P=$TOP/tests/progs
CFLAGS_DISC="-O2"

# expected LABEL FILE NAME[=SHOWN]...: the PFE_LIST lines for the functions
# NAME of FILE, by address: the address from nm, " bti" when objdump shows
# `bti c` at the symbol, and SHOWN (e.g. ?) in place of the name when given.
expected() {
	_label=$1 _file=$2
	shift 2
	for _n in "$@"; do
		_shown=${_n#*=}
		_n=${_n%%=*}
		_a=$($NM "$_file" | awk -v n="$_n" '($2 == "T" || $2 == "t") && $3 == n { print $1; exit }')
		if [ -z "$_a" ]; then
			echo "not ok - nm finds no function $_n in $_file"
			exit 1
		fi
		_b=
		if $OBJDUMP -d --start-address="0x$_a" --stop-address="$(printf '0x%x' $((0x$_a + 4)))" \
			"$_file" | grep -Eq '[[:space:]]bti[[:space:]]+c'; then
			_b=" bti"
		fi
		printf '%s %s 0x%x %s%s\n' "$_a" "$_label" $((0x$_a)) "$_shown" "$_b"
	done | sort | cut -d' ' -f2-
}

# list NAME PROG...: run PROG without and with libpfe (PFE_LIST to a file).
# Leaves $T/NAME.{ref,out,err,list,rc}.
list() {
	_l=$1
	shift
	trun "$@" >"$T/$_l.ref" 2>&1
	PFE_LIST="$(pwd)/$T/$_l.list" prun "$@" >"$T/$_l.out" 2>"$T/$_l.err"
	echo $? >"$T/$_l.rc"
}

# check_run NAME [STDERR]: the run of `list NAME` exited 0, printed what the
# program prints without libpfe, and wrote exactly STDERR (default nothing).
check_run() {
	expect_eq "$1: exit status" 0 "$(cat "$T/$1.rc")"
	expect_file "$1: program output unchanged" "$T/$1.ref" "$T/$1.out"
	expect_eq "$1: stderr" "${2:-}" "$(cat "$T/$1.err")"
}

# check_list NAME EXPECTED_FILE: PFE_LIST wrote exactly these lines.
check_list() {
	expect_file "$1: sites listed" "$2" "$T/$1.list"
}
