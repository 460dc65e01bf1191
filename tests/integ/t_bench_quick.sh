#!/bin/sh
# Smoke test of the bench harness: BENCH_QUICK=1 bench/run.sh must run to
# the end, measure every state of every table (the uftrace state (g) may
# instead say why it could not: a visible SKIP), write a CSV that a real
# CSV parser (python3's csv, strict) reads with the header's seven fields
# and a number wherever a figure belongs, and draw the chart (or SKIP
# without gnuplot).
#
# Targets: the exact instruction counts under qemu are deterministic, so the
# targets met today are checks that fail when missed: (c)-(b) the MOV and
# nothing else, (b)-(a) the method check, mprotect calls O(pages), (h)-(d)
# = 0 (100 other hooked sites change nothing per call), (e)-(b) <= 150 (the
# tracer stores an event), (i)-(b) and (j)-(b) <= 300 (graph and record
# mode, entry and exit), the breakdown adds up to (d)-(b), and graph mode's
# per-function breakdown accounts for every instruction of (i), the writer
# thread's instructions per line and the start-up per site (issue 25). (d)-(b) <=
# 40 is issue 12's open target (OPEN below): while bench says FAIL it is a
# TODO (shown by make check, counted as skipped, not passed). (d)-(b) and
# (i)-(b) must not get worse than the figures landed with them.
#
# The whole bench takes 1-2 minutes on an idle machine, several on a busy
# one; its programs run without tests/lib.sh's per-program limit.
# test-timeout: 900
. tests/lib.sh
plan 93
out=$T/bench.out
BENCH_QUICK=1 BENCH_DIR="$T/bench" sh bench/run.sh >"$out" 2>"$T/bench.err"
st=$?
expect_status "bench-quick runs to the end" 0 $st
[ $st -eq 0 ] || sed 's/^/# /' "$T/bench.err" | tail -20
csv=$T/bench/results.csv

for h in "^1\. Cost per call" "^Differences that matter" "^3\. Scaling" "^2\. Patching" \
	"^Machine-readable: "; do
	expect_grep "table has section /$h/" "$h" "$out"
done

if command -v gnuplot >/dev/null 2>&1; then
	gp=yes
else
	gp=no
fi

# 87 checks: CSV header and fields (2), the cost rows (10 states x 3
# functions), the differences (9), the thread rows (6), the patching rows
# (2), the targets (7 x 3 functions, 2 patching, 5 writer, 1 start-up), the (d)-(b) and (i)-(b) ceilings (6),
# the breakdowns (2), the chart (1).
python3 - "$csv" "${QEMU:+qemu}" "$gp" "$T/bench/costs.png" <<'EOF'
import csv, re, sys

path, qemu, gnuplot, png = sys.argv[1:5]
num = re.compile(r'^-?[0-9]+(\.[0-9]+)?$')


def ok(name, good, *why):
    print(('ok - ' if good else 'not ok - ') + name)
    if not good:
        for w in why:
            print('# ' + w)


rows, err = [], None
try:
    with open(path, newline='') as f:
        rows = list(csv.reader(f, strict=True))
except (OSError, csv.Error) as e:
    err = str(e)
ok('csv: header', bool(rows) and rows[0] == 'section,name,state,threads,metric,value,unit'.split(','),
   'first row: %r' % (rows[0] if rows else err))
bad = [i + 1 for i, r in enumerate(rows) if len(r) != 7]
ok('csv: parses strictly, seven fields on every row', err is None and not bad and len(rows) > 1,
   'error: %s' % err, 'rows with another count: %s' % bad[:5])

val = {}
for r in rows[1:]:
    if len(r) == 7:
        val[tuple(r[:5])] = r[5]


def measured(section, name, state, threads, metric, need_insn):
    key = (section, name, state, threads)
    label = '%s %s (%s) x%s' % (section, name, state, threads)
    if (section, name, state, threads, 'not_measured') in val:
        why = val[key + ('not_measured',)]
        if state == 'g':
            print('ok - %s measured # SKIP %s' % (label, why))
        else:
            ok(label + ' measured', False, 'not measured: ' + why)
        return
    v = val.get(key + (metric,), '')
    good = bool(num.match(v)) and float(v) > 0
    why = ['%s = %r' % (metric, v)]
    if need_insn and qemu and state != 'g':
        i = val.get(key + ('insn_per_call',), '')
        good = good and bool(num.match(i)) and float(i) > 0
        why.append('insn_per_call = %r (exact under qemu)' % i)
    ok(label + ' measured', good, *why)


