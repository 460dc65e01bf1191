#!/bin/sh
# pfe record: the program runs with libpfe preloaded and PFE_RECORD set,
# under qemu when it is for another architecture (PFE_QEMU overrides); its
# stdin, stdout, stderr and exit status (or signal) pass through; an
# existing recording moves to DIR.old; each error: one line, non-zero status.
. tests/lib.sh
plan 19
PFE=$TOP/$B/pfe
tcc -O2 -o "$T/app" "$TOP/tests/progs/pfe_rec_app.c"
cd "$T" || exit 1
LIB=$(cd "$TOP/$B" && pwd)/libpfe.so

printf 'line 1\nline 2\n' | "$PFE" record -d rec -- ./app 3 >out 2>err
expect_status "the program's exit status" 3 $?
expect_eq "stdin to stdout" "line 1
line 2" "$(cat out)"
expect_eq "its environment: PFE_RECORD, every function, exits, libpfe mapped" \
	"PFE_RECORD=rec PFE_TRACE=* PFE_GRAPH=1 libpfe=$LIB" "$(grep '^PFE_RECORD' err)"
expect_eq "the recording directory exists" yes "$([ -d rec ] && echo yes)"

mkdir -p rec/1 && echo 'format pfe-record 1' >rec/1/info # an earlier recording
"$PFE" record -f 'main,*::area' -e -d rec ./app </dev/null >/dev/null 2>err
expect_status "-f, -e: status 0" 0 $?
expect_eq "-f patterns, -e entries only" \
	"PFE_RECORD=rec PFE_TRACE=main,*::area PFE_GRAPH=(unset) libpfe=$LIB" "$(grep '^PFE_RECORD' err)"
expect_eq "the previous recording moved to rec.old" yes \
	"$([ -f rec.old/1/info ] && [ -d rec ] && [ ! -e rec/1 ] && echo yes)"

"$PFE" record -d rec ./app 0 15 </dev/null >/dev/null 2>/dev/null
expect_status "a program killed by SIGTERM: pfe ends the same way" 143 $?

# PFE_QEMU: the emulator pfe runs a foreign program under.
if [ -n "$QEMU" ]; then
	printf '#!/bin/sh\necho "emulator: $*" >&2\nexec %s "$@"\n' "$(command -v "$QEMU")" >myqemu
	chmod +x myqemu
	PFE_QEMU=./myqemu "$PFE" record -d rec ./app 4 </dev/null >/dev/null 2>err
	expect_status "PFE_QEMU: status" 4 $?
	expect_eq "PFE_QEMU: used with -E LD_PRELOAD" "emulator: -E LD_PRELOAD=$LIB ./app 4" \
		"$(grep '^emulator' err)"
else
	skip "PFE_QEMU: status" "native host: no emulator"
	skip "PFE_QEMU: used with -E LD_PRELOAD" "native host: no emulator"
fi

# PFE_LIB names the library.
mkdir other
cp "$LIB" other/libpfe.so
PFE_LIB=$(pwd)/other/libpfe.so "$PFE" record -d rec ./app </dev/null >/dev/null 2>err
expect_eq "PFE_LIB" "libpfe=$(pwd)/other/libpfe.so" "$(sed -n 's/.* \(libpfe=.*\)/\1/p' err)"

err_case() {
	name=$1 want=$2 re=$3
	shift 3
	"$@" </dev/null >/dev/null 2>err
	st=$?
	if [ "$st" -eq "$want" ] && [ "$(wc -l <err)" -eq 1 ] && grep -Eq -- "$re" err; then
		pass "error: $name"
	else
		fail "error: $name" "status $st (expected $want), stderr:" "$(cat err)"
	fi
}
printf '#!/bin/sh\necho hi\n' >script.sh
chmod +x script.sh
err_case "no program" 2 '^pfe: record: expected a program to run' "$PFE" record -d rec
err_case "program not found" 127 '^pfe: record: cannot run no-such-prog: not found in PATH' \
	"$PFE" record -d rec no-such-prog
err_case "program not executable" 127 '^pfe: record: cannot run ./out: Permission denied' \
	"$PFE" record -d rec ./out
err_case "not an ELF program" 127 '^pfe: record: cannot run ./script.sh: not an ELF program' \
	"$PFE" record -d rec ./script.sh
err_case "PFE_LIB missing" 1 '^pfe: record: PFE_LIB=/nonexistent/libpfe.so: No such file' \
	env PFE_LIB=/nonexistent/libpfe.so "$PFE" record -d rec ./app
mkdir notrec && echo precious >notrec/file
err_case "a directory that is not a recording" 1 \
	'^pfe: record: notrec exists and is not a recording' "$PFE" record -d notrec ./app
expect_eq "... is left alone" precious "$(cat notrec/file)"
err_case "malformed -f" 2 "^pfe: record: -f 'a,,b': empty term at offset 2" \
	"$PFE" record -f 'a,,b' -d rec ./app
