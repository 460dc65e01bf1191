#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A minimal protobuf wire-format decoder, and what tests/integ/t_pfe_views.sh
checks in `pfe dump --perfetto` output with it (no protobuf library, no
Perfetto: the field numbers are written out here from Perfetto's protos, as
in tools/pfe/perfetto.c, so that a wrong number on either side shows).

  pfe_perfetto.py events TRACE    one line per event, per thread track:
                                  "pid tid B|E|I ns name [key=value]..."
                                  (debug annotations: end, args, retval), after
                                  checking the
                                  stream (see check()); exit 1 on a problem
  pfe_perfetto.py chrome JSON     the same lines from `pfe dump --chrome`
  pfe_perfetto.py interned TRACE  the number of names interned on each
                                  packet sequence, in sequence order
"""
import json
import sys

# Perfetto field numbers (protos/perfetto/trace/...).
TRACE_PACKET = 1
PKT_TIMESTAMP, PKT_SEQ_ID, PKT_TRACK_EVENT, PKT_INTERNED, PKT_FLAGS, PKT_TRACK_DESC = 8, 10, 11, 12, 13, 60
SEQ_CLEARED, SEQ_NEEDS = 1, 2
EV_ANNOTATIONS, EV_TYPE, EV_NAME_IID, EV_TRACK_UUID, EV_NAME = 4, 9, 10, 11, 23
DA_STRING_VALUE, DA_NAME = 6, 10
BEGIN, END, INSTANT = 1, 2, 3
TD_UUID, TD_PROCESS, TD_THREAD, TD_PARENT = 1, 3, 4, 5
PD_PID, PD_NAME = 1, 6
THD_PID, THD_TID, THD_NAME = 1, 2, 5
ID_EVENT_NAMES, EN_IID, EN_NAME = 2, 1, 2


def varint(buf, i):
    v = shift = 0
    while True:
        if i >= len(buf):
            raise ValueError("varint runs past the end at %d" % i)
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i
        if shift > 63:
            raise ValueError("varint longer than 10 bytes at %d" % i)


def fields(buf):
    """The (field, value) pairs of a message: ints for varints, bytes for
    length-delimited fields (wire types 1 and 5 are read but not used)."""
    out, i = [], 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 2:
            n, i = varint(buf, i)
            if i + n > len(buf):
                raise ValueError("field %d: %d bytes past the end" % (field, i + n - len(buf)))
            v, i = buf[i:i + n], i + n
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d at %d" % (wire, i))
        out.append((field, v))
    return out


def one(fs, field, default=None):
    vals = [v for f, v in fs if f == field]
    return vals[-1] if vals else default


def annotations(e):
    """A TrackEvent's debug annotations (name, string value) as " [k=v]"."""
    out = ""
    for k, a in e:
        if k == EV_ANNOTATIONS:
            d = fields(a)
            out += " [%s=%s]" % (one(d, DA_NAME).decode(), one(d, DA_STRING_VALUE).decode())
    return out


