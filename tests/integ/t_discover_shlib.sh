#!/bin/sh
# Discovery across objects: a program linked to a patchable shared library.
# Both objects' sites are listed, the program's first (load order), each at
# its own nm addresses. Stripped, the library still names its exported
# functions from .dynsym; its static function becomes ?.
. tests/lib.sh
. tests/integ/discover_common.sh
plan 12

PFE=-fpatchable-function-entry=2
mkdir -p "$T/full" "$T/stripped"
tcc -o "$T/full/libdisc.so" "$P/disc_lib.c" $CFLAGS_DISC $PFE -fPIC -shared
# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker
tcc -o "$T/full/uselib" "$P/disc_uselib.c" $CFLAGS_DISC $PFE -L"$T/full" -ldisc \
	-Wl,-rpath,'$ORIGIN'

list full "$T/full/uselib"
check_run full
{
	expected uselib "$T/full/uselib" main local_fn
	expected libdisc.so "$T/full/libdisc.so" lib_scale lib_compute lib_version
} >"$T/full.want"
check_list full "$T/full.want"

$STRIP --strip-all -o "$T/stripped/libdisc.so" "$T/full/libdisc.so"
$STRIP --strip-all -o "$T/stripped/uselib" "$T/full/uselib"
list stripped "$T/stripped/uselib"
check_run stripped
{
	expected uselib "$T/full/uselib" main=? local_fn=?
	expected libdisc.so "$T/full/libdisc.so" lib_scale=? lib_compute lib_version
} >"$T/stripped.want"
check_list stripped "$T/stripped.want"

# A patchable library under a program that is not: the program gets its
# one line, the library's sites are listed.
# shellcheck disable=SC2016
tcc -o "$T/full/plain" "$P/disc_uselib.c" $CFLAGS_DISC -L"$T/full" -ldisc -Wl,-rpath,'$ORIGIN'
list plain "$T/full/plain"
check_run plain "libpfe: $(readlink -f "$T/full/plain"): no __patchable_function_entries section (build with -fpatchable-function-entry=2); only its functions' dynamic sites can be traced"
expected libdisc.so "$T/full/libdisc.so" lib_scale lib_compute lib_version >"$T/plain.want"
check_list plain "$T/plain.want"
