/* SPDX-License-Identifier: MIT */
/*
 * What an architecture provides to libpfe: the contract between the generic
 * code of lib/ and tracer/ and arch/<arch>/, after the kernel's "defined in
 * arch" verbs (include/linux/ftrace.h: ftrace_init_nop, ftrace_make_call,
 * ftrace_make_nop, ftrace_find_callable_addr). Nothing outside arch/ names
 * an instruction word, a register or a calling-convention rule; it asks here.
 *
 * The fast-path reads are static inline functions in
 * arch/<arch>/arch-inline.h, included below, so that a hook's path compiles
 * to the instructions themselves:
 *   pfe_arch_counter()        the free-running counter, in ticks; two reads
 *                             of one thread never go back
 *   pfe_arch_counter_fenced() the same, and no memory access moves across it
 *   pfe_arch_counter_hz()     its frequency in Hz, 0 when unknown
 *   pfe_arch_sp()             the caller's stack pointer
 *   pfe_arch_pac_sign(v, m)   @v signed as a function signs its return
 *                             address with modifier @m (v itself without PAC)
 *   pfe_arch_signs_lr(s, e)   true when the code in [s, e) signs its return
 *                             address
 *   PFE_ARCH_DWARF_LR         the unwinder's column of the return address
 *
 * Internal calls return 0 or -errno, as everywhere in libpfe. The sections
 * after the calling convention are the arm64 backend's own modules, which
 * its verbs use and the unit tests drive directly.
 */
#ifndef PFE_ARCH_H
#define PFE_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch-inline.h"

struct pfe_object;
struct pfe_site;
struct pfe_sig;
struct pfe_text_write;
struct __jmp_buf_tag;
struct ucontext_t;

/* ------------------------------------------------ site.c: the site verbs */
/*
 * Each fills *@w (address, old, new; w->keep is the caller's) with the one
 * word a transition of @site writes and the word that slot must hold before
 * it (the states are drawn in arch/arm64/site.c):
 *   init_nop   Compiled -> Initialised: the return-address saver in slot 0;
 *              only before the code can run (start-up, an object not yet
 *              reachable, or its other threads parked).
 *   make_call  Initialised -> Enabled: slot 1 becomes a call to @target.
 *   make_nop   Enabled -> Initialised: slot 1's call to @target goes back.
 * Return 0; -EINVAL when @site->pc is not an instruction address; -ERANGE
 * when @target is 0 or out of the call's reach (w is then left alone).
 * init_nop writes the same word over the same old word at the same offset
 * from pc for every site: lib/core/patch.c asks once per batch.
 */
int pfe_arch_init_nop(const struct pfe_site *site, struct pfe_text_write *w);
int pfe_arch_make_call(const struct pfe_site *site, uintptr_t target, struct pfe_text_write *w);
int pfe_arch_make_nop(const struct pfe_site *site, uintptr_t target, struct pfe_text_write *w);

/*
 * The state the words at @site->pc show (enum pfe_site_state: Compiled,
 * Initialised, Enabled with a call anywhere), or -EILSEQ for anything else
 * (a pc that is no instruction address included).
 * Reads the live slots with relaxed atomic loads.
 */
int pfe_arch_site_decode(const struct pfe_site *site);

/* A make_call batch's memory: the last object's common target, so that an
 * object that needs a veneer gets one attempt (and one error line) per
 * batch. Zero it before the batch. */
struct pfe_callable_memo {
	struct pfe_object *obj;
	uintptr_t target;
};

/*
 * Where @site's call goes: the one answer (the kernel's
 * ftrace_find_callable_addr). Its own stub when that is live and in reach,
 * else the common trampoline when in reach, else the object's veneer to it.
 *   @memo non-NULL (make_call): may create the object's veneer; the stub
 *     counts only once pfe_stubs_prepare() made it live.
 *   @memo NULL (make_nop, checks): the target an enabled site's call was
 *     given (PFE_SITE_STUB says whether it was the stub); creates nothing.
 * Returns the address and sets *@stub (when non-NULL) true when it is the
 * site's stub; returns 0 when there is nothing to call (said once), and for
 * a pc that is no instruction address (without creating anything).
 * Patch lock.
 */
uintptr_t pfe_arch_find_callable_addr(struct pfe_site *site, struct pfe_callable_memo *memo,
				      bool *stub);

/* ---------------------------------------- context.c: saved contexts */
/*
 * A thread parked with context @uc while slot 0 of @obj's sites was
 * initialised (lib/interpose/dlopen.c): when it stopped right after a slot 0
 * it executed as a NOP, make its context what the new word would have made
 * it. Async-signal-safe; the other threads are parked.
 */
void pfe_arch_init_nop_parked(struct ucontext_t *uc, const struct pfe_object *obj);
/* The stack pointer a context resumes at. */
uintptr_t pfe_arch_context_sp(const struct ucontext_t *uc);
/* Learn the C library's pointer guard, which mangles the stack pointer in a
 * jmp_buf, into *@guard. Returns 0, or -ENOTSUP when the jmp_buf's layout is
 * not the one expected (then no jmp_buf can be read). */
int pfe_arch_jmpbuf_guard(uintptr_t *guard);
/* The stack pointer @env continues at, or 0 when it does not decode to a
 * sensible one. */
