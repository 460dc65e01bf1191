#!/bin/sh
# Dynamic sites (issue 24, lib/core/dynsite.c): functions built without
# -fpatchable-function-entry, patched by moving their first instruction into
# a stub. tests/progs/dyn_funcs.S has one function per class of first
# instruction the relocator rewrites; each is called twice from main and once
# from dyn_keep, which holds values in x9-x15 and the flags across the call
# (a caller built with -fipa-ra may) and says -1 when one changed. Flat and
# graph mode (exit hooks), plain and with -mbranch-protection=standard on a
# CPU that enforces BTI and PAC (dyn_pac signs its return address before the
# moved instruction). Then C library functions by exact name, strlen an
# IFUNC (its implementation, as the loader resolved it, is the site).
. tests/lib.sh
plan 23

P=$TOP/tests/progs
SPEC='dyn_*,!dyn_b_tail,!dyn_bl_add,!dyn_bl_call,!dyn_keep'
CLASSES='dyn_adr dyn_adrp dyn_b dyn_bl dyn_cbz dyn_ldr dyn_ldrfp dyn_plain dyn_tbnz'

# counts FILE PATTERN: "<n> <name>" per traced name, from lines where
# PATTERN (awk) matches; field 3 of a flat line is the function.
flat_counts() { awk '$4 == "<-" { print $3 }' "$1" | sort | uniq -c | awk '{ print $2, $1 }'; }
graph_counts() { sed -n 's/^[0-9]* | *\([a-z_]*\)() {$/\1/p' "$1" | sort | uniq -c | awk '{ print $2, $1 }'; }
want_counts() {
	for f in $CLASSES $1; do echo "$f 3"; done
	echo "dyn_bcond 2"
}

run_variant() { # NAME PAC_FUNC BUILD_FLAGS...
	_v=$1
	_pac=$2
	shift 2
	tcc -O2 -o "$T/$_v" "$P/dyn_app.c" "$P/dyn_funcs.S" "$@"
	trun "$T/$_v" >"$T/$_v.plain"
	PFE_TRACE=$SPEC PFE_LIST="$T/$_v.list" prun "$T/$_v" >"$T/$_v.out" 2>"$T/$_v.err"
	expect_file "$_v flat: program output unchanged, every result right, x9-x15 and NZCV kept" \
		"$T/$_v.plain" "$T/$_v.out"
	expect_eq "$_v flat: three lines per function, two for dyn_bcond, none for dyn_loop" \
		"$(want_counts "$_pac" | sort)" "$(flat_counts "$T/$_v.err" | sort)"
	PFE_GRAPH=1 PFE_TRACE=$SPEC prun "$T/$_v" >"$T/$_v.gout" 2>"$T/$_v.gerr"
	expect_file "$_v graph: program output unchanged with exit hooks" \
		"$T/$_v.plain" "$T/$_v.gout"
	expect_eq "$_v graph: one entry per call" \
		"$(want_counts "$_pac" | sort)" "$(graph_counts "$T/$_v.gerr" | sort)"
	expect_eq "$_v graph: every entry closed" \
		"$(grep -c ') {$' "$T/$_v.gerr")" "$(grep -c '^[0-9]* | *} dyn_' "$T/$_v.gerr")"
	expect_eq "$_v: PFE_LIST marks the dynamic sites and says why dyn_loop was refused" \
		"$(echo "$CLASSES $_pac dyn_bcond" | wc -w) 1" \
		"$(grep -c ' dyn$\| dyn pac$\| bti dyn$\| bti dyn pac$' "$T/$_v.list") $(grep -c 'dyn_loop dyn refused: loop back' "$T/$_v.list")"
}

run_variant plain ""
QEMU_CPU=max
export QEMU_CPU
run_variant bti dyn_pac -DBTI -mbranch-protection=standard -nostartfiles -z force-bti \
	-Wl,--fatal-warnings "$P/bti_start.S"
