#!/bin/sh
# libpfe's PFE_RECORD metadata (tracer/rec_meta.c) as the pfe command reads
# it: the recording tests/unit/test_rec_meta.c makes of itself (two images
# of one pid, a fork child, an object loaded and unloaded, a reused tid;
# kept with PFE_REC_META_DIR) reads without a note or an error, like one
# that tests/tools/pfe_gen.py writes; functions are named from the sym
# files' site lines and return addresses from their sym lines.
. tests/lib.sh
plan 8
PFE=$TOP/$B/pfe
UNIT=$TOP/$B/tests/unit/test_rec_meta
cd "$T" || exit 1

# Arguments that need quotes and escapes in info's cmdline (the unit test
# checks them against its argv).
tab=$(printf 'tab\there')
PFE_REC_META_DIR=$(pwd)/keep CMOCKA_MESSAGE_OUTPUT=TAP \
	trun "$UNIT" 'two words' '' 'q"uote' "$tab" 'back\slash' >unit.out 2>&1
expect_eq "the unit test passed" "# ok - rec_meta" "$(tail -1 unit.out)"
set -- keep/rec/*
expect_eq "three process images" 3 $#
pid=$(basename "$1")

{
	"$PFE" replay --flat -d keep/rec >flat.out
	"$PFE" replay -d keep/rec >replay.out
	"$PFE" report -d keep/rec >report.out
	"$PFE" info -d keep/rec >info.out
	"$PFE" dump --chrome -d keep/rec >trace.json
} 2>err
expect_eq "pfe reads it without a note or an error" "" "$(cat err)"

expect_eq "replay --flat: functions and return addresses named" \
	"$pid rm_caller <- main+0x8
$pid rm_leaf <- rm_caller+0xc
$pid rm_leaf <- main+0x8" "$(cut -d' ' -f1,3- flat.out)"
expect_eq "report: calls per function" "rm_caller 1
rm_leaf 2" "$(awk 'NR > 2 { print $7, $3 }' report.out | LC_ALL=C sort)"
# Each image lists the program and names its thread; the first one also
# the object it saw loaded and unloaded. pfe info shows a control byte of
# a name escaped (\x09 for the tab), never as itself.
expect_eq "info: the program's 2 sites, the object unloaded, the thread's name" \
	"3 1 3" "$(grep -c 'test_rec_meta (2 sites)$' info.out) \
$(grep -c 'lib fake\\x091.so (3 sites) unloaded$' info.out) \
$(grep -c '^  [0-9]* rm\\x09meta$' info.out)"
expect_eq "dump --chrome: valid JSON, B and E balanced" "ok" \
	"$(python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["traceEvents"]
print("ok" if sum(x["ph"] == "B" for x in e) == sum(x["ph"] == "E" for x in e) == 3 else e)' trace.json)"
expect_eq "info: the command line as written, quoted and escaped" \
	"command:   $UNIT \"two words\" \"\" q\\\"uote tab\\there back\\\\slash" \
	"$(grep '^command:' info.out | head -1)"
