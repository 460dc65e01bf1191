#!/bin/sh
# Discovery when something is wrong: a program without the table, a table
# with bad entries, a table that is not loaded or not relocated, and a
# PFE_LIST file that cannot be written. Each gives exactly one clear line on
# stderr, lists what is valid, and leaves the program running normally.
. tests/lib.sh
. tests/integ/discover_common.sh
plan 23

PFE=-fpatchable-function-entry=2
path() { readlink -f "$1"; }

# No __patchable_function_entries at all.
tcc -o "$T/nosec" "$P/disc_app.c" $CFLAGS_DISC
list nosec "$T/nosec"
check_run nosec "libpfe: $(path "$T/nosec"): no __patchable_function_entries section (build with -fpatchable-function-entry=2); only its functions' dynamic sites can be traced"
expect_eq "nosec: nothing listed" "" "$(cat "$T/nosec.list")"

# Four bad entries added to the compiler's three (see disc_corrupt.c).
tcc -o "$T/corrupt" "$P/disc_corrupt.c" $CFLAGS_DISC $PFE
list corrupt "$T/corrupt"
check_run corrupt "libpfe: $(path "$T/corrupt"): refused 4 of 7 patch sites (1 not two NOPs, 1 outside text, 1 misaligned, 1 duplicate)"
expected corrupt "$T/corrupt" main good target >"$T/corrupt.want"
check_list corrupt "$T/corrupt.want"

# The same entries, non-PIE (no relocations on the table) and stripped (the
# body entry is still no NOP, the others as before).
tcc -o "$T/corrupt_nopie" "$P/disc_corrupt.c" $CFLAGS_DISC $PFE -no-pie
$STRIP --strip-all -o "$T/corrupt_s" "$T/corrupt_nopie"
list corrupt_s "$T/corrupt_s"
check_run corrupt_s "libpfe: $(path "$T/corrupt_s"): refused 4 of 7 patch sites (1 not two NOPs, 1 outside text, 1 misaligned, 1 duplicate)"
expected corrupt_s "$T/corrupt_nopie" main=? good=? target=? >"$T/corrupt_s.want"
check_list corrupt_s "$T/corrupt_s.want"

# A table that is in the file but not loaded (SHF_ALLOC cleared).
tcc -o "$T/good" "$P/disc_app.c" $CFLAGS_DISC $PFE
$OBJCOPY --set-section-flags __patchable_function_entries=contents,readonly \
	"$T/good" "$T/noalloc"
list noalloc "$T/noalloc"
check_run noalloc "libpfe: $(path "$T/noalloc"): __patchable_function_entries is not loaded; left unpatched"
expect_eq "noalloc: nothing listed" "" "$(cat "$T/noalloc.list")"

# A table moved where the loader maps it but no relocation reaches it: its
# entries are unrelocated link-time values, outside the PIE's text.
$OBJCOPY --change-section-address __patchable_function_entries+0x1000000 \
	"$T/good" "$T/moved"
list moved "$T/moved"
check_run moved "libpfe: $(path "$T/moved"): refused 4 of 4 patch sites (4 outside text)"
expect_eq "moved: nothing listed" "" "$(cat "$T/moved.list")"

# PFE_LIST naming a file that cannot be created.
trun "$T/good" >"$T/badlist.ref" 2>&1
PFE_LIST=/nonexistent/dir/sites prun "$T/good" >"$T/badlist.out" 2>"$T/badlist.err"
expect_eq "badlist: exit status" 0 $?
expect_file "badlist: program output unchanged" "$T/badlist.ref" "$T/badlist.out"
expect_eq "badlist: one line" \
	"libpfe: PFE_LIST: cannot open /nonexistent/dir/sites for writing: No such file or directory" \
	"$(cat "$T/badlist.err")"
