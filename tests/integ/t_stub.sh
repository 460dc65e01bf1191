#!/bin/sh
# Per-site stubs (arch/arm64/stub.c) in a real process (tests/progs/live_app.c):
# a library dlopen()ed and dlclose()d 40 times while one thread calls into
# it, another attaches and detaches a hook on it and two more run hooked
# code of the program. Under qemu the library lies out of BL range of
# libpfe, so its stubs go through the veneer in their arena. Every load
# reserves one arena, every unload unmaps it (after the grace period that
# frees the object), every call is hooked exactly once; the program's own
# arena is reserved once and stays. PFE_DEBUG=1 says what happened to them.
. tests/lib.sh
plan 11
P=$TOP/tests/progs

tcc -O2 -I"$TOP/include" -fpatchable-function-entry=2 -o "$T/live_app" "$P/live_app.c" \
	-lpthread -ldl
tcc -O2 -shared -fPIC -fpatchable-function-entry=2 -o "$T/liblive.so" "$P/live_lib.c"

# stubs_lines FILE PATTERN: how many stub debug lines match.
stubs_lines() {
	grep -c "^libpfe: stubs: $2" "$1" | tr -d ' '
}

PFE_DEBUG=1 prun "$T/live_app" dl "$T/liblive.so" 500 40 >"$T/dl.out" 2>"$T/dl.err"
expect_status "dl: exit status" 0 $?
expect_eq "dl: every call of the reloaded library hooked" "sites before: 1
lib_fn calls 20000 hooked 20000
churn failures 0
sites after: 1
lib_fn after dlclose: No such file or directory
remove 0" "$(cat "$T/dl.out")"
expect_eq "dl: one arena per load of the library" 40 \
	"$(stubs_lines "$T/dl.err" 'arena 0x[0-9a-f]*-0x[0-9a-f]* for liblive.so (2 sites')"
expect_eq "dl: each unmapped after its unload" 40 \
	"$(stubs_lines "$T/dl.err" 'arena of liblive.so unmapped$')"
expect_eq "dl: the last word on the library's stubs is the unmap" \
	"libpfe: stubs: arena of liblive.so unmapped" \
	"$(grep '^libpfe: stubs: .*liblive.so' "$T/dl.err" | tail -1)"
expect_eq "dl: the program's arena, once, never unmapped" "1 0" \
	"$(stubs_lines "$T/dl.err" 'arena .* for live_app (') $(stubs_lines "$T/dl.err" 'arena of live_app')"

# Four threads in hooked code of the program while another attaches and
# detaches 2,000 times: exact counts through the stubs.
PFE_DEBUG=1 prun "$T/live_app" stress 50000 2000 >"$T/stress.out" 2>"$T/stress.err"
expect_status "stress: exit status" 0 $?
# (Whether the transient hook caught a call depends on the scheduling of a
# loaded machine: t_live.sh checks it; here only the exact counts.)
expect_eq "stress: exact counts, detach stops the hook" "calls 400000 hooked 400000
transient attach failures 0 poison seen 0
remove 0
after remove hooked 400000" "$(grep -v '^transient calls within bound' "$T/stress.out")"
expect_eq "stress: one arena, nothing unmapped" "1 0" \
	"$(stubs_lines "$T/stress.err" 'arena ') $(stubs_lines "$T/stress.err" 'arena of ')"

# Without PFE_DEBUG, stubs say nothing.
prun "$T/live_app" stress 2000 100 >"$T/quiet.out" 2>"$T/quiet.err"
expect_status "quiet: exit status" 0 $?
expect_eq "quiet: nothing on stderr" "" "$(cat "$T/quiet.err")"
