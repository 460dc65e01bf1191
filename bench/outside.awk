# Counts the guest instructions a -singlestep -d exec,nochain log shows
# outside the marked segments: every thread's, but those a thread runs
# between its call of bench_mark_begin (b) and of bench_mark_end (e)
# (16-digit lowercase hex, as qemu prints guest pcs).
# Prints "outside <n> inside <n>".
$1 == "Trace" {
	split($4, a, "/")
	pc = a[2]
	if (pc == b) {
		open_[$2] = 1
		next
	}
	if (pc == e) {
		open_[$2] = 0
		next
	}
	if (open_[$2])
		inside++
	else
		outside++
}
END { printf "outside %d inside %d\n", outside, inside }
