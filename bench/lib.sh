# Shared by bench/run.sh and bench/patch.sh (sourced): configuration,
# running target programs under qemu or natively, counting instructions.
B=${B:-build}
CC=${CC:-aarch64-linux-gnu-gcc}
QEMU=${QEMU-qemu-aarch64}
QUICK=${BENCH_QUICK:-0}
TOP=$(pwd)
W=${BENCH_DIR:-$B/bench}
LIBPFE=$TOP/$B/libpfe.so
CSV=$W/results.csv
mkdir -p "$W" "$W/gen"

if [ "$QUICK" = 1 ]; then
	N_TIME=20000 REPS=3 N1=5 N2=10 SIZES="100 1000" T_N=5000 COUNT_SIZES=""
	STARTUP_SIZES="1000 2000"
else
	N_TIME=200000 REPS=7 N1=50 N2=100 SIZES="1000 10000 100000" T_N=100000
	# Single-stepping with a log runs some 0.1-0.4 million instructions a
	# second (less for code run once, which is translated first); 2,000
	# sites took 4 minutes here, 10,000 ten.
	COUNT_SIZES="100 1000"
fi
# Section 2's sizes alone, e.g. BENCH_SIZES=100000 BENCH_COUNT_SIZES= sh
# bench/patch.sh for the attach and detach at 100,000 sites (README).
SIZES=${BENCH_SIZES-$SIZES}
COUNT_SIZES=${BENCH_COUNT_SIZES-$COUNT_SIZES}
if [ "$QUICK" != 1 ]; then
	# Whole runs single-stepped for the start-up per site (bench/startup.sh).
	STARTUP_SIZES="1 10000 100000"
fi
FUNCS="tiny rec leaf8"
# (k), (l): dynamic sites (issue 24); left out of the smoke test's default,
# which must stay within its time limit on a loaded machine.
if [ "$QUICK" = 1 ]; then
	STATES=${BENCH_STATES:-a b c d h e i j f g}
else
	STATES=${BENCH_STATES:-a b c d h k l e i j f g}
fi
THREADS="1 2 4"
CFLAGS_B="-O2 -g -Iinclude -pthread"

if [ -n "$QEMU" ]; then
	TIMEKIND="emulated"
	MACHINE="$(uname -m) host, $($QEMU --version | head -1 | sed 's/ (.*//'), $(nproc) cores"
else
	TIMEKIND="hardware"
	MACHINE="$(uname -m), $(nproc) cores, $(grep -m1 -i -E 'model name|CPU part' /proc/cpuinfo | sed 's/.*: //')"
fi

# BENCH_VERBOSE=1: say on stderr what runs, with the time.
say() {
	[ "${BENCH_VERBOSE:-0}" = 1 ] && echo "bench: $(date +%T) $*" >&2
	return 0
}

die() {
	echo "bench: $*" >&2
	exit 1
}

# -------------------------------------------------------------- running
# The guest environment of one state, as NAME=VALUE words.
state_env() {	# state func [trace output]
	case $1 in
	c) echo "LD_PRELOAD=$LIBPFE" ;;
	d) echo "LD_PRELOAD=$LIBPFE BENCH_HOOK=1" ;;
	h) echo "LD_PRELOAD=$LIBPFE BENCH_HOOK=100" ;;
	k) echo "LD_PRELOAD=$LIBPFE BENCH_HOOK=detach" ;;
	l) echo "LD_PRELOAD=$LIBPFE BENCH_HOOK=1" ;;
	e) echo "LD_PRELOAD=$LIBPFE PFE_TRACE=$(func_list "$2" ,) PFE_OUTPUT=${3:-/dev/null}" ;;
	i) echo "LD_PRELOAD=$LIBPFE PFE_TRACE=$(func_list "$2" ,) PFE_GRAPH=1 PFE_OUTPUT=${3:-/dev/null}" ;;
	j) echo "LD_PRELOAD=$LIBPFE PFE_TRACE=$(func_list "$2" ,) PFE_GRAPH=1 PFE_RECORD=$W/rec-j" ;;
	esac
}

func_list() {	# func|all separator
	if [ "$1" = all ]; then echo "tiny${2}rec${2}leaf8"; else echo "$1"; fi
}

