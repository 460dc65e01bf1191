/* SPDX-License-Identifier: MIT */
/*
 * From the trampoline to the hooks: pc -> site -> hook vector -> calls.
 *
 * pfe_dispatch() runs on every call of every enabled function, in any thread,
 * possibly inside a signal handler that interrupted libpfe, malloc or the
 * hooked function itself. So it takes no lock, calls no malloc, touches only
 * memory that RCU keeps alive, and guards against re-entry per thread.
 *
 * RCU flavour: urcu-bp ("bulletproof"), the one liburcu makes for libraries
 * that do not own their threads. libpfe is preloaded into a program whose
 * threads it never sees created and cannot ask to call rcu_register_thread()
 * or to report quiescent states (which urcu-memb/-mb/-qsbr require); urcu-bp
 * registers a thread lazily on its first rcu_read_lock() and unregisters it
 * from a pthread key destructor when the thread exits.
 *
 * That lazy registration is the one non-trivial step on the read side, once
 * per thread (urcu-bp.c, urcu_bp_register): it blocks all signals with
 * pthread_sigmask, takes urcu's registry mutex, takes a reader slot from an
 * mmap()ed arena (not malloc), and calls pthread_setspecific(). Because
 * signals are blocked while the mutex is held, and every other holder of
 * urcu's mutexes (synchronize_rcu, fork handlers) blocks them too, a signal
 * handler cannot interrupt its own thread inside urcu and deadlock. The
 * residual risk: pthread_setspecific() callocs its second-level array when
 * the program has already used more than 32 pthread keys, so a thread whose
 * *first* hooked call happens inside a signal handler that interrupted
 * malloc could deadlock there. Every later call of that thread is lock- and
 * allocation-free. The registry registers the thread that attaches hooks
 * (usually the main thread) in advance.
 *
 * The read-side primitives are the inline ones (_LGPL_SOURCE): they are the
 * short functions liburcu's headers mark as usable from non-LGPL code, and a
 * call through the PLT to the out-of-line wrappers would cost more than the
 * inline body. The reader pointer is urcu's TLS variable; we reach it with
 * the initial-exec model (see pfe_in_hook), valid because liburcu-bp is a
 * start-up dependency of the preloaded libpfe.
 */
#define _LGPL_SOURCE
/* rcu_dereference() as a volatile load: arm64 orders loads through an address
 * dependency, while GCC turns a consume load into a load-acquire (LDAR), which
 * also forbids the register-offset addressing the table lookup wants. No LTO
 * here, so the dependency survives compilation. */
#define URCU_DEREFERENCE_USE_VOLATILE
#include <errno.h>
#include <stdlib.h>
#include <urcu-bp.h>

#include "hooks.h"
#include "readside.h"

/*
 * The dispatch table: open addressing with linear probing, a power-of-two
 * number of slots, keyed by the body address (site->pc + PFE_ARCH_SITE_BYTES,
 * the return address the site's call left). A slot is NULL (end of a probe chain), a site, or
 * pfe_tomb (a removed site; keeps chains intact for readers). Slots only ever change NULL -> site,
 * site -> tomb and tomb -> site under the patch lock, each with one pointer store, so a reader
 * racing with a writer sees the old or the new site, never garbage. Growing builds a new table and
 * publishes it; the old one is freed after a grace period.
 */
struct pfe_dtab {
	size_t mask;		/* slots - 1 */
	struct pfe_site **slot; /* -> slots[]: lets the lookup index from a base register */
	size_t used;		/* sites + tombs: what lengthens probe chains */
	size_t live;		/* sites */
	struct pfe_site *slots[];
};

/* Matches no body: its body address is 0. */
static struct pfe_site pfe_tomb = {.pc = -(uintptr_t)PFE_ARCH_SITE_BYTES};

/* Readers need no NULL test: an empty table of one NULL slot. */
static struct pfe_dtab pfe_dtab_empty = {.mask = 0, .slot = pfe_dtab_empty.slots, .slots = {NULL}};
static struct pfe_dtab *pfe_dtab = &pfe_dtab_empty;

static inline size_t pfe_dtab_hash(uintptr_t body)
{
	/* Bodies are 4-byte aligned; fold in higher bits so that functions
	 * on a common alignment still spread over all slots. */
	return (body ^ (body >> 10)) >> 2;
}

static inline struct pfe_site *pfe_dtab_find(const struct pfe_dtab *t, uintptr_t body)
{
	uintptr_t pc = body - 8;
	size_t mask = t->mask, i = pfe_dtab_hash(body) & mask;
	struct pfe_site *s;

	for (;;) {
		s = rcu_dereference(t->slot[i]);
		if (__builtin_expect(!s || s->pc == pc, 1))
			return s;
		i = (i + 1) & mask;
	}
}

