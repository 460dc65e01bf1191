/* SPDX-License-Identifier: MIT */
/*
 * The 16-byte events of the tracer's per-thread rings (trace_rec.h): how a
 * traced call is encoded in memory, between the hook that stores it and the
 * writer that turns it into text or a recording.
 *
 * In memory an event is the PFE_RECORD event (record.h) with two
 * differences that the writer removes before anything reaches a file:
 *   - the time field holds the counter itself (pfe_arch_counter) (modulo 2^48), not ticks since
 *     clock_base: the subtraction is the writer's, not the traced thread's;
 *   - in PFE_GRAPH text mode (not PFE_RECORD), which prints no caller, an
 *     ENTRY's w1 bits 0..15 carry its depth instead of the return address,
 *     and an EXIT's w1 bits 16..47 carry the call's duration
 *     (pfe_ring_dur_pack), which lib/hooks/exit.c measured per frame and
 *     which the writer could not rebuild by nesting once a thread switches
 *     stacks.
 * Pure: included by the hot path and by the host tests alike.
 */
#ifndef PFE_TRACE_EVENT_H
#define PFE_TRACE_EVENT_H

#include <stdint.h>

#include "record.h"

/* Private plain type: calls not shown beyond PFE_DEPTH (w1: how many), in
 * PFE_GRAPH text mode only. */
#define PFE_REC_DEEP 6

/* A duration in w1 bits 16..47: nanoseconds below 2^31, else microseconds
 * with bit 47 set (35 minutes), saturating. */
static inline uint64_t pfe_ring_dur_pack(uint64_t ns)
{
	if (ns < (UINT64_C(1) << 31))
		return ns << 16;
	ns /= 1000;
	if (ns >= (UINT64_C(1) << 31))
		ns = (UINT64_C(1) << 31) - 1;
	return (ns | UINT64_C(1) << 31) << 16;
}

static inline uint64_t pfe_ring_dur_unpack(uint64_t w1)
{
	uint64_t v = (w1 >> 16) & 0xffffffffu;

	return v & (UINT64_C(1) << 31) ? (v & ~(UINT64_C(1) << 31)) * 1000 : v;
}

#endif /* PFE_TRACE_EVENT_H */
