#!/bin/sh
# What the tracer's writer thread costs: instructions per line written in
# each text mode, and per call counted in summary mode, exact under qemu
# (-singlestep -d exec,nochain). bench/writer.c makes N1 and N2 traced
# calls of a one-line function and waits for the writer to have written
# them; every instruction of the process outside the calls and the wait
# is counted (the writer thread, and whatever the exit still formats), and
# the difference of the two runs divided by the lines added. Sourced
# helpers: bench/lib.sh. Appends to $CSV; exits 1 when a figure is over
# its target (WRITER_LINE_MAX per line, WRITER_SUMMARY_MAX per call).
set -eu
. bench/lib.sh
WRITER_LINE_MAX=${WRITER_LINE_MAX:-200}
WRITER_SUMMARY_MAX=${WRITER_SUMMARY_MAX:-150}
WRITER_RECORD_MAX=${WRITER_RECORD_MAX:-60}
if [ "$QUICK" = 1 ]; then WN1=50 WN2=250; else WN1=200 WN2=2200; fi
bin=$W/writer
if [ ! -x "$bin" ] || [ bench/writer.c -nt "$bin" ]; then
	$CC -O2 -g -fpatchable-function-entry=2 -o "$bin" bench/writer.c || die "cannot build $bin"
fi

# outside MODE N: instructions outside the segments of one run.
outside() {
	rm -f "$W/writer-trace.txt"
	grun "LD_PRELOAD=$LIBPFE" "" "$bin" 0 0 >"$W/writer.out" 2>/dev/null || return 1
	set -- "$1" "$2" $(awk '$1 == "markers" { print $2, $3 }' "$W/writer.out")
	b=$(hex16 "$3")
	e=$(hex16 "$4")
	env=""
	tmo=60000
	flush=1s
	case $1 in
	flat) env="PFE_GRAPH=0" ;;
	graph) env="PFE_GRAPH=1" ;;
	time) env="PFE_GRAPH=time" ;;
	# Summary mode writes nothing before the exit, so the program cannot
	# wait for the writer: with PFE_FLUSH=1s the writer woke at some point
	# of the run, and the exit's flush either had it all to consume or
	# waited on the writer's batch, by yields that were counted (83.2,
	# 136.1 and 195.4 per call on one tree). With 60s (the longest) the
	# writer does not wake in the run, and the exit's flush consumes every
	# event by the same code (ring_consume.c's consume_summary).
	summary) env="PFE_SUMMARY=1" tmo=0 flush=60s ;;
	# A recording is not text the program could wait for either: as
	# summary mode, consumed by the exit's flush.
	record)
		rm -rf "$W/writer-rec"
		env="PFE_GRAPH=1 PFE_RECORD=$TOP/$W/writer-rec" tmo=0 flush=60s ;;
	esac
	fifo=$W/writer-log.fifo
	rm -f "$fifo" "$W/writer-trace.txt"
	mkfifo "$fifo"
	awk -v b="$b" -v e="$e" -f bench/outside.awk <"$fifo" >"$W/writer-count.txt" &
	apid=$!
	# PFE_FLUSH=1s: the writer wakes a few times during the calls, not
	# once per millisecond. Single-stepped, the program makes about one
	# call per millisecond, and a wake-up's own cost (the futex, the scan,
	# write(2)) spread over a line or two made the figure follow the
	# machine's load: flat read 182, 201, 222 on one tree.
	grun "LD_PRELOAD=$LIBPFE PFE_TRACE=tiny,bench_writer_done $env PFE_FLUSH=$flush PFE_OUTPUT=$TOP/$W/writer-trace.txt" \
		"-singlestep -d exec,nochain -D $fifo" "$bin" "$2" "$tmo" >/dev/null 2>"$W/writer.err" || true
	wait "$apid" || true
	rm -f "$fifo"
	awk '$1 == "outside" { print $2 }' "$W/writer-count.txt"
}

if [ -z "$QEMU" ]; then
	echo "4. Writer thread: instructions per line need qemu's instruction log (not measured)"
	exit 0
fi
echo "4. Writer thread: instructions per line written ($WN1 and $WN2 traced calls of a one-line function; whole process but the calls)"
printf '   %-34s %10s %10s %8s %10s  %s\n' mode "lines" "insns" "per line" target verdict
fail=0
for mode in ${WRITER_MODES:-flat graph time summary record}; do
	case $mode in
	flat) per=1 what="flat line" max=$WRITER_LINE_MAX ;;
	graph) per=2 what="graph line (entry, exit)" max=$WRITER_LINE_MAX ;;
	time) per=2 what="graph line, PFE_GRAPH=time" max=$WRITER_LINE_MAX ;;
	summary) per=1 what="call counted (PFE_SUMMARY)" max=$WRITER_SUMMARY_MAX ;;
	record) per=2 what="event recorded (entry, exit)" max=$WRITER_RECORD_MAX ;;
	esac
	say "writer $mode"
	o1=$(outside $mode $WN1) || o1=""
	o2=$(outside $mode $WN2) || o2=""
	if [ -z "$o1" ] || [ -z "$o2" ]; then
		printf '   %-34s not measured: the run failed\n' "$what"
		continue
	fi
	lines=$(((WN2 - WN1) * per))
	pl=$(awk -v a="$o1" -v b="$o2" -v n="$lines" 'BEGIN { printf "%.1f", (b - a) / n }')
	v=$(awk -v p="$pl" -v m="$max" 'BEGIN { print (p <= m) ? "PASS" : "FAIL" }')
	[ "$v" = PASS ] || fail=1
	printf '   %-34s %10s %10s %8s %10s  %s\n' "$what" "$lines" "$((o2 - o1))" "$pl" "<= $max" "$v"
	csv writer "$mode" "$mode" 1 insn_per_line "$pl" insn
	csv target writer "$mode" 1 verdict "$v" ""
done
echo
exit $fail