uintptr_t pfe_arch_jmpbuf_sp(const struct __jmp_buf_tag *env, uintptr_t guard);

/* ------------------------------------- abi.c: the calling convention */
/* Place each argument of @sig (sig->arg[0 .. nargs)) where the calling
 * convention passes it, in sig->loc. Pure. The register reads that follow
 * the placement (pfe_sig_arg_read, pfe_sig_ret, pfe_sig_set_ret, declared
 * in sig.h) are the architecture's too. */
void pfe_arch_place_args(struct pfe_sig *sig);

/* ------------------------------------------------------------ cache.c */
/* Make instructions written to [start, end) visible to instruction fetch on
 * every core (dc cvau, dsb, ic ivau, dsb, isb). */
void pfe_sync_icache(const void *start, const void *end);

/* ------------------------------------------------------------ veneer.c */
/* The BL target for sites of @obj: the trampoline itself when in range,
 * else a veneer mapped within range of the object. 0 on failure. */
uintptr_t pfe_call_target(struct pfe_object *obj);

/* ----------------------------------------------------------- nearmap.c */
/* Map @len bytes (a multiple of the page size) with @prot where every BL of
 * @obj reaches all of them; 0 when no such range is free. */
uintptr_t pfe_map_near(const struct pfe_object *obj, size_t len, int prot);
/* Returns true when a BL anywhere in @obj's executable span reaches @t. */
bool pfe_near_reaches(const struct pfe_object *obj, uintptr_t t);

/* -------------------------------------------------------------- stub.c */
/* Make the stubs of @sites executable (a run of pages at a time) before
 * their BLs are written; sites that can have none are left to the common
 * trampoline. Patch lock. */
void pfe_stubs_prepare(struct pfe_site **sites, size_t n);
/* The stub of @site when its page is live, else 0. */
uintptr_t pfe_stub_live(const struct pfe_site *site);
/* Where @site's stub branches: pfe_site_trampoline, or the arena's veneer
 * to pfe_site_trampoline_far; 0 without an arena. For tests. */
uintptr_t pfe_stub_target(const struct pfe_site *site);
/* Bytes of stubs made live for @obj (whole pages). */
size_t pfe_stubs_bytes(const struct pfe_object *obj);
/* Unmap @obj's arena: only after the grace period that ends its life. */
void pfe_stubs_free(struct pfe_object *obj);
/* Counters since start-up, for tests and the bench; patch lock. */
struct pfe_stub_stats {
	unsigned long arenas;	 /* arenas reserved */
	unsigned long pages;	 /* pages made live */
	unsigned long mprotects; /* mprotect(2) calls committing them */
};
extern struct pfe_stub_stats pfe_stub_stats;

/* -------------------------------------------------------- trampolines */
/* arch/arm64/regs_tramp.S. Entered only by the BL in a site's slot 1. */
void pfe_regs_trampoline(void);
/* The same with x10 = the site, entered by B from a stub (stub.c); the far
 * entry (`bti c` first) by BR x16 from an arena's veneer. */
void pfe_site_trampoline(void);
void pfe_site_trampoline_far(void);
/* Where sites branch to; pfe_regs_trampoline unless a test substitutes its own. */
extern uintptr_t pfe_tramp_addr;

/* ----------------------------------------------------------- dynstub.c */
/* Lay out @site's stub for the instruction at @at (not yet executable):
 * sets site->pc. -ENOTSUP/-ERANGE with *@why from the relocator, -ENOSPC
 * when the arena is full, -ENOMEM. */
enum pfe_reloc_why;
int pfe_dynstub_build(struct pfe_object *obj, struct pfe_site *site, uintptr_t at,
		      enum pfe_reloc_why *why);
/* Make every stub laid out since the last commit executable. 0 or -errno. */
int pfe_dynstub_commit(struct pfe_object *obj);
/* Where pfe_call_original enters a dynamic site whose return address is
 * signed before the moved instruction: a `paciasp`, then the body (the
 * function's autiasp must find x30 signed). */
uintptr_t pfe_dynstub_orig(const struct pfe_site *site);
/* The address of @site's slot: the function's moved instruction, now a `b`
 * to the body (detached) or to the stub's entry (attached). */
uintptr_t pfe_dynstub_slot(const struct pfe_site *site);
uintptr_t pfe_dynstub_entry(const struct pfe_site *site);
void pfe_dynstub_free(struct pfe_object *obj);
/* arch/arm64/regs_tramp.S: the trampoline of dynamic sites (BL from the
 * stub, x9 = the caller's return address, x10 = site, the caller's x9 and
 * x10 pushed), keeping x9-x15 and NZCV too; _far (`bti c`) for the arena's
 * veneer; _mb as for the others. */
void pfe_dyn_trampoline(void);
void pfe_dyn_trampoline_far(void);
void pfe_dyn_trampoline_mb(void);
void pfe_dyn_trampoline_mb_far(void);
/* The same for a site whose caller's return address arrives signed
 * (`paciasp` before the moved instruction): hooks see it stripped, and a
 * return address a hook sets is signed with the function's entry sp. */
void pfe_dyn_trampoline_pac(void);
void pfe_dyn_trampoline_pac_far(void);
void pfe_dyn_trampoline_pac_mb(void);
void pfe_dyn_trampoline_pac_mb_far(void);

#endif /* PFE_ARCH_H */
