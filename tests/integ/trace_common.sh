# shellcheck shell=sh
# Shared by tests/integ/t_trace*.sh (sourced after tests/lib.sh): build the
# tracer's test program (tests/progs/trace_app.c + trace_funcs.c) in a given
# layout, run it traced, and compare the trace with what objdump says the
# callers must be. Its variables are for the scripts that source it, and
# CFLAGS_TR holds several words:
# shellcheck disable=SC2034,SC2086
: "${OBJDUMP:=aarch64-linux-gnu-objdump}"
P=$TOP/tests/progs
CFLAGS_TR="-O2 -pthread"
# The traced functions of the standard spec and how often each thread calls
# them: main and worker once, top/mid twice per loop iteration in leaf.
SPEC='main,worker,top,mid,leaf'

# The arm64 libc the programs run with, for checking callers inside it.
LIBC=/lib/aarch64-linux-gnu/libc.so.6
[ -f "$LIBC" ] || LIBC=/usr/aarch64-linux-gnu/lib/libc.so.6

# build NAME FLAGS...: the test program as $T/NAME, all in one executable.
build() {
	_n=$1
	shift
	tcc -o "$T/$_n" -I"$P" "$P/trace_app.c" "$P/trace_funcs.c" $CFLAGS_TR "$@"
}

# build_shared NAME FLAGS...: $T/NAME with the traced functions in
# $T/libtrfuncs.so.
build_shared() {
	_n=$1
	shift
	tcc -o "$T/libtrfuncs.so" -fPIC -shared "$P/trace_funcs.c" $CFLAGS_TR "$@"
	tcc -o "$T/$_n" -I"$P" "$P/trace_app.c" -L"$T" -ltrfuncs -Wl,-rpath,\$ORIGIN \
		$CFLAGS_TR "$@"
}

# ra FILE CALLER CALLEE: "CALLER+0x<offset>" of the return address of the one
# call from CALLER to CALLEE (directly or through the PLT) in FILE, from
# objdump. Exits the script when there is not exactly one such call.
ra() {
	$OBJDUMP -d --no-show-raw-insn "$1" | awk -v caller="$2" -v callee="$3" '
		/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); start = $1; next }
		fn == caller && $2 == "bl" && ($4 == "<" callee ">" || $4 == "<" callee "@plt>") {
			at = $1; sub(/:$/, "", at); print start, at; n++ }
		END { if (n != 1) exit 1 }' >"$T/ra.tmp" || {
		echo "not ok - objdump: not exactly one call $2 -> $3 in $1"
		exit 1
	}
	read -r _s _a <"$T/ra.tmp"
	printf '%s+0x%x\n' "$2" $((0x$_a + 4 - 0x$_s))
}

# expected FILE LIBFILE MAIN_LOOPS WORKER_LOOPS: the per-thread traces of the
# standard spec, in the form `threads` prints. LIBFILE holds top/mid/leaf.
expected() {
	_top_m=$(ra "$1" main top)
	_top_w=$(ra "$1" worker top)
	_mid=$(ra "$2" top mid)
	_leaf_m=$(ra "$2" mid leaf)
	_leaf_t=$(ra "$2" top leaf)
	{
		printf 'main <- libc.so.6+0x?'
		for _i in $(seq "$3"); do
			printf '|top <- %s|mid <- %s|leaf <- %s|leaf <- %s' \
				"$_top_m" "$_mid" "$_leaf_m" "$_leaf_t"
		done
		echo
		printf 'worker <- libc.so.6+0x?'
		for _i in $(seq "$4"); do
			printf '|top <- %s|mid <- %s|leaf <- %s|leaf <- %s' \
				"$_top_w" "$_mid" "$_leaf_m" "$_leaf_t"
		done
		echo
	} | sort | tr '|' '\n'
}

# threads TRACE: the trace's lines grouped by thread (tid) without the tid
# and time columns, each thread's lines in file order, the threads sorted by
# content (which thread shows up first is up to the scheduler). Callers in
# libc have their offset masked; check_libc_callers checks them.
threads() {
	sed 's/ libc\.so\.6+0x[0-9a-f]*$/ libc.so.6+0x?/' "$1" | awk '
		{ tid = $1; $1 = ""; $2 = ""; sub(/^  /, "");
		  if (!(tid in seq)) { order[++n] = tid; seq[tid] = $0 }
		  else seq[tid] = seq[tid] "|" $0 }
		END { for (i = 1; i <= n; i++) print seq[order[i]] }' | sort | tr '|' '\n'
}

# check_format NAME TRACE: every line is "<tid> <s>.<µs> <function> <- <caller>",
# and within each thread the times never go back.
check_format() {
	_bad=$(grep -cvE '^[0-9]+ [0-9]+\.[0-9]{6} [^ ]+ <- [^ ]+\+0x[0-9a-f]+$' "$2")
	expect_eq "$1: every line well formed" 0 "$_bad"
	_back=$(awk '{ t = $2 + 0; if (($1 in last) && t < last[$1]) b++; last[$1] = t }
		END { print b + 0 }' "$2")
	expect_eq "$1: times non-decreasing within each thread" 0 "$_back"
}

# check_libc_callers NAME TRACE: each caller inside libc is a return address:
# the instruction before it is a call.
check_libc_callers() {
	_ok=0
	_n=0
	# shellcheck disable=SC2013 # offsets: one word each
	for _off in $(sed -n 's/.* libc\.so\.6+0x\([0-9a-f]*\)$/\1/p' "$2" | sort -u); do
		_n=$((_n + 1))
		if $OBJDUMP -d --start-address=$((0x$_off - 4)) --stop-address=$((0x$_off)) \
			"$LIBC" | grep -Eq '[[:space:]]bl?r?[[:space:]]'; then
			_ok=$((_ok + 1))
		fi
	done
	expect_eq "$1: callers in libc follow a call instruction ($_n)" "$_n" "$_ok"
}

# run_traced NAME SPEC PROG ARGS...: run PROG without libpfe and with
# PFE_TRACE=SPEC, PFE_OUTPUT=$T/NAME.trace. Leaves $T/NAME.{ref,refrc,out,err,rc}.
# PFE_TRACE travels in qemu's environment: -E would split it at commas.
run_traced() {
	_n=$1 _spec=$2
	shift 2
	trun "$@" >"$T/$_n.ref" 2>&1
	echo $? >"$T/$_n.refrc"
	rm -f "$T/$_n.trace"
	PFE_TRACE=$_spec PFE_OUTPUT="$(pwd)/$T/$_n.trace" prun "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	echo $? >"$T/$_n.rc"
}

# check_run NAME [STDERR]: the traced run exited as the untraced one did,
# printed the same, and wrote exactly STDERR (default nothing) on stderr.
check_run() {
	expect_eq "$1: exit status unchanged" "$(cat "$T/$1.refrc")" "$(cat "$T/$1.rc")"
	expect_file "$1: program output unchanged" "$T/$1.ref" "$T/$1.out"
	expect_eq "$1: stderr" "${2:-}" "$(cat "$T/$1.err")"
}

# check_trace NAME EXPECTED_FILE: the trace is well formed and has exactly the
# expected lines per thread.
check_trace() {
	check_format "$1" "$T/$1.trace"
	threads "$T/$1.trace" >"$T/$1.threads"
	expect_file "$1: exact lines per thread" "$2" "$T/$1.threads"
}

# per_thread TRACE: the number of lines of each thread, ascending.
per_thread() {
	awk '{ n[$1]++ } END { for (t in n) print n[t] }' "$1" | sort -n | tr '\n' ' '
}
