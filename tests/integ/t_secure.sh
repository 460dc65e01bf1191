#!/bin/sh
# Under AT_SECURE (setuid, setgid, file capabilities) libpfe does nothing
# and says so once: no site patched, no trace, no PFE_OUTPUT, PFE_LIST or
# PFE_CONTROL file created, although every PFE_* asks for them and the
# directory is writable (tests/progs/secure_app.c, linked with libpfe.so).
#
# How AT_SECURE is had for real, as root: natively, a copy of the program
# set-user-ID to nobody. Under qemu-user that does not work (binfmt_misc
# without its C flag ignores the program's set-user-ID bit, and the program
# is not what the kernel executes), but qemu-aarch64 hands the guest the
# AT_SECURE the kernel gave qemu itself: so a set-user-ID copy of qemu.
# Not root, or no user nobody: skipped, saying so.
. tests/lib.sh
P=$TOP/tests/progs
plan 6

D=$(mktemp -d /tmp/pfe-secure.XXXXXX)
trap 'rm -rf "$D"' EXIT
chmod 755 "$D"
mkdir "$D/w"
chmod 1777 "$D/w"
cp "$LIBPFE" "$D/libpfe.so"
chmod 755 "$D/libpfe.so"
tcc -O2 -fpatchable-function-entry=2 -o "$D/secure_app" "$P/secure_app.c" -L"$D" -Wl,--no-as-needed -lpfe \
	-Wl,-rpath,"$D"
chmod 755 "$D/secure_app"

run() {	# run [PREFIX...]: the program with every PFE_* that writes a file
	PFE_TRACE=f,main PFE_OUTPUT="$D/w/out" PFE_LIST="$D/w/list" PFE_CONTROL="$D/w/fifo" \
		"$@" >"$D/out" 2>"$D/err"
}

# Without AT_SECURE the same program is patched and writes its files: the
# checks below can tell.
run trun "$D/secure_app"
expect_eq "not secure: patched, traced, files written" \
	"AT_SECURE=0 f: mov x9, x30; bl = 2
files: fifo list out
traced: f" "$(cat "$D/out"; echo "files: $(cd "$D/w" && echo *)"
	echo "traced: $(awk '$3 == "f" {print $3}' "$D/w/out")")"
rm -f "$D/w/"*

why=
if [ "$(id -u)" != 0 ]; then
	why="needs root to make a set-user-ID copy"
elif ! id nobody >/dev/null 2>&1; then
	why="no user nobody to make a set-user-ID copy for"
elif [ "$(uname -m)" != aarch64 ]; then
	q=$(command -v "${QEMU:-qemu-aarch64}")
	cp "$q" "$D/qemu" && chown nobody "$D/qemu" && chmod 4755 "$D/qemu" ||
		why="cannot make a set-user-ID copy of ${QEMU:-qemu-aarch64}"
else
	cp "$D/secure_app" "$D/secure_suid" && chown nobody "$D/secure_suid" &&
		chmod 4755 "$D/secure_suid" || why="cannot make a set-user-ID copy"
fi
if [ -z "$why" ]; then
	if [ -x "$D/qemu" ]; then
		run "$D/qemu" "$D/secure_app"
	else
		run "$D/secure_suid"
	fi
	status=$?
	case $(cat "$D/out") in AT_SECURE=0*)
		why="the set-user-ID copy ran without AT_SECURE ($D mounted nosuid?)" ;;
	esac
fi
if [ -n "$why" ]; then
	for c in "secure: runs" "secure: nothing patched" "secure: said once" \
		"secure: no file created" "secure: no trace"; do
		skip "$c" "$why"
	done
	exit 0
fi
expect_status "secure: runs" 0 "$status"
expect_eq "secure: nothing patched" "AT_SECURE=1 f: nop; nop = 2" "$(cat "$D/out")"
expect_eq "secure: said once" \
	"libpfe: AT_SECURE process (setuid, setgid or capabilities): libpfe stays inactive" \
	"$(cat "$D/err")"
expect_eq "secure: no file created" "" "$(cd "$D/w" && find . -mindepth 1)"
expect_eq "secure: no trace" "0" "$(grep -c ' <- ' "$D/out" "$D/err" | awk -F: '{s += $2} END {print s}')"
