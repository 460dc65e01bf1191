/* SPDX-License-Identifier: MIT */
/*
 * pfe dump --perfetto: Perfetto's own trace format, a protobuf `Trace`,
 * written in the protobuf wire format by hand (varints and length-delimited
 * fields; no protobuf library), one TracePacket at a time as the recording
 * is read, so that a recording of any size streams out. It is several
 * times smaller than --chrome's JSON and loads faster: function names are
 * interned once per thread and each event is a few varints.
 *
 * The stream: for each process a TrackDescriptor of a process track, for
 * each of its threads a TrackDescriptor of a thread track (the first packet
 * of the thread's own packet sequence, which clears its incremental state),
 * then the thread's calls as TrackEvent slices: TYPE_SLICE_BEGIN with the
 * function's interned name (its EventName goes in the InternedData of the
 * packet that uses it first; with the debug annotation "args", a
 * signature's arguments, as --chrome's args), TYPE_SLICE_END (with the debug
 * annotation "end": unwound, no exit recorded or still open at the end,
 * when the call did not return, or "retval", a signature's result), and
 * TYPE_INSTANT for lost events and, in a recording of entries only, for a
 * result (named after the function, with "retval"). Timestamps are nanoseconds
 * since the process's clock base (as in
 * --chrome), in the default trace clock.
 *
 * Field numbers, from Perfetto's protos/perfetto/trace/ (trace.proto,
 * trace_packet.proto, track_event/track_event.proto,
 * track_event/track_descriptor.proto, track_event/process_descriptor.proto,
 * track_event/thread_descriptor.proto, interned_data/interned_data.proto):
 *   Trace:            packet 1 (repeated TracePacket)
 *   TracePacket:      timestamp 8, trusted_packet_sequence_id 10,
 *                     track_event 11, interned_data 12, sequence_flags 13,
 *                     track_descriptor 60
 *   SequenceFlags:    SEQ_INCREMENTAL_STATE_CLEARED 1, SEQ_NEEDS_INCREMENTAL_STATE 2
 *   TrackEvent:       debug_annotations 4, type 9, name_iid 10, track_uuid 11,
 *                     name 23
 *   DebugAnnotation:  string_value 6, name 10 (debug_annotation.proto)
 *   TrackEvent.Type:  TYPE_SLICE_BEGIN 1, TYPE_SLICE_END 2, TYPE_INSTANT 3
 *   TrackDescriptor:  uuid 1, name 2, process 3, thread 4, parent_uuid 5
 *   ProcessDescriptor: pid 1, process_name 6
 *   ThreadDescriptor: pid 1, tid 2, thread_name 5
 *   InternedData:     event_names 2 (EventName: iid 1, name 2)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfe.h"
#include "reader.h"
#include "util.h"

enum {
	TRACE_PACKET = 1,

	PKT_TIMESTAMP = 8,
	PKT_SEQUENCE_ID = 10,
	PKT_TRACK_EVENT = 11,
	PKT_INTERNED_DATA = 12,
	PKT_SEQUENCE_FLAGS = 13,
	PKT_TRACK_DESCRIPTOR = 60,

	SEQ_INCREMENTAL_STATE_CLEARED = 1,
	SEQ_NEEDS_INCREMENTAL_STATE = 2,

	EV_DEBUG_ANNOTATIONS = 4,
	EV_TYPE = 9,
	EV_NAME_IID = 10,
	EV_TRACK_UUID = 11,
	EV_NAME = 23,
	TYPE_SLICE_BEGIN = 1,
	TYPE_SLICE_END = 2,
	TYPE_INSTANT = 3,

	TD_UUID = 1,
	TD_PROCESS = 3,
	TD_THREAD = 4,
	TD_PARENT_UUID = 5,
	PD_PID = 1,
	PD_PROCESS_NAME = 6,
	THD_PID = 1,
	THD_TID = 2,
	THD_THREAD_NAME = 5,

	DA_STRING_VALUE = 6,
	DA_NAME = 10,

	ID_EVENT_NAMES = 2,
	EN_IID = 1,
	EN_NAME = 2,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* A message being encoded. */
struct pb {
	uint8_t *b;
	size_t n, cap;
};

