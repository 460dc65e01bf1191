#!/bin/sh
# Install everything libpfe's build, tests, lint and bench use on Debian 12,
# idempotently, as root (or through sudo). Each package is checked for the
# architecture it is needed for: the arm64 -dev packages for the target, the
# host's own for the host tools, so an arm64 cmocka never passes for the
# host one that make check-host links with.
#
#   x86_64: the aarch64 cross compilers and binutils, qemu-user, the arm64
#           -dev packages through multiarch.
#   arm64:  the native compilers, binutils and -dev packages.
#   both:   host cmocka (make check-host), make, python3 (the bench smoke
#           test reads the CSV with it), gnuplot-nox (the bench chart),
#           clang-format and shellcheck (make lint), protoc (protobuf-compiler:
#           t_pfe_views decodes pfe dump --perfetto with protoc --decode_raw).
#
# Host tools are never replaced by another architecture's: the bench's
# uftrace state (g) needs an arm64 uftrace, which on x86_64 would take the
# place of the host's /usr/bin/uftrace, so it is not installed there and
# make bench reports (g) as not measured (on arm64 hosts it is the native
# package).
set -eu

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			exec sudo -E sh "$0" "$@"
		fi
		echo "deps: must run as root (or with sudo) to install packages" >&2
		exit 1
	fi
}

host=$(dpkg --print-architecture)
libs="libelf-dev libffi-dev liburcu-dev libcmocka-dev"
tools="make python3 gnuplot-nox clang clang-format shellcheck libcmocka-dev pkg-config g++ libjansson-dev protobuf-compiler"

if [ "$host" = arm64 ]; then
	pkgs="gcc g++ binutils $tools $libs uftrace"
	want=""
	for p in $pkgs; do want="$want $p:$host"; done
else
	want="libc6-dev-arm64-cross:all"
	for p in gcc gcc-aarch64-linux-gnu g++-aarch64-linux-gnu binutils-aarch64-linux-gnu \
		qemu-user $tools; do
		want="$want $p:$host"
	done
	for l in $libs; do want="$want $l:arm64"; done
	# The C++ test programs run under qemu with the arm64 loader's own
	# search path, which does not include the cross toolchain's copy of
	# libstdc++ (/usr/aarch64-linux-gnu/lib): the multiarch one is needed.
	want="$want libstdc++6:arm64"
fi

# dpkg-query answers "pkg:arch" for exactly that architecture (":all" for
# architecture-independent packages).
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing ${p%:all}"
done

if [ -n "$missing" ]; then
	need_root "$@"
	export DEBIAN_FRONTEND=noninteractive
	case "$missing" in
	*:arm64*)
		dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64 ;;
	esac
	echo "deps: installing$missing"
	apt-get update -q
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y -q --no-install-recommends $missing
fi

# binfmt_misc lets arm64 programs (and programs they exec) run directly:
# bench state (g) needs it (uftrace execs the program it traces), and
# tests/integ/t_runhelper.sh uses it to run the suite's helpers without
# qemu. The other tests name qemu-aarch64 themselves.
if [ "$host" != arm64 ] && [ "$(id -u)" -eq 0 ]; then
	if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
	fi
	if [ -e /proc/sys/fs/binfmt_misc/register ] &&
	   [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		if command -v update-binfmts >/dev/null 2>&1; then
			update-binfmts --enable qemu-aarch64 2>/dev/null || true
		fi
	fi
	# Without binfmt-support, register the interpreter directly (the magic
	# and mask of Debian's qemu-user-binfmt for aarch64).
	if [ -e /proc/sys/fs/binfmt_misc/register ] &&
	   [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] &&
	   command -v qemu-aarch64 >/dev/null 2>&1; then
		printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$(command -v qemu-aarch64)"':' \
			>/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
	fi
fi
echo "deps: all present ($host)"