unset QEMU_CPU

# A recording names dynamic sites as flagged ones (tracer/rec_meta.c's
# write_dyn): pfe report counts their calls by name.
PFE_GRAPH=1 PFE_RECORD="$T/rec" PFE_TRACE='dyn_plain,dyn_adr' prun "$T/plain" >/dev/null 2>&1
expect_eq "recording: pfe report names the dynamic sites and counts their calls" \
	"dyn_adr 3
dyn_plain 3" "$("$B/pfe" report -d "$T/rec" | awk 'NR > 2 { print $7, $3 }' | sort)"

# The C library by exact names: only the calls from main are counted (fopen
# calls malloc itself).
tcc -O2 -fno-builtin -o "$T/libc" "$P/dyn_libc.c"
trun "$T/libc" >"$T/libc.plain"
PFE_TRACE='malloc,free,fopen,strlen' prun "$T/libc" >"$T/libc.out" 2>"$T/libc.err"
expect_file "libc: program output unchanged" "$T/libc.plain" "$T/libc.out"
expect_eq "libc: malloc, free, fopen and the IFUNC strlen traced from main as often as main calls them" \
	"fopen 2
free 3
malloc 3
strlen 2" "$(awk '$4 == "<-" && $5 ~ /^main\+/ { print $3 }' "$T/libc.err" | sort | uniq -c | awk '{ print $2, $1 }')"

# Four threads call dynamic sites while main attaches and detaches 200 times:
# the first instructions are rewritten once (one parking), then only the
# stubs' slots toggle.
tcc -O2 -I"$TOP/include" -pthread -o "$T/threads" "$P/dyn_threads.c" "$P/dyn_funcs.S" -ldl
PFE_DEBUG=1 RUN_TIMEOUT=300 prun "$T/threads" >"$T/threads.out" 2>"$T/threads.err"
expect_eq "threads: no crash, every result right, hook counts consistent" \
	"errors 0
attach/detach failures 0
calls made yes
hooks ran yes
counts consistent yes" "$(cat "$T/threads.out")"
expect_eq "threads: the functions were patched once, with one parking" \
	"1" "$(grep -c 'dynamic sites patched' "$T/threads.err")"

# A library without the flag loaded with dlopen after the tracer attached:
# the live pattern makes its dynamic sites (registry.c's apply to new objects).
cat >"$T/dl_lib.c" <<'END'
__attribute__((noinline)) int dl_twice(int x) { return 2 * x; }
END
cat >"$T/dl_app.c" <<'END'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	void *h = dlopen(argv[1], RTLD_NOW);
	int (*f)(int) = h ? (int (*)(int))dlsym(h, "dl_twice") : 0;

	if (!f)
		return 1;
	printf("%d %d\n", f(1), f(2));
	return 0;
}
END
tcc -O2 -fPIC -shared -o "$T/libdldyn.so" "$T/dl_lib.c"
tcc -O2 -o "$T/dl_app" "$T/dl_app.c" -ldl
PFE_TRACE='dl_twice' prun "$T/dl_app" "$(pwd)/$T/libdldyn.so" >"$T/dl.out" 2>"$T/dl.err"
expect_eq "dlopen: a library without the flag loaded later gets the live pattern's dynamic sites" \
	"2 4
2" "$(cat "$T/dl.out"; grep -c ' dl_twice <- main+' "$T/dl.err")"

