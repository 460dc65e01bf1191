/* SPDX-License-Identifier: MIT */
/*
 * Site state transitions, the kernel's ftrace protocol in user space: the
 * generic half (kernel/trace/ftrace.c). The architecture says which word
 * each transition writes into which slot and where an enabled site's call
 * goes (arch/arch.h; the states are drawn in arch/arm64/site.c):
 *
 *              init_nop                   make_call
 *   Compiled ------------> Initialised --------------> Enabled
 *                              ^                          |
 *                              +------- make_nop ---------+
 *
 * init_nop is allowed only before the code can run (the constructor before
 * main, or an object just loaded and not yet reachable); make_call and
 * make_nop change one word that the architecture lets us replace under a
 * running thread.
 *
 * Every transition goes through sites_modify(): check the site's state, ask
 * the architecture for the word expected in the slot and the word to write,
 * hand the whole batch to pfe_text_apply() (which refuses a word that is not
 * the expected one), then read the slots back and set each site's state from
 * what memory really holds. A site that fails any check is refused with one
 * line and left as it was. Callers hold the patch lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

enum op { OP_INIT_NOP, OP_MAKE_CALL, OP_MAKE_NOP };

static const struct transition {
	const char *name;
	uint8_t from, to;
} transitions[] = {
    [OP_INIT_NOP] = {"init_nop", PFE_SITE_COMPILED, PFE_SITE_INIT},
    [OP_MAKE_CALL] = {"make_call", PFE_SITE_INIT, PFE_SITE_CALL},
    [OP_MAKE_NOP] = {"make_nop", PFE_SITE_CALL, PFE_SITE_INIT},
};

static const char *const state_names[] = {
    [PFE_SITE_COMPILED] = "Compiled",
    [PFE_SITE_INIT] = "Initialised",
    [PFE_SITE_CALL] = "Enabled",
};

/* Say why a site was refused, for the first few sites of a batch. */
#define REFUSE_LINES 4

/* A queued write: the site, the slot and the word it gets (pfe_text_apply
 * sorts the write list, so they are kept here for the read-back), and
 * whether the word calls the site's own stub. */
struct queued {
	struct pfe_site *site;
	uintptr_t addr;
	uint32_t new;
	bool stub;
};

struct batch {
	enum op op;
	const struct transition *t;
	struct pfe_text_write *w;
	struct queued *queued;
	size_t nqueued;
	size_t refused;
	int err;			/* first error */
	struct pfe_callable_memo memo;	/* make_call: the last object's target */
	const struct pfe_text_seg *seg; /* hidden_rights' last hit */
};

static const char *state_name(uint8_t state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state]
								    : "invalid";
}

