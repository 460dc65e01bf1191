#!/bin/sh
# Tracing across exec and into children (tests/progs/follow_app.c):
# - a traced program that execs itself keeps both images' lines, in order,
#   on stderr, in PFE_OUTPUT and in PFE_OUTPUT with %p (same pid, same file:
#   the new image appends), and a stale file from an earlier run is still
#   truncated by the first image;
# - every way to start a program with a bare environment (X=1 only) traces
#   the child, which gets LD_PRELOAD and PFE_TRACE, its X kept; the child's
#   lines join the parent's in the same PFE_OUTPUT (no %p: the child
#   appends instead of truncating), after them for an exec; after a vfork
#   child's execve the parent still traces;
# - PFE_FOLLOW=0 leaves the child's environment alone; an LD_PRELOAD of the
#   program's own gets libpfe in front, once; a followed program built
#   without the flag just runs, silently.
#
# Under qemu-user an exec'd arm64 program runs only if binfmt_misc sends it
# to qemu-aarch64; without that every check here is skipped, saying so.
. tests/lib.sh
P=$TOP/tests/progs
plan 37

tcc -O2 -fpatchable-function-entry=2 -o "$T/follow_app" "$P/follow_app.c"
tcc -O2 -o "$T/plain" "$P/follow_app.c"
tcc -O2 -fPIC -shared -o "$T/libextra.so" -x c - <<'END'
#include <unistd.h>
__attribute__((constructor)) static void extra(void) { write(1, "extra loaded\n", 13); }
END
APP=$(cd "$T" && pwd)/follow_app
PLAIN=$(cd "$T" && pwd)/plain
EXTRA=$(cd "$T" && pwd)/libextra.so

# Not on an arm64 host, programs run under qemu-user (through $QEMU, or
# binfmt_misc when QEMU is empty), and an exec'd one runs only if
# binfmt_misc sends it to qemu-aarch64.
emulated=
[ "$(uname -m)" = aarch64 ] || emulated=yes
cant=
if [ -n "$emulated" ]; then
	f=/proc/sys/fs/binfmt_misc/qemu-aarch64
	if [ ! -r "$f" ] || ! grep -qx enabled "$f"; then
		cant="binfmt_misc has no enabled qemu-aarch64 entry: under qemu-user an exec'd arm64 program cannot run"
	fi
fi

# Under qemu-user the kernel starts an exec'd arm64 program through
# binfmt_misc's interpreter, the x86_64 qemu-aarch64, whose own loader
# cannot preload the arm64 libraries in LD_PRELOAD and says so; qemu then
# hands the environment to the program, where they load. That host line is
# not the program's: drop it.
noise() {
	if [ -n "$emulated" ]; then
		grep -v "^ERROR: ld.so: object '.*' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored\.\$"
	else
		cat
	fi
}

# names FILE: "function <- caller" per trace line, offsets dropped.
names() {
	sed -n 's/^[0-9][0-9]* [0-9.][0-9.]* \([^ ]*\) <- \([^+ ]*\)+0x[0-9a-f]*$/\1 <- \2/p' "$1"
}
# tids FILE: how many different thread ids the trace lines have.
tids() {
	sed -n 's/^\([0-9][0-9]*\) [0-9.][0-9.]* .* <- .*/\1/p' "$1" | sort -u | wc -l | tr -d ' '
}

TR=main,step1,step2,child_work
ORDER='main <- libc.so.6
step1 <- main
main <- libc.so.6
step2 <- main
one pid: 1'

# ---------------------------------------------------------------- exec order
if [ -n "$cant" ]; then
	for c in "again: stdout" "again: stderr trace, both images in order" \
		"again: PFE_OUTPUT, both images in order" "again: PFE_OUTPUT with %p, one file, in order"; do
		skip "$c" "$cant"
	done
else
	PFE_TRACE=$TR prun "$APP" "$APP" again >"$T/a.out" 2>"$T/a.raw"
	noise <"$T/a.raw" >"$T/a.err"
	expect_eq "again: stdout" "first image
second image" "$(cat "$T/a.out")"
	expect_eq "again: stderr trace, both images in order" "$ORDER" \
		"$(names "$T/a.err"; echo "one pid: $(tids "$T/a.err")")"

	echo "stale line of an earlier run" >"$T/o.txt"
	PFE_TRACE=$TR PFE_OUTPUT="$T/o.txt" prun "$APP" "$APP" again >/dev/null 2>&1
	expect_eq "again: PFE_OUTPUT, both images in order" "$ORDER
lines: 4" "$(names "$T/o.txt"; echo "one pid: $(tids "$T/o.txt")"; echo "lines: $(wc -l <"$T/o.txt")")"

	PFE_TRACE=$TR PFE_OUTPUT="$T/p-%p.txt" prun "$APP" "$APP" again >/dev/null 2>&1
	set -- "$T"/p-*.txt
	expect_eq "again: PFE_OUTPUT with %p, one file, in order" "files: 1
$ORDER" "$(echo "files: $#"; names "$1"; echo "one pid: $(tids "$1")")"
fi

