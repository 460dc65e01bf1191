/* SPDX-License-Identifier: MIT */
/*
 * Stubs of dynamic sites (lib/core/dynsite.c): functions without
 * -fpatchable-function-entry whose first instruction (after `bti c` /
 * `paciasp`) was replaced, once and with the other threads parked, by a
 * `b` into their stub. 64 bytes each, in an arena reserved PROT_NONE within
 * branch range of the whole object:
 *
 *   base + 0:  ldr x16, base + 8; br x16     veneers, when the trampolines
 *   base + 8:  .quad pfe_dyn_trampoline_far  are out of BL range
 *   base + 16: (the same for pfe_dyn_trampoline_pac_far)
 *
 *   S + 0:     stp x9, x10, [sp, #-N]!      entry: the function's `b` when attached;
 *                                            N: struct pfe_dyn_save (dynsave.h)
 *   S + 4:     mov x9, x30
 *   S + 8:     ldr x10, S + 40               site->pc
 *   S + 12:    bl  pfe_dyn_trampoline (_pac, or a veneer)
 *   S + 16:    <the displaced instruction, relocated: 1..5 words>
 *              b   <site + 4>                body: the function's `b` when detached
 *   S + 40:    .quad site
 *   S + 48:    paciasp; b S + 16             pfe_call_original's entry, `paciasp`
 *                                            sites only (the body's autiasp needs it)
 *   S + 56:    .quad <the function's patched word>
 *
 * The site's slot is the function's own `b`, toggled between the body
 * (detached) and the entry (attached): B to B is in the architecture's
 * concurrently-modifiable set, like the NOP and BL of a flagged site's slot
 * 1, so attaching and detaching never park a thread (patch.c). Detached, a
 * call costs `b body; <insn>; b back`: two instructions more than the
 * untouched function, where a NOP/B slot in the stub would cost three.
 * The entry cannot be a BL to a trampoline as in a flagged site: it would
 * overwrite x30 before anything saved it, and saving it in x9 first would
 * clobber x9, which a caller compiled with -fipa-ra may keep a value in. So
 * the entry saves x9 and x10 itself, passes the return address in x9 and
 * the site in x10 as a flagged stub does, and calls the trampoline, whose
 * variant (regs_tramp.S) also keeps x11-x15 and NZCV in the same area.
 *
 * site->pc is S + 8, so that the body is site->pc + 8 as for a flagged
 * site: the dispatch table, pfe_call_original and the exit hooks need no
 * case of their own. A site after `paciasp` gets its caller's return address
 * signed (modifier: the entry sp): its stub calls pfe_dyn_trampoline_pac,
 * which strips it for the hooks and signs what they set. Pages are written
 * before they become executable and never rewritten; a batch of new stubs
 * starts on a fresh page. Patch lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "dispatch.h"
#include "dynsave.h"
#include "insn.h"
#include "reloc.h"

#define DSTUB_SIZE  64
#define DSTUB_LIT   40
#define DSTUB_BODY  16
#define DSTUB_ORIG  48
#define DSTUB_AT    56
#define ARENA_BYTES ((size_t)2 << 20) /* 32767 stubs, address space only */
#define PACIASP	    0xd503233fu

struct pfe_dynstubs {
	uintptr_t base;
	size_t len;
	uintptr_t ps;
	/* The BL targets: the trampolines, or the veneers at base (plain) and
	 * base + 16 (pac); their far entries, for the veneers. */
	uintptr_t target[2];
	uintptr_t far[2];
	size_t live; /* [base, base + live) is committed, R-X */
	size_t used; /* stubs laid out; [live, used) waits in pending */
	uint32_t *pending;
	size_t pcap; /* bytes */
};

static struct pfe_dynstubs *arena(struct pfe_object *obj)
{
	struct pfe_dynstubs *s = obj->dynstubs;
	uintptr_t base, t[2];

	if (s)
		return s->base ? s : NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	obj->dynstubs = s;
	s->ps = pfe_page_size();
	base = pfe_map_near(obj, ARENA_BYTES, PROT_NONE);
	if (!base) {
		pfe_err("%s: no room within branch range for the stubs of dynamic sites",
			obj->name);
		return NULL;
	}
	if (pfe_dispatch_prepare()) {
		t[0] = (uintptr_t)pfe_dyn_trampoline;
		s->far[0] = (uintptr_t)pfe_dyn_trampoline_far;
		t[1] = (uintptr_t)pfe_dyn_trampoline_pac;
		s->far[1] = (uintptr_t)pfe_dyn_trampoline_pac_far;
	} else {
		t[0] = (uintptr_t)pfe_dyn_trampoline_mb;
		s->far[0] = (uintptr_t)pfe_dyn_trampoline_mb_far;
		t[1] = (uintptr_t)pfe_dyn_trampoline_pac_mb;
		s->far[1] = (uintptr_t)pfe_dyn_trampoline_pac_mb_far;
	}
	s->base = base;
	s->len = ARENA_BYTES;
	s->used = 2 * DSTUB_BODY; /* the veneers */
	for (int i = 0; i < 2; i++)
		if (pfe_insn_reachable_by_bl(base, t[i]) &&
		    pfe_insn_reachable_by_bl(base + s->len, t[i]))
			s->target[i] = t[i];
		else
			s->target[i] = base + DSTUB_BODY * (size_t)i;
	pfe_debug("%s: dynamic stubs at %#lx%s", obj->name, (unsigned long)base,
		  s->target[0] == base ? ", through a veneer" : "");
	return s;
}

