#!/bin/sh
# Section 2 of make bench: attaching and detaching one hook on N generated
# functions, libpfe's start-up and memory, protection changes. Sourced
# helpers: bench/lib.sh. Appends to $CSV.
set -eu
. bench/lib.sh
NM=${CC%gcc}nm

# ---------------------------------------------------------------- build
# Generated sources and objects are cached in $W/gen: 100,000 functions
# take minutes to compile, and they never change.
for n in $(echo $SIZES $COUNT_SIZES $STARTUP_SIZES | tr ' ' '\n' | sort -un); do
	srcs=$(sh bench/gen.sh "$W/gen" "$n")
	todo=""
	objs=""
	for c in $srcs; do
		objs="$objs ${c%.c}.o"
		[ -s "${c%.c}.o" ] || todo="$todo $c"
	done
	if [ -n "$todo" ]; then
		echo "bench: compiling the functions for $n sites ($(echo $todo | wc -w) files, cached in $W/gen)" >&2
		# shellcheck disable=SC2086
		printf '%s\n' $todo | xargs -P 2 -I{} sh -c \
			'c={}; $0 -O2 -fpatchable-function-entry=2 -c -o "${c%.c}.o.tmp" "$c" && mv "${c%.c}.o.tmp" "${c%.c}.o"' "$CC" ||
			die "cannot compile the generated functions"
	fi
	bin=$W/patch-$n
	if [ ! -x "$bin" ] || [ bench/patch.c -nt "$bin" ]; then
		# shellcheck disable=SC2086
		$CC -O2 -g -Iinclude -o "$bin" bench/patch.c $objs -ldl || die "cannot link $bin"
	fi
done

