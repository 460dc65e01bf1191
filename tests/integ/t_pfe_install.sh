#!/bin/sh
# make install DESTDIR=... PREFIX=/usr: the five files with their modes; a
# program built against the installed pkg-config file hooks its own function;
# the installed pfe finds the installed libpfe.so; make uninstall removes
# exactly what install put there.
. tests/lib.sh
plan 9
D=$(pwd)/$T/root
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr B="$B" >"$T/install.out" 2>&1
expect_status "make install DESTDIR=... PREFIX=/usr" 0 $?
expect_eq "installed files and modes" "-rw-r--r-- usr/include/pfe.h
-rw-r--r-- usr/lib/pkgconfig/libpfe.pc
-rw-r--r-- usr/share/man/man1/pfe.1
-rwxr-xr-x usr/bin/pfe
-rwxr-xr-x usr/lib/libpfe.so" \
	"$(cd "$D" && find . -type f -printf '%M %P\n' | sort)"

flags=$(PKG_CONFIG_PATH="$D/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D" \
	pkg-config --cflags --libs libpfe | sed "s/ *$//")
expect_eq "pkg-config --cflags --libs libpfe" "-I$D/usr/include -L$D/usr/lib -lpfe" "$flags"

# shellcheck disable=SC2086
$CC -O2 -fpatchable-function-entry=2 -o "$T/linked" "$TOP/tests/progs/pfe_linked_app.c" $flags \
	2>"$T/cc.err"
expect_status "a program builds against the installed libpfe" 0 $?
if [ -n "$QEMU" ]; then
	$QEMU -E LD_LIBRARY_PATH="$D/usr/lib" "$T/linked" >"$T/linked.out" 2>&1
else
	LD_LIBRARY_PATH="$D/usr/lib" "$T/linked" >"$T/linked.out" 2>&1
fi
expect_eq "... and hooks its own function through it" "hook ok sites 1 calls 3 sum 6" \
	"$(cat "$T/linked.out")"

tcc -O2 -o "$T/app" "$TOP/tests/progs/pfe_rec_app.c"
(cd "$T" && "$D/usr/bin/pfe" record -d rec ./app </dev/null >/dev/null 2>err)
expect_eq "the installed pfe preloads the installed libpfe.so" \
	"libpfe=$D/usr/lib/libpfe.so" "$(sed -n 's/.* \(libpfe=.*\)/\1/p' "$T/err")"
expect_eq "the man page renders" "PFE(1)" \
	"$(MANWIDTH=80 man -l "$D/usr/share/man/man1/pfe.1" 2>/dev/null | awk 'NR == 1 { print $1 }')"

make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr B="$B" >/dev/null 2>&1
expect_status "make uninstall" 0 $?
expect_eq "nothing left but directories" "" "$(find "$D" -type f)"
