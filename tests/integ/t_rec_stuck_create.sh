#!/bin/sh
# The writer thread gets its signal mask from its attribute, not from the
# program's thread (tracer/ring_writer.c): a pthread_create that never
# returns, as glibc's under `qemu-aarch64 -L /usr/aarch64-linux-gnu` when
# that ld.so is older than the libc.so.6 it loads (README: a recording of
# `zstd -V` that never ended, ended by SIGKILL only), still leaves the
# program to SIGTERM, which libpfe's handler follows with the recording's
# end line. tests/progs/stuck_create_app.c defines pthread_create: it
# reports the caller's mask and, with STUCK_CREATE=1, never returns.
. tests/lib.sh
plan 6
tcc -O2 -rdynamic -fpatchable-function-entry=2 -o "$T/app" \
	"$TOP/tests/progs/stuck_create_app.c" -ldl

# end_line DIR: the end line of the recording's one image.
end_line() {
	sed -n 's/^end [0-9][0-9]* /end T /p' "$1"/*/info
}

# pthread_create returns: main's calls are recorded, and the writer still
# starts with every signal blocked.
PFE_TRACE=leaf PFE_RECORD=$T/run prun "$T/app" 3 >"$T/run.out" 2>"$T/run.err"
expect_status "run: exit status" 0 $?
expect_eq "run: SIGTERM open in the caller, blocked in the writer; nothing on stderr" \
	"caller 0 thread 1|" "$(cat "$T/run.out")|$(cat "$T/run.err")"
expect_eq "run: the end line counts leaf's 3 calls" "end T events 3 lost 0" "$(end_line "$T/run")"

# pthread_create never returns: SIGTERM, once the program waits in it (the
# recording's directory, made before the writer starts, names its pid).
RUN_TIMEOUT=10
STUCK_CREATE=1 PFE_TRACE=leaf PFE_RECORD=$T/stuck prun "$T/app" >/dev/null 2>"$T/stuck.err" &
run=$!
i=0
until [ -s "$T/stuck.err" ] || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.2 # the rest of the line, if it came in two writes
expect_eq "stuck: the program waits in pthread_create with SIGTERM open" \
	"pthread_create: SIGTERM blocked 0" "$(cat "$T/stuck.err")"
for d in "$T"/stuck/[0-9]*; do
	[ -d "$d" ] && kill -TERM "${d##*/}"
done
wait $run
expect_status "stuck: SIGTERM ends the program (143), not the timeout's SIGKILL (137)" 143 $?
expect_eq "stuck: the end line, with no event" "end T events 0 lost 0" "$(end_line "$T/stuck")"