static void pb_raw(struct pb *p, const void *d, size_t n)
{
	if (p->n + n > p->cap) {
		while (p->n + n > p->cap)
			p->cap = p->cap ? p->cap * 2 : 256;
		p->b = xrealloc(p->b, p->cap);
	}
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void pb_varint(struct pb *p, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	pb_raw(p, b, n);
}

static void pb_uint(struct pb *p, unsigned field, uint64_t v)
{
	pb_varint(p, (uint64_t)field << 3 | WIRE_VARINT);
	pb_varint(p, v);
}

static void pb_bytes(struct pb *p, unsigned field, const void *d, size_t n)
{
	pb_varint(p, (uint64_t)field << 3 | WIRE_LEN);
	pb_varint(p, n);
	pb_raw(p, d, n);
}

static void pb_str(struct pb *p, unsigned field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

static void pb_msg(struct pb *p, unsigned field, const struct pb *m)
{
	pb_bytes(p, field, m->b, m->n);
}

struct perfetto {
	const struct rd_proc *proc;
	uint64_t proc_uuid, uuid; /* the process's and the thread's tracks */
	uint32_t seq, next_seq;	  /* the thread's packet sequence */
	uint8_t *interned;	  /* per site: its name sent on this sequence */
	struct pb pkt, ev, sub, sub2;
	int err;
};

/* Write the packet being built as one `packet` field of the Trace. */
static void flush_packet(struct perfetto *pf)
{
	struct pb head = {0};

	pb_varint(&head, TRACE_PACKET << 3 | WIRE_LEN);
	pb_varint(&head, pf->pkt.n);
	if (fwrite(head.b, 1, head.n, stdout) != head.n ||
	    fwrite(pf->pkt.b, 1, pf->pkt.n, stdout) != pf->pkt.n)
		pf->err = -1;
	free(head.b);
	pf->pkt.n = 0;
}

/* A TrackEvent packet of the thread's sequence at @ns, with the debug
 * annotation @key = @val (none: @val NULL). */
static void event_packet(struct perfetto *pf, uint64_t ns, unsigned type, uint32_t site,
			 const char *name, const char *key, const char *val)
{
	const struct rd_site *s = type == TYPE_SLICE_BEGIN ? rd_site(pf->proc, site) : NULL;

	pf->ev.n = pf->sub.n = pf->sub2.n = 0;
	pb_uint(&pf->pkt, PKT_TIMESTAMP, ns);
	pb_uint(&pf->pkt, PKT_SEQUENCE_ID, pf->seq);
	pb_uint(&pf->pkt, PKT_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
	pb_uint(&pf->ev, EV_TYPE, type);
	pb_uint(&pf->ev, EV_TRACK_UUID, pf->uuid);
	if (s) {
		/* iid 0 is "no name": a site's iid is its id plus one. Interned
		 * once per sequence, remembered by the site's index in the table
		 * (ids may be sparse). */
		size_t i = (size_t)(s - pf->proc->site_tab);

		if (!pf->interned[i]) {
			pb_uint(&pf->sub2, EN_IID, (uint64_t)site + 1);
			pb_str(&pf->sub2, EN_NAME, rd_site_label(pf->proc, site));
			pb_msg(&pf->sub, ID_EVENT_NAMES, &pf->sub2);
			pb_msg(&pf->pkt, PKT_INTERNED_DATA, &pf->sub);
			pf->interned[i] = 1;
		}
		pb_uint(&pf->ev, EV_NAME_IID, (uint64_t)site + 1);
	} else if (name) {
		pb_str(&pf->ev, EV_NAME, name);
	}
	if (val) {
		pf->sub.n = 0;
		pb_str(&pf->sub, DA_NAME, key);
		pb_str(&pf->sub, DA_STRING_VALUE, val);
		pb_msg(&pf->ev, EV_DEBUG_ANNOTATIONS, &pf->sub);
	}
	pb_msg(&pf->pkt, PKT_TRACK_EVENT, &pf->ev);
	flush_packet(pf);
}

static void pf_entry(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		     unsigned depth)
{
	struct perfetto *pf = ctx;
	uint32_t site = stack[depth].site;

	event_packet(pf, stack[depth].entry_ns, TYPE_SLICE_BEGIN, site,
		     rd_site_label(pf->proc, site), "args", stack[depth].args);
}

static void pf_exit(void *ctx, const struct rd_thread *t, const struct rd_frame *stack,
		    unsigned depth, uint64_t ns, enum rd_end how)
{
	static const char *const why[] = {NULL, "unwound", "no exit recorded",
					  "still open at the end"};

	if (why[how])
		event_packet(ctx, ns, TYPE_SLICE_END, 0, NULL, "end", why[how]);
	else
		event_packet(ctx, ns, TYPE_SLICE_END, 0, NULL, "retval", stack[depth].retval);
}

static void pf_result(void *ctx, const struct rd_thread *t, uint32_t site, uint64_t ns,
		      const char *text)
{
	struct perfetto *pf = ctx;

	event_packet(pf, ns, TYPE_INSTANT, 0, rd_site_label(pf->proc, site), "retval", text);
}

static void pf_lost(void *ctx, const struct rd_thread *t, uint64_t count, uint64_t ns)
{
	char name[64];

	snprintf(name, sizeof(name), "%llu events lost", (unsigned long long)count);
	event_packet(ctx, ns, TYPE_INSTANT, 0, name, NULL, NULL);
}

static void process_track(struct perfetto *pf, const struct rd_proc *p)
{
	const char *name = p->exe ? strrchr(p->exe, '/') : NULL;

	name = name ? name + 1 : p->exe ? p->exe : p->id;
	pf->ev.n = pf->sub.n = 0;
	pb_uint(&pf->sub, PD_PID, p->pid);
	pb_str(&pf->sub, PD_PROCESS_NAME, name);
	pb_uint(&pf->ev, TD_UUID, pf->proc_uuid);
	pb_msg(&pf->ev, TD_PROCESS, &pf->sub);
	pb_uint(&pf->pkt, PKT_SEQUENCE_ID, pf->next_seq++);
	pb_uint(&pf->pkt, PKT_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	pb_msg(&pf->pkt, PKT_TRACK_DESCRIPTOR, &pf->ev);
	flush_packet(pf);
}

/* The first packet of the thread's sequence: its track, state cleared (every
 * sequence's first packet says so, this one's and the process's alike). */
static void thread_track(struct perfetto *pf, const struct rd_thread *t)
{
	char tname[32];

	snprintf(tname, sizeof(tname), "%u", t->tid);
	pf->ev.n = pf->sub.n = 0;
	pb_uint(&pf->sub, THD_PID, t->proc->pid);
	pb_uint(&pf->sub, THD_TID, t->tid);
	pb_str(&pf->sub, THD_THREAD_NAME, t->name ? t->name : tname);
	pb_uint(&pf->ev, TD_UUID, pf->uuid);
	pb_uint(&pf->ev, TD_PARENT_UUID, pf->proc_uuid);
	pb_msg(&pf->ev, TD_THREAD, &pf->sub);
	pb_uint(&pf->pkt, PKT_SEQUENCE_ID, pf->seq);
	pb_uint(&pf->pkt, PKT_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	pb_msg(&pf->pkt, PKT_TRACK_DESCRIPTOR, &pf->ev);
	flush_packet(pf);
}

int dump_perfetto(struct rd_recording *rec)
{
	struct perfetto pf = {.next_seq = 1};
	struct rd_walker w = {pf_entry, pf_exit, pf_lost, .result = pf_result};
	int status = 0;

	for (size_t i = 0; i < rec->nprocs && !status; i++) {
		const struct rd_proc *p = &rec->procs[i];

		pf.proc = p;
		pf.proc_uuid = (uint64_t)(i + 1) << 32;
		process_track(&pf, p);
		for (size_t k = 0; k < p->nthreads && !status; k++) {
			struct rd_stats st;

			pf.uuid = pf.proc_uuid | (k + 1);
			pf.seq = pf.next_seq++;
			pf.interned = xcalloc(p->nsite_tab + 1, 1);
			thread_track(&pf, &p->threads[k]);
			status = rd_walk(&p->threads[k], &w, &pf, &st);
			free(pf.interned);
		}
	}
	free(pf.pkt.b);
	free(pf.ev.b);
	free(pf.sub.b);
	free(pf.sub2.b);
	if (pf.err) {
		pfe_say("dump: cannot write the trace");
		return -1;
	}
	return status;
}
