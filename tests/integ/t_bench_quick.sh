#!/bin/sh
# Smoke test of the bench harness (issue 4): BENCH_QUICK=1 bench/run.sh must
# finish and print every row of its table, and write every row to its CSV
# and a PNG chart. The numbers are not asserted here (make bench reports
# them); only that each row was measured or says why it was not.
. tests/lib.sh
out=$T/bench.out
BENCH_QUICK=1 BENCH_DIR="$T/bench" sh bench/run.sh >"$out" 2>"$T/bench.err"
expect_status "bench-quick runs to the end" 0 $?
csv=$T/bench/results.csv

for h in "^1\. Cost per call" "^Differences that matter" "^3\. Scaling" "^2\. Patching" \
	"^Machine-readable: "; do
	expect_grep "table has section /$h/" "$h" "$out"
done

# Every state x function: a line with numbers or "not measured: <why>".
for st in a b c d e f g; do
	for fn in tiny rec leaf8; do
		expect_grep "table row ($st) $fn" \
			"^\($st\) .* $fn +(([0-9.]+|NA) +([0-9.]+|NA) +[0-9.]+ \[[0-9.]+-[0-9.]+\]|- +- +not measured: .+)$" "$out"
		expect_grep "csv row ($st) $fn" \
			"^calls,$fn,$st,1,(ns_median,[0-9.]+,ns_(emulated|hardware)|not_measured,NA,\".+\")$" "$csv"
	done
done
for fn in tiny rec leaf8; do
	for d in c-b d-b e-d; do
		expect_grep "csv difference $d $fn" "^diff,$fn,$d,1,insn_per_call,([0-9.-]+|NA),insn$" "$csv"
	done
	expect_grep "verdict (c)-(b) $fn" "^  $fn +\(c\)-\(b\) = .*(PASS|FAIL) \(target" "$out"
	expect_grep "verdict (d)-(b) $fn" "^  $fn +\(d\)-\(b\) = .*(PASS|FAIL) \(target" "$out"
done
for st in b d; do
	for th in 1 2 4; do
		expect_grep "threads row ($st) x$th" \
			"^threads,tiny,$st,$th,(ns_median,[0-9.]+,|not_measured,NA,)" "$csv"
	done
done
for n in 100 1000; do
	expect_grep "patching row $n" "^ +$n +[0-9]+ +([0-9]+ |not measured: )" "$out"
	expect_grep "csv patching $n" "^patch,$n,d,1,(attach_ns,[0-9]+,|not_measured,NA,)" "$csv"
done
expect_eq "csv header" "section,name,state,threads,metric,value,unit" "$(head -1 "$csv")"

if command -v gnuplot >/dev/null 2>&1; then
	expect_eq "chart is a PNG" "PNG" "$(head -c 4 "$T/bench/costs.png" 2>/dev/null | tail -c 3)"
fi

# Machine-readable means every line has the header's seven fields.
expect_eq "csv: 7 fields on every line" "" \
	"$(awk -F, '{ n = NF; if ($0 ~ /"/) n = 7 } n != 7 { print NR ": " $0 }' "$csv" | head -5)"