for st in 'abcdefghij':
    for fn in ('tiny', 'rec', 'leaf8'):
        measured('calls', fn, st, '1', 'ns_median', True)
for fn in ('tiny', 'rec', 'leaf8'):
    for d in ('c-b', 'd-b', 'e-d'):
        v = val.get(('diff', fn, d, '1', 'insn_per_call'), '')
        if qemu:
            ok('difference %s %s is a number' % (d, fn), bool(num.match(v)), 'value %r' % v)
        elif num.match(v):
            ok('difference %s %s is a number' % (d, fn), True)
        else:
            print('ok - difference %s %s # SKIP no exact counts without qemu or perf' % (d, fn))
for st in 'bd':
    for th in '124':
        measured('threads', 'tiny', st, th, 'ns_median', False)
for n in ('100', '1000'):
    v = val.get(('patch', n, 'd', '1', 'attach_ns'), '')
    ok('patching %s sites measured' % n, bool(num.match(v)), 'attach_ns = %r' % v)

# The targets, as the bench judged them (CSV "target" rows: name, what,
# PASS/FAIL). OPEN lists the targets an open issue is about: missing one is
# a TODO, shown but not failed; missing any other fails.
OPEN = {'d-b <= 40': 'issue 12'}
verdicts = {(r[1], r[2]): r[5] for r in rows[1:] if len(r) == 7 and r[0] == 'target'}
for fn in ('tiny', 'rec', 'leaf8'):
    for what in ('c-b: +1 non-NOP +0 executed', 'b-a: +2 executed +0 non-NOP', 'h-d = 0',
                 'd-b <= 40', 'e-b <= 150', 'i-b <= 300', 'j-b <= 300'):
        v = verdicts.get((fn, what), 'not measured')
        name = 'target %s (%s)' % (what, fn)
        if v == 'PASS':
            ok(name, True)
        elif v == 'FAIL' and what in OPEN:
            print('not ok - %s # TODO open target (%s): bench says FAIL' % (name, OPEN[what]))
        elif v == 'not measured' and not qemu:
            print('ok - %s # SKIP no exact counts without qemu or perf' % name)
        else:
            ok(name, False, 'bench says: ' + v)
for n in ('100', '1000'):
    v = next((r[5] for r in rows[1:] if len(r) == 7 and r[:4] == ['target', 'patch', 'mprotect-O(pages)', n]), 'not measured')
    ok('target mprotect calls O(pages) (%s sites)' % n, v == 'PASS', 'bench says: ' + v)

# Issue 25: the writer thread's instructions per line (per call counted in
# summary mode) and the start-up per site, exact counts under qemu. The
# writer's figures are exact (bench/writer.sh runs with PFE_FLUSH=1s) and
# met: a miss fails. Quick runs read flat 184.6, graph 277.4, time 305.6
# and summary 294.4 before the writer's own loops and the inline note, flat
# 131.9, graph 160.7, time 188.4 and summary 131.5 after. A recording's
# writer: 34.0 to 36.4 per event from run to run (60 is this check's own
# ceiling, not the issue's).
# The start-up is met too (bench/startup.sh): the quick run counts what a site adds between
# 1,000 and 2,000 sites. The runs return at main (patch.c -m): with -s they
# read /proc/self/smaps, which under qemu-user is the host's, and its length
# moved a run's count by some 20,000 from one run to the next (a 1,000-site
# run read 4,763,162 to 4,811,385; the figure 239.9 to 310.3 per site on
# trees that had not changed it). Returning at main, repeated runs count
# the same instructions exactly: 265.6.
OPEN25 = {}


def target25(name, key, v, figure):
    if not qemu:
        print('ok - %s # SKIP no exact counts without qemu' % name)
    elif v == 'PASS':
        ok(name, True)
    elif v == 'FAIL' and key in OPEN25 and num.match(figure) and float(figure) <= OPEN25[key]:
        print('not ok - %s # TODO open target (issue 25): %s, ceiling %s' % (name, figure, OPEN25[key]))
    else:
        ok(name, False, 'bench says: %s (%s)' % (v, figure))


