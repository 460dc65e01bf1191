#!/bin/sh
# make fuzz: each harness of $FUZZ for $FUZZ_TIME seconds, one after the
# other. New inputs go to $B/fuzz/corpus/<harness>/ (the checked-in corpus
# and regression inputs are read, not written); crashes, leaks and
# timeouts to $B/fuzz/crashes/<harness>/. Fails when any was found.
set -u
B=${B:-build}
FUZZ=${FUZZ:-recording events parsers}
FUZZ_TIME=${FUZZ_TIME:-60}
found=0
for h in $FUZZ; do
	work=$B/fuzz/corpus/$h
	out=$B/fuzz/crashes/$h
	mkdir -p "$work" "$out" "tests/fuzz/regress/$h"
	dict=
	[ -f "tests/fuzz/$h.dict" ] && dict=-dict=tests/fuzz/$h.dict
	echo "fuzz: $h for $FUZZ_TIME s (log: $B/fuzz/$h.log)"
	# shellcheck disable=SC2086 # $dict: one word or none
	"$B/fuzz/fuzz_$h" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$out/" $dict \
		"$work" "tests/fuzz/corpus/$h" "tests/fuzz/regress/$h" >"$B/fuzz/$h.log" 2>&1
	st=$?
	grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$B/fuzz/$h.log" |
		sed "s/^/fuzz: $h: /"
	n=$(find "$out" -type f | wc -l)
	if [ "$st" -ne 0 ] || [ "$n" -ne 0 ]; then
		echo "fuzz: $h: status $st, $n inputs in $out (keep each, once fixed, in tests/fuzz/regress/$h/)"
		grep -E 'ERROR|SUMMARY' "$B/fuzz/$h.log" | head -5 | sed 's/^/    /'
		found=1
	fi
done
exit "$found"
