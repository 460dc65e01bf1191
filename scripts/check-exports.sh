#!/bin/sh
# Fails when the dynamic symbols libpfe.so exports differ from the PFE_API
# declarations in include/pfe.h or from pfe.map.
set -eu
so=$1 map=$2 cross=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${cross}nm" -D --defined-only "$so" | awk '$2 ~ /[TDBRW]/ {print $3}' | sed 's/@.*//' |
	grep -v '^PFE_' | grep -vx -e dlopen -e dlmopen -e dlclose \
	-e longjmp -e _longjmp -e siglongjmp -e __longjmp_chk -e setcontext -e swapcontext \
	-e sigaltstack -e __cxa_begin_catch \
	-e execve -e execv -e execvp -e execvpe -e execl -e execle -e execlp -e fexecve \
	-e execveat -e posix_spawn -e posix_spawnp -e _exit -e _Exit -e fork | sort -u >"$tmp/exported"
sed -n 's/^[[:space:]]*\(pfe_[a-z0-9_]*\);$/\1/p' "$map" | sort -u >"$tmp/map"
sed -n 's/^PFE_API .*[ *]\(pfe_[a-z0-9_]*\)(.*/\1/p' include/pfe.h | sort -u >"$tmp/header"
if ! cmp -s "$tmp/exported" "$tmp/map" || ! cmp -s "$tmp/map" "$tmp/header"; then
	echo "check-exports: $so, $map and include/pfe.h disagree:" >&2
	diff "$tmp/map" "$tmp/exported" | sed 's/^/  map vs .so: /' >&2 || true
	diff "$tmp/map" "$tmp/header" | sed 's/^/  map vs header: /' >&2 || true
	exit 1
fi