state_bin() {
	case $1 in
	a | k | l) echo "$W/calls-a" ;;
	f) echo "$W/calls-f" ;;
	*) echo "$W/calls-b" ;;
	esac
}

# grun "ENV WORDS" "QEMU OPTIONS" prog args...: run a target program.
# Under qemu, LD_* and QEMU_* variables go to the guest only (-E); the
# others through qemu's own environment, which the guest inherits, because
# -E splits its value at commas (PFE_TRACE=a,b).
grun() {
	genv=$1
	qopt=$2
	shift 2
	if [ -n "$QEMU" ]; then
		eopt=""
		hostenv=""
		for v in $genv; do
			case $v in
			LD_* | QEMU_*) eopt="$eopt -E $v" ;;
			*) hostenv="$hostenv $v" ;;
			esac
		done
		# shellcheck disable=SC2086
		env $hostenv $QEMU $qopt $eopt "$@"
	else
		# shellcheck disable=SC2086
		env $genv "$@"
	fi
}

UFTRACE=/usr/bin/uftrace
# run_state STATE FUNC "EXTRA ENV" args...; qemu options in $QOPT.
QOPT=""
run_state() {
	st=$1
	fn=$2
	qo=$QOPT
	ex=$3
	shift 3
	bin=$(state_bin "$st")
	if [ "$st" = g ]; then
		rm -rf "$W/uftrace.data"
		# uftrace execs the program: under qemu-user the child is started
		# through binfmt_misc, and takes qemu options from QEMU_* variables.
		ue=""
		for o in $qo; do
			case $o in
			-singlestep) ue="$ue QEMU_SINGLESTEP=1" ;;
			# -E splits its value at commas; with -singlestep, "exec"
			# alone logs every instruction (helper_lookup_tb_ptr logs too).
			*exec*) ue="$ue QEMU_LOG=exec" ;;
			-d | -D) ;;
			*) ue="$ue QEMU_LOG_FILENAME=$o" ;;
			esac
		done
		popt=""
		for p in $(func_list "$fn" " "); do popt="$popt -P ^$p\$"; done
		# shellcheck disable=SC2086
		grun "$ex $ue" "" $UFTRACE record -d "$W/uftrace.data" --no-libcall $popt "$bin" "$fn" "$@"
	else
		grun "$(state_env "$st" "$fn") $ex" "$qo" "$bin" "$fn" "$@"
	fi
}

hex16() {	# comma-separated addresses -> the same as qemu prints them
	echo "$1" | tr ',' '\n' | while read -r a; do printf '%016x\n' "$a"; done | paste -sd, -
}

# count_run "BEGIN END FUNC[,FUNC...]" command...: run the command (a function that
# passes $QOPT to qemu) with the exec log streamed into count.awk; leaves
# the counts in $W/count.txt. COUNT_LOG=exec,nochain leaves out in_asm (the
# NOP split), which costs a disassembly per instruction translated.
count_run() {
	m=$1
	shift
	set -- $m "$@"
	b=$(hex16 "$1")
	e=$(hex16 "$2")
	f=$(hex16 "$3")
	shift 3
	fifo=$W/qemu-log.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	awk -v b="$b" -v e="$e" -v f="$f" -v hist="${COUNT_HIST:-}" -f bench/count.awk <"$fifo" >"$W/count.txt" &
	apid=$!
	QOPT="-singlestep -d ${COUNT_LOG:-in_asm,exec,nochain} -D $fifo"
	"$@" >"$W/count.out" 2>"$W/count.err" || true
	QOPT=""
	# If the program never opened the log, the reader still waits for a writer.
	if kill -0 "$apid" 2>/dev/null; then
		timeout 5 sh -c ": >'$fifo'" 2>/dev/null || true
	fi
	wait "$apid" || true
	rm -f "$fifo"
}

seg_insns() {	# k: instructions of segment k in $W/count.txt
	awk -v k="$1" '$1 == "seg" && $2 == k { print $4 }' "$W/count.txt"
}
seg_entries() {
	awk -v k="$1" '$1 == "seg" && $2 == k { print $6 }' "$W/count.txt"
}
seg_nonnop() {
	awk -v k="$1" '$1 == "seg" && $2 == k { print $8 }' "$W/count.txt"
}

csv() {	# section name state threads metric value unit
	echo "$1,$2,$3,$4,$5,$6,$7" >>"$CSV"
}
