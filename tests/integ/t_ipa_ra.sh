#!/bin/sh
# Why the return trampoline (arch/arm64/ret_tramp.S) keeps every register, and why
# README.md asks for -fno-ipa-ra where a unit uses optimize pragmas or
# attributes. GCC's -fipa-ra lets a caller keep a value in a caller-saved
# register across a call when it can see that the callee does not clobber
# it; the patch site's mov x9, x30 and any hook are invisible to it.
# Checked on the compiler the tests build with:
#  - without the flag, the caller keeps its arguments in x1-x8 across the
#    call (so -fipa-ra is on and these checks can fail);
#  - -fpatchable-function-entry turns it off for the unit: the caller moves
#    them to callee-saved registers first;
#  - but `#pragma GCC optimize` (and optimize attributes on caller and
#    callee) turn it back on, flag or not: so a traced function's caller may
#    rely on any caller-saved register surviving the call, and the return
#    trampoline keeps them all;
#  - an explicit -fno-ipa-ra holds even then;
#  - without the flag it keeps floating-point values in v16-v31 across a
#    call of a leaf it can see, which is why a dynamic site (a function
#    built without the flag, arch/arm64/regs_tramp.S) keeps v8-v31.
. tests/lib.sh
plan 5

cat >"$T/ipa.c" <<'END'
#ifdef PRAGMA
#pragma GCC optimize("O2")
#endif
__attribute__((noinline)) int callee(int a)
{
	return a * 3;
}

int caller(int a, int b, int c, int d, int e, int f, int g, int h, int *p)
{
	return callee(a) + a + b + c + d + e + f + g + h + *p;
}
END

# callee_saved ASM: does caller() put anything in x19-x28?
# show ASM: caller() as diagnostics.
show() { sed -n '/^caller:/,/ret$/p' "$1" | sed 's/^/# /'; }
callee_saved() {
	sed -n '/^caller:/,/\.cfi_endproc/p' "$1" | grep -Eq '[wx](19|2[0-8])\b'
}

"$CC" -O2 -S -o "$T/plain.s" "$T/ipa.c"
if callee_saved "$T/plain.s"; then
	fail "without a patchable entry, -fipa-ra keeps caller()'s values in caller-saved registers"
	show "$T/plain.s"
else
	pass "without a patchable entry, -fipa-ra keeps caller()'s values in caller-saved registers"
fi
"$CC" -O2 -fpatchable-function-entry=2 -S -o "$T/flag.s" "$T/ipa.c"
if callee_saved "$T/flag.s"; then
	pass "-fpatchable-function-entry=2: caller() keeps nothing in caller-saved registers across the call"
else
	fail "-fpatchable-function-entry=2: caller() keeps nothing in caller-saved registers across the call"
	show "$T/flag.s"
fi
"$CC" -O2 -fpatchable-function-entry=2 -DPRAGMA -S -o "$T/pragma.s" "$T/ipa.c"
if callee_saved "$T/pragma.s"; then
	fail "with #pragma GCC optimize, -fipa-ra is back on despite the flag"
	show "$T/pragma.s"
else
	pass "with #pragma GCC optimize, -fipa-ra is back on despite the flag"
fi
"$CC" -O2 -fpatchable-function-entry=2 -fno-ipa-ra -DPRAGMA -S -o "$T/noipa.s" "$T/ipa.c"
if callee_saved "$T/noipa.s"; then
	pass "-fno-ipa-ra holds under the pragma"
else
	fail "-fno-ipa-ra holds under the pragma"
	show "$T/noipa.s"
fi

cat >"$T/simd.c" <<'END'
__attribute__((noinline)) static int leaf(int x) { return x * 3 + 1; }
double many(double *a, int n)
{
	double s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3], s4 = a[4], s5 = a[5], s6 = a[6];
	double s7 = a[7], s8 = a[8], s9 = a[9];
	int acc = 0;

	for (int i = 0; i < n; i++) {
		acc += leaf(i);
		s0 += a[i]; s1 *= a[i]; s2 -= a[i]; s3 += 2 * a[i]; s4 += 3 * a[i];
		s5 += s4; s6 += s5 * s0; s7 += s6; s8 += s7 * s1; s9 += s8 / s2;
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + acc;
}
END
"$CC" -O2 -S -o "$T/simd.s" "$T/simd.c"
# A register of v16-v31 written before the loop's call and read after it.
if sed -n '/^many:/,/\.cfi_endproc/p' "$T/simd.s" | grep -Eq '\b[dvq](1[6-9]|2[0-9]|3[01])\b'; then
	pass "without the flag, -fipa-ra keeps SIMD values in v16-v31 across a call of a visible leaf"
else
	fail "without the flag, -fipa-ra keeps SIMD values in v16-v31 across a call of a visible leaf"
	sed -n '/^many:/,/ret$/p' "$T/simd.s" | sed 's/^/# /'
fi
