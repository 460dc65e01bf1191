#!/bin/sh
# gen.sh DIR N: writes DIR/pf_N_<k>.c, chunks of at most 10,000 functions
#   int pf_000000(int x) { return x + 0; } ...
# and DIR/pf_N_bounds.c with the first and last of them, for bench/patch.c.
# Chunks compile in parallel and are cached by the caller.
set -eu
dir=$1
n=$2
chunk=10000
mkdir -p "$dir"
k=0
i=0
while [ "$i" -lt "$n" ]; do
	end=$((i + chunk))
	[ "$end" -gt "$n" ] && end=$n
	f="$dir/pf_${n}_$k.c"
	if [ ! -s "$f" ]; then
		awk -v lo="$i" -v hi="$end" 'BEGIN {
			for (j = lo; j < hi; j++)
				printf "int pf_%06d(int x) { return x + %d; }\n", j, j
		}' >"$f.tmp" && mv "$f.tmp" "$f"
	fi
	i=$end
	k=$((k + 1))
done
last=$(printf '%06d' $((n - 1)))
f="$dir/pf_${n}_bounds.c"
[ -s "$f" ] || cat >"$f" <<EOC
int pf_000000(int), pf_$last(int);
int (*const pf_bounds[2])(int) = { pf_000000, pf_$last };
EOC
echo "$k"
