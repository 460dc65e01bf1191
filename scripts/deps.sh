#!/bin/sh
# Install everything libpfe needs on Debian 12, idempotently, as root.
# On x86_64: the aarch64 cross compiler, qemu-user and the arm64 -dev packages
# through multiarch.  On arm64: the native -dev packages.  Both: host cmocka for
# the pure unit tests, gnuplot for the bench chart.
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
common="make pkg-config gnuplot-nox file binutils g++ libjansson-dev"

if [ "$host" = arm64 ]; then
	pkgs="gcc g++ $common $libs uftrace"
else
	pkgs="gcc gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user binutils-aarch64-linux-gnu $common libcmocka-dev"
	for l in $libs; do pkgs="$pkgs $l:arm64"; done
	# bench state (g): uftrace's dynamic tracing of the arm64 program.
	pkgs="$pkgs uftrace:arm64"
fi

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	need_root "$@"
	export DEBIAN_FRONTEND=noninteractive
	if [ "$host" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# binfmt_misc lets arm64 programs (and programs they exec) run directly; the
# tests never rely on it, they always name qemu-aarch64 themselves.
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
	# and mask of Debian's qemu-user-binfmt for aarch64). bench (g) needs
	# it: uftrace execs the program it traces.
	if [ -e /proc/sys/fs/binfmt_misc/register ] &&
	   [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] &&
	   command -v qemu-aarch64 >/dev/null 2>&1; then
		printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$(command -v qemu-aarch64)"':' \
			>/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
	fi
fi
echo "deps: all present ($host)"
