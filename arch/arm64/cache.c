/* SPDX-License-Identifier: MIT */
/*
 * Making written instructions visible to instruction fetch.
 *
 * arm64's instruction cache is not coherent with data stores: after writing
 * code, clean the data cache to the point of unification (dc cvau), wait
 * (dsb ish), invalidate the instruction cache for the same lines (ic ivau),
 * wait again, and resynchronise this core's fetch (isb). CTR_EL0 gives the
 * line sizes and says when a step is unnecessary (IDC, DIC). This is what
 * libgcc's __clear_cache does; having our own keeps libgcc's object, which
 * carries no BTI property note, out of libpfe.so.
 */
#include "arch.h"
#include "pfe_internal.h"

void pfe_sync_icache(const void *start, const void *end)
{
	uintptr_t a = (uintptr_t)start, b = (uintptr_t)end, p;
	uint64_t ctr;

	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	if (!(ctr & (1ull << 28))) { /* IDC clear: the clean is needed */
		uintptr_t line = 4ul << ((ctr >> 16) & 0xf);

		for (p = a & ~(line - 1); p < b; p += line)
			__asm__ volatile("dc cvau, %0" : : "r"(p) : "memory");
	}
	__asm__ volatile("dsb ish" : : : "memory");
	if (!(ctr & (1ull << 29))) { /* DIC clear: the invalidate is needed */
		uintptr_t line = 4ul << (ctr & 0xf);

		for (p = a & ~(line - 1); p < b; p += line)
			__asm__ volatile("ic ivau, %0" : : "r"(p) : "memory");
		__asm__ volatile("dsb ish" : : : "memory");
	}
	__asm__ volatile("isb" : : : "memory");
}