/*
 * Hooks with an exit hook or a signature: they learn which hook is running
 * (pfe_call_original, the typed tracer) and may need an exit frame. Out of
 * line, so the plain path keeps its registers.
 */
static __attribute__((noinline)) void
pfe_dispatch_ext(struct pfe_site *site, const struct pfe_hook_vec *v, struct pfe_regs *regs)
{
	const struct pfe_hook_ent *e = v->e;
	bool want_exit = false;

	pfe_cur_site = site;
	pfe_exit_prune(regs); /* exit.c */
	do {
		pfe_cur_hook = e->hook; /* exit.c, wrap.c */
		e->fn(site, regs, e->data);
		want_exit |= e->hook && e->hook->exit;
	} while ((++e)->fn);
	pfe_cur_hook = NULL;
	if (want_exit)
		pfe_exit_push(site, regs, v->keep); /* exit.c */
}

/* The hooks of vector @v of @site, inside a read-side section and the
 * guard. */
static inline void pfe_run_vec(struct pfe_site *site, const struct pfe_hook_vec *v,
			       struct pfe_regs *regs)
{
	const struct pfe_hook_ent *e;

	/* A published vector is never empty (the registry publishes NULL
	 * instead), so the first entry needs no test. */
	if (__builtin_expect(v->ext, 0)) {
		pfe_dispatch_ext(site, v, regs);
		return;
	}
	e = v->e;
	do
		e->fn(site, regs, e->data);
	while ((++e)->fn);
}

static inline void pfe_run_hooks(struct pfe_site *site, struct pfe_regs *regs)
{
	const struct pfe_hook_vec *v = rcu_dereference(site->hooks);

	if (__builtin_expect(v != NULL, 1))
		pfe_run_vec(site, v, regs);
}

/*
 * Hooks of a site reached through the common trampoline: found by address.
 * Only sites without a stub come here (stub.c): objects with no room for an
 * arena near them, and hand-made sites in tests.
 */