def events(path):
    data = open(path, "rb").read()
    tracks = {}  # uuid -> (pid, tid)
    procs = {}  # uuid -> pid
    seqs = {}  # sequence id -> {iid: name}
    lines, stacks, errs = [], {}, []
    for f, pkt in fields(data):
        if f != TRACE_PACKET:
            errs.append("Trace field %d, expected only packet (1)" % f)
            continue
        p = fields(pkt)
        seq, flags = one(p, PKT_SEQ_ID), one(p, PKT_FLAGS, 0)
        if seq is None:
            errs.append("a packet without trusted_packet_sequence_id")
            continue
        if seq not in seqs:
            if not flags & SEQ_CLEARED:
                errs.append("sequence %d: first packet does not clear the incremental state" % seq)
            seqs[seq] = {}
        elif flags & SEQ_CLEARED:
            seqs[seq] = {}
        td = one(p, PKT_TRACK_DESC)
        if td is not None:
            d = fields(td)
            uuid = one(d, TD_UUID)
            if one(d, TD_PROCESS) is not None:
                procs[uuid] = one(fields(one(d, TD_PROCESS)), PD_PID)
            if one(d, TD_THREAD) is not None:
                t = fields(one(d, TD_THREAD))
                if one(d, TD_PARENT) not in procs or procs[one(d, TD_PARENT)] != one(t, THD_PID):
                    errs.append("thread track %d: parent is not its process's track" % uuid)
                tracks[uuid] = (one(t, THD_PID), one(t, THD_TID))
        interned = one(p, PKT_INTERNED)
        if interned is not None:
            for fi, en in fields(interned):
                if fi == ID_EVENT_NAMES:
                    e = fields(en)
                    seqs[seq][one(e, EN_IID)] = one(e, EN_NAME).decode()
        ev = one(p, PKT_TRACK_EVENT)
        if ev is None:
            continue
        if not flags & SEQ_NEEDS:
            errs.append("sequence %d: an event without SEQ_NEEDS_INCREMENTAL_STATE" % seq)
        e = fields(ev)
        uuid, typ, ts = one(e, EV_TRACK_UUID), one(e, EV_TYPE), one(p, PKT_TIMESTAMP)
        if uuid not in tracks:
            errs.append("event on track %s, which no thread descriptor names" % uuid)
            continue
        pid, tid = tracks[uuid]
        stack = stacks.setdefault(uuid, [])
        if typ == BEGIN:
            iid = one(e, EV_NAME_IID)
            name = seqs[seq].get(iid) if iid is not None else one(e, EV_NAME, b"").decode()
            if name is None:
                errs.append("sequence %d: name_iid %d not interned" % (seq, iid))
                name = "?"
            stack.append(name)
            lines.append("%d %d B %d %s%s" % (pid, tid, ts, name, annotations(e)))
        elif typ == END:
            if not stack:
                errs.append("track %d: an end without a begin at %d" % (uuid, ts))
                continue
            lines.append("%d %d E %d %s%s" % (pid, tid, ts, stack.pop(), annotations(e)))
        elif typ == INSTANT:
            lines.append("%d %d I %d %s%s" % (pid, tid, ts, one(e, EV_NAME, b"").decode(), annotations(e)))
        else:
            errs.append("event type %s" % typ)
    for uuid, stack in stacks.items():
        if stack:
            errs.append("track %d: %d slices not ended" % (uuid, len(stack)))
    if errs:
        sys.stderr.write("\n".join(errs[:10]) + "\n")
        sys.exit(1)
    return lines


def chrome(path):
    lines = []
    for e in json.load(open(path))["traceEvents"]:
        if e["ph"] in "BEi":
            lost = e["ph"] == "i" and "count" in e["args"]
            name = e["name"] if not lost else "%d events lost" % e["args"]["count"]
            if "args" in e and not lost:
                name += "".join(" [%s=%s]" % kv for kv in e["args"].items())
            lines.append("%d %d %s %d %s" % (e["pid"], e["tid"], e["ph"].upper(), round(e["ts"] * 1000), name))
    return lines


def interned(path):
    n = {}
    for f, pkt in fields(open(path, "rb").read()):
        p = fields(pkt)
        seq = one(p, PKT_SEQ_ID)
        n[seq] = n.get(seq, 0) + sum(len([1 for fi, _ in fields(v) if fi == ID_EVENT_NAMES])
                                     for k, v in p if k == PKT_INTERNED)
    print(" ".join(str(n[s]) for s in sorted(n)))


def main():
    what, path = sys.argv[1], sys.argv[2]
    if what == "interned":
        return interned(path)
    lines = events(path) if what == "events" else chrome(path)
    # Per thread, in order; threads in (pid, tid) order.
    order = sorted(range(len(lines)), key=lambda i: (tuple(int(x) for x in lines[i].split()[:2]), i))
    sys.stdout.write("".join(lines[i] + "\n" for i in order))


main()
