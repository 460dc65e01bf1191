#!/bin/sh
# What a careless or hostile environment does to libpfe (tests/progs/
# harden_app.c): a program that closes every descriptor and reuses the
# numbers or not, or replaces the control FIFO, a trace pipe whose reader
# goes away, files and FIFOs prepared by someone else or as symbolic links,
# a FIFO nobody reads, a full disk, and control commands that are too long,
# hold NUL or escape bytes.
. tests/lib.sh
plan 46
P=$TOP/tests/progs

tcc -O2 -fpatchable-function-entry=2 -o "$T/app" "$P/harden_app.c"
A=$T/app

# --- descriptors ---------------------------------------------------------
# With signatures and PFE_CONTROL active, libpfe holds the trace output and
# the FIFO: the program's first open() still returns 3.
mkfifo "$T/fifo"
PFE_TRACE='f(str)' PFE_OUTPUT=$T/first.trace PFE_CONTROL=$T/fifo PFE_CONTROL_LOG=$T/first.log \
	prun "$A" first "$T/first.data" >"$T/first.out" 2>"$T/first.err"
expect_status "first open: exit status" 0 $?
expect_eq "first open: the program gets descriptor 3" "first fd 3" "$(cat "$T/first.out")"
expect_eq "first open: traced with the string argument" 'f("first")' \
	"$(awk '{print $3}' "$T/first.trace")"
expect_eq "first open: a new trace file is 0600" "600" "$(stat -c %a "$T/first.trace")"
expect_eq "first open: nothing on stderr" "" "$(cat "$T/first.err")"

# The program closes 3-1023, opens its data file (3) and fills every other
# number with a file of its own: libpfe notices that its descriptors are
# gone and never writes to, reads from or closes the program's files.
printf 'trace filler\n' >"$T/filler"
# shellcheck disable=SC2094 # the program polls its own stderr for libpfe's line
PFE_TRACE='f(str)' PFE_OUTPUT=$T/closeall.trace PFE_CONTROL=$T/fifo \
	PFE_CONTROL_LOG=$T/closeall.log \
	prun "$A" closeall "$T/closeall.data" "$T/filler" "$T/fifo" "$T/closeall.log" \
	"$T/closeall.err" >"$T/closeall.out" 2>"$T/closeall.err"
expect_status "close 3-1023: exit status" 0 $?
expect_eq "close 3-1023: fd 3 and its data untouched, the commands ran" "first command answered: 1
data fd 3
filled up to 1022
second command answered: 1
control stopped: 1
data holds 5 bytes: mine
offset 5" "$(cat "$T/closeall.out")"
expect_eq "close 3-1023: the program's other files untouched" "trace filler" "$(cat "$T/filler")"
expect_eq "close 3-1023: one line for each descriptor libpfe lost" \
"libpfe: PFE_CONTROL=$T/fifo: descriptor 1001 was closed or reused by the program; libpfe stops using it
libpfe: $T/closeall.trace: descriptor 1000 was closed or reused by the program; libpfe stops using it" \
	"$(LC_ALL=C sort "$T/closeall.err")"

# The program closes 3 and up (close_range) and reuses no number: the
# control FIFO is opened again under its number, read-write as at first, as
# the trace output is, and every command sent afterwards is run. The first
# one still reaches the read that held the closed descriptor; the next ones
# only the FIFO opened again. The control log's answers, opened meanwhile,
# never take the closed descriptors' numbers.
mkfifo "$T/rfifo"
PFE_OUTPUT=$T/reopen.trace PFE_CONTROL=$T/rfifo PFE_CONTROL_LOG=$T/reopen.log \
	prun "$A" reopen "$T/rfifo" "$T/reopen.log" >"$T/reopen.out" 2>"$T/reopen.err"
expect_eq "close_range, control FIFO: every command reaches libpfe" "first command answered: 1
second command answered: 1
third command answered: 1" "$(cat "$T/reopen.out")"
expect_eq "close_range, control FIFO: each command answered in the log" "ok trace f(str)
ok trace off
ok trace f(str)" "$(cat "$T/reopen.log")"
expect_eq "close_range, control FIFO: traced, then off, then on again" 'f("a") f("a") f("a") f("c")' \
	"$(awk '{ printf "%s%s", sep, $3; sep = " " }' "$T/reopen.trace")"
expect_eq "close_range, control FIFO: nothing on stderr" "" "$(cat "$T/reopen.err")"

