#!/bin/sh
# The pfe command's reader on recordings made to hurt it (issue 28): deep
# recursion under ASan/UBSan, names that are not UTF-8 or carry escape
# sequences, counts the files do not back, files that are not regular files,
# and output that must stay linear in the input (folded stacks and replay's
# indentation at any depth). Each error is one line naming the file and what
# was expected. Runs on the host, no qemu; builds its own ASan/UBSan pfe.
. tests/lib.sh
plan 28
PFE=$TOP/$B/pfe
GEN() { python3 "$TOP/tests/tools/pfe_gen.py" "$@"; }
CHECK() { python3 "$TOP/tests/tools/pfe_check.py" "$@"; }
cd "$T" || exit 1

# err_case NAME REGEX CMD...: status 1 and one line on stderr matching REGEX,
# within 20 s and 200 MB of address space (a reader that trusts a count or
# reads a device does not stay within them).
err_case() {
	name=$1 re=$2
	shift 2
	# shellcheck disable=SC3045 # dash and bash have ulimit -v
	(ulimit -v 200000 && exec timeout -k 2 20 "$@") >/dev/null 2>err
	st=$?
	if [ "$st" -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] && grep -Eq -- "$re" err; then
		pass "refused: $name"
	else
		fail "refused: $name" "status $st (expected 1), stderr:" "$(head -5 err)"
	fi
}

# -------------------------------------------------------- ASan/UBSan pfe
# The same sources as build/pfe, with the sanitizers (make check builds it):
# a memory error is a report and status 99, not a silent wrong answer.
ASAN=$TOP/$B/pfe-asan
if [ -x "$ASAN" ]; then
	pass "pfe built with ASan and UBSan ($B/pfe-asan)"
else
	fail "pfe built with ASan and UBSan" "$ASAN missing: make $B/pfe-asan (make check builds it)"
fi
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

# deep NAME DEPTH: main calls f recursively DEPTH deep, each call 1 tick.
deep() {
	python3 -c 'import sys
n = int(sys.argv[1])
print("process 1\nobject app /usr/bin/app main f g\nthread 1\nE 1 main")
for i in range(n):
    print("E %d f" % (10 + i))
for i in range(n):
    print("XD %d f %d" % (10 + n + i, n - i))
print("X %d main" % (20 + 2 * n))' "$2" | GEN "$1"
}

# A program recursing 100 deep: replay's per-depth state is reallocated at
# depth 64, under the pointer to the caller's state (a use-after-free).
deep d100 100
"$ASAN" replay -d d100 >out 2>err
expect_status "replay at depth 100 under ASan: exit status" 0 $?
expect_eq "replay at depth 100 under ASan: nothing on stderr" "" "$(head -5 err)"
expect_eq "replay at depth 100: balanced and nested" ok "$(CHECK replay out)"
"$ASAN" replay -d d100 -F f -N g >out 2>err
expect_eq "replay -F/-N at depth 100 under ASan: nothing on stderr" "" "$(head -5 err)"
expect_eq "replay -F at depth 100: the 100 calls of f" 100 "$(grep -c 'f() {\|f();' out)"

