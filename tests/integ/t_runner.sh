#!/bin/sh
# tests/run.sh itself: it must count only what passed as passed. Scripts
# made to misbehave (too few checks for their plan, no plan, a hang, a bad
# exit status after passing checks, a skip, an open TODO) run through the
# real runner, and its verdict on each and its closing line are exact.
. tests/lib.sh
plan 10
F=$T/fake
mkdir -p "$F/unit"
cat >"$F/t_good.sh" <<'END'
. tests/lib.sh
plan 2
pass one
pass two
END
cat >"$F/t_short.sh" <<'END'
. tests/lib.sh
plan 3
pass one
pass two
END
cat >"$F/t_noplan.sh" <<'END'
echo "ok - one"
END
cat >"$F/t_skip.sh" <<'END'
. tests/lib.sh
plan 2
pass one
skip two "not here"
END
cat >"$F/t_hang.sh" <<'END'
. tests/lib.sh
plan 1
sleep 100
pass late
END
cat >"$F/t_status.sh" <<'END'
. tests/lib.sh
plan 1
pass one
exit 3
END
cat >"$F/t_todo.sh" <<'END'
. tests/lib.sh
plan 1
echo "not ok - target # TODO open issue"
END

start=$(date +%s)
B=$T/b TEST_DIR=$F UNIT_DIR=$F/unit TEST_TIMEOUT=3 TESTS='*' sh tests/run.sh >"$T/run.out" 2>&1
st=$?
took=$(($(date +%s) - start))
expect_status "runner fails the run" 1 $st
expect_eq "closing line" "7 passed, 4 failed, 2 skipped" "$(tail -1 "$T/run.out")"
expect_grep "a full plan passes" '^PASS integ/t_good \(2\)$' "$T/run.out"
expect_grep "fewer checks than planned fail" \
	'^    not ok - planned 3 checks, ran 2$' "$T/run.out"
expect_grep "no plan fails" '^    not ok - declared no plan' "$T/run.out"
expect_grep "a skip is shown and not passed" '^PASS integ/t_skip \(1, 1 skipped\)$' "$T/run.out"
expect_grep "the skip's reason is shown" '^    ok - two # SKIP not here$' "$T/run.out"
expect_grep "a hang times out" '^    not ok - timed out after 3 s' "$T/run.out"
expect_grep "an exit status fails passed checks" '^    not ok - exited with status 3$' "$T/run.out"
expect_eq "the hang cost seconds, not minutes (${took} s)" ok \
	"$([ "$took" -lt 30 ] && echo ok)"
