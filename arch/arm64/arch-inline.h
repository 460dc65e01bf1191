/* SPDX-License-Identifier: MIT */
/*
 * arm64's fast-path reads for arch/arch.h: inline, so that a hook's path
 * compiles to the instructions themselves (make bench counts them).
 *
 * The pure modules also build on the machine you are on (make check-host);
 * there these give 0 and nothing calls them.
 */
#ifndef PFE_ARCH_INLINE_H
#define PFE_ARCH_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "insn.h"

/* Bytes of a patch site's two slots (two instructions): a site's body, and
 * the return address its call leaves, is site->pc + PFE_ARCH_SITE_BYTES. */
#define PFE_ARCH_SITE_BYTES 8

/* The objects libpfe patches: ELF machine EM_AARCH64, named in messages. */
#define PFE_ARCH_ELF_MACHINE 183
#define PFE_ARCH_NAME	     "AArch64"
/* The GNU property that marks an object for branch protection
 * (GNU_PROPERTY_AARCH64_FEATURE_1_AND) and its BTI bit: on a CPU with BTI
 * the loader maps such an object's text with PROT_BTI. */
#define PFE_ARCH_PROP_FEATURES 0xc0000000u
#define PFE_ARCH_PROP_BTI      1u

/* The DWARF number of the return-address register (x30) for the unwinder's
 * _Unwind_GetGR/_Unwind_SetGR. */
#define PFE_ARCH_DWARF_LR 30

/* Does the code in [@start, @end) sign its return address (a paciasp
 * anywhere: at the entry, or later when shrink-wrapped)? Reads the text. */
static inline bool pfe_arch_signs_lr(uintptr_t start, uintptr_t end)
{
	for (const uint32_t *p = (const uint32_t *)start; (uintptr_t)p < end; p++)
		if (pfe_insn_is_paciasp(*p))
			return true;
	return false;
}

#if defined(__aarch64__)

/* The virtual counter (cntvct_el0). The isb keeps two reads of one thread
 * in program order, so that time never goes back within a thread. */
static inline uint64_t pfe_arch_counter(void)
{
	uint64_t t;

	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t));
	return t;
}

/* The same, and a compiler barrier: memory accesses are not moved across
 * it (the recorder's events, tracer/trace_rec.h). */
static inline uint64_t pfe_arch_counter_fenced(void)
{
	uint64_t t;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(t) : : "memory");
	return t;
}

/* The counter's frequency in Hz (cntfrq_el0); 0 when firmware left it unset. */
static inline uint64_t pfe_arch_counter_hz(void)
{
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

/* This function's stack pointer. */
static inline uintptr_t pfe_arch_sp(void)
{
	uintptr_t sp;

	__asm__ volatile("mov %0, sp" : "=r"(sp));
	return sp;
}

/*
 * @v signed with the A instruction key and @modifier, as a function's
 * paciasp signs its return address with its entry sp. pacia1716 is in the
 * hint space: a NOP (v unchanged) on a CPU without pointer authentication.
 */
static inline uintptr_t pfe_arch_pac_sign(uintptr_t v, uintptr_t modifier)
{
	register uintptr_t x17 __asm__("x17") = v;
	register uintptr_t x16 __asm__("x16") = modifier;

	__asm__("hint #8" /* pacia1716 */ : "+r"(x17) : "r"(x16));
	return x17;
}

#else /* the host build of the pure modules */

static inline uint64_t pfe_arch_counter(void)
{
	return 0;
}
static inline uint64_t pfe_arch_counter_fenced(void)
{
	return 0;
}
static inline uint64_t pfe_arch_counter_hz(void)
{
	return 0;
}
static inline uintptr_t pfe_arch_sp(void)
{
	return 0;
}
static inline uintptr_t pfe_arch_pac_sign(uintptr_t v, uintptr_t modifier)
{
	(void)modifier;
	return v;
}

#endif

#endif /* PFE_ARCH_INLINE_H */
