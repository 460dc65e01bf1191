#!/bin/sh
# pfe_insn_classify (arch/arm64/reloc.c) against an independent decoder,
# binutils' disassembler: over pseudo-random words and over every
# instruction of the target's libc, each word the disassembler names as a
# PC-relative form (adr, adrp, ldr/ldrsw/prfm literal, b, bl, b.cond, cbz,
# tbz, ...) must be in that class and no other word may be; exclusives,
# exception generators and FEAT_MOPS words must be refused as such; BLR
# forms copied as links; SME refused as undecoded; words the disassembler
# does not know must never be taken for PC-relative ones. reloc.c is pure,
# so the classifier runs on this machine (HOSTCC), not under qemu.
. tests/lib.sh
plan 7
: "${OBJDUMP:=aarch64-linux-gnu-objdump}" "${HOSTCC:=gcc}"
$HOSTCC -O2 -std=gnu11 -Iarch/arm64 -o "$T/cls" tests/progs/reloc_classify.c arch/arm64/reloc.c ||
	{ echo "not ok - compile reloc_classify"; exit 1; }

# dis FILE OBJDUMP-ARGS...: "address<TAB>word<TAB>mnemonic<TAB>operands" per
# instruction.
dis() {
	f=$1
	shift
	$OBJDUMP "$@" -M no-aliases "$f" |
		awk -F'\t' '/^ *[0-9a-f]+:\t[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f] *\t/ {
			a = $1; gsub(/[ :]/, "", a); w = $2; gsub(/ /, "", w); print a "\t" w "\t" $3 "\t" $4 }'
}

# judge: reads "address<TAB>word<TAB>mnemonic<TAB>operands<TAB>class<TAB>target",
# prints the disagreements on the class as "word mnemonic operands: class,
# expected E".
judge() {
	awk -F'\t' '
	function expect(w, m, o) {
		if (m == ".inst" || m == ".word" || m == "udf")
			return "unknown"
		if ((m == "adr" && o !~ /^z/) || m == "adrp" || m == "b" || m == "bl")
			return m
		if (m ~ /^bc?\./)
			return "b_cond"
		if (m == "cbz" || m == "cbnz")
			return "cb"
		if (m == "tbz" || m == "tbnz")
			return "tb"
		if ((m == "ldr" || m == "ldrsw" || m == "prfm") && o !~ /\[/)
			return m == "prfm" ? "prfm_lit" : o ~ /^[sdq][0-9]/ ? "ldr_lit_fp" : "ldr_lit"
		if (m ~ /^(ld|st)(a|l)?x(r[bh]?|p)$/)
			return "exclusive"
		if (m ~ /^(brk|hlt|hvc|smc|dcps[123]|eret|eretaa|eretab|drps|tcancel)$/)
			return "trap"
		if (m ~ /^(cpyf?|setg?)[pme]/)
			return "sequence"
		if (m ~ /^blr/)
			return "link"
		if (w ~ /^[89a-f][01]/ && substr(w, 1, 1) ~ /[8ace]/)
			return "sme"
		return "plain"
	}
	{
		w = $2; m = $3; o = $4; c = $5; e = expect(w, m, o)
		if (e == "unknown")
			ok = c == "undecoded" || c == "plain" || c == "trap" || c == "sequence" || c == "link"
		else if (e == "sme")
			ok = c == "undecoded"
		else
			ok = c == e
		if (!ok)
			print w " " m " " o ": " c ", expected " e
	}'
}

# targets: reads judge's input, prints the PC-relative words whose target
# is not the address the disassembler prints (its last operand, before any
# <symbol> or // comment).
targets() {
	awk -F'\t' '$6 != "-" {
		o = $4; sub(/ *\/\/.*/, "", o); sub(/ *<.*/, "", o)
		n = split(o, t, /[ ,]+/); a = t[n]; sub(/^0x/, "", a); sub(/^0+/, "", a)
		if (a == "") a = "0"
		if (a != $6) print $1 ": " $2 " " $3 " " $4 ": target " $6
	}'
}

"$T/cls" rand 400000 0x5eed "$T/rand.bin" >"$T/rand.cls"
dis "$T/rand.bin" -D -b binary -m aarch64 >"$T/rand.dis"
paste "$T/rand.dis" "$T/rand.cls" >"$T/rand.all"
judge <"$T/rand.all" >"$T/rand.bad"
grep -E ': (adr|adrp|ldr_lit|ldr_lit_fp|prfm_lit|b|bl|b_cond|cb|tb), |expected (adr|adrp|ldr_lit|ldr_lit_fp|prfm_lit|b|bl|b_cond|cb|tb)$' \
	"$T/rand.bad" >"$T/rand.pcrel"
expect_eq "random words: PC-relative exactly where the disassembler says" "" "$(head -5 "$T/rand.pcrel")"
expect_eq "random words: every other class as the disassembler names the word" "" "$(head -5 "$T/rand.bad")"
expect_eq "random words: every PC-relative target as the disassembler reads it" "" \
	"$(targets <"$T/rand.all" | head -5)"

libc=$($CC -print-file-name=libc.so.6)
if [ -f "$libc" ]; then
	dis "$libc" -d >"$T/libc.dis"
	cut -f1,2 "$T/libc.dis" | tr '\t' ' ' | "$T/cls" | paste "$T/libc.dis" - >"$T/libc.all"
	judge <"$T/libc.all" >"$T/libc.bad"
	expect_eq "libc: every instruction in the class its name says" "" "$(head -5 "$T/libc.bad")"
	expect_eq "libc: every PC-relative target as the disassembler reads it" "" \
		"$(targets <"$T/libc.all" | head -5)"
	# The parse saw real code: every PC-relative class PIC code has (no
	# literal pools), in more than 100000 words.
	expect_eq "libc: the branch and address classes occur" \
		"adr adrp b b_cond bl cb tb" \
		"$(cut -f5 "$T/libc.all" | sort -u | grep -xE 'adr|adrp|b|bl|b_cond|cb|tb' | tr '\n' ' ' | sed 's/ $//')"
	n=$(wc -l <"$T/libc.all")
	if [ "$n" -gt 100000 ]; then pass "libc: $n instructions compared"; else
		fail "libc: $n instructions compared" "expected more than 100000"
	fi
else
	skip "libc: every instruction in the class its name says" "no libc.so.6 from $CC"
	skip "libc: every PC-relative target as the disassembler reads it" "no libc.so.6 from $CC"
	skip "libc: the branch and address classes occur" "no libc.so.6 from $CC"
	skip "libc: instructions compared" "no libc.so.6 from $CC"
fi
