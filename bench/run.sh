#!/bin/sh
# make bench: what libpfe costs, per call and per patch, in every state.
# Environment: QEMU (empty on arm64 hosts), CC, B (build dir), BENCH_QUICK=1
# for the small smoke-test run (tests/integ/t_bench_quick.sh).
# Output: a table on stdout, $B/bench/results.csv, $B/bench/costs.png.
# Method and caveats: bench/README.md.
set -eu
. bench/lib.sh

# ------------------------------------------------------------------ build
build() {	# out compiler-arguments...
	out=$1
	shift
	[ -x "$out" ] && [ "$out" -nt bench/calls.c ] && [ "$out" -nt bench/cyg.c ] &&
		[ "$out" -nt include/pfe.h ] && return 0
	$CC "$@" || die "cannot build $out"
}
build "$W/calls-a" $CFLAGS_B -o "$W/calls-a" bench/calls.c bench/cyg.c -ldl
build "$W/calls-b" $CFLAGS_B -fpatchable-function-entry=2 -o "$W/calls-b" bench/calls.c bench/cyg.c -ldl
build "$W/calls-f" $CFLAGS_B -finstrument-functions -o "$W/calls-f" bench/calls.c bench/cyg.c -ldl

# --------------------------------------------------------------- results
echo "section,name,state,threads,metric,value,unit" >"$CSV"