# Where the path no longer names the FIFO libpfe opened, or names it in a
# way the first open refuses, it is not opened again: the command that the
# read holding the closed descriptor gets still runs, then one line says
# why control stops.
for how in fifo:'its path names another file now':0 \
	file:'its path names another file now':1 \
	chmod:'owned by another user or writable by others (refused)':0 \
	link:'a symbolic link (refused)':0; do
	m=${how%%:*}
	why=${how#*:}
	sent=${why##*:}
	why=${why%:*}
	rm -rf "$T/x$m" "$T/x$m.moved"
	mkfifo "$T/x$m"
	# shellcheck disable=SC2094 # the program polls its own stderr for libpfe's line
	PFE_OUTPUT=$T/x$m.trace PFE_CONTROL=$T/x$m PFE_CONTROL_LOG=$T/x$m.log \
		prun "$A" replace "$T/x$m" "$T/x$m.log" "$T/x$m.err" "$m" >"$T/x$m.out" \
		2>"$T/x$m.err"
	expect_eq "FIFO then $m: the command through it runs, control stops" \
		"first command answered: 1
command through the old FIFO answered: 1
control stopped: 1
command by the path sent: $sent" "$(cat "$T/x$m.out")"
	expect_eq "FIFO then $m: one line" \
		"libpfe: PFE_CONTROL=$T/x$m: descriptor 1000 was closed by the program and cannot be opened again: $why; libpfe stops using it" \
		"$(cat "$T/x$m.err")"
done

# --- SIGPIPE ------------------------------------------------------------
# The trace goes to a FIFO whose reader takes 100 bytes and exits: the
# program runs on and exits with its own status.
mkfifo "$T/tpipe"
exec 7<>"$T/tpipe"
head -c 100 <&7 >"$T/tpipe.got" &
reader=$!
exec 7<&-
PFE_TRACE='f(str)' PFE_OUTPUT=$T/tpipe prun "$A" loop 20000 7 >"$T/pipe.out" 2>"$T/pipe.err"
expect_status "closed trace pipe: the program's exit status" 7 $?
wait $reader
expect_eq "closed trace pipe: the reader got its 100 bytes" "100" "$(wc -c <"$T/tpipe.got" | tr -d ' ')"
expect_eq "closed trace pipe: one line" \
	"libpfe: $T/tpipe: the reader closed the pipe; no more output there" "$(cat "$T/pipe.err")"

# --- files created on the user's behalf ----------------------------------
mkfifo "$T/noreader"
PFE_TRACE=f PFE_OUTPUT=$T/noreader prun "$A" loop 10 5 >/dev/null 2>"$T/noreader.err"
expect_status "FIFO without a reader: no hang, the program's status" 5 $?
expect_eq "FIFO without a reader: one line" \
	"libpfe: PFE_OUTPUT='$T/noreader': cannot open for writing: a FIFO nobody reads (refused: writing would block); not tracing" \
	"$(cat "$T/noreader.err")"
PFE_LIST=$T/noreader prun "$A" loop 10 5 >/dev/null 2>"$T/noreader2.err"
expect_status "PFE_LIST to a FIFO without a reader: no hang" 5 $?
expect_eq "PFE_LIST to a FIFO without a reader: one line" \
	"libpfe: PFE_LIST: cannot open $T/noreader for writing: a FIFO nobody reads (refused: writing would block)" \
	"$(cat "$T/noreader2.err")"

printf 'precious\n' >"$T/target"
ln -s "$T/target" "$T/link"
PFE_TRACE=f PFE_OUTPUT=$T/link prun "$A" loop 10 0 >/dev/null 2>"$T/link.err"
expect_eq "PFE_OUTPUT symlink: refused" \
	"libpfe: PFE_OUTPUT='$T/link': cannot open for writing: a symbolic link (refused); not tracing" \
	"$(cat "$T/link.err")"
PFE_TRACE='f(str)' PFE_OUTPUT=$T/link prun "$A" loop 10 0 >/dev/null 2>"$T/link1.err"
expect_eq "PFE_OUTPUT symlink with signatures: refused" \
	"libpfe: PFE_OUTPUT='$T/link': cannot open for writing: a symbolic link (refused); not tracing" \
	"$(cat "$T/link1.err")"
PFE_LIST=$T/link prun "$A" loop 10 0 >/dev/null 2>"$T/link2.err"
expect_eq "PFE_LIST symlink: refused" \
	"libpfe: PFE_LIST: cannot open $T/link for writing: a symbolic link (refused)" \
	"$(cat "$T/link2.err")"
expect_eq "symlink: the target untouched" "precious" "$(cat "$T/target")"

# Another user's file (as root: chown; else a file writable by others).
printf 'theirs\n' >"$T/foreign"
chown 65534 "$T/foreign" 2>/dev/null || chmod 0666 "$T/foreign"
PFE_TRACE=f PFE_OUTPUT=$T/foreign prun "$A" loop 10 0 >/dev/null 2>"$T/foreign.err"
expect_eq "PFE_OUTPUT of another user: refused" \
	"libpfe: PFE_OUTPUT='$T/foreign': cannot open for writing: owned by another user or writable by others (refused); not tracing" \
	"$(cat "$T/foreign.err")"
expect_eq "PFE_OUTPUT of another user: untouched" "theirs" "$(cat "$T/foreign")"
printf 'mine\n' >"$T/shared"
chmod 0666 "$T/shared"
PFE_LIST=$T/shared prun "$A" loop 10 0 >/dev/null 2>"$T/shared.err"
expect_eq "PFE_LIST writable by others: refused, untouched" \
	"libpfe: PFE_LIST: cannot open $T/shared for writing: owned by another user or writable by others (refused)
mine" "$(cat "$T/shared.err" "$T/shared")"

mkfifo -m 0666 "$T/openfifo"
PFE_CONTROL=$T/openfifo prun "$A" loop 10 0 >/dev/null 2>"$T/openfifo.err"
expect_eq "PFE_CONTROL FIFO writable by others: refused" \
	"libpfe: PFE_CONTROL=$T/openfifo: owned by another user or writable by others (refused); no runtime control" \
	"$(cat "$T/openfifo.err")"
PFE_CONTROL=$T/target prun "$A" loop 10 0 >/dev/null 2>"$T/notfifo.err"
expect_eq "PFE_CONTROL not a FIFO: refused, untouched" \
	"libpfe: PFE_CONTROL=$T/target: not a FIFO (refused); no runtime control
precious" "$(cat "$T/notfifo.err" "$T/target")"

PFE_LIST=/dev/full prun "$A" loop 10 4 >/dev/null 2>"$T/full.err"
expect_status "PFE_LIST write error: the program's status" 4 $?
expect_eq "PFE_LIST write error: reported" \
	"libpfe: /dev/full: write failed: No space left on device; no more output there" \
	"$(cat "$T/full.err")"

# --- control input -------------------------------------------------------
# A line one byte over the limit whose tail would be a valid command, a NUL,
# escape bytes, list to a link and to another user's file, then a command
# that works: six commands, six answers, only the last one runs.
x4095=$(head -c 4095 /dev/zero | tr '\0' x)
{
	printf '%strace f\n' "$x4095"
	printf 'trace\0 f\n'
	printf 'bogus \033[31mred\n'
	printf 'list %s\n' "$T/link"
	printf 'list %s\n' "$T/foreign"
	printf '# a comment, no answer\n\n'
	printf 'trace f\n'
} >"$T/cmds"
mkfifo "$T/cfifo"
PFE_CONTROL=$T/cfifo PFE_CONTROL_LOG=$T/clog PFE_OUTPUT=$T/ctrace \
	prun "$A" ctl "$T/cfifo" "$T/clog" "$T/cmds" 6 >"$T/ctl.out" 2>"$T/ctl.err"
expect_status "control: exit status" 0 $?
expect_eq "control: every command answered" "answered 6" "$(cat "$T/ctl.out")"
x60=$(head -c 60 /dev/zero | tr '\0' x)
expect_eq "control: the answers, escaped" "error $x60: longer than 4095 bytes; discarded whole
error trace\\x00 f: contains a NUL byte; ignored
error bogus \\x1b[31mred: expected trace, graph, summary, depth, min-duration or list (README.md \"Runtime control\")
error list $T/link: a symbolic link (refused)
error list $T/foreign: owned by another user or writable by others (refused)
ok trace f" "$(cat "$T/clog")"
expect_eq "control: only the last command traced (after, not before)" 'f' \
	"$(awk '{print $3}' "$T/ctrace")"
expect_eq "control: the link's target and the foreign file untouched" "precious
theirs" "$(cat "$T/target" "$T/foreign")"
expect_eq "control: stderr names both refused list paths" \
"libpfe: PFE_CONTROL list: cannot open $T/foreign for writing: owned by another user or writable by others (refused)
libpfe: PFE_CONTROL list: cannot open $T/link for writing: a symbolic link (refused)" \
	"$(LC_ALL=C sort "$T/ctl.err")"

# Messages escape what they repeat: an escape sequence in PFE_TRACE.
PFE_TRACE="$(printf 'nosuch\033x\377')" prun "$A" loop 1 0 >/dev/null 2>"$T/esc.err"
expect_eq "messages: control bytes and invalid UTF-8 escaped" \
	"libpfe: PFE_TRACE: 'nosuch\\x1bx\\xff' matches no patchable function loaded so far" \
	"$(cat "$T/esc.err")"
