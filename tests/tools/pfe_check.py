#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of pfe's outputs against each other, for tests/integ/t_pfe_*.sh.

  pfe_check.py chrome JSON REPORT   the JSON parses (Python's json module),
      has traceEvents with pid/tid/ts, B and E balanced and nested per
      thread, and as many B events per function as REPORT counts calls
  pfe_check.py flame FOLDED REPORT  the self times of the folded stacks,
      summed per function (the last frame), equal REPORT's self column
  pfe_check.py replay REPLAY        every "f() {" is closed by "} /* f */"
      at the same indentation in the same thread, in order

Prints "ok" or one line saying what differed; exit status 0 or 1.
"""
import json
import re
import sys


def report_rows(path):
    rows = {}
    for line in open(path):
        m = re.match(r"\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)  (.*)$",
                     line.rstrip("\n"))
        if m:
            rows[m.group(7)] = {"total": m.group(1), "self": m.group(2), "calls": int(m.group(3))}
    return rows


def fail(msg):
    print(msg)
    sys.exit(1)


def chrome(jpath, rpath):
    with open(jpath) as f:
        doc = json.load(f)
    evs = doc["traceEvents"]
    stacks, calls, names = {}, {}, set()
    for e in evs:
        for k in ("name", "ph", "pid", "tid"):
            if k not in e:
                fail("event without %s: %r" % (k, e))
        if e["ph"] == "M":
            if e["name"] == "thread_name":
                names.add((e["pid"], e["tid"]))
            continue
        if not isinstance(e.get("ts"), (int, float)):
            fail("event without a numeric ts: %r" % e)
        st = stacks.setdefault((e["pid"], e["tid"]), [])
        if e["ph"] == "B":
            if st and e["ts"] < st[-1][1]:
                fail("B before its parent's B: %r" % e)
            st.append((e["name"], e["ts"]))
            calls[e["name"]] = calls.get(e["name"], 0) + 1
        elif e["ph"] == "E":
            if not st or st[-1][0] != e["name"]:
                fail("E of %s does not close the innermost B (%s)" % (e["name"], st[-1:] or "none"))
            if e["ts"] < st[-1][1]:
                fail("E before its B: %r" % e)
            st.pop()
    for k, st in stacks.items():
        if st:
            fail("thread %s: %d B events without E" % (k, len(st)))
    for k in stacks:
        if k not in names:
            fail("thread %s has no thread_name" % (k,))
    want = {n: r["calls"] for n, r in report_rows(rpath).items()}
    if calls != want:
        fail("B events per function %r, report says %r" % (calls, want))
    print("ok")


def flame(fpath, rpath):
    self_ns = {}
    for line in open(fpath):
        stack, n = line.rstrip("\n").rsplit(" ", 1)
        f = stack.split(";")[-1]
        self_ns[f] = self_ns.get(f, 0) + int(n)
    got = {f: "%d.%03d" % (n // 1000, n % 1000) for f, n in self_ns.items()}
    want = {n: r["self"] for n, r in report_rows(rpath).items()}
    if got != want:
        fail("folded self per function %r, report says %r" % (got, want))
    print("ok")


def replay(path):
    open_ = {}
    n = 0
    for line in open(path):
        if line.startswith("#"):
            continue
        m = re.match(r"^(.{11}) \[\s*(\d+)\] \| ( *)(.*)$", line.rstrip("\n"))
        if not m:
            fail("not a replay line: %r" % line)
        tid, ind, text = m.group(2), len(m.group(3)), m.group(4)
        st = open_.setdefault(tid, [])
        if text.startswith("/*"):
            continue
        if text.endswith(" {"):
            if ind != 2 * len(st):
                fail("line %r at indentation %d, expected %d" % (line, ind, 2 * len(st)))
            st.append(re.sub(r"\(\)$", "", text[:-2]))
            n += 1
        elif text.startswith("} /* "):
            name = re.sub(r" \((unwound|no exit recorded|still open at the end)\)$", "",
                          text[5:-3])
            if not st or st[-1] != name or ind != 2 * (len(st) - 1):
                fail("%r does not close %r" % (line, st[-1:]))
            st.pop()
        elif text.endswith(";"):
            if ind != 2 * len(st):
                fail("line %r at indentation %d, expected %d" % (line, ind, 2 * len(st)))
            n += 1
        else:
            fail("not a call: %r" % line)
    for tid, st in open_.items():
        if st:
            fail("thread %s: %s never closed" % (tid, st))
    print("ok")


cmd = sys.argv[1]
if cmd == "chrome":
    chrome(sys.argv[2], sys.argv[3])
elif cmd == "flame":
    flame(sys.argv[2], sys.argv[3])
elif cmd == "replay":
    replay(sys.argv[2])