int pfe_dynstub_build(struct pfe_object *obj, struct pfe_site *site, uintptr_t at,
		      enum pfe_reloc_why *why)
{
	struct pfe_dynstubs *s = arena(obj);
	uint32_t w[DSTUB_SIZE / 4];
	uintptr_t S;
	size_t off;
	int k;

	if (!s)
		return -ENOMEM;
	if (s->used < s->live)
		s->used = s->live;
	if (s->used + DSTUB_SIZE > s->len)
		return -ENOSPC;
	S = s->base + s->used;
	for (size_t i = 0; i < DSTUB_SIZE / 4; i++)
		w[i] = PFE_INSN_BAD;
	k = pfe_reloc_insn(*(const uint32_t *)at, at, S + DSTUB_BODY, &w[DSTUB_BODY / 4],
			   (DSTUB_LIT - DSTUB_BODY) / 4 - 1, why);
	if (k < 0)
		return k;
	w[0] = pfe_insn_stp_push(PFE_REG_X9, PFE_REG_X10, sizeof(struct pfe_dyn_save));
	w[1] = PFE_INSN_MOV_X9_X30;
	w[2] = pfe_insn_ldr_lit(S + 8, S + DSTUB_LIT, PFE_REG_X10);
	w[3] = pfe_insn_bl(S + 12, s->target[!!(site->flags & PFE_SITE_PAC)]);
	if (site->flags & PFE_SITE_PAC) {
		w[DSTUB_ORIG / 4] = PACIASP;
		w[DSTUB_ORIG / 4 + 1] = pfe_insn_b(S + DSTUB_ORIG + 4, S + DSTUB_BODY);
	}
	w[DSTUB_BODY / 4 + k] = pfe_insn_b(S + DSTUB_BODY + 4 * (size_t)k, at + 4);
	memcpy(&w[DSTUB_LIT / 4], &site, sizeof(site));
	memcpy(&w[DSTUB_AT / 4], &at, sizeof(at));
	if (w[3] == PFE_INSN_BAD || w[DSTUB_BODY / 4 + k] == PFE_INSN_BAD) {
		*why = PFE_RELOC_RANGE;
		return -ERANGE;
	}
	off = s->used - s->live;
	if (off + DSTUB_SIZE > s->pcap) {
		size_t cap = s->pcap ? 2 * s->pcap : s->ps;
		uint32_t *p = realloc(s->pending, cap);

		if (!p)
			return -ENOMEM;
		s->pending = p;
		s->pcap = cap;
	}
	memcpy((char *)s->pending + off, w, DSTUB_SIZE);
	s->used += DSTUB_SIZE;
	site->pc = S + 8;
	return 0;
}

int pfe_dynstub_commit(struct pfe_object *obj)
{
	struct pfe_dynstubs *s = obj->dynstubs;
	size_t end, len;
	char *a;

	if (!s || !s->base || s->used <= s->live)
		return 0;
	end = (s->used + s->ps - 1) & ~(s->ps - 1);
	len = end - s->live;
	a = (char *)(s->base + s->live);
	if (mprotect(a, len, PROT_READ | PROT_WRITE))
		goto fail;
	memcpy(a, s->pending, s->used - s->live);
	if (s->live == 0) {
		/* Overwrites nothing: stubs start at base + 32. */
		for (int i = 0; i < 2; i++) {
			uintptr_t b = s->base + DSTUB_BODY * (size_t)i;
			uint32_t *v = (uint32_t *)b;

			v[0] = pfe_insn_ldr_lit(b, b + 8, PFE_REG_X16);
			v[1] = pfe_insn_br(PFE_REG_X16);
			memcpy(&v[2], &s->far[i], sizeof(s->far[i]));
		}
	}
	if (mprotect(a, len, PROT_READ | PROT_EXEC)) {
		mprotect(a, len, PROT_NONE);
		goto fail;
	}
	pfe_sync_icache(a, a + len);
	s->live = end;
	return 0;
fail:
	pfe_err("%s: cannot make %zu bytes of dynamic stubs executable: %s", obj->name, len,
		strerror(errno));
	s->used = s->live;
	return -EACCES;
}

uintptr_t pfe_dynstub_orig(const struct pfe_site *site)
{
	return site->pc - 8 + DSTUB_ORIG;
}

uintptr_t pfe_dynstub_slot(const struct pfe_site *site)
{
	return *(const uintptr_t *)(site->pc - 8 + DSTUB_AT);
}

uintptr_t pfe_dynstub_entry(const struct pfe_site *site)
{
	return site->pc - 8;
}

void pfe_dynstub_free(struct pfe_object *obj)
{
	struct pfe_dynstubs *s = obj->dynstubs;

	obj->dynstubs = NULL;
	if (!s)
		return;
	if (s->base)
		munmap((void *)s->base, s->len);
	free(s->pending);
	free(s);
}