# Depth 20,000: the indentation stops at 100 levels, deeper lines say
# their level as libpfe's graph text does ("[101] "); the output stays
# linear in the input (without the cap: 800 MB). (ASan reserves terabytes
# of address space: no ulimit -v here.)
deep d20k 20000
timeout -k 2 60 "$ASAN" replay -d d20k >out 2>err
expect_status "replay at depth 20,000 under ASan" 0 $?
ind=$(printf '%200s' '')
expect_eq "replay: levels 100, 101, 20000 indented as 100, marked beyond" \
	"            [     1] | ${ind}f() {
            [     1] | ${ind}[101] f() {
   0.001 us [     1] | ${ind}[20000] f();" \
	"$(sed -n -e '102p' -e '103p' -e '20002p' out)"
expect_eq "replay at depth 20,000: every line, none longer than the cap" "40002 0" \
	"$(awk 'length($0) > 260 { n++ } END { print NR, n + 0 }' out)"

# ------------------------------------------------------------ folded stacks
# 10,000 nested calls: one node per distinct stack, not one string per exit
# (that took 28 s and 1.2 GB). Linear memory, asserted by the address space.
deep d10k 10000
# shellcheck disable=SC3045
(ulimit -v 100000 && exec timeout -k 2 60 "$PFE" dump --flame -d d10k) 2>err |
	awk 'END { print NR, gsub(/;/, ";") + 1, $NF }' >out
expect_eq "dump --flame of 10,000 nested calls in 100 MB: every stack, the deepest last" \
	"10001 10001 1" "$(cat out)"
expect_eq "dump --flame of 10,000 nested calls: nothing on stderr" "" "$(head -3 err)"

# 300,000 open frames, then 300,000 exits of a function never entered with
# a saturated depth (0xffff): each looks for the innermost frame of its site,
# which a scan of the stack made quadratic (100,000 of each: 9 s).
GEN q <<'EOF'
process 1
object app /usr/bin/app main f g
thread 1
EOF
python3 -c 'import struct
n, t, d = 300000, 10, bytearray(open("q/1/1.dat", "rb").read()[:64])
for i in range(n):
    d += struct.pack("<QQ", 1 | 1 << 4 | (t + i) << 16, 0x401010)
for i in range(n):
    d += struct.pack("<QQ", 2 | 2 << 4 | (t + n + i) << 16, 0xffff)
open("q/1/1.dat", "wb").write(d)'
timeout -k 2 20 "$PFE" report -d q >out 2>err
expect_eq "report: 300,000 exits that name no open frame, within 20 s" "0|300000 f" \
	"$?|$(awk 'NR > 2 { print $3, $7 }' out)"

# Return addresses are named by the first object listing them (objects may
# overlap: one loaded where another was), found by a binary search over
# disjoint spans, not by a scan of every object per address: 200,000
# objects and 200,000 calls took minutes.
GEN s <<'EOF'
process 1
object app /usr/bin/app 0x400000 main f
thread 1
EOF
python3 -c 'import struct
n, d = 200000, bytearray(open("s/1/1.dat", "rb").read()[:64])
with open("s/1/objects", "a") as f:
    f.write("object 1 2 0 0x400000 0x400000 0x7f0000 0 /lib/over.so\n")
    for i in range(2, n):
        f.write("object %d 2 0 0x%x 0x%x 0x%x 0 /lib/l%d.so\n" % (i, 2**32 + i * 4096, 2**32 + i * 4096, 2**32 + i * 4096 + 4096, i))
for i in range(n):
    d += struct.pack("<QQ", 1 | 1 << 4 | (10 + i) << 16, [0x401208, 0x500010, 2**32 + (n - 1) * 4096 + 8][i % 3])
open("s/1/1.dat", "wb").write(d)'
timeout -k 2 20 "$PFE" replay --flat -d s >out 2>err
expect_eq "replay --flat: 200,000 calls among 200,000 objects within 20 s, the first object wins" \
	"0|f <- f+0x8|f <- over.so+0x100010|f <- l199999.so+0x8" \
	"$?|$(head -3 out | cut -d' ' -f3- | paste -sd '|')"

# ---------------------------------------------------------------- names
# A thread name of nine "é" that the kernel cut at 15 bytes, a Latin-1
# symbol: the JSON stays valid, the bytes that are not UTF-8 become \xHH.
GEN u <<'EOF'
process 300
object app /usr/bin/app main cafe
thread 300
E 1 main
E 2 cafe
X 3 cafe
X 4 main
EOF
printf '300 \303\251\303\251\303\251\303\251\303\251\303\251\303\251\303\n' >u/300/threads
sed -i 's/cafe$/caf\xe9/' u/300/sym-0.txt
"$ASAN" dump --chrome -d u >trace.json 2>err
expect_status "dump --chrome with names that are not UTF-8: exit status" 0 $?
expect_eq "dump --chrome: valid JSON, bytes that are not UTF-8 as \\xHH" \
	'ééééééé\xc3|caf\xe9|caf\xe9' \
	"$(python3 -c 'import json
d = json.load(open("trace.json"))["traceEvents"]
print("|".join([e["args"]["name"] for e in d if e["name"] == "thread_name"] +
	[e["name"] for e in d if e["ph"] in "BE" and e["name"] != "main"]))' 2>&1)"

# pfe info on a terminal: an escape sequence in the recording is shown, not
# sent (an ESC in exe, in a thread name, a C1 CSI in an object's path).
GEN e <<'EOF'
process 400
object app /usr/bin/app main
thread 400
EOF
sed -i 's|^exe .*|exe /tmp/\\x1b]0;pwned\\x07x|' e/400/info
printf '400 \033[31mred\n' >e/400/threads
sed -i 's|/usr/bin/app$|/usr/bin/\xc2\x9b31mapp|' e/400/objects
"$ASAN" info -d e >out 2>err
expect_status "info on escape sequences: exit status" 0 $?
expect_eq "info: control characters shown as \\xHH" \
	'exe:       /tmp/\x1b]0;pwned\x07x|  400 \x1b[31mred|  0 /usr/bin/\xc2\x9b31mapp (1 sites)' \
	"$(grep -E '^(exe|  )' out | paste -sd '|')"
expect_eq "info: no control character reaches the terminal" 0 \
	"$(tr -d '\n' <out | tr -d '[:print:]' | wc -c)"

cp -r e e2
printf '\033]0;x\007 1\n' >>e2/400/objects
err_case "an unknown line in objects, its escape sequence shown" \
	"e2/400/objects:2: unknown line '\\\\x1b]0;x\\\\x07' \\(expected object or unload\\)" \
	"$PFE" info -d e2

# ------------------------------------------------------ counts and files
GEN c <<'EOF'
process 500
object app /usr/bin/app main
thread 500
E 1 main
X 2 main
EOF
cp -r c c2
sed -i 's/^object 0 0 1 /object 0 0 100000000 /' c/500/objects
err_case "10^8 sites in objects, one in sym-0.txt" \
	'c/500/sym-0\.txt: 1 site lines \(expected 100000000, as objects says\)' "$PFE" report -d c
sed -i 's/^object 0 0 100000000 /object 0 0 4294967296 /' c/500/objects
err_case "2^32 sites: beyond the format's site ids" \
	'c/500/objects:1: 4294967296 sites from id 0 \(expected site ids below 2\^28\)' "$PFE" info -d c

cp -r c2 f
rm f/500/threads
mkfifo f/500/threads
err_case "threads is a FIFO" 'f/500/threads: a FIFO \(expected a regular file' "$PFE" info -d f
cp -r c2 z
ln -sf /dev/zero z/500/sym-0.txt
err_case "sym-0.txt links to /dev/zero" \
	'z/500/sym-0\.txt: a symbolic link \(expected a regular file: the sites of /usr/bin/app\)' \
	"$PFE" replay -d z
cp -r c2 z2
rm z2/500/objects
ln -s /dev/zero z2/500/objects
err_case "objects links to /dev/zero" 'z2/500/objects: a symbolic link \(expected a regular file' \
	"$PFE" report -d z2
cp -r c2 z3
rm z3/500/500.dat
mkfifo z3/500/500.dat
err_case "a thread file that is a FIFO" 'z3/500/500\.dat: a FIFO \(expected a regular file' \
	"$PFE" dump --chrome -d z3

mkdir l
ln -s "$PWD/c2/500" l/500
err_case "a process directory that is a symbolic link" \
	'^pfe: l: no process in the recording \(expected <pid>/info\)' "$PFE" info -d l

# ----------------------------------------------------------------- minor
# An empty symbol file and no thread file (qsort of nothing: UBSan), a
# repeated info key (the first value leaked: LeakSanitizer).
GEN m <<'EOF'
process 600
object app /usr/bin/app
thread 600
EOF
: >m/600/sym-0.txt
rm m/600/600.dat
printf 'exe /a\nexe /b\n' >>m/600/info
"$ASAN" info -d m >out 2>err
expect_status "info: empty symbol file, no threads, a repeated key under ASan/UBSan" 0 $?
expect_eq "info: nothing on stderr, the last exe wins" "|exe:       /b" \
	"$(head -3 err)|$(grep '^exe' out)"
