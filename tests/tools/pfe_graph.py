#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks of `pfe graph` output for tests/integ/t_pfe_views.sh:

  pfe_graph.py sums GRAPH        every node's total is its self time plus its
                                 children's totals (exact nanoseconds)
  pfe_graph.py report GRAPH REPORT
                                 per function, the self times and calls of
                                 its nodes add up to `pfe report`'s row
  pfe_graph.py callers GRAPH     every node's calls are its children's plus
                                 at most its own (paths that end there)

Prints "ok", or what differs.
"""
import re
import sys

LINE = re.compile(r"^ *([0-9]+\.[0-9]{3}) +([0-9]+\.[0-9]{3}) : ( (?:[| ] )*\+-)?\(([0-9]+)\) (.*)$")


def ns(us):
    return int(us.replace(".", ""))


def parse(path):
    """Trees of nodes {name, total, self, calls, kids}, one list per graph."""
    graphs, stack = [], []
    for n, raw in enumerate(open(path), 1):
        line = raw.rstrip("\n")
        if not line:
            continue
        if line.startswith("# "):
            if "CALLS" not in line:
                graphs.append([])
                stack = []
            continue
        m = LINE.match(line)
        if not m:
            sys.exit("%s:%d: not a graph line: %r" % (path, n, line))
        depth = (len(m.group(3)) - 1) // 2 if m.group(3) else 0
        node = {"name": m.group(5), "total": ns(m.group(1)), "self": ns(m.group(2)),
                "calls": int(m.group(4)), "kids": [], "line": n}
        if depth > len(stack):
            sys.exit("%s:%d: depth %d under depth %d" % (path, n, depth, len(stack) - 1))
        del stack[depth:]
        (stack[-1]["kids"] if stack else graphs[-1]).append(node)
        stack.append(node)
    return graphs


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node["kids"])


def main():
    what, graphs = sys.argv[1], parse(sys.argv[2])
    errs = []
    nodes = [n for g in graphs for n in walk(g)]
    if not nodes:
        errs.append("no node")
    if what == "sums":
        for n in nodes:
            kids = sum(k["total"] for k in n["kids"])
            if n["total"] != n["self"] + kids:
                errs.append("line %d %s: total %d != self %d + children %d" %
                            (n["line"], n["name"], n["total"], n["self"], kids))
    elif what == "report":
        want = {}
        for line in list(open(sys.argv[3]))[2:]:
            f = line.split(None, 6)
            want[f[6].rstrip("\n")] = (ns(f[1]), int(f[2]))
        got = {}
        for n in nodes:
            s, c = got.get(n["name"], (0, 0))
            got[n["name"]] = (s + n["self"], c + n["calls"])
        if got != want:
            errs.append("graph (self ns, calls) %s != report %s" % (sorted(got.items()), sorted(want.items())))
    elif what == "callers":
        for n in nodes:
            kids = sum(k["calls"] for k in n["kids"])
            if kids > n["calls"]:
                errs.append("line %d %s: %d calls < children's %d" % (n["line"], n["name"], n["calls"], kids))
    print("\n".join(errs[:10]) if errs else "ok")


main()