void pfe_dispatch(struct pfe_regs *regs)
{
	struct urcu_bp_reader *r;
	struct pfe_site *site;

	if (__atomic_load_n(&pfe_in_hook, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&pfe_in_hook, 1, __ATOMIC_RELAXED);
	/* A signal arriving from here on sees the guard set. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);

	r = pfe_read_lock();
	site = pfe_dtab_find(rcu_dereference(pfe_dtab), regs->pc);
	if (site)
		pfe_run_hooks(site, regs);
	pfe_read_unlock(r);

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&pfe_in_hook, 0, __ATOMIC_RELAXED);
}

/*
 * The per-site path when the trampoline's own read side does not apply (a
 * nested section, a thread's first call): lib/hooks/readside.h.
 */
void pfe_dispatch_site(struct pfe_regs *regs, struct pfe_site *site)
{
	struct urcu_bp_reader *r;

	if (__atomic_load_n(&pfe_in_hook, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&pfe_in_hook, 1, __ATOMIC_RELAXED);
	/* A signal arriving from here on sees the guard set. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);

	r = pfe_read_lock();
	pfe_run_hooks(site, regs);
	pfe_read_unlock(r);

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&pfe_in_hook, 0, __ATOMIC_RELAXED);
}

void pfe_dispatch_walk(const struct pfe_site *site, struct pfe_regs *regs, void *vec)
{
	/* The site is the one its stub named: const only in the hook type. */
	pfe_run_vec((struct pfe_site *)site, vec, regs);
}

void pfe_hook_vec_seal(struct pfe_hook_vec *v)
{
	size_t i;

	v->ext = false;
	for (i = 0; i < v->n; i++)
		v->ext |= v->e[i].hook && (v->e[i].hook->exit || v->e[i].hook->sig);
	v->e[v->n] = (struct pfe_hook_ent){NULL, NULL, NULL};
	v->keep = v->n == 1 && v->e[0].hook ? v->e[0].hook->fused : NULL;
	v->fused = v->keep && v->keep->entry ? v->keep : NULL;
	if (v->fused) {
		v->single = v->fused->entry;
		v->single_data = v;
	} else if (v->n == 1 && !v->ext) {
		v->single = v->e[0].fn;
		v->single_data = v->e[0].data;
	} else if (v->n == 1 && v->e[0].hook) {
		v->single = pfe_exit_enter_one; /* exit.c */
		v->single_data = v;
	} else {
		v->single = pfe_dispatch_walk;
		v->single_data = v;
	}
}

/* In .data, not .bss: the trampoline reaches it with one adr (+-1 MiB), and
 * libpfe's .bss holds large tables. The link fails if it ever moves out of
 * range. */
struct pfe_fast pfe_fast __attribute__((aligned(32), section(".data")));

bool pfe_dispatch_prepare(void)
{
	uintptr_t tp = (uintptr_t)__builtin_thread_pointer();

	/* Initial-exec TLS sits at a fixed offset from the thread pointer, the
	 * same in every thread: measure it once, here. */
	pfe_fast.guard_tpoff = (intptr_t)((uintptr_t)&pfe_in_hook - tp);
	pfe_fast.reader_tpoff = (intptr_t)((uintptr_t)&urcu_bp_reader - tp);
	pfe_fast.gp_ctr = &urcu_bp_gp.ctr;
	pfe_fast.mb = !urcu_bp_has_sys_membarrier;
	/* Last: the return trampoline's common case is off until it is set. */
	__atomic_store_n(&pfe_fast.shadow_tpoff, (intptr_t)((uintptr_t)&pfe_thread.shadow - tp),
			 __ATOMIC_RELEASE);
	return urcu_bp_has_sys_membarrier;
}

int pfe_dispatch_in_hook(void)
{
	/* PFE_GUARD_OWN (guard.h) is libpfe's own work, not a hook: it may
	 * attach and detach. */
	return __atomic_load_n(&pfe_in_hook, __ATOMIC_RELAXED) == 1;
}

/* ------------------------------------------------------------ writers */

static void pfe_dtab_put(struct pfe_dtab *t, struct pfe_site *site)
{
	size_t i = pfe_dtab_hash(site->pc + PFE_ARCH_SITE_BYTES) & t->mask;

	while (t->slot[i])
		i = (i + 1) & t->mask;
	t->slot[i] = site;
	t->used++;
	t->live++;
}

/* Replace the table by one with room for @want sites at most half full. */
static int pfe_dtab_resize(size_t want)
{
	struct pfe_dtab *old = pfe_dtab, *t;
	size_t n = 8, i;

	while (n < 2 * want)
		n *= 2;
	t = calloc(1, sizeof(*t) + n * sizeof(t->slots[0]));
	if (!t)
		return -ENOMEM;
	t->mask = n - 1;
	t->slot = t->slots;
	for (i = 0; i <= old->mask; i++)
		if (old->slot[i] && old->slot[i] != &pfe_tomb)
			pfe_dtab_put(t, old->slot[i]);
	rcu_assign_pointer(pfe_dtab, t);
	if (old != &pfe_dtab_empty) {
		/* Readers may still probe the old table. */
		pfe_synchronize_rcu();
		free(old);
	}
	return 0;
}

int pfe_dispatch_reserve(size_t n)
{
	const struct pfe_dtab *t = pfe_dtab;

	if (2 * (t->used + n) <= t->mask + 1)
		return 0;
	return pfe_dtab_resize(t->live + n);
}

int pfe_dispatch_insert(struct pfe_site *site)
{
	struct pfe_dtab *t;
	size_t i, tomb = SIZE_MAX;
	int err;

	err = pfe_dispatch_reserve(1);
	if (err)
		return err;
	t = pfe_dtab;
	for (i = pfe_dtab_hash(site->pc + PFE_ARCH_SITE_BYTES) & t->mask; t->slot[i];
	     i = (i + 1) & t->mask) {
		if (t->slot[i] == site)
			return 0;
		if (t->slot[i] == &pfe_tomb && tomb == SIZE_MAX)
			tomb = i;
	}
	if (tomb != SIZE_MAX) {
		i = tomb;
	} else {
		t->used++;
	}
	t->live++;
	rcu_assign_pointer(t->slot[i], site);
	return 0;
}

void pfe_dispatch_remove(struct pfe_site *site)
{
	struct pfe_dtab *t = pfe_dtab;
	size_t i;

	for (i = pfe_dtab_hash(site->pc + PFE_ARCH_SITE_BYTES) & t->mask; t->slot[i];
	     i = (i + 1) & t->mask) {
		if (t->slot[i] == site) {
			rcu_assign_pointer(t->slot[i], &pfe_tomb);
			t->live--;
			return;
		}
	}
}

struct pfe_site *pfe_dispatch_lookup(uintptr_t body)
{
	return pfe_dtab_find(rcu_dereference(pfe_dtab), body);
}

size_t pfe_dispatch_count(void)
{
	return pfe_dtab->live;
}
