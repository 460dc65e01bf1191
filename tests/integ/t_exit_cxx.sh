#!/bin/sh
# C++ exceptions thrown through three functions with exit hooks, caught in a
# traced function and in main; destructors on the way run (phase 2 cleanup);
# pthread_exit (a forced unwind) through two traced frames; the counts after
# each are exact: the frames an exception or pthread_exit leaves get their
# exit hook with PFE_RET_UNWOUND by the time the handler runs (or the thread
# ends). Plain and BTI+PAC (QEMU_CPU=max).
. tests/lib.sh
plan 6
P=$TOP/tests/progs
CXX=${CC%gcc}g++

cat >"$T/want" <<'END'
throw 0: catcher -1 entries 4 exits 1 unwound 3 dtors 1
no throw 0: catcher 2 entries 4 exits 4 unwound 0 dtors 1
throw 1: catcher -1 entries 4 exits 1 unwound 3 dtors 1
no throw 1: catcher 2 entries 4 exits 4 unwound 0 dtors 1
throw 2: catcher -1 entries 4 exits 1 unwound 3 dtors 1
no throw 2: catcher 2 entries 4 exits 4 unwound 0 dtors 1
caught in main: boom entries 3 exits 0 unwound 3
pthread_exit: 42 entries 2 exits 0 unwound 2 dtors 1
after: c1(0) 2 entries 3 exits 3 unwound 0 bad flags 0
END

BTI_LINK="-mbranch-protection=standard -nostartfiles -z force-bti -Wl,--fatal-warnings"
for v in "x2:" "xbti:$BTI_LINK $P/bti_start.S"; do
	name=${v%%:*}
	# shellcheck disable=SC2086
	$CXX -O2 -g -Wall -Werror -I"$TOP/include" -fpatchable-function-entry=2 \
		-o "$T/$name" "$P/exit_cxx.cc" -ldl -lpthread ${v#*:} ||
		{ echo "not ok - compile $name"; continue; }
	if [ "$name" = xbti ]; then
		QEMU_CPU=max
		export QEMU_CPU
	fi
	prun "$T/$name" >"$T/$name.out" 2>"$T/$name.err"
	expect_status "$name: runs with libpfe" 0 $?
	expect_file "$name: exact output" "$T/want" "$T/$name.out"
	expect_eq "$name: nothing on stderr" "" "$(cat "$T/$name.err")"
done
