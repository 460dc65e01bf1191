/* SPDX-License-Identifier: MIT */
/*
 * The rings' shared state (ring_internal.h): the slots, the settings every
 * ring file reads, and the counter's conversion to nanoseconds. Defined
 * here, below every other ring file, so that none of them reaches up into
 * another for it.
 */
#include "ring_internal.h"

struct pfe_ring pfe_ring_slots[NRINGS];
struct pfe_rings pfe_rings = {
    .out_fd = -1, .nev = EV_DEFAULT, .meta_lock = PTHREAD_MUTEX_INITIALIZER};

/* pfe_my_ring: lib/base/thread.h */
bool pfe_ring_record;
bool pfe_ring_graph_time;

/* ns = ticks * ns_mult >> 32: one multiply per event instead of a 128-bit
 * division, exact to a nanosecond per 4 s at any frequency up to 4 GHz. */
static uint64_t ns_mult;

uint64_t pfe_ring_ns(uint64_t ticks)
{
	return ns_mult ? (uint64_t)((unsigned __int128)ticks * ns_mult >> 32) : ticks;
}

uint64_t pfe_ring_ns_mult(void)
{
	return ns_mult;
}

uint64_t pfe_ring_clock_init(void)
{
	uint64_t hz = pfe_arch_counter_hz();

	if (hz)
		ns_mult = (uint64_t)(((unsigned __int128)1000000000u << 32) / hz);
	return hz;
}