for mode, lim in (('flat', 200), ('graph', 200), ('time', 200), ('summary', 150), ('record', 60)):
    name = 'target writer %s <= %d instructions per %s' % (
        mode, lim, {'summary': 'call', 'record': 'event'}.get(mode, 'line'))
    target25(name, mode, verdicts.get(('writer', mode), 'not measured'),
             val.get(('writer', mode, mode, '1', 'insn_per_line'), '?'))
target25('target start-up <= 300 instructions per site (1000 to 2000 sites)', 'startup',
         verdicts.get(('startup', '2000'), 'not measured'),
         val.get(('startup', '2000', 'c', '1', 'insn_per_site'), '?'))

# While (d)-(b) is open it may not get worse than the figures landed with
# it (README, Performance): a hook path that grows fails here.
# The same for graph mode (i), below its target: what landed with the fused
# graph path (lib/hooks/shadow.h, arch/arm64/ret_tramp.S).
# (i) +4 since issue 24: the return trampoline keeps NZCV (mrs, str, ldr,
# msr), which a caller of a dynamic site may keep across the call.
# (i) +2 since issue 26's switches: a shadow frame keeps the fused hook
# that pushed it (one store at the entry, one load at the return), so that
# a call open at a `trace` or mode switch still gets its exit line.
CEIL = {('d-b', 'tiny'): 56, ('d-b', 'rec'): 56, ('d-b', 'leaf8'): 56,
        ('i-b', 'tiny'): 282, ('i-b', 'rec'): 289, ('i-b', 'leaf8'): 282}
for (diff, fn), ceil in CEIL.items():
    v = val.get(('diff', fn, diff, '1', 'insn_per_call'), '')
    name = '(%s)-(%s) %s no worse than %d executed' % (diff[0], diff[2], fn, ceil)
    if num.match(v):
        ok(name, float(v) <= ceil, '(%s)-(%s) = %s' % (diff[0], diff[2], v))
    elif not qemu:
        print('ok - %s # SKIP no exact counts without qemu or perf' % name)
    else:
        ok(name, False, '(%s)-(%s) = %r' % (diff[0], diff[2], v))

parts = [val.get(('breakdown', 'tiny', 'd', '1', m), '')
         for m in ('stub', 'save_restore', 'guard_rcu', 'hook_call', 'hook_body')]
total = val.get(('diff', 'tiny', 'd-b', '1', 'insn_per_call'), '')
if qemu:
    good = all(num.match(p) and float(p) > 0 for p in parts) and bool(num.match(total)) and \
        abs(sum(float(p) for p in parts) - float(total)) < 0.01
    ok('breakdown of (d)-(b) tiny: five parts that add up to it', good,
       'parts %r, total %r' % (parts, total))
else:
    print('ok - breakdown of (d)-(b) tiny # SKIP no exact counts without qemu or perf')

# Graph mode by function: the rows cover the calling thread's instructions
# per call in (i) (the loop and the function itself are the row that is
# not libpfe's), and name libpfe's trampolines, exit tracking and hooks.
rows = {k[4]: v for k, v in val.items() if k[:4] == ('breakdown', 'tiny', 'i', '1')}
total = val.get(('calls', 'tiny', 'i', '1', 'insn_per_call'), '')
if qemu:
    want = ('pfe_site_trampoline', 'pfe_ret_trampoline', 'graph_entry_fused',
            'graph_exit_fused')
    good = all(num.match(v) for v in rows.values()) and bool(num.match(total)) and \
        all(w in rows for w in want) and \
        abs(sum(float(v) for v in rows.values()) - float(total)) < 2
    ok('breakdown of (i) tiny by function: adds up to (i), names the graph path', good,
       'rows %r, total %r' % (rows, total))
else:
    print('ok - breakdown of (i) tiny by function # SKIP no exact counts without qemu')

if gnuplot == 'yes':
    try:
        head = open(png, 'rb').read(8)
    except OSError as e:
        head = str(e).encode()
    ok('chart is a PNG', head == b'\x89PNG\r\n\x1a\n', 'starts with %r' % head)
else:
    print('ok - chart is a PNG # SKIP gnuplot not installed')
EOF
