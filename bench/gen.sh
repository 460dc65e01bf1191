#!/bin/sh
# gen.sh DIR N: makes sure DIR holds the C sources of N generated functions
#   int pf_000000(int x) { return x + 0; } ...
# in chunks of at most 10,000 (DIR/pf_<lo>_<hi>.c, shared between sizes, so
# that they compile in parallel and once), and DIR/pf_N_bounds.c with the
# first and last function for bench/patch.c. Prints the files, one a line.
set -eu
dir=$1
n=$2
chunk=10000
mkdir -p "$dir"
i=0
while [ "$i" -lt "$n" ]; do
	end=$((i + chunk))
	[ "$end" -gt "$n" ] && end=$n
	f="$dir/pf_${i}_$end.c"
	if [ ! -s "$f" ]; then
		awk -v lo="$i" -v hi="$end" 'BEGIN {
			for (j = lo; j < hi; j++)
				printf "int pf_%06d(int x) { return x + %d; }\n", j, j
		}' >"$f.tmp" && mv "$f.tmp" "$f"
	fi
	echo "$f"
	i=$end
done
last=$(printf '%06d' $((n - 1)))
f="$dir/pf_${n}_bounds.c"
[ -s "$f" ] || cat >"$f" <<EOC
int pf_000000(int), pf_$last(int);
int (*const pf_bounds[2])(int) = { pf_000000, pf_$last };
EOC
echo "$f"
