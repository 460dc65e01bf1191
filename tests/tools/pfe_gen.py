#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a PFE_RECORD recording (tracer/record.h, version 1 or 2) from a script, for
the pfe command's tests: pfe_gen.py DIR < script. Independent of libpfe's
writer, from the documented format only.

Script lines (# comments):
  process PID [ppid N] [clock HZ] [noend] [entries] [version V] [exe PATH]
  object NAME PATH [0xBIAS] [FUNC...]   sites of the object, in order; "?" is
                                        a site without a symbol
  thread TID [NAME...]
  E TICKS FUNC [RET]    entry (RET: return address, default main+0x10)
  X TICKS FUNC          exit; its depth is the frame's index in the stack
  XD TICKS FUNC DEPTH   exit with a given depth
  U TICKS FUNC          EXIT_UNWOUND
  L TICKS COUNT         LOST
  T TICKS               TIME (written by itself before a gap of 2^47 ticks)
  A TICKS TYPE NBYTES   extended event of TYPE with NBYTES of payload
  ARGS TICKS TEXT...    ARGS payload: TEXT (Python escapes: \\x1b, \\x00)
  RET TICKS TEXT...     RETVAL payload: TEXT, the same way
  cut NBYTES            the thread file ends with NBYTES of a partial event
  header NBYTES         the thread file is only NBYTES of its header
A FUNC is the name of a site ("main", "_ZN...") or "%ID" for a site id.
"""
import os
import struct
import sys

MASK48 = (1 << 48) - 1


class Proc:
    def __init__(self, pid, opts):
        self.pid = pid
        self.ppid = int(opts.get("ppid", 1))
        self.clock = int(opts.get("clock", 1000000000))
        self.end = "noend" not in opts
        self.graph = "entries" not in opts
        self.version = int(opts.get("version", 1))
        self.exe = opts.get("exe", "/usr/bin/app")
        self.objects = []  # (name, path, bias, [funcs])
        self.sites = {}  # name -> global id
        self.threads = []  # Thread
        self.events = 0
        self.lost = 0
        self.last = 0


class Thread:
    def __init__(self, tid, name):
        self.tid = tid
        self.name = name
        self.data = bytearray()
        self.stack = []
        self.ticks = 0
        self.cut = 0
        self.header = None


def rec(w0, w1):
    return struct.pack("<QQ", w0 & (2**64 - 1), w1 & (2**64 - 1))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    procs = []
    p = t = None
    for raw in sys.stdin:
        line = raw.split("#", 1)[0].split() if not raw.lstrip().startswith("object") else raw.split()
        if not line:
            continue
        cmd, args = line[0], line[1:]
        if cmd == "process":
            opts, i = {}, 1
            while i < len(args):
                if args[i] in ("noend", "entries"):
                    opts[args[i]] = True
                    i += 1
                else:
                    opts[args[i]] = args[i + 1]
                    i += 2
            p = Proc(int(args[0]), opts)
            procs.append(p)
        elif cmd == "object":
            name, path = args[0], args[1]
            rest = args[2:]
            bias = 0x400000 * (len(p.objects) + 1)
            if rest and rest[0].startswith("0x"):
                bias = int(rest[0], 16)
                rest = rest[1:]
            first = sum(len(o[3]) for o in p.objects)
            for i, f in enumerate(rest):
                if f != "?":
                    p.sites.setdefault(f, first + i)
            p.objects.append((name, path, bias, rest))
        elif cmd == "thread":
            t = Thread(int(args[0]), " ".join(args[1:]) or None)
            p.threads.append(t)
        elif cmd == "cut":
            t.cut = int(args[0])
        elif cmd == "header":
            t.header = int(args[0])
        else:
            ticks = int(args[0])
            if ticks - t.ticks >= 1 << 47 and cmd != "T":
                t.data += rec(5 | (ticks & MASK48) << 16, ticks)
                p.events += 1
            t.ticks = ticks
            p.last = max(p.last, ticks)
            tw = (ticks & MASK48) << 16

            def site(f):
                return int(f[1:]) if f.startswith("%") else p.sites[f]

            if cmd == "E":
                s = site(args[1])
                ret = int(args[2], 16) if len(args) > 2 else p.objects[0][2] + 0x1010
                t.data += rec(1 | (s & 0xFFF) << 4 | tw, (ret & MASK48) | (s >> 12) << 48)
                t.stack.append(s)
            elif cmd in ("X", "U", "XD"):
                s = site(args[1])
                if cmd == "XD":
                    depth = int(args[2])
                elif s in t.stack:
                    depth = len(t.stack) - 1 - t.stack[::-1].index(s)
                else:  # a call entered before the recording
                    depth = 0
                typ = 3 if cmd == "U" else 2
                t.data += rec(typ | (s & 0xFFF) << 4 | tw, min(depth, 0xFFFF) | (s >> 12) << 48)
                if s in t.stack:
                    del t.stack[len(t.stack) - 1 - t.stack[::-1].index(s):]
            elif cmd == "L":
                t.data += rec(4 | tw, int(args[1]))
                p.lost += int(args[1])
            elif cmd == "T":
                t.data += rec(5 | tw, ticks)
            elif cmd in ("ARGS", "RET"):
                text = raw.split(None, 2)[2].rstrip("\n").encode().decode("unicode_escape").encode("latin-1")
                units = (len(text) + 15) // 16
                t.data += rec((8 if cmd == "ARGS" else 9) | units << 4 | tw, len(text))
                t.data += text + bytes(units * 16 - len(text))
            elif cmd == "A":
                n = int(args[2])
                units = (n + 15) // 16
                t.data += rec(int(args[1]) | units << 4 | tw, n)
                t.data += bytes(units * 16)
            else:
                sys.exit("pfe_gen: unknown line: " + raw)
            p.events += 1
    for p in procs:
        d = os.path.join(out, str(p.pid))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "info"), "w") as f:
            f.write("format pfe-record %d\n" % p.version)
            f.write("pid %d\nppid %d\nexe %s\n" % (p.pid, p.ppid, p.exe))
            f.write("cmdline %s 1 2\n" % p.exe)
            f.write("date 2026-11-28T12:00:00Z\nclock_hz %d\nclock_base 1000\n" % p.clock)
            f.write("realtime_ns 1795000000000000000\narch aarch64\n")
            f.write("mode %s\n" % ("graph" if p.graph else "entry"))
            if p.end:
                f.write("end %d events %d lost %d\n" % (p.last, p.events, p.lost))
        with open(os.path.join(d, "objects"), "w") as f:
            first = 0
            for i, (name, path, bias, funcs) in enumerate(p.objects):
                f.write("object %d %d %d 0x%x 0x%x 0x%x 0 %s\n" % (
                    i, first, len(funcs), bias, bias + 0x1000, bias + 0x1000 + 0x100 * (len(funcs) + 1), path))
                first += len(funcs)
        for i, (name, path, bias, funcs) in enumerate(p.objects):
            with open(os.path.join(d, "sym-%d.txt" % i), "w") as f:
                for k, fn in enumerate(funcs):
                    f.write("site %d 0x%x - %s\n" % (k, 0x1000 + 0x100 * (k + 1), fn))
                f.write("sym 0x1000 0x100 _start\n")
                for k, fn in enumerate(funcs):
                    if fn != "?":
                        f.write("sym 0x%x 0x100 %s\n" % (0x1000 + 0x100 * (k + 1), fn))
        with open(os.path.join(d, "threads"), "w") as f:
            for t in p.threads:
                if t.name:
                    f.write("%d %s\n" % (t.tid, t.name))
        for t in p.threads:
            hdr = struct.pack("<8sIIIIQQ24s", b"PFETHRD\0", p.version, 64, p.pid, t.tid, 1000,
                              (2 if p.graph else 0), bytes(24))
            data = hdr + bytes(t.data) + bytes(t.cut)
            if t.header is not None:
                data = hdr[:t.header]
            with open(os.path.join(d, "%d.dat" % t.tid), "wb") as f:
                f.write(data)


main()