# State availability: "ok" or the reason it could not be measured.
check_state() {	# state func
	case $1 in
	a | b | f) echo ok ;;
	c)
		[ -f "$LIBPFE" ] && echo ok || echo "no $LIBPFE" ;;
	d | h | k | l)
		if out=$(run_state "$1" "$2" "" 1 2>&1 >/dev/null); then echo ok; else
			echo "$out" | tail -1 | sed 's/^calls: //'
		fi ;;
	e)
		rm -f "$W/trace-check.txt"
		grun "$(state_env e "$2" "$TOP/$W/trace-check.txt")" "" "$W/calls-b" "$2" 3 >/dev/null 2>&1 || true
		if [ -s "$W/trace-check.txt" ]; then echo ok; else
			echo "PFE_TRACE wrote no trace line"
		fi ;;
	i)
		rm -f "$W/trace-check.txt"
		grun "$(state_env i "$2" "$TOP/$W/trace-check.txt")" "" "$W/calls-b" "$2" 3 >/dev/null 2>&1 || true
		if grep -q "} $2 (" "$W/trace-check.txt" 2>/dev/null; then echo ok; else
			echo "PFE_GRAPH=1 wrote no exit line"
		fi ;;
	j)
		rm -rf "$W/rec-j"
		grun "$(state_env j "$2")" "" "$W/calls-b" "$2" 3 >/dev/null 2>&1 || true
		if ls "$W"/rec-j/*/*.dat >/dev/null 2>&1; then echo ok; else
			echo "PFE_RECORD wrote no thread file"
		fi
		rm -rf "$W/rec-j" ;;
	g)
		if [ ! -x "$UFTRACE" ]; then
			echo "uftrace not installed"
		elif [ -n "$QEMU" ] && ! grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
			echo "uftrace execs the program: needs qemu-aarch64 registered in binfmt_misc"
		elif ! run_state g "$2" "" 3 >"$W/g-check.out" 2>&1 || ! grep -q '^ns ' "$W/g-check.out"; then
			echo "uftrace record failed: $(grep -v '^ERROR: ld.so' "$W/g-check.out" | tail -1)"
		elif ! grun "" "" $UFTRACE report -d "$W/uftrace.data" 2>/dev/null | grep -q " $2\$"; then
			echo "uftrace recorded no call of $2"
		else
			echo ok
		fi ;;
	esac
}


# measure_time STATE FUNC THREADS: time per call, REPS repetitions inside
# one process after a warm-up. Appends "state func threads med min max" to
# $W/times.txt, or returns 1.
measure_time() {
	say "time $*"
	inv=1
	[ "$2" = rec ] && inv=9
	n=$((N_TIME / inv))
	[ "$3" -gt 1 ] && n=$((T_N / inv))
	run_state "$1" "$2" "" "$n" -r "$REPS" -t "$3" >"$W/time.out" 2>"$W/time.err" || return 1
	set -- "$1" "$2" "$3" $(grep '^ns ' "$W/time.out")
	echo "$1 $2 $3 $5 $6 $7" >>"$W/times.txt"
}

# measure_insns STATE FUNC|all THREADS: instructions per call of each
# function, from one process running segments of N1 and N2 iterations.
# Appends "state func threads insn" lines to $W/insns.txt.
measure_insns() {
	say "insns $*"
	st=$1
	fs=$2
	th=$3
	run_state "$st" tiny "" 1 >"$W/marks.out" 2>/dev/null || return 1
	set -- $(grep '^markers ' "$W/marks.out")
	marks="$2 $3 $4,$5,$6"
	if [ -n "$QEMU" ]; then
		count_run "$marks" run_state "$st" "$fs" "" -c "$N1" "$N2" -t "$th"
		k=1
		for fn in $(func_list "$fs" " "); do
			inv=1
			[ "$fn" = rec ] && inv=9
			i1=$(seg_insns $k) i2=$(seg_insns $((k + 1)))
			e1=$(seg_entries $k) e2=$(seg_entries $((k + 1)))
			w1=$(seg_nonnop $k) w2=$(seg_nonnop $((k + 1)))
			want=$(((N2 - N1) * inv * th))
			if [ -n "$i1" ] && [ -n "$i2" ] && [ $((e2 - e1)) -eq "$want" ]; then
				# uftrace's child logs without in_asm: no NOP split.
				[ "$st" = g ] && w1=NA
				echo "$st $fn $th $(awk -v a="$i1" -v b="$i2" -v x="$w1" -v y="$w2" -v w="$want" 'BEGIN {
					printf "%.2f ", (b - a) / w
					if (x == "NA") print "NA"; else printf "%.2f\n", (y - x) / w }')" >>"$W/insns.txt"
			else
				echo "bench: $st/$fn/$th: instruction count failed (entries $e1/$e2, want +$want)" >&2
				sed 's/^/  /' "$W/count.txt" >&2
				grep -v '^ERROR: ld.so' "$W/count.err" | head -5 >&2 || true
			fi
			k=$((k + 2))
		done
	else
		run_state "$st" "$fs" "BENCH_PERF=1" -c "$N1" "$N2" -t "$th" >"$W/count.out" 2>&1 || return 0
		set -- $(grep '^perf ' "$W/count.out") || return 0
		[ $# -ge 3 ] || return 0
		shift
		for fn in $(func_list "$fs" " "); do
			inv=1
			[ "$fn" = rec ] && inv=9
			echo "$st $fn $th $(awk -v a="$1" -v b="$2" -v w="$(((N2 - N1) * inv * th))" 'BEGIN { printf "%.2f", (b - a) / w }') NA" >>"$W/insns.txt"
			shift 2
		done
	fi
}

# measure STATE FUNCS THREADS: both figures, or the reason for none.
measure() {
	st=$1
	why=$(check_state "$st" tiny)
	for fn in $2; do
		if [ "$why" != ok ]; then
			echo "$st $fn $3 $why" >>"$W/missing.txt"
		elif ! measure_time "$st" "$fn" "$3"; then
			echo "$st $fn $3 the run failed: $(grep -v '^ERROR: ld.so' "$W/time.err" | tail -1)" >>"$W/missing.txt"
		fi
	done
	[ "$why" = ok ] || return 0
	if [ "$QUICK" = 1 ] && [ "$st" = g ]; then
		# uftrace's start-up alone is some 23 million single-stepped
		# instructions: minutes, too long for the smoke test.
		return 0
	elif [ "$2" = "$FUNCS" ]; then
		measure_insns "$st" all "$3"
	else
		measure_insns "$st" "$2" "$3"
	fi
}

label() {
	case $1 in
	a) echo "(a) built without -fpatchable-function-entry" ;;
	b) echo "(b) nop; nop           (libpfe not loaded)" ;;
	c) echo "(c) mov x9, x30; nop   (libpfe, no hook)" ;;
	d) echo "(d) mov x9, x30; bl    (one empty C hook)" ;;
	h) echo "(h) as (d), 100 other sites hooked" ;;
	k) echo "(k) dynamic site, detached (a + stub)" ;;
	l) echo "(l) dynamic site, one empty C hook" ;;
	e) echo "(e) PFE_TRACE tracer   (to /dev/null)" ;;
	i) echo "(i) PFE_TRACE, PFE_GRAPH=1 (to /dev/null)" ;;
	j) echo "(j) PFE_RECORD, entry and exit" ;;
	f) echo "(f) -finstrument-functions (empty enter/exit)" ;;
	g) echo "(g) uftrace record -P  (dynamic tracing)" ;;
	esac
}

echo "libpfe bench$([ "$QUICK" = 1 ] && echo ' (BENCH_QUICK: smoke-test sizes)') — $MACHINE — $(date -u '+%Y-%m-%d %H:%M UTC')"
[ -n "$QEMU" ] && echo "Times are EMULATED (qemu-user), not hardware times; instruction counts are exact."
echo

# ------------------------------------------------- 1. cost per call
: >"$W/times.txt"
: >"$W/insns.txt"
: >"$W/missing.txt"
for st in $STATES; do
	measure "$st" "$FUNCS" 1
done
# ------------------------------------------------- 3. threads
for st in b d; do
	for th in $THREADS; do
		[ "$th" = 1 ] || measure "$st" tiny "$th"
	done
done

# row STATE FUNC THREADS -> "insn med min max nonnop ok",
# or "NA NA NA NA NA why..."
row() {
	awk -v s="$1" -v f="$2" -v t="$3" '
		FILENAME ~ /missing/ && $1 == s && $2 == f && $3 == t {
			$1 = $2 = $3 = ""; sub(/^ +/, ""); why = $0 }
		FILENAME ~ /times/ && $1 == s && $2 == f && $3 == t { tm = $4 " " $5 " " $6 }
		FILENAME ~ /insns/ && $1 == s && $2 == f && $3 == t { ins = $4; nn = $5 }
		END {
			if (why != "") { print "NA NA NA NA NA " why; exit }
			if (tm == "") tm = "NA NA NA"
			if (ins == "") ins = "NA"
			if (nn == "") nn = "NA"
			print ins, tm, nn, "ok"
		}' "$W/missing.txt" "$W/times.txt" "$W/insns.txt"
}

echo "1. Cost per call: executed instructions per call (exact), of which not NOPs; ns per call $TIMEKIND, median [min-max] of $REPS runs"
printf '%-48s %-6s %9s %8s %28s\n' "state" "func" "insn/call" "non-NOP" "ns/call ($TIMEKIND)"
for st in $STATES; do
	for fn in $FUNCS; do
		set -- $(row "$st" "$fn" 1)
		if [ "$6" = ok ]; then
			printf '%-48s %-6s %9s %8s %12s [%s-%s]\n' "$(label "$st")" "$fn" "$1" "$5" "$2" "$3" "$4"
			csv calls "$fn" "$st" 1 insn_per_call "$1" insn
			csv calls "$fn" "$st" 1 nonnop_insn_per_call "$5" insn
			csv calls "$fn" "$st" 1 ns_median "$2" "ns_$TIMEKIND"
			csv calls "$fn" "$st" 1 ns_min "$3" "ns_$TIMEKIND"
			csv calls "$fn" "$st" 1 ns_max "$4" "ns_$TIMEKIND"
		else
			shift 5
			printf '%-48s %-6s %9s %8s   not measured: %s\n' "$(label "$st")" "$fn" "-" "-" "$*"
			csv calls "$fn" "$st" 1 not_measured NA "\"$*\""
		fi
	done
done
echo

# Differences, and the targets of issue 4.
field() {	# n state func: field n of the row
	n=$1
	shift
	set -- $(row "$1" "$2" 1)
	eval "echo \${$n}"
}
sub2() {	# a b -> a - b, or NA
	case "$1$2" in *NA* | "") echo NA ;; *) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }' ;; esac
}
echo "Differences that matter (per call: executed instructions / non-NOP instructions)"
for d in "c b" "d b" "h d" "e b" "i b" "j b" "e d" "i d" "b a" "f a" "g a" "g b" "k a" "l d"; do
	set -- $d
	for fn in $FUNCS; do
		di=$(sub2 "$(field 1 "$1" "$fn")" "$(field 1 "$2" "$fn")")
		dw=$(sub2 "$(field 5 "$1" "$fn")" "$(field 5 "$2" "$fn")")
		printf '  %-6s (%s)-(%s) = %8s / %-8s ' "$fn" "$1" "$2" "$di" "$dw"
		csv diff "$fn" "$1-$2" 1 insn_per_call "$di" insn
		csv diff "$fn" "$1-$2" 1 nonnop_insn_per_call "$dw" insn
		case "$1$2" in
		cb | db | hd | ba | eb | ib | jb | ka | ld)
			if [ "$di" = NA ]; then
				echo "not measured"
				csv target "$fn" "$1-$2" 1 verdict "not measured" ""
				continue
			fi ;;
		esac
		case "$1$2" in
		cb)
			# The MOV replaces a NOP: as many instructions execute as
			# before, and exactly one more of them does work.
			if [ "$di" = 0.00 ] && [ "$dw" = 1.00 ]; then
				v=PASS
			else
				v=FAIL
			fi
			echo "$v (target: the MOV and nothing else: +0 executed, +1 non-NOP)"
			csv target "$fn" "c-b: +1 non-NOP +0 executed" 1 verdict "$v" "" ;;
		ba)
			# Check of the method: the two NOPs, executed, doing nothing.
			if [ "$di" = 2.00 ] && [ "$dw" = 0.00 ]; then v=PASS; else v=FAIL; fi
			echo "$v (method check: the two NOPs, +2 executed, +0 non-NOP)"
			csv target "$fn" "b-a: +2 executed +0 non-NOP" 1 verdict "$v" "" ;;
		db)
			# Issue 12's target; issue 4 had set 60.
			if [ "$di" != NA ] && awk -v d="$di" 'BEGIN { exit !(d <= 40) }'; then v=PASS; else v=FAIL; fi
			echo "$v (target: <= 40 executed)"
			csv target "$fn" "d-b <= 40" 1 verdict "$v" "" ;;
		eb | ib | jb)
			# Issue 9's targets: the traced thread stores events, the
			# writer thread formats or writes them (another thread: not
			# counted). Record mode (j) records entry and exit, as (i).
			lim=150
			[ "$1" = e ] || lim=300
			if awk -v d="$di" -v l="$lim" 'BEGIN { exit !(d <= l) }'; then v=PASS; else v=FAIL; fi
			echo "$v (target: <= $lim executed)"
			csv target "$fn" "$1-b <= $lim" 1 verdict "$v" "" ;;
		gb)
			# Graph mode against uftrace record -P, which records entry
			# and exit too.
			ib=$(sub2 "$(field 1 i "$fn")" "$(field 1 b "$fn")")
			if [ "$ib" != NA ] && [ "$di" != NA ]; then
				echo "graph mode (i) costs $(awk -v a="$ib" -v b="$di" 'BEGIN { printf "%.2f", a / b }') x uftrace's per call"
				csv ratio "$fn" "(i-b)/(g-b)" 1 ratio "$(awk -v a="$ib" -v b="$di" 'BEGIN { printf "%.3f", a / b }')" ""
			else
				echo
			fi ;;
		ka | ld)
			# Issue 24: a dynamic site (a function built without the
			# flag) detached costs its `b stub`, the slot and the branch
			# back; hooked, its entry part and the trampoline's saves of
			# x9-x15, NZCV and v8-v31 beyond what a flagged site's hook
			# costs.
			lim=4
			[ "$1" = k ] || lim=8
			if awk -v d="$di" -v l="$lim" 'BEGIN { exit !(d <= l) }'; then v=PASS; else v=FAIL; fi
			echo "$v (target: <= $lim executed)"
			csv target "$fn" "$1-$2 <= $lim" 1 verdict "$v" "" ;;
		hd)
			# Per-site dispatch: no table whose size the call pays for.
			if [ "$di" = 0.00 ]; then v=PASS; else v=FAIL; fi
			echo "$v (target: unchanged by 100 other hooked sites)"
			csv target "$fn" "h-d = 0" 1 verdict "$v" "" ;;
		*) echo ;;
		esac
	done
done
echo
# What a recording takes: tracer/record.h's 16 bytes per event, plus a header
# of 64 bytes per thread and the text metadata; from (j)'s last run.
if [ -d "$W/rec-j" ]; then
	info=$(ls -t "$W"/rec-j/*/info 2>/dev/null | head -1)
	if [ -n "$info" ]; then
		d=$(dirname "$info")
		ev=$(awk '$1 == "end" { print $4 }' "$info")
		by=$(cat "$d"/*.dat | wc -c)
		echo "Record mode (j): $by bytes of thread files for ${ev:-?} events ($(awk -v b="$by" -v e="${ev:-0}" 'BEGIN { if (e) printf "%.2f", b / e; else printf "?" }') bytes per event, headers included); metadata $(cat "$d"/info "$d"/objects "$d"/sym-*.txt "$d"/threads | wc -c) bytes"
		csv record all j 1 bytes_per_event "$(awk -v b="$by" -v e="${ev:-0}" 'BEGIN { if (e) printf "%.3f", b / e; else printf "NA" }')" bytes
		echo
	fi
	rm -rf "$W/rec-j"
fi

# Where (d)'s instructions go: the path lengths of the per-site trampoline
# between its labels (straight-line code, so addresses say it exactly), the
# stub's two, and the hook's call, its body and the rest from the measured
# total. The trampoline is the one this run's libpfe chose (PFE_DEBUG).
breakdown() {
	NM=${CC%gcc}nm
	tr=$(grun "LD_PRELOAD=$LIBPFE BENCH_HOOK=1 PFE_DEBUG=1" "" "$W/calls-b" tiny 1 2>&1 >/dev/null |
		sed -n 's/^libpfe: stubs: arena .* -> \(pfe_site_trampoline[_mb]*\)$/\1/p' | head -1)
	total=$(field 1 d tiny)
	base=$(field 1 b tiny)
	if [ -z "$tr" ] || ! command -v "$NM" >/dev/null 2>&1 || [ "$total" = NA ]; then
		echo "   not available (no stub arena reported, no $NM, or (d) not measured)"
		return 0
	fi
	"$NM" "$LIBPFE" | awk -v tr="$tr" -v total="$total" -v base="$base" '
		function a(s, i, v) {
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
			return v
		}
		$3 == tr { e = a($1) } $3 == tr ".lock" { l = a($1) } $3 == tr ".call" { c = a($1) }
		$3 == tr ".unlock" { u = a($1) } $3 == tr ".restore" { r = a($1) }
		$3 == tr ".end" { x = a($1) }
		END {
			save = (l - e) / 4 + (x - r) / 4; rcu = (c - l) / 4 + (r - u) / 4
			call = (u - c) / 4; rest = total - base - 2 - save - rcu - call
			printf "   %-44s %4d\n", "stub (ldr x10; b trampoline)", 2
			printf "   %-44s %4d\n", "trampoline: save and restore registers", save
			printf "   %-44s %4d\n", "guard + urcu-bp read lock/unlock", rcu
			printf "   %-44s %4d\n", "hook call (vector load, blr)", call
			printf "   %-44s %4d\n", "hook body and return", rest
			printf "   %-44s %4d   (%s)\n", "total over two NOPs: (d)-(b)", total - base, tr
			printf "csvrow breakdown,tiny,d,1,stub,2,insn\n" > "/dev/stderr"
			printf "csvrow breakdown,tiny,d,1,save_restore,%d,insn\n", save > "/dev/stderr"
			printf "csvrow breakdown,tiny,d,1,guard_rcu,%d,insn\n", rcu > "/dev/stderr"
			printf "csvrow breakdown,tiny,d,1,hook_call,%d,insn\n", call > "/dev/stderr"
			printf "csvrow breakdown,tiny,d,1,hook_body,%d,insn\n", rest > "/dev/stderr"
		}' 2>"$W/breakdown.csv"
	sed -n 's/^csvrow //p' "$W/breakdown.csv" >>"$CSV"
}
echo "Breakdown of (d)-(b) for tiny: instructions per call, by part"
breakdown
echo

# Where (i)'s instructions go, per function of libpfe: every pc the calling
# thread executed in the measured segments, counted (COUNT_HIST), the
# segments' difference divided by the calls between them, and the pcs
# mapped to libpfe's symbols (its load address from the dynamic linker's
# LD_DEBUG=files). What is not libpfe's (the function, its stub, libc) is
# one line. Formatting is not on this path: the writer thread does it.
graph_breakdown() {
	NM=${CC%gcc}nm
	if [ -z "$QEMU" ] || ! command -v "$NM" >/dev/null 2>&1; then
		echo "   not available (needs qemu's instruction log and $NM)"
		return 0
	fi
	run_state i tiny "" 1 >"$W/marks.out" 2>/dev/null || return 0
	set -- $(grep '^markers ' "$W/marks.out")
	COUNT_HIST=1 count_run "$2 $3 $4,$5,$6" run_state i tiny "LD_DEBUG=files" -c "$N1" "$N2" -t 1
	base=$(grep 'file=.*libpfe\.so' -A3 "$W/count.err" | sed -n 's/.*base: 0x\([0-9a-f]*\).*/\1/p' | head -1)
	if [ -z "$base" ]; then
		echo "   not available (no load address for libpfe.so in the dynamic linker's log)"
		return 0
	fi
	"$NM" -n "$LIBPFE" | awk '$2 ~ /^[tTwW]$/' >"$W/syms.txt"
	awk -v base="$base" -v calls="$((N2 - N1))" '
		function h(s, i, v) {
			v = 0
			s = tolower(s)
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		FNR == NR { a[NR] = h($1); nm[NR] = $3; ns = NR; next }
		$1 != "pc" { next }
		{
			off = h($3) - h(base)
			name = "(not libpfe: the function, its stub, libc)"
			if (off >= a[1] && off < a[ns] + 4096) {
				lo = 1; hi = ns
				while (lo < hi) {
					m = int((lo + hi + 1) / 2)
					if (a[m] <= off) lo = m; else hi = m - 1
				}
				name = nm[lo]
				sub(/\.(lock|call|unlock|restore|end)$/, "", name)
			}
			n[name] += ($2 == 2 ? $4 : -$4)
		}
		END {
			for (k in n)
				if (n[k] / calls >= 0.5)
					printf "%.1f %s\n", n[k] / calls, k
		}' "$W/syms.txt" "$W/count.txt" | sort -rn >"$W/graph-breakdown.txt"
	# Largest first, then the measured total.
	awk '{ v = $1; $1 = ""; name = substr($0, 2); printf "   %-44s %6.1f\n", name, v
		gsub(/[(),:]/, "", name)
		printf "csvrow breakdown,tiny,i,1,%s,%.1f,insn\n", name, v > "/dev/stderr" }' \
		"$W/graph-breakdown.txt" 2>"$W/graph-breakdown.csv"
	sed -n 's/^csvrow //p' "$W/graph-breakdown.csv" >>"$CSV"
	printf '   %-44s %6s\n' "total over two NOPs: (i)-(b)" "$(awk -v a="$(field 1 i tiny)" -v b="$(field 1 b tiny)" 'BEGIN { printf "%.1f", a - b }')"
}
case " $STATES " in
*" i "*)
	echo "Breakdown of (i)-(b) for tiny (graph mode): instructions per call, by function"
	graph_breakdown
	echo
	;;