# A stripped library keeps only .dynsym: its static functions are named by its
# separate debug file (a -dbgsym package), found by build-id or by
# .gnu_debuglink under PFE_DEBUGINFO, and used only when it is that build's.
OBJCOPY=${OBJDUMP%objdump}objcopy
cat >"$T/dbg_lib.c" <<'END'
static __attribute__((noinline)) int hidden_sq(int x) { return x * x + OFF; }
int dbg_api(int x) { return hidden_sq(x) + 1; }
END
cat >"$T/dbg_app.c" <<'END'
#include <stdio.h>
int dbg_api(int);
int main(void)
{
	printf("%d %d %d\n", dbg_api(1), dbg_api(2), dbg_api(3));
	return 0;
}
END
mkdir -p "$T/bid" "$T/lnk" "$T/other"
# bid: found by build-id; lnk: no build-id, found by its debuglink in .debug/
tcc -O2 -fPIC -shared -DOFF=0 -Wl,--build-id=sha1 -o "$T/bid/libdbg.so" "$T/dbg_lib.c"
tcc -O2 -fPIC -shared -DOFF=0 -Wl,--build-id=none -o "$T/lnk/libdbg.so" "$T/dbg_lib.c"
tcc -O2 -fPIC -shared -DOFF=1000 -Wl,--build-id=sha1 -o "$T/other/libdbg.so" "$T/dbg_lib.c"
tcc -O2 -o "$T/dbg_app" "$T/dbg_app.c" -L"$T/bid" -ldbg
for d in bid lnk other; do
	"$OBJCOPY" --only-keep-debug "$T/$d/libdbg.so" "$T/$d/libdbg.debug"
	"$OBJCOPY" --strip-all --add-gnu-debuglink="$T/$d/libdbg.debug" "$T/$d/libdbg.so"
done
id=$("${OBJDUMP%objdump}readelf" -n "$T/bid/libdbg.so" | awk '/Build ID:/ { print $3 }')
mkdir -p "$T/di/.build-id/$(echo "$id" | cut -c1-2)" "$T/wrong/.build-id/$(echo "$id" | cut -c1-2)"
cp "$T/bid/libdbg.debug" "$T/di/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
cp "$T/other/libdbg.debug" "$T/wrong/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug"
mkdir -p "$T/lnk/.debug"
mv "$T/lnk/libdbg.debug" "$T/lnk/.debug/"
rm "$T/bid/libdbg.debug"
# dbg RUN DIR LIBDIR: hidden_sq's lines and the program's output
dbg() {
	PFE_TRACE='hidden_sq@libdbg.so' PFE_DEBUGINFO="$2" LD_LIBRARY_PATH="$(pwd)/$T/$3" \
		prun "$T/dbg_app" >"$T/dbg-$1.out" 2>"$T/dbg-$1.err"
	echo "$(cat "$T/dbg-$1.out") $(grep -c ' hidden_sq <- dbg_api+' "$T/dbg-$1.err")"
}
expect_eq "debug files: a stripped library without one has no hidden_sq, and says so once" \
	"2 5 10 0
1" "$(dbg none "$(pwd)/$T/nothing" bid; grep -c "hidden_sq@libdbg.so.*matches no" "$T/dbg-none.err")"
expect_eq "debug files: found by build-id under PFE_DEBUGINFO, every call traced" \
	"2 5 10 3" "$(dbg bid "/nonexistent:$(pwd)/$T/di" bid)"
expect_eq "debug files: found by .gnu_debuglink in the library's .debug/, every call traced" \
	"2 5 10 3" "$(dbg lnk "$(pwd)/$T/nothing" lnk)"
expect_eq "debug files: another build's file under the build-id's name is refused with one line" \
	"2 5 10 0
1" "$(dbg wrong "$(pwd)/$T/wrong" bid; grep -c "wrong/.build-id/../[0-9a-f]*.debug: not the debug file of .*libdbg.so (another build-id); ignored" "$T/dbg-wrong.err")"
cp "$T/other/libdbg.debug" "$T/lnk/.debug/libdbg.debug"
expect_eq "debug files: a debuglink file whose CRC differs is refused with one line" \
	"2 5 10 0
1" "$(dbg crc "$(pwd)/$T/nothing" lnk; grep -c "libdbg.debug: not the debug file of .*libdbg.so (its .gnu_debuglink CRC differs); ignored" "$T/dbg-crc.err")"