static void refuse(struct batch *b, const struct pfe_site *site, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void refuse(struct batch *b, const struct pfe_site *site, int err, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	if (!b->err)
		b->err = err;
	if (b->refused++ >= REFUSE_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	pfe_err("%s: %s at %#lx in %s refused: %s", b->t->name, site->name ? site->name : "?",
		(unsigned long)site->pc, site->obj && site->obj->name ? site->obj->name : "?", why);
}

/* PROT_BTI of the segment holding the site: /proc/self/maps does not show
 * it, and text.c must put it back with the other rights. The batch's last
 * segment first: sites come in address order, mostly in one segment. */
static inline int hidden_rights(struct batch *b, const struct pfe_site *site, uintptr_t addr)
{
	const struct pfe_object *obj = site->obj;

	if (b->seg && addr >= b->seg->start && addr < b->seg->end)
		return b->seg->prot & PFE_PROT_BTI;
	for (size_t i = 0; obj && i < obj->nsegs; i++) {
		if (addr >= obj->segs[i].start && addr < obj->segs[i].end) {
			b->seg = &obj->segs[i];
			return b->seg->prot & PFE_PROT_BTI;
		}
	}
	return 0;
}

static uint32_t load(uintptr_t addr)
{
	return __atomic_load_n((const uint32_t *)addr, __ATOMIC_RELAXED);
}

/* Validate one site and queue the write the architecture gives for the
 * transition (the kernel's ftrace_modify_code(pc, old, new, validate)). */
static void site_modify(struct batch *b, struct pfe_site *site)
{
	struct pfe_text_write w = {0};
	uintptr_t target = 0;
	bool stub = false;
	uint32_t cur;
	int err;

	if (site->state != b->t->from) {
		refuse(b, site, -EINVAL, "state %s, expected %s", state_name(site->state),
		       state_name(b->t->from));
		return;
	}
	if (site->nops < 2) {
		refuse(b, site, -EINVAL, "%u NOPs at pc, need two", site->nops);
		return;
	}
	switch (b->op) {
	case OP_INIT_NOP:
		err = pfe_arch_init_nop(site, &w);
		break;
	case OP_MAKE_CALL:
		/* Named for the events it is about to make (a dynamic site
		 * shows its symbol). */
		if (site->obj && !(site->flags & PFE_SITE_DYN) &&
		    pfe_site_set_label(&site->obj->tab, site))
			pfe_err_once("no memory for demangled names; raw symbols shown");
		target = pfe_arch_find_callable_addr(site, &b->memo, &stub);
		err = pfe_arch_make_call(site, target, &w);
		break;
	default:
		target = pfe_arch_find_callable_addr(site, NULL, NULL);
		err = pfe_arch_make_nop(site, target, &w);
		break;
	}
	if (err == -EINVAL) {
		refuse(b, site, -EINVAL, "pc not an instruction address");
		return;
	}
	if (err) {
		if (target)
			refuse(b, site, -ERANGE, "trampoline %#lx out of the call's reach",
			       (unsigned long)target);
		else
			refuse(b, site, -ERANGE, "no trampoline to call");
		return;
	}
	cur = load(w.addr);
	if (cur != w.old) {
		refuse(b, site, -EILSEQ, "pc+%u holds %#010x, expected %#010x",
		       (unsigned)(w.addr - site->pc), cur, w.old);
		return;
	}
	w.keep = hidden_rights(b, site, w.addr);
	b->w[b->nqueued] = w;
	b->queued[b->nqueued++] = (struct queued){site, w.addr, w.new, stub};
}

static int sites_modify(struct pfe_site **sites, size_t n, enum op op)
{
	struct pfe_text_write w_small[4];
	struct queued q_small[4];
	struct batch b = {.op = op, .t = &transitions[op], .w = w_small, .queued = q_small};
	int ret = 0;

	if (op == OP_MAKE_CALL)
		pfe_stubs_prepare(sites, n); /* before the calls are chosen */
	if (n > sizeof(w_small) / sizeof(w_small[0])) {
		b.w = malloc(n * sizeof(*b.w));
		b.queued = malloc(n * sizeof(*b.queued));
		if (!b.w || !b.queued) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		site_modify(&b, sites[i]);
	if (b.nqueued)
		ret = pfe_text_apply(b.w, b.nqueued, NULL);
	/*
	 * Memory, not the return value, says which writes happened: a batch
	 * can fail halfway, and the site's state must match its slot. Every
	 * queued slot held the old word, so the new one means it was written.
	 * (b.w was sorted by pfe_text_apply, hence b.queued keeps the words.)
	 */
	for (size_t i = 0; i < b.nqueued; i++) {
		const struct queued *q = &b.queued[i];
		struct pfe_site *site = q->site;
		uint32_t got = load(q->addr);

		if (got == q->new) {
			site->state = b.t->to;
			site->flags &= ~PFE_SITE_STUB;
			if (q->stub)
				site->flags |= PFE_SITE_STUB;
		} else if (ret >= 0)
			refuse(&b, site, -EILSEQ, "pc+%u changed to %#010x while patching",
			       (unsigned)(q->addr - site->pc), got);
	}
	if (b.refused > REFUSE_LINES)
		pfe_err("%s: %zu more sites refused", b.t->name, b.refused - REFUSE_LINES);
	if (ret >= 0)
		ret = b.err;
out:
	if (b.w != w_small)
		free(b.w);
	if (b.queued != q_small)
		free(b.queued);
	return ret;
}

/*
 * init_nop of a whole batch whose every site passes site_modify's checks,
 * as at start-up: the arch's words asked once (arch.h: the same for every
 * site), the writes built and the states read back in tight loops (issue
 * 25: the generic batch was a good part of the start-up per site).
 * Returns 1 when some site would be refused: the generic batch then says
 * why.
 */
static int init_nop_batch(struct pfe_site **sites, size_t n)
{
	struct batch b = {.op = OP_INIT_NOP, .t = &transitions[OP_INIT_NOP]};
	struct pfe_text_write w0, *w;
	uintptr_t off, seg_lo = 0, seg_hi = 0; /* hidden_rights' last segment */
	uint32_t old, new;
	int ret, keep = 0;

	if (!n || pfe_arch_init_nop(sites[0], &w0))
		return 1;
	off = w0.addr - sites[0]->pc;
	old = w0.old;
	new = w0.new;
	w = malloc(n * sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pfe_site *s = sites[i];
		uintptr_t addr = s->pc + off;

		if (s->state != PFE_SITE_COMPILED || s->nops < 2 || s->pc & 3 ||
		    load(addr) != old) {
			free(w);
			return 1;
		}
		/* The segment of the last site, kept in locals. */
		if (addr - seg_lo >= seg_hi - seg_lo) {
			keep = hidden_rights(&b, s, addr);
			if (b.seg) {
				seg_lo = b.seg->start;
				seg_hi = b.seg->end;
			}
		}
		w[i] = (struct pfe_text_write){addr, old, new, keep};
	}
	ret = pfe_text_apply(w, n, NULL);
	free(w);
	/* Memory says which writes happened, as in sites_modify; each write
	 * found its old word and stored its new one when all n were applied. */
	if (ret == (int)n) {
		for (size_t i = 0; i < n; i++) {
			sites[i]->state = b.t->to;
			sites[i]->flags &= ~PFE_SITE_STUB;
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct pfe_site *s = sites[i];
		uint32_t got = load(s->pc + off);

		if (got == new) {
			s->state = b.t->to;
			s->flags &= ~PFE_SITE_STUB;
		} else if (ret >= 0) {
			refuse(&b, s, -EILSEQ, "pc+%u changed to %#010x while patching",
			       (unsigned)off, got);
		}
	}
	if (b.refused > REFUSE_LINES)
		pfe_err("%s: %zu more sites refused", b.t->name, b.refused - REFUSE_LINES);
	return ret >= 0 ? b.err : ret;
}

int pfe_sites_init_nop(struct pfe_site **sites, size_t n)
{
	int ret = init_nop_batch(sites, n);

	return ret == 1 ? sites_modify(sites, n, OP_INIT_NOP) : ret;
}

int pfe_sites_make_call(struct pfe_site **sites, size_t n)
{
	return sites_modify(sites, n, OP_MAKE_CALL);
}

int pfe_sites_make_nop(struct pfe_site **sites, size_t n)
{
	return sites_modify(sites, n, OP_MAKE_NOP);
}

int pfe_site_init_nop(struct pfe_site *site)
{
	return sites_modify(&site, 1, OP_INIT_NOP);
}

int pfe_site_make_call(struct pfe_site *site)
{
	return sites_modify(&site, 1, OP_MAKE_CALL);
}

int pfe_site_make_nop(struct pfe_site *site)
{
	return sites_modify(&site, 1, OP_MAKE_NOP);
}
