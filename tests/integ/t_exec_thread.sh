#!/bin/sh
# An exec from a thread other than main (tests/progs/thread_exec_app.c,
# after uftrace's s-thread-exec): before the image is replaced, every
# thread's open calls are closed in graph text, innermost first, with the
# words of the end of an image that pfe replay uses, "still open at the
# end"; so each image's trace is balanced per thread although the new
# image's main reuses the process's thread id. Main is either blocked in a
# traced call (pthread_join in wait_for) or calling leaf() over and over.
#
# Under qemu-user an exec'd arm64 program runs only if binfmt_misc sends it
# to qemu-aarch64; without that every check here is skipped, saying so.
. tests/lib.sh
P=$TOP/tests/progs
PFE=$TOP/$B/pfe
plan 6

tcc -O2 -fpatchable-function-entry=2 -o "$T/app" "$P/thread_exec_app.c" -lpthread
APP=$(cd "$T" && pwd)/app
TR=main,wait_for,thread_main,do_exec,leaf

emulated=
[ "$(uname -m)" = aarch64 ] || emulated=yes
if [ -n "$emulated" ]; then
	f=/proc/sys/fs/binfmt_misc/qemu-aarch64
	if [ ! -r "$f" ] || ! grep -qx enabled "$f"; then
		for c in 1 2 3 4 5 6; do
			skip "exec from a thread, check $c" \
				"binfmt_misc has no enabled qemu-aarch64 entry: under qemu-user an exec'd arm64 program cannot run"
		done
		exit 0
	fi
fi

# Under qemu-user binfmt_misc's x86_64 qemu-aarch64 starts the new image
# and its own loader says it cannot preload the arm64 libpfe (t_follow.sh):
# that host line is not the program's.
noise() {
	grep -v "^ERROR: ld.so: object '.*' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored\.\$"
}

# tree FILE: graph_check.py --tree of FILE (each thread's lines without
# tids and times, the calls of leaf inside main left out: a call of leaf
# made after main's frame was closed would show), or why FILE is not
# balanced.
tree() {
	if python3 "$TOP/tests/graph_check.py" --tree "$1" >"$1.tree" 2>&1; then
		grep -v '^  \(} \)\{0,1\}leaf' "$1.tree"
	else
		head -5 "$1.tree"
	fi
}

BLOCKED='main {
  wait_for {
  } wait_for still open
} main still open
main {
} main
== thread
thread_main {
  do_exec {
  } do_exec still open
} thread_main still open'

PFE_GRAPH=1 PFE_TRACE=$TR PFE_OUTPUT=$T/blocked prun "$APP" >"$T/blocked.out" 2>"$T/blocked.err"
expect_eq "the new image runs: stdout" "again" "$(cat "$T/blocked.out")"
expect_eq "main blocked, PFE_OUTPUT: each image balanced, the first's calls closed at the exec" \
	"$BLOCKED" "$(tree "$T/blocked")"

PFE_GRAPH=1 PFE_TRACE=$TR prun "$APP" 2>&1 >/dev/null | noise >"$T/stderr"
expect_eq "main blocked, stderr: each image balanced, the first's calls closed at the exec" \
	"$BLOCKED" "$(tree "$T/stderr")"

PFE_GRAPH=1 PFE_TRACE=$TR PFE_OUTPUT=$T/busy prun "$APP" busy >"$T/busy.out" 2>"$T/busy.err"
expect_eq "main busy, PFE_OUTPUT: each image balanced, the first's calls closed at the exec" \
	'main {
} main still open
main {
} main
== thread
thread_main {
  do_exec {
  } do_exec still open
} thread_main still open' "$(tree "$T/busy")"

# pfe replay closes the first image's calls at the end of its threads'
# data with the same words.
rm -rf "$T/rec"
PFE_GRAPH=1 PFE_TRACE=$TR PFE_RECORD=$T/rec prun "$APP" >"$T/rec.out" 2>&1
"$PFE" replay -d "$T/rec" >"$T/replay" 2>&1
# closed FILE: "name (why)" of each call closed as open at the end, sorted.
closed() {
	sed -n -e 's/^[0-9]* | *} \([a-z_]*\) ([0-9.]* us, \(still open at the end\))$/\1 (\2)/p' \
		-e 's/.*| *} \/\* \([a-z_]*\) (\(still open at the end\)) \*\/$/\1 (\2)/p' "$1" | sort
}
expect_eq "replay closes the first image's calls as still open at the end" \
	'do_exec (still open at the end)
main (still open at the end)
thread_main (still open at the end)
wait_for (still open at the end)' "$(closed "$T/replay")"
expect_eq "graph text closes the same calls with the same words as replay" \
	"$(closed "$T/replay")" "$(closed "$T/blocked")"
