#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that a PFE_GRAPH=1 trace is balanced and correctly nested.

Usage: graph_check.py [--coroutines] [--tree] TRACE

Every line must be one of (after "<tid> | " and two spaces per level, or
200 spaces and "[<level>] " beyond level 100):
    name(args) {                      a call entered
    name() { /* inherited at fork */  a call a fork child goes on in
    } name[ = value] (D.DDD us)       it returned
    } name (D.DDD us, unwound)        it was left (longjmp, exception...)
    } name (D.DDD us, still open at the end)   the process ended inside it
    /* N calls deeper than PFE_DEPTH not shown */

Per thread, each "{" must be at the level of the frames open below it, and
each "}" must close the innermost open frame, with its name, at its level;
at the end of the trace nothing may be open.

--coroutines: a thread may run frames on another stack (ucontext). Then a
line at a shallower level than the innermost open frame sets the deeper
frames aside (the coroutine was switched away from), and a line deeper than
the open frames must continue a set-aside group exactly: its frames resume
on top of the open ones. A group never resumed and closed is an error.

Prints one summary line per thread ("calls C unwound U depth D lost L"),
threads sorted, or with --tree each thread's lines without tids and times.
Exits 1 and names the first problems when the trace is not well formed.
"""
import re
import sys

LINE = re.compile(r'^(\d+) \| ( *)(?:\[(\d+)\] )?(.*)$')
EXIT = re.compile(r'^\} (.*) \((\d+\.\d{3}) us(, unwound|, still open at the end)?\)$')
LOST = re.compile(r'^/\* (\d+) calls deeper than PFE_DEPTH not shown \*/$')
INDENT_MAX = 100


def label_of(entry):
    """'name(args)' -> 'name' (the name may hold parentheses itself)."""
    if not entry.endswith(')'):
        return None
    depth = 0
    for i in range(len(entry) - 1, -1, -1):
        if entry[i] == ')':
            depth += 1
        elif entry[i] == '(':
            depth -= 1
            if depth == 0:
                return entry[:i] or None
    return None


class Thread:
    def __init__(self):
        self.open = []       # labels, outermost first
        self.groups = []     # set-aside frame lists (coroutines)
        self.calls = self.unwound = self.depth = self.lost = 0
        self.still_open = 0
        self.tree = []


def main(argv):
    coroutines = '--coroutines' in argv
    tree = '--tree' in argv
    files = [a for a in argv if not a.startswith('--')]
    if len(files) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = files[0]
    threads = {}
    errors = []

    def err(n, msg):
        errors.append('%s:%d: %s' % (path, n, msg))

    def set_aside(t, level, n):
        if not coroutines:
            err(n, 'frames left open: ' + ', '.join(t.open[level:]))
        t.groups.append(t.open[level:])
        del t.open[level:]

    def resume(t, top, n, label=None):
        """Continue a set-aside group so that its innermost frame sits at
        level @top; with @label, that frame must be it."""
        want = top + 1 - len(t.open)
        for i in range(len(t.groups) - 1, -1, -1):
            g = t.groups[i]
            if len(g) == want and (label is None or g[-1] == label):
                if not coroutines:
                    err(n, 'frames resumed: ' + ', '.join(g))
                t.open.extend(g)
                del t.groups[i]
                return True
        return False

    with open(path, encoding='utf-8', errors='replace') as f:
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip('\n')
            m = LINE.match(raw)
            if not m:
                err(n, 'not a graph line: %r' % raw[:120])
                continue
            tid, spaces, big, text = m.groups()
            if len(spaces) % 2:
                err(n, 'odd indentation')
                continue
            level = len(spaces) // 2
            if big is not None:
                if level != INDENT_MAX or int(big) <= INDENT_MAX:
                    err(n, 'bad deep level marker')
                    continue
                level = int(big)
            elif level > INDENT_MAX:
                err(n, 'indented deeper than %d levels' % INDENT_MAX)
                continue
            t = threads.setdefault(tid, Thread())
            if text.endswith(' { /* inherited at fork */'):
                text = text[:-len(' /* inherited at fork */')]
            if text.endswith(' {'):
                label = label_of(text[:-2])
                if label is None:
                    err(n, 'no name(args) before "{": %r' % text)
                    continue
                if level < len(t.open):
                    set_aside(t, level, n)
                if level > len(t.open) and not resume(t, level - 1, n):
                    err(n, '%s entered at level %d over %d open frames' %
                        (label, level, len(t.open)))
                    continue
                t.open.append(label)
                t.calls += 1
                t.depth = max(t.depth, len(t.open))
                t.tree.append('  ' * level + label + ' {')
                continue
            m = EXIT.match(text)
            if m:
                rest, _, how = m.groups()
                unwound = how == ', unwound'
                if how and not unwound:
                    t.still_open += 1
                if level < len(t.open) - 1:
                    set_aside(t, level + 1, n)
                if level >= len(t.open) and not resume(t, level, n, label=None):
                    err(n, '"}" at level %d with %d frames open' % (level, len(t.open)))
                    continue
                if level != len(t.open) - 1:
                    err(n, '"}" at level %d with %d frames open' % (level, len(t.open)))
                    continue
                label = t.open[-1]
                if rest != label and not (rest.startswith(label + ' = ') and not unwound):
                    err(n, '"} %s" closes %s' % (rest, label))
                    continue
                t.open.pop()
                if unwound:
                    t.unwound += 1
                t.tree.append('  ' * level + '} ' + label + (' unwound' if unwound else '') +
                              (' still open' if how and not unwound else ''))
                continue
            m = LOST.match(text)
            if m:
                if level != len(t.open):
                    err(n, 'lost-calls note at level %d over %d open frames' %
                        (level, len(t.open)))
                t.lost += int(m.group(1))
                t.tree.append('  ' * level + '/* %s not shown */' % m.group(1))
                continue
            err(n, 'not an entry, exit or note: %r' % text[:120])
    for tid, t in threads.items():
        left = t.open + [x for g in t.groups for x in g]
        if left:
            errors.append('%s: thread %s: never closed: %s' % (path, tid, ', '.join(left)))
    if not threads:
        errors.append('%s: no graph lines' % path)
    if errors:
        for e in errors[:20]:
            print('graph_check: ' + e)
        return 1
    if tree:
        out = sorted('\n'.join(t.tree) for t in threads.values())
        print('\n== thread\n'.join(out))
    else:
        for s in sorted('calls %d unwound %d depth %d lost %d' %
                        (t.calls, t.unwound, t.depth, t.lost) for t in threads.values()):
            print(s)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