# ---------------------------------------------------------------- bare envp
want_trace() {
	echo 'main <- libc.so.6'
	echo 'main <- libc.so.6'
	echo 'step1 <- bare'
	echo 'child_work <- main'
	[ "$1" = vfork ] && echo 'step2 <- bare'
}
for how in execve execle execvpe fexecve execveat execv execvp execl execlp \
	posix_spawn posix_spawnp vfork; do
	if [ -n "$cant" ]; then
		skip "$how: child traced, after the parent's lines" "$cant"
		skip "$how: child's environment" "$cant"
		continue
	fi
	if [ -n "$emulated" ] && [ "$how" = execveat ]; then
		why="qemu-user 7.2 does not implement the execveat system call (ENOSYS)"
		skip "$how: child traced, after the parent's lines" "$why"
		skip "$how: child's environment" "$why"
		continue
	fi
	out=$T/f-$how
	PFE_TRACE=$TR PFE_OUTPUT="$out.txt" prun "$APP" "$APP" bare $how >"$out.out" 2>"$out.raw"
	# Every line of both, in one file: the child appended. An exec'd
	# image's lines come after the two the old one wrote out before the
	# exec; a spawned or vforked child runs beside its parent, which
	# writes its lines itself, so there is no order.
	{
		names "$out.txt" | sort
		case $how in posix_spawn* | vfork) ;; *) names "$out.txt" | sed -n 4p ;; esac
	} >"$out.got"
	{
		want_trace $how | sort
		case $how in posix_spawn* | vfork) ;; *) echo 'child_work <- main' ;; esac
	} >"$out.want"
	expect_file "$how: child traced, after the parent's lines" "$out.want" "$out.got"
	want="child $how: X=1 LD_PRELOAD=$LIBPFE PFE_TRACE=$TR PFE_CONTROL=-"
	case $how in posix_spawn*|vfork) want="$want
parent: child exited 0" ;; esac
	expect_eq "$how: child's environment" "$want" "$(cat "$out.out"; noise <"$out.raw")"
done

# ---------------------------------------------------------------- variations
if [ -n "$cant" ]; then
	for c in "PFE_FOLLOW=0: child untraced" "PFE_FOLLOW=0: child's environment as given" \
		"program's LD_PRELOAD kept, libpfe first" "LD_PRELOAD with libpfe: unchanged" \
		"followed program without the flag: runs" \
		"followed program without the flag: nothing on stderr" \
		"same program started directly: says it has nothing to trace" \
		"PFE_CONTROL: to a new image of the process" \
		"PFE_CONTROL: not to a spawned process, even through environ"; do
		skip "$c" "$cant"
	done
	exit 0
fi
PFE_FOLLOW=0 PFE_TRACE=$TR PFE_OUTPUT="$T/n.txt" prun "$APP" "$APP" bare execve >"$T/n.out" 2>"$T/n.raw"
expect_eq "PFE_FOLLOW=0: child untraced" "main <- libc.so.6
step1 <- bare" "$(names "$T/n.txt")"
expect_eq "PFE_FOLLOW=0: child's environment as given" "child execve: X=1 LD_PRELOAD=- PFE_TRACE=- PFE_CONTROL=-" \
	"$(cat "$T/n.out"; noise <"$T/n.raw")"

PFE_TRACE=$TR PFE_OUTPUT="$T/e.txt" prun "$APP" "$APP" bare execve "LD_PRELOAD=$EXTRA" \
	>"$T/e.out" 2>"$T/e.raw"
expect_eq "program's LD_PRELOAD kept, libpfe first" "extra loaded
child execve: X=1 LD_PRELOAD=$LIBPFE:$EXTRA PFE_TRACE=$TR PFE_CONTROL=-" "$(cat "$T/e.out"; noise <"$T/e.raw")"
PFE_TRACE=$TR PFE_OUTPUT="$T/d.txt" prun "$APP" "$APP" bare execve "LD_PRELOAD=$LIBPFE" \
	>"$T/d.out" 2>"$T/d.raw"
expect_eq "LD_PRELOAD with libpfe: unchanged" \
	"child execve: X=1 LD_PRELOAD=$LIBPFE PFE_TRACE=$TR PFE_CONTROL=-" \
	"$(cat "$T/d.out"; noise <"$T/d.raw")"

PFE_TRACE=$TR PFE_OUTPUT="$T/r.txt" prun "$APP" "$APP" run "$PLAIN" >"$T/r.out" 2>"$T/r.raw"
expect_eq "followed program without the flag: runs" \
	"child run: X=1 LD_PRELOAD=$LIBPFE PFE_TRACE=$TR PFE_CONTROL=-" "$(cat "$T/r.out")"
expect_eq "followed program without the flag: nothing on stderr" "" "$(noise <"$T/r.raw")"
PFE_TRACE=$TR prun "$PLAIN" "$PLAIN" child direct >/dev/null 2>"$T/r2.err"
expect_grep "same program started directly: says it has nothing to trace" \
	"^libpfe: .*plain: no __patchable_function_entries section" "$T/r2.err"

# The control FIFO is this process's: a new image takes it over, a second
# process must not read it (here it inherits it through environ).
PFE_CONTROL=$T/fifo PFE_TRACE=$TR PFE_OUTPUT="$T/c1.txt" prun "$APP" "$APP" bare execve \
	>"$T/c1.out" 2>"$T/c1.raw"
expect_eq "PFE_CONTROL: to a new image of the process" \
	"child execve: X=1 LD_PRELOAD=$LIBPFE PFE_TRACE=$TR PFE_CONTROL=$T/fifo" \
	"$(cat "$T/c1.out"; noise <"$T/c1.raw")"
PFE_CONTROL=$T/fifo PFE_TRACE=$TR PFE_OUTPUT="$T/c2.txt" prun "$APP" "$APP" bare spawn-environ \
	>"$T/c2.out" 2>"$T/c2.raw"
expect_eq "PFE_CONTROL: not to a spawned process, even through environ" \
	"child spawn-environ: X=1 LD_PRELOAD=$LIBPFE PFE_TRACE=$TR PFE_CONTROL=-
parent: child exited 0" "$(cat "$T/c2.out"; noise <"$T/c2.raw")"
