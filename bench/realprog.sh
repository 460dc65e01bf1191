#!/bin/sh
# make bench-realprog: a real multi-threaded program (the zstd command-line
# compressor, built from Debian's pinned source) traced in full, measured the
# same way on every machine.
#
#   zstd -T4 -9 -c input > out
#
# runs in five states: plain; libpfe preloaded, nothing traced; PFE_TRACE='*'
# flat lines to a file; PFE_TRACE='*' PFE_GRAPH=1 to a file; PFE_TRACE='*'
# PFE_GRAPH=1 PFE_RECORD=<dir> (entries and exits, as graph), BENCH_RUNS
# rounds (default 1) of every state in turn. For each: the median and the
# best wall time, the median's slow-down against plain's median, the
# trace's size and lines, whether the compressed output is byte-identical
# to plain's and decompresses back to the input.
# A table on stdout, the same in $B/realprog/results.csv. Exits 1 when any
# output differs: libpfe must never change what a program computes.
#
# Environment: LIBPFE (default $B/libpfe.so of this tree), B (build dir,
# default build), CC (default aarch64-linux-gnu-gcc; gcc on arm64), QEMU
# (default qemu-aarch64, empty on arm64; may carry options), BENCH_RUNS,
# REALPROG_TIMEOUT (seconds per run, default 900), REALPROG_DIRECT=1 (build
# zstd with one compiler call instead of its own Makefile).
# Method and caveats: bench/README.md.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
case $B in
/*) W=$B/realprog ;;
*) W=$TOP/$B/realprog ;;
esac
if [ "$(uname -m)" = aarch64 ]; then
	CC=${CC:-gcc}
	QEMU=${QEMU-}
else
	CC=${CC:-aarch64-linux-gnu-gcc}
	QEMU=${QEMU-qemu-aarch64}
fi
LIBPFE=${LIBPFE:-$TOP/$B/libpfe.so}
case $LIBPFE in
/*) ;;
*) LIBPFE=$(pwd)/$LIBPFE ;;
esac
RUNS=${BENCH_RUNS:-1}
TMO=${REALPROG_TIMEOUT:-900}
CSV=$W/results.csv

# What is downloaded, pinned: the .dsc by its own sha256 (computed once, when
# this script was written), the tarball by the sha256 the .dsc lists.
POOL=http://deb.debian.org/debian/pool/main/libz/libzstd
DSC=libzstd_1.5.4+dfsg2-5.dsc
DSC_SHA256=8f602f92b575aa8b5e979196fb6ee82d78f233521dc9636526d3ecba1f63c1b1
ORIG=libzstd_1.5.4+dfsg2.orig.tar.xz
SRCDIR=zstd-1.5.4
# The input: the first 4 MiB of the tarball's *.c, *.h and *.md files, in
# archive order. Pinned too, so that every machine compresses the same bytes.
INPUT_SIZE=4194304
INPUT_SHA256=5a61cd9ccff34cd7f6df07997cb1a7cd84257c1a56c838ed5ffa83730f05fc56

die() {
	echo "realprog: $*" >&2
	exit 2
}

sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

# The states' variables are this script's to set.
unset PFE_TRACE PFE_OUTPUT PFE_GRAPH PFE_RECORD

[ "$RUNS" -ge 1 ] 2>/dev/null || die "BENCH_RUNS must be a number >= 1, not '$RUNS'"
[ -f "$LIBPFE" ] || die "no libpfe at $LIBPFE (run make, or set LIBPFE)"
mkdir -p "$W"

# ------------------------------------------------------------ download
fetch() {	# url file
	rm -f "$2.part"
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 2 --connect-timeout 20 -m 600 -o "$2.part" "$1" 2>/dev/null || {
			rm -f "$2.part"
			die "cannot download $1 (no network, or the archive does not answer)"
		}
	elif command -v wget >/dev/null 2>&1; then
		wget -q -T 20 -t 3 -O "$2.part" "$1" || {
			rm -f "$2.part"
			die "cannot download $1 (no network, or the archive does not answer)"
		}
	else
		die "neither curl nor wget is installed: cannot download $1"
	fi
	mv "$2.part" "$2"
}

# get NAME SHA256 [SIZE]: $W/NAME, downloaded unless already there and verified.
get() {
	if [ -f "$W/$1" ] && [ "$(sha256 "$W/$1")" = "$2" ]; then
		return 0
	fi
	fetch "$POOL/$1" "$W/$1"
	got=$(sha256 "$W/$1")
	if [ "$got" != "$2" ]; then
		mv "$W/$1" "$W/$1.bad"
		die "$1: sha256 $got, expected $2 (kept as $W/$1.bad)"
	fi
	return 0
}

get "$DSC" "$DSC_SHA256"
# The tarball's line in the .dsc's Checksums-Sha256 section.
ORIG_SHA256=$(awk -v f="$ORIG" '
	/^Checksums-Sha256:/ { s = 1; next }
	/^[^ ]/ { s = 0 }
	s && $3 == f { print $1 }' "$W/$DSC")
[ -n "$ORIG_SHA256" ] || die "$DSC lists no Checksums-Sha256 for $ORIG"
get "$ORIG" "$ORIG_SHA256"

# ------------------------------------------------------------- build
# Unpacked once per tarball; zstd's Makefile rebuilds only what changed.
if [ "$(cat "$W/src/.unpacked" 2>/dev/null)" != "$ORIG_SHA256" ]; then
	rm -rf "$W/src"
	mkdir -p "$W/src"
	tar -xJf "$W/$ORIG" -C "$W/src"
	echo "$ORIG_SHA256" >"$W/src/.unpacked"
fi
Z=$W/src/$SRCDIR
ZFLAGS="-fpatchable-function-entry=2"

build_make() {
	# CFLAGS from the environment replaces zstd's -O3 and keeps its own
	# additions; MOREFLAGS reaches compiling and linking. The sub-make must
	# not inherit our make's command-line variables (MAKEFLAGS).
	MAKEFLAGS='' MFLAGS='' CFLAGS=-O2 make -C "$Z/programs" zstd CC="$CC" \
		MOREFLAGS="$ZFLAGS" HAVE_ZLIB=0 HAVE_LZMA=0 HAVE_LZ4=0 \
		>"$W/build.log" 2>&1 && cp "$Z/programs/zstd" "$W/zstd"
}

build_direct() {
	# shellcheck disable=SC2086
	$CC -O2 $ZFLAGS -pthread -DZSTD_MULTITHREAD -DZSTD_LEGACY_SUPPORT=0 \
		-DZSTD_DISABLE_ASM -DXXH_NAMESPACE=ZSTD_ -I"$Z/lib" -I"$Z/lib/common" \
		-o "$W/zstd" "$Z"/programs/*.c "$Z"/lib/common/*.c "$Z"/lib/compress/*.c \
		"$Z"/lib/decompress/*.c "$Z"/lib/dictBuilder/*.c >"$W/build.log" 2>&1
}

echo "realprog: building zstd 1.5.4 with $CC -O2 $ZFLAGS (log: $W/build.log)" >&2
rm -f "$W/zstd"
if [ "${REALPROG_DIRECT:-0}" = 1 ]; then
	build_direct || die "cannot build zstd: see $W/build.log"
	HOW="one $CC call"
elif build_make; then
	HOW="zstd's Makefile"
else
	echo "realprog: zstd's Makefile failed (see $W/build.log.make); compiling directly" >&2
	mv "$W/build.log" "$W/build.log.make"
	build_direct || die "cannot build zstd: see $W/build.log"
	HOW="one $CC call"
fi

# Sites, from the section the compiler fills (8 bytes an entry).
case $CC in
*gcc) READELF=${CC%gcc}readelf ;;
*) READELF=readelf ;;
esac
hex=$($READELF -SW "$W/zstd" 2>/dev/null | awk '
	/__patchable_function_entries/ {
		for (i = 1; i <= NF; i++) if ($i == "__patchable_function_entries") print $(i + 4) }' || true)
SITES=""
[ -z "$hex" ] || SITES=$((0x$hex / 8))
[ -n "$SITES" ] || SITES="?"
[ "$SITES" != 0 ] || die "$W/zstd has no patchable function entries"

# -------------------------------------------------------------- input
IN=$W/input
if [ ! -f "$IN" ] || [ "$(sha256 "$IN")" != "$INPUT_SHA256" ]; then
	tar -xJOf "$W/$ORIG" --wildcards '*.c' '*.h' '*.md' | head -c "$INPUT_SIZE" >"$IN"
	got=$(sha256 "$IN")
	[ "$got" = "$INPUT_SHA256" ] || die "input: sha256 $got, expected $INPUT_SHA256 (tar lists the archive differently?)"
fi

# ---------------------------------------------------------------- run
# Like tests/lib.sh: LD_PRELOAD through qemu's -E (else libpfe loads into
# qemu), PFE_* in the caller's environment, which the program inherits
# (-E splits a value at commas). QEMU empty on a host that is not arm64:
# binfmt_misc runs the program, and QEMU_SET_ENV keeps LD_PRELOAD from the
# host's ld.so.
run() {	# preload(0|1) program args...
	pre=$1
	shift
	# $QEMU may carry options: split on purpose.
	# shellcheck disable=SC2086
	if [ "$pre" = 0 ]; then
		if [ -n "$QEMU" ]; then
			timeout -k 5 "$TMO" $QEMU "$@"
		else
			timeout -k 5 "$TMO" "$@"
		fi
	elif [ -n "$QEMU" ]; then
		timeout -k 5 "$TMO" $QEMU -E LD_PRELOAD="$LIBPFE" "$@"
	elif [ "$(uname -m)" != aarch64 ]; then
		timeout -k 5 "$TMO" env QEMU_SET_ENV=LD_PRELOAD="$LIBPFE" "$@"
	else
		timeout -k 5 "$TMO" env LD_PRELOAD="$LIBPFE" "$@"
	fi
}

now_ns() {
	date +%s%N
}

R=$W/run
rm -rf "$R"
mkdir -p "$R"
echo "state,runs,wall_s,slowdown,trace_bytes,trace_lines,identical,roundtrip,exit,note,best_s" >"$CSV"
FAILED=0
ROWS=""

# run_once STATE K: zstd's K-th run in that state; its time, status and
# whether its output is plain's go to variables named after the state.
run_once() {
	st=$1
	k=$2
	out=$R/$st.zst
	err=$R/$st.err
	status=0
	rm -rf "$out" "$R/$st.trace" "$R/$st.rec"
	t0=$(now_ns)
	case $st in
	plain) run 0 "$W/zstd" -T4 -9 -c "$IN" >"$out" 2>"$err" || status=$? ;;
	preload) run 1 "$W/zstd" -T4 -9 -c "$IN" >"$out" 2>"$err" || status=$? ;;
	flat)
		PFE_TRACE='*' PFE_OUTPUT=$R/$st.trace run 1 "$W/zstd" -T4 -9 -c "$IN" \
			>"$out" 2>"$err" || status=$? ;;
	graph)
		PFE_TRACE='*' PFE_GRAPH=1 PFE_OUTPUT=$R/$st.trace run 1 "$W/zstd" -T4 -9 -c "$IN" \
			>"$out" 2>"$err" || status=$? ;;
	record)
		PFE_TRACE='*' PFE_GRAPH=1 PFE_RECORD=$R/$st.rec run 1 "$W/zstd" -T4 -9 -c "$IN" \
			>"$out" 2>"$err" || status=$? ;;
	esac
	t1=$(now_ns)
	ns=$((t1 - t0))
	# Every run's time on stderr (issue 25).
	echo "realprog: $st run $k: $ns ns" >&2
	eval "times_$st=\"\${times_$st:-} $ns\""
	if [ "$st" = plain ]; then
		[ "$status" = 0 ] || die "plain zstd failed (exit $status): $(tail -1 "$err")"
		cp "$out" "$R/reference.zst"
	elif ! cmp -s "$out" "$R/reference.zst"; then
		eval "ident_$st=no"
	fi
	[ "$status" = 0 ] || eval "status_$st=$status"
}

# median and best of the numbers in $1 (split on purpose)
median_of() {
	# shellcheck disable=SC2086
	printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
best_of() {
	# shellcheck disable=SC2086
	printf '%s\n' $1 | sort -n | head -1
}

# row STATE: its table row from its runs (the last run's output and trace).
row() {
	st=$1
	times=""
	eval "times=\$times_$st ident=\${ident_$st:-yes} status=\${status_$st:-0}"
	out=$R/$st.zst
	trace=""
	info=""
	case $st in
	flat | graph) trace=$R/$st.trace ;;
	record) trace=$R/$st.rec ;;
	esac
	med=$(median_of "$times")
	best=$(best_of "$times")

	# Decompressed by the plain program, compared with the input.
	if run 0 "$W/zstd" -d -c "$out" >"$R/$st.dec" 2>"$R/$st.dec.err" &&
		cmp -s "$R/$st.dec" "$IN"; then
		rt=yes
	else
		rt=no
	fi
	rm -f "$R/$st.dec"

	bytes=-
	lines=-
	note=""
	case $st in
	flat | graph)
		if [ -f "$trace" ]; then
			bytes=$(wc -c <"$trace" | tr -d ' ')
			lines=$(wc -l <"$trace" | tr -d ' ')
		fi
		[ "$lines" != - ] && [ "$lines" != 0 ] || note="no trace written" ;;
	record)
		for f in "$trace"/[0-9]*/info; do
			if [ -f "$f" ]; then
				info=$f
				break
			fi
		done
		if [ -z "$info" ]; then
			note="not supported by this libpfe (no <dir>/<pid>/info)"
		else
			bytes=$(find "$trace" -type f -exec cat {} + | wc -c | tr -d ' ')
			# Events, from the "end ... events <n> lost <n>" line.
			lines=$(awk '$1 == "end" { for (i = 2; i < NF; i++) if ($i == "events") print $(i + 1) }' "$info")
			[ -n "$lines" ] || lines=-
			note="lines: events in info"
			lost=$(awk '$1 == "end" { for (i = 2; i < NF; i++) if ($i == "lost") print $(i + 1) }' "$info")
			[ -z "$lost" ] || [ "$lost" = 0 ] || note="$note; $lost lost"
		fi ;;
	esac

	wall=$(awk -v n="$med" 'BEGIN { printf "%.3f", n / 1e9 }')
	fast=$(awk -v n="$best" 'BEGIN { printf "%.3f", n / 1e9 }')
	slow=$(awk -v n="$med" -v p="$PLAIN_MED" 'BEGIN { printf "%.2f", n / p }')
	if [ "$st" = record ] && [ -z "$info" ]; then
		wall=- fast=- slow=-
	fi
	shown=$slow
	[ "$slow" = - ] || shown="${slow}x"
	[ "$st" != plain ] || ident=ref
	[ "$status" = 0 ] || note="exit status $status${note:+; $note}"
	if [ "$ident" = no ] || [ "$rt" != yes ] || [ "$status" != 0 ]; then
		FAILED=1
	fi
	echo "$st,$RUNS,$wall,$slow,$bytes,$lines,$ident,$rt,$status,\"$note\",$fast" >>"$CSV"
	ROWS="$ROWS$(printf '%-8s %9s %9s %8s %13s %10s  %-9s %-9s %s' \
		"$st" "$wall" "$fast" "$shown" "$bytes" "$lines" "$ident" "$rt" "$note")
