#!/bin/sh
# chart.sh ROWS PNG TIMEKIND MACHINE: bar chart of the per-call costs of
# every state (instructions per call, exact; ns per call) with gnuplot.
# ROWS: "state func threads insn med min max status..." lines from run.sh.
set -eu
rows=$1
png=$2
kind=$3
machine=$4
dat=${png%.png}.dat
command -v gnuplot >/dev/null 2>&1 || { echo "bench: gnuplot not installed" >&2; exit 1; }
awk '$3 == 1 { i[$1, $2] = $4; t[$1, $2] = $5; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
END {
	split("a:no patchable entry|b:nop; nop|c:mov x9,x30; nop|d:+ empty hook|e:PFE_TRACE|f:-finstrument-functions|g:uftrace -P", L, "|")
	for (k in L) { split(L[k], p, ":"); name[p[1]] = p[2] }
	print "# state label tiny_insn rec_insn leaf8_insn tiny_ns rec_ns leaf8_ns"
	for (k = 1; k <= n; k++) {
		s = order[k]
		printf "\"(%s) %s\"", s, name[s]
		printf " %s %s %s", i[s, "tiny"], i[s, "rec"], i[s, "leaf8"]
		printf " %s %s %s\n", t[s, "tiny"], t[s, "rec"], t[s, "leaf8"]
	}
}' "$rows" >"$dat"
gnuplot <<EOG
set terminal pngcairo size 1400,620 font "DejaVu Sans,11" noenhanced
set output "$png"
set datafile missing "NA"
set multiplot layout 1,2 title "libpfe: cost per call in each state — $machine" font ",13"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set logscale y
set grid ytics mytics
set xtics rotate by 30 right scale 0
set bmargin 9
set yrange [1:3000]
set title "Instructions per call (exact; log scale; n/a = not measured)"
set ylabel "instructions"
# Values over the bars: in a clustered histogram of 3 columns with gap 1,
# column i of row j stands at x = j + (i - 2) / 4.
plot "$dat" using 2:xtic(1) title "tiny", '' using 3 title "rec (per level)", '' using 4 title "leaf8", \
	'' using (\$0 - 0.25):2:(sprintf("%.0f", \$2)) with labels rotate by 90 left offset 0,0.3 font ",8" notitle, \
	'' using (\$0):3:(sprintf("%.0f", \$3)) with labels rotate by 90 left offset 0,0.3 font ",8" notitle, \
	'' using (\$0 + 0.25):4:(sprintf("%.0f", \$4)) with labels rotate by 90 left offset 0,0.3 font ",8" notitle
set title "Time per call, ns ($kind; median; log scale)"
set ylabel "ns ($kind)"
set yrange [*:*]
plot "$dat" using 5:xtic(1) title "tiny", '' using 6 title "rec (per level)", '' using 7 title "leaf8"
unset multiplot
EOG