median() {	# numbers on stdin -> median
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Wall time of a whole run in ms.
wall_ms() {	# "env" args...
	genv=$1
	shift
	t0=$(date +%s%N)
	grun "$genv" "" "$@" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# mprotect calls between two marker lines of a -strace log.
mprotects_between() {	# log from to
	awk -v a="$2" -v b="$3" '
		index($0, a) { on = 1; next }
		index($0, b) { on = 0 }
		on && /mprotect\(/ { n++ }
		END { print n + 0 }' "$1"
}
mprotects_before() {	# log marker
	awk -v a="$2" 'index($0, a) { exit } /mprotect\(/ { n++ } END { print n + 0 }' "$1"
}

strace_run() {	# "env" out args...
	genv=$1
	out=$2
	shift 2
	if [ -n "$QEMU" ]; then
		grun "$genv" "-strace" "$@" >/dev/null 2>"$out" || true
	elif command -v strace >/dev/null 2>&1; then
		# shellcheck disable=SC2086
		env $genv strace -f -e trace=mprotect,faccessat -o "$out" "$@" >/dev/null 2>&1 || true
	else
		: >"$out"
		return 1
	fi
}

PRE="LD_PRELOAD=$LIBPFE"
echo "2. Patching: one empty hook attached to N generated functions (pattern \"pf_*\"), then detached"
[ -n "$QEMU" ] && echo "   (times emulated; Private_Dirty is not meaningful under qemu-user, see bench/README.md)"
printf '%8s %7s %12s %9s %12s %9s %11s %16s %11s %11s %13s\n' \
	sites pages "attach_us" "ns/site" "detach_us" "ns/site" "mprotect" "startup_ms" "heap_B/site" "att_B/site" "dirty_kB"
printf '%8s %7s %12s %9s %12s %9s %11s %16s %11s %11s %13s\n' \
	"" "(text)" "($TIMEKIND)" "" "" "" "att/det" "(+vs none)" "(start)" "(attach)" "none/main/att"
verdicts=""
first=""
last=""
for n in $SIZES; do
	bin=$W/patch-$n
	# awk cannot read hex portably: let printf convert.
	pages=$($NM "$bin" | awk '$3 ~ /^pf_[0-9]+$/ { print $1 }' |
		while read -r a; do echo $((0x$a >> 12)); done | sort -u | wc -l)
	# Start-up: whole runs that stop at main, with and without libpfe.
	t_none=$(for i in 1 2 3 4 5; do wall_ms "" "$bin" -s; done | median)
	t_pre=$(for i in 1 2 3 4 5; do wall_ms "$PRE" "$bin" -s; done | median)
	grun "" "" "$bin" -s >"$W/patch-none.out"
	h_none=$(awk '$1 == "startup_heap" { print $2 }' "$W/patch-none.out")
	dirty_none=$(awk '$1 == "text_dirty_start" { print $2 }' "$W/patch-none.out")
	if ! grun "$PRE" "" "$bin" >"$W/patch.out" 2>"$W/patch.err"; then
		why=$(grep '^nohook' "$W/patch.out" | sed 's/^nohook //')
		[ -n "$why" ] || why="exit status $?: $(tail -1 "$W/patch.err")"
		printf '%8s %7s   not measured: %s\n' "$n" "$pages" "$why"
		csv patch "$n" d 1 not_measured NA "\"$why\""
		continue
	fi
	set -- $(awk '$1 == "attach" { print $2, $3, $4 }' "$W/patch.out")
	att_ns=$1 nsites=$2 att_heap=$3
	set -- $(awk '$1 == "detach" { print $2, $3, $4 }' "$W/patch.out")
	det_ns=$1 det_rc=$2
	set -- $(awk '$1 == "text_dirty" { print $2, $3, $4 }' "$W/patch.out")
	dirty0=$1 dirty1=$2
	h_pre=$(awk '$1 == "startup_heap" { print $2 }' "$W/patch.out")
	if [ "$nsites" != "$n" ] || [ "$det_rc" != 0 ]; then
		echo "bench: patch-$n: hook on $nsites sites (want $n), detach returned $det_rc" >&2
	fi
	if strace_run "$PRE" "$W/strace.txt" "$bin"; then
		mp_att=$(mprotects_between "$W/strace.txt" /bench-marker/attach-begin /bench-marker/attach-end)
		mp_det=$(mprotects_between "$W/strace.txt" /bench-marker/detach-begin /bench-marker/detach-end)
	else
		mp_att=NA mp_det=NA
	fi
	f() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
	printf '%8s %7s %12s %9s %12s %9s %11s %16s %11s %11s %13s\n' "$n" "$pages" \
		"$((att_ns / 1000))" "$(f "$att_ns" "$n")" "$((det_ns / 1000))" "$(f "$det_ns" "$n")" \
		"$mp_att/$mp_det" "$t_pre ($(printf '%+d' $((t_pre - t_none))))" \
		"$(f $((h_pre - h_none)) "$n")" "$(f "$att_heap" "$n")" "$dirty_none/$dirty0/$dirty1"
	csv patch "$n" d 1 sites "$nsites" sites
	csv patch "$n" d 1 text_pages "$pages" pages
	csv patch "$n" d 1 attach_ns "$att_ns" "ns_$TIMEKIND"
	csv patch "$n" d 1 detach_ns "$det_ns" "ns_$TIMEKIND"
	csv patch "$n" d 1 mprotect_attach "$mp_att" calls
	csv patch "$n" d 1 mprotect_detach "$mp_det" calls
	csv patch "$n" d 1 startup_ms "$t_pre" "ms_$TIMEKIND"
	csv patch "$n" d 1 startup_ms_without_libpfe "$t_none" "ms_$TIMEKIND"
	csv patch "$n" d 1 startup_heap_bytes $((h_pre - h_none)) bytes
	csv patch "$n" d 1 attach_heap_bytes "$att_heap" bytes
	csv patch "$n" d 1 text_private_dirty_without_libpfe_kb "$dirty_none" kB
	csv patch "$n" d 1 text_private_dirty_at_main_kb "$dirty0" kB
	csv patch "$n" d 1 text_private_dirty_after_kb "$dirty1" kB
	[ -n "$first" ] || first="$n $((h_pre - h_none)) $att_heap $att_ns $det_ns $((t_pre - t_none))"
	last="$n $((h_pre - h_none)) $att_heap $att_ns $det_ns $((t_pre - t_none))"
	if [ "$mp_att" != NA ]; then
		# O(pages): at most one change to writable and one back per run
		# of contiguous pages, and no more than that however many sites.
		if [ "$mp_att" -le $((2 * pages)) ] && { [ "$n" -lt 1000 ] || [ "$mp_att" -lt $((n / 10)) ]; }; then
			v=PASS
		else
			v=FAIL
		fi
		verdicts="$verdicts
  attach to $n sites: $mp_att protection changes for $pages text pages: $v (target: O(pages), not O(sites))"
		csv target patch "mprotect-O(pages)" "$n" verdict "$v" ""
	fi
done
echo "$verdicts" | sed '/^$/d'
echo "  dirty_kB: Private_Dirty of the text holding the sites: without libpfe / at main with libpfe"
echo "  (the constructor wrote mov x9, x30 at every site) / after the attach. On hardware the"
echo "  private copies are at most pages x 4 KiB: every text page that holds a site."
if [ -n "$first" ] && [ "$first" != "$last" ]; then
	# Per additional site, from the smallest and the largest size: the
	# fixed costs (libraries, tables, a grace period) cancel.
	set -- $first $last
	dn=$(($7 - $1))
	echo "  Per additional site ($1 -> $7 sites): libpfe heap at start $(((${8} - $2) / dn)) B," \
		"heap added by attach $(((${9} - $3) / dn)) B, attach $(((${10} - $4) / dn)) ns, detach $(((${11} - $5) / dn)) ns," \
		"start-up $(awk -v a="$6" -v b="${12}" -v n="$dn" 'BEGIN { printf "%.2f", (b - a) * 1000 / n }') us ($TIMEKIND)"
	csv patch "$1-$7" d 1 startup_heap_bytes_per_site $(((${8} - $2) / dn)) bytes
	csv patch "$1-$7" d 1 attach_heap_bytes_per_site $(((${9} - $3) / dn)) bytes
	csv patch "$1-$7" d 1 attach_ns_per_site $(((${10} - $4) / dn)) "ns_$TIMEKIND"
	csv patch "$1-$7" d 1 detach_ns_per_site $(((${11} - $5) / dn)) "ns_$TIMEKIND"
fi

# Exact instruction counts: start-up (libpfe and its libraries loaded, the
# constructor), attach, detach; per site from the difference of two sizes.
prev=""
for n in $COUNT_SIZES; do
	bin=$W/patch-$n
	[ -x "$bin" ] || continue
	if [ -z "$QEMU" ]; then
		echo "  (instruction counts of patching: under qemu only)"
		break
	fi
	grun "$PRE" "" "$bin" >"$W/patch.out" 2>/dev/null || { echo "  (no instruction counts at $n sites: the run failed)"; continue; }
	say "patch insns $n"
	set -- $(awk '$1 == "markers" { print $2, $3 }' "$W/patch.out")
	marks="$1 $2 0"
	pg() { grun "$PRE" "$QOPT" "$bin"; }
	pn() { grun "" "$QOPT" "$bin" -s; }
	COUNT_LOG=exec,nochain count_run "$marks" pn
	pre_none=$(awk '$1 == "pre" { print $2 }' "$W/count.txt")
	COUNT_LOG=exec,nochain count_run "$marks" pg
	pre_pfe=$(awk '$1 == "pre" { print $2 }' "$W/count.txt")
	ia=$(seg_insns 2)
	id=$(seg_insns 3)
	su=$((pre_pfe - pre_none))
	echo "  Instructions at $n sites: start-up +$su (loading libpfe and its libraries, constructor)," \
		"attach $ia, detach $id"
	csv patch "$n" d 1 startup_insn "$su" insn
	csv patch "$n" d 1 attach_insn "$ia" insn
	csv patch "$n" d 1 detach_insn "$id" insn
	if [ -n "$prev" ]; then
		set -- $prev
		dn=$((n - $1))
		echo "  Per additional site ($1 -> $n): start-up $(((su - $2) / dn)), attach $(((ia - $3) / dn)), detach $(((id - $4) / dn)) instructions"
		csv patch "$1-$n" d 1 startup_insn_per_site $(((su - $2) / dn)) insn
		csv patch "$1-$n" d 1 attach_insn_per_site $(((ia - $3) / dn)) insn
		csv patch "$1-$n" d 1 detach_insn_per_site $(((id - $4) / dn)) insn
	fi
	prev="$n $su $ia $id"
done
echo
