#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A recording directory as one input of the recording fuzz harness, and
back (the container format: tests/fuzz/fuzz_recording.c).

  pack.py pack DIR OUT      every regular file, FIFO and link to /dev/zero
                            under DIR, in name order
  pack.py unpack IN DIR     DIR becomes the recording IN describes, to run
                            build/pfe on a crash input: pfe replay -d DIR
"""
import os
import stat
import sys


def pack(src, out):
    data = bytearray()
    for top, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            rel = os.path.relpath(path, src)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) and os.readlink(path) == "/dev/zero":
                data += b"%s zero\n" % rel.encode()
            elif stat.S_ISFIFO(st.st_mode):
                data += b"%s fifo\n" % rel.encode()
            elif stat.S_ISREG(st.st_mode):
                body = open(path, "rb").read()
                data += b"%s %d\n" % (rel.encode(), len(body)) + body
    open(out, "wb").write(data)


def unpack(src, out):
    data = open(src, "rb").read()
    i = 0
    os.makedirs(out, exist_ok=True)
    while i < len(data):
        nl = data.find(b"\n", i, i + 256)
        if nl < 0:
            break
        line = data[i:nl].decode("latin-1")
        i = nl + 1
        if " " not in line:
            break
        rel, what = line.rsplit(" ", 1)
        parts = rel.split("/")
        if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            continue
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        if what == "fifo":
            os.mkfifo(path)
        elif what == "zero":
            os.symlink("/dev/zero", path)
        elif what.isdigit():
            n = int(what)
            open(path, "wb").write(data[i:i + n])
            i += n
        else:
            break


if len(sys.argv) != 4 or sys.argv[1] not in ("pack", "unpack"):
    sys.exit(__doc__)
(pack if sys.argv[1] == "pack" else unpack)(sys.argv[2], sys.argv[3])