"
}

# Round k runs every state once, in order, so that a machine whose speed
# drifts (a shared one) slows every state's k-th run alike: the medians'
# ratios follow libpfe, not the moment each state ran.
echo "realprog: running zstd -T4 -9 -c input ($INPUT_SIZE bytes), $RUNS round(s) of every state" >&2
STATES="plain preload flat graph record"
times_plain=""
k=0
while [ "$k" -lt "$RUNS" ]; do
	k=$((k + 1))
	echo "realprog: $(date +%T) round $k" >&2
	for st in $STATES; do
		run_once "$st" "$k"
	done
done
PLAIN_MED=$(median_of "$times_plain")
for st in $STATES; do
	row "$st"
done

if [ -n "$QEMU" ]; then
	machine="$(uname -m) host, $($QEMU --version | head -1 | sed 's/ (.*//'), $(nproc) cores (emulated times)"
else
	machine="$(uname -m), $(nproc) cores (hardware times)"
fi
echo "zstd 1.5.4 ($HOW, -O2 $ZFLAGS, $SITES patchable functions): zstd -T4 -9 -c input"
echo "input: $INPUT_SIZE bytes of zstd's sources, sha256 $(echo "$INPUT_SHA256" | cut -c1-16)..., compressed to $(wc -c <"$R/reference.zst" | tr -d ' ') bytes"
echo "libpfe: $LIBPFE"
echo "machine: $machine; medians of $RUNS run(s), the runs of each round interleaved"
echo
printf '%-8s %9s %9s %8s %13s %10s  %-9s %-9s %s\n' state "median s" "best s" slowdown \
	"trace bytes" lines identical roundtrip note
printf '%s' "$ROWS"
echo
echo "results: $CSV"
if [ "$FAILED" != 0 ]; then
	echo "realprog: FAIL: a run's output differs from plain's, does not decompress to the input, or the run failed" >&2
	exit 1
fi
