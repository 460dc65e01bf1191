#!/bin/sh
# tests/graph_check.py, the checker the graph tests rely on, on hand-written
# traces: it accepts balanced, nested ones (with return values, unwound
# frames, C++ names, deep-level markers, lost-call notes, several threads,
# coroutines when asked) and rejects every kind of broken one, naming the
# line.
. tests/lib.sh
# The checker: tests/graph_check.py.
check() { python3 "$TOP/tests/graph_check.py" "$@"; }
plan 18

# good NAME [OPTS]: stdin is a trace the checker accepts.
good() {
	cat >"$T/$1.trace"
	if check ${2:+"$2"} "$T/$1.trace" >"$T/$1.out" 2>&1; then pass "accepts: $1"; else
		fail "accepts: $1" "$(cat "$T/$1.out")"
	fi
}

# bad NAME MESSAGE [OPTS]: stdin is a trace the checker rejects with MESSAGE.
bad() {
	cat >"$T/$1.trace"
	if check ${3:+"$3"} "$T/$1.trace" >"$T/$1.out" 2>&1; then
		fail "rejects: $1" "accepted: $(cat "$T/$1.out")"
	elif grep -qF -- "$2" "$T/$1.out"; then
		pass "rejects: $1"
	else
		fail "rejects: $1" "expected '$2' in:" "$(cat "$T/$1.out")"
	fi
}

good nested <<'END'
7 | main() {
7 |   f(1, "a") {
7 |     g() {
7 |     } g (0.500 us, unwound)
7 |   } f = 3 (1.000 us)
7 |   ns::h(int) const() {
7 |   } ns::h(int) const (0.010 us)
7 | } main (2.000 us)
END
expect_eq "summary line" "calls 4 unwound 1 depth 3 lost 0" "$(cat "$T/nested.out")"

good still_open <<'END'
7 | main() {
8 | worker() {
7 | } main (2.000 us, still open at the end)
8 | } worker (3.000 us, still open at the end)
END

good threads <<'END'
7 | main() {
8 | worker() {
7 | } main (2.000 us)
8 |   f() {
8 |     /* 12 calls deeper than PFE_DEPTH not shown */
8 |   } f (1.000 us)
8 | } worker (3.000 us)
END

# Level 101 and deeper: 200 spaces and the level.
{
	i=0
	while [ $i -le 101 ]; do
		printf '1 | %*s%sr() {\n' $((2 * (i > 100 ? 100 : i))) '' \
			"$([ $i -gt 100 ] && echo "[$i] ")"
		i=$((i + 1))
	done
	while [ $i -gt 0 ]; do
		i=$((i - 1))
		printf '1 | %*s%s} r (1.000 us)\n' $((2 * (i > 100 ? 100 : i))) '' \
			"$([ $i -gt 100 ] && echo "[$i] ")"
	done
} | good deep

COROUTINE='1 | main() {
1 |   resume() {
1 |     body() {
1 |       yield() {
1 |   } resume (1.000 us)
1 |   other() {
1 |   } other (1.000 us)
1 |   resume() {
1 |       } yield (1.000 us)
1 |     } body (1.000 us)
1 |   } resume (1.000 us)
1 | } main (1.000 us)'
echo "$COROUTINE" | good coroutine --coroutines
echo "$COROUTINE" | bad coroutine-strict "frames left open: body, yield"

bad unclosed "never closed: main" <<'END'
1 | main() {
1 |   f() {
1 |   } f (1.000 us)
END

bad unclosed-coroutine "never closed: body" --coroutines <<'END'
1 | main() {
1 |   resume() {
1 |     body() {
1 |   } resume (1.000 us)
1 | } main (1.000 us)
END

bad wrong-name '"} g" closes f' <<'END'
1 | main() {
1 |   f() {
1 |   } g (1.000 us)
1 | } main (1.000 us)
END

bad wrong-level 'entered at level 2 over 1 open' <<'END'
1 | main() {
1 |     f() {
1 |     } f (1.000 us)
1 | } main (1.000 us)
END

bad close-too-deep '"}" at level 1 with 1 frames open' <<'END'
1 | main() {
1 |   } main (1.000 us)
END

bad skipped-close 'frames left open: f' <<'END'
1 | main() {
1 |   f() {
1 | } main (1.000 us)
END

bad value-on-unwound '"} f = 3" closes f' <<'END'
1 | f() {
1 | } f = 3 (1.000 us, unwound)
END

bad malformed "not a graph line" <<'END'
1 | main() {
garbage
1 | } main (1.000 us)
END

bad no-time "not an entry, exit or note" <<'END'
1 | main() {
1 | } main
END

bad odd-indent "odd indentation" <<'END'
1 | main() {
1 |  f() {
END

bad empty "no graph lines" </dev/null