esac

echo "3. Scaling: tiny called by 1, 2, 4 threads at once (per call per thread)"
printf '%-48s %-8s %10s %28s\n' "state" "threads" "insn/call" "ns/call ($TIMEKIND)"
for st in b d; do
	for th in $THREADS; do
		set -- $(row "$st" tiny "$th")
		if [ "$6" = ok ]; then
			printf '%-48s %-8s %10s %12s [%s-%s]\n' "$(label "$st")" "$th" "$1" "$2" "$3" "$4"
			csv threads tiny "$st" "$th" insn_per_call "$1" insn
			csv threads tiny "$st" "$th" ns_median "$2" "ns_$TIMEKIND"
			csv threads tiny "$st" "$th" ns_min "$3" "ns_$TIMEKIND"
			csv threads tiny "$st" "$th" ns_max "$4" "ns_$TIMEKIND"
		else
			shift 5
			printf '%-48s %-8s %10s   not measured: %s\n' "$(label "$st")" "$th" "-" "$*"
			csv threads tiny "$st" "$th" not_measured NA "\"$*\""
		fi
	done
done
echo

# ------------------------------------------------- 2. patching
sh bench/patch.sh

# ------------------------------------------------- 4. writer, 5. start-up
# Each exits 1 when a figure is over its target (CSV "target" rows).
sh bench/writer.sh || true
sh bench/startup.sh || true

# ------------------------------------------------- chart
for st in $STATES; do for fn in $FUNCS; do echo "$st $fn 1 $(row "$st" "$fn" 1)"; done; done >"$W/rows.txt"
sh bench/chart.sh "$W/rows.txt" "$W/costs.png" "$TIMEKIND" "$MACHINE" || echo "bench: no chart (gnuplot failed)"
echo
echo "Machine-readable: $CSV   Chart: $W/costs.png"
