# Counts the guest instructions qemu executed inside marked segments, per
# thread, from a log made with -singlestep -d in_asm,exec,nochain, where each
#   Trace <cpu>: <host> [<cs_base>/<pc>/<flags>/<cflags>] <symbol>
# line is one executed instruction (one-instruction blocks, no chaining),
# and each in_asm line "0x<pc>:  <encoding>  <mnemonic>" says what the
# instruction at pc was when it was translated (again after a patch), so
# NOPs can be told apart: a NOP turned into `mov x9, x30` keeps the count
# of executed instructions but adds one that does work.
# Variables (16-digit lowercase hex, no 0x, as qemu prints guest addresses):
#   b  first instruction of bench_mark_begin: opens a segment
#   e  first instruction of bench_mark_end: closes it
#   f  first instructions of the measured functions, comma-separated: their
#      entries are counted
# Segments are numbered per thread (qemu cpu index) in the order they open;
# the totals of segment k add up every thread's k-th segment.
#   hist (optional) non-empty: also count each pc of each segment
# Prints: "threads <t> segments <s>", "pre <n>" (instructions before each
# thread's first segment: the start-up, for the main thread), one
# "seg <k> insns <n> entries <n> nonnop <n>" for each segment and, with
# hist, one "pc <k> <pc> <n>" for each pc executed in segment k.
BEGIN {
	nf = split(f, fl, ",")
	for (i = 1; i <= nf; i++)
		fn[fl[i]] = 1
}
/^0x[0-9a-f]+: / {
	a0 = substr($1, 3, length($1) - 3)
	a0 = sprintf("%16s", a0)
	gsub(/ /, "0", a0)
	isnop[a0] = ($2 == "d503201f")
	next
}
$1 == "Trace" {
	cpu = $2
	split($4, a, "/")
	pc = a[2]
	if (!(cpu in nseg) && pc != b)
		pre++
	if (pc == b) {
		if (!(cpu in nseg))
			threads++
		k = ++nseg[cpu]
		open_[cpu] = 1
		if (k > segs)
			segs = k
		next
	}
	if (!open_[cpu])
		next
	if (pc == e) {
		open_[cpu] = 0
		next
	}
	insns[nseg[cpu]]++
	if (hist != "")
		h[nseg[cpu], pc]++
	if (!isnop[pc])
		work[nseg[cpu]]++
	if (pc in fn)
		entries[nseg[cpu]]++
}
END {
	printf "threads %d segments %d\npre %d\n", threads, segs, pre
	for (k = 1; k <= segs; k++)
		printf "seg %d insns %d entries %d nonnop %d\n", k, insns[k], entries[k], work[k]
	for (kp in h) {
		split(kp, x, SUBSEP)
		printf "pc %d %s %d\n", x[1], x[2], h[kp]
	}
}
