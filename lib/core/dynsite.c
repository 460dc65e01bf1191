/* SPDX-License-Identifier: MIT */
/*
 * Dynamic sites (issue 24): functions built without
 * -fpatchable-function-entry, patched by moving their first instruction.
 *
 * The site is the first instruction after any `bti c` / `paciasp` (they stay
 * in place: indirect calls land on them). It becomes, once and with every
 * other thread parked, a `b` to the relocated copy in the site's stub, in
 * an arena within branch range of the object (arch/arm64/dynstub.c lays the
 * stub out; see the drawing there). From then on the site is an ordinary
 * one for the rest of libpfe: body = pc + 8, its slot (that `b`, retargeted
 * between the copy and the stub's entry) toggled by patch.c without
 * parking, ids from siteid.c.
 *
 * Laziness: an object without a table costs nothing per function until a
 * hook's pattern reaches it (pfe_pattern_reaches); its symbols are read
 * then, once. Sites are created when a pattern selects them and live as
 * long as the object (stable addresses: each is its own allocation).
 *
 * A function is refused, with its reason kept for PFE_LIST and said once in
 * PFE_DEBUG, where patching cannot be exact: no symbol size, a displaced
 * instruction that cannot be relocated, a branch inside the function back
 * to it (a loop head at the entry would fire the hook per iteration).
 * Callers hold the patch lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "debugname.h"
#include "elfobj.h"
#include "insn.h"
#include "reloc.h"

#define PACIASP 0xd503233fu
#define BTI_JC	0xd50324dfu

struct refusal {
	uintptr_t func;
	const char *name;
	const char *why;
};

/* A function symbol as dynamic sites see it: every alias, IFUNCs marked. */
struct dsym {
	uintptr_t addr;
	uint32_t size, name; /* name: offset into pfe_dyn.pool */
	bool ifunc;
};

struct pfe_dyn {
	struct pfe_sitetab symtab; /* objects without a table: their symbols */
	bool syms_read;
	/* &symtab once built, for readers on any thread (naming callers). */
	const struct pfe_sitetab *syms_pub;
	/* Every function symbol, aliases included (an exact term may name
	 * any alias: 'free' is also 'cfree'), sorted by address. */
	struct dsym *all;
	size_t nall;
	uint32_t *byname; /* indices into all, sorted by name */
	char *pool;
	struct pfe_site **sites; /* created, in creation order */
	size_t n, cap;
	struct refusal *refused;
	size_t nrefused, refcap;
};

static struct pfe_dyn *dyn_get(struct pfe_object *obj)
{
	if (!obj->dyn)
		__atomic_store_n(&obj->dyn, calloc(1, sizeof(*obj->dyn)), __ATOMIC_RELEASE);
	return obj->dyn;
}

const struct pfe_sitetab *pfe_object_symtab(const struct pfe_object *obj)
{
	const struct pfe_dyn *d = __atomic_load_n(&obj->dyn, __ATOMIC_ACQUIRE);
	const struct pfe_sitetab *t;

	if (!obj->no_table || !d)
		return &obj->tab;
	t = __atomic_load_n(&d->syms_pub, __ATOMIC_ACQUIRE);
	return t ? t : &obj->tab;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_by_name(const void *a, const void *b, void *arg)
{
	const struct pfe_dyn *d = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(d->pool + d->all[x].name, d->pool + d->all[y].name);

	return c ? c : (x < y ? -1 : x > y);
}

static int cmp_sym_addr(const void *a, const void *b)
{
	const struct dsym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Keep every symbol of @in, names copied into d->pool. */
static int keep_all(struct pfe_dyn *d, const struct pfe_sym_in *in, size_t n)
{
	size_t pool = 1, k = 0;
	char *p;

	for (size_t i = 0; i < n; i++)
		if (in[i].name && in[i].name[0])
			pool += strlen(in[i].name) + 1;
	d->all = malloc((n ? n : 1) * sizeof(*d->all));
	d->pool = malloc(pool);
	if (!d->all || !d->pool || pool > UINT32_MAX)
		return -ENOMEM;
	p = d->pool;
	*p++ = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (!in[i].name || !in[i].name[0])
			continue;
		len = strlen(in[i].name) + 1;
		d->all[k].addr = in[i].addr;
		d->all[k].size = in[i].size > UINT32_MAX ? UINT32_MAX : (uint32_t)in[i].size;
		d->all[k].name = (uint32_t)(p - d->pool);
		d->all[k].ifunc = in[i].ifunc;
		memcpy(p, in[i].name, len);
		p += len;
		k++;
	}
	d->nall = k;
	qsort(d->all, k, sizeof(*d->all), cmp_sym_addr);
	d->byname = malloc((k ? k : 1) * sizeof(*d->byname));
	if (!d->byname)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		d->byname[i] = (uint32_t)i;
	qsort_r(d->byname, k, sizeof(*d->byname), cmp_by_name, d);
	return 0;
}

/* The groups (first index in d->all of an address) holding a symbol
 * named @name, appended to @v (deduplicated by the caller's loop). */
static int lookup_name(const struct pfe_dyn *d, const char *name, size_t **v, size_t *n,
		       size_t *cap)
{
	size_t lo = 0, hi = d->nall;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(d->pool + d->all[d->byname[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < d->nall && !strcmp(d->pool + d->all[d->byname[lo]].name, name); lo++) {
		size_t g = d->byname[lo];

		while (g > 0 && d->all[g - 1].addr == d->all[g].addr)
			g--;
		if (*n == *cap) {
			size_t c = *cap ? 2 * *cap : 8, *w = realloc(*v, c * sizeof(*w));

			if (!w)
				return -ENOMEM;
			*v = w;
			*cap = c;
		}
		(*v)[(*n)++] = g;
	}
	return 0;
}

/* PFE_DEBUGINFO: where separate debug files are (README.md "Tracing"). */
static const char *debuginfo_dirs(void)
{
	const char *v = pfe_env("PFE_DEBUGINFO");

	return v ? v : PFE_DEBUGINFO_DEFAULT;
}

/* Read @obj's function symbols, once, when a term first reaches it: every
 * alias into d->all, and for an object without a table the table that
 * names callers in it (pfe_object_symtab). */
static void dyn_syms(struct pfe_object *obj)
{
	struct pfe_dyn *d = obj->dyn;
	struct pfe_sym_in *syms = NULL;
	struct pfe_elf *e = NULL, *dbg;
	size_t n = 0;
	int err;

	if (d->syms_read)
		return;
	d->syms_read = true;
	if (!obj->no_table) {
		/* Its table's symbols, read at discovery (one name per
		 * address): no second read of the file per dlopen. */
		n = obj->tab.nsyms;
		syms = calloc(n ? n : 1, sizeof(*syms));
		err = syms ? 0 : -ENOMEM;
		for (size_t i = 0; !err && i < n; i++)
			syms[i] =
			    (struct pfe_sym_in){obj->tab.syms[i].addr, obj->tab.syms[i].size,
						obj->tab.strings + obj->tab.syms[i].name, 0, false};
	} else {
		err = pfe_elf_open(obj->is_main ? "/proc/self/exe" : obj->path, obj->path, &e);
		/* A stripped object keeps only .dynsym, its exports: its
		 * debug file (a -dbgsym package) names every function. */
		if (!err && !pfe_elf_debug_file(e, obj->path, debuginfo_dirs(), &dbg)) {
			pfe_elf_close(e);
			e = dbg;
		}
		if (!err)
			err = pfe_elf_func_syms(e, obj->bias, &syms, &n, NULL, NULL);
	}
	if (!err)
		err = keep_all(d, syms, n);
	if (!err && obj->no_table) {
		struct pfe_sitetab_src src = {.syms = syms, .nsyms = n};

		err = pfe_sitetab_build(&d->symtab, &src);
		/* Pairs with the acquire in pfe_object_symtab. */
		if (!err)
			__atomic_store_n(&d->syms_pub, &d->symtab, __ATOMIC_RELEASE);
	}
	free(syms);
	pfe_elf_close(e);
	if (err) {
		d->nall = 0;
		pfe_debug("%s: no symbols for dynamic sites: %s", obj->name, strerror(-err));
		return;
	}
	pfe_debug("%s: %zu function symbols read for dynamic sites", obj->name, d->nall);
}

static struct pfe_site *dyn_find(const struct pfe_dyn *d, uintptr_t func)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->sites[i]->func == func)
			return d->sites[i];
	return NULL;
}

static bool dyn_refused(const struct pfe_dyn *d, uintptr_t func)
{
	for (size_t i = 0; i < d->nrefused; i++)
		if (d->refused[i].func == func)
			return true;
	return false;
}

static void refuse(struct pfe_object *obj, uintptr_t func, const char *name, const char *why)
{
	struct pfe_dyn *d = obj->dyn;

	pfe_debug("%s: %s refused as a dynamic site: %s", obj->name, name, why);
	if (d->nrefused == d->refcap) {
		size_t cap = d->refcap ? 2 * d->refcap : 16;
		struct refusal *r = realloc(d->refused, cap * sizeof(*r));

		if (!r)
			return;
		d->refused = r;
		d->refcap = cap;
	}
	d->refused[d->nrefused++] = (struct refusal){func, name, why};
}

/* The flagged site of @obj at function @addr, if any. */
static bool has_flagged(const struct pfe_object *obj, uintptr_t addr)
{
	const struct pfe_sitetab *t = &obj->tab;
	size_t lo = 0, hi = t->nsites;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->sites[mid].func < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Sites are sorted by pc, and func <= pc < next func. */
	for (size_t i = lo ? lo - 1 : 0; i < t->nsites && i <= lo + 1; i++)
		if (t->sites[i].func == addr)
			return true;
	return false;
}

static bool in_text(const struct pfe_object *obj, uintptr_t a, size_t len)
{
	for (size_t i = 0; i < obj->nsegs; i++)
		if (a >= obj->segs[i].start && a + len <= obj->segs[i].end)
			return true;
	return false;
}

/*
 * Decide where @sym's site goes and whether it can be exact. Returns the
 * site's address (the displaced instruction) or 0 after refusing.
 */
static uintptr_t site_pc(struct pfe_object *obj, const struct pfe_sym *sym, const char *name,
			 uint8_t *flags)
{
	uintptr_t a = sym->addr, end = sym->addr + sym->size, p = a;
	const uint32_t *w = (const uint32_t *)a;
	uint32_t insn;

	*flags = 0;
	if (!sym->size) {
		refuse(obj, a, name, "symbol without size");
		return 0;
	}
	if ((a & 3) || !in_text(obj, a, sym->size)) {
		refuse(obj, a, name, "not in the object's text");
		return 0;
	}
	if (p < end && (w[0] == PFE_INSN_BTI_C || w[0] == BTI_JC)) {
		*flags |= PFE_SITE_BTI;
		p += 4;
	}
	if (p < end && *(const uint32_t *)p == PACIASP) {
		*flags |= PFE_SITE_PAC;
		p += 4;
	}
	if (p + 4 > end) {
		refuse(obj, a, name, "no instruction after the landing pad");
		return 0;
	}
	insn = *(const uint32_t *)p;
	if (!pfe_insn_class_relocatable(pfe_insn_classify(insn))) {
		enum pfe_reloc_why why;
		uint32_t out[PFE_RELOC_MAX];

		pfe_reloc_insn(insn, p, p, out, PFE_RELOC_MAX, &why);
		refuse(obj, a, name, pfe_reloc_why_str(why));
		return 0;
	}
	if (pfe_reloc_branches_to((const uint32_t *)a, sym->size / 4, a, p, p + 4)) {
		refuse(obj, a, name, pfe_reloc_why_str(PFE_RELOC_LOOP));
		return 0;
	}
	return p;
}

struct cand {
	struct pfe_site *site;
	uintptr_t at; /* the displaced instruction */
	uint32_t old, b;
};

/* The words at @c->at become `b stub` with every other thread parked: the
 * architecture allows no other change of an arbitrary instruction under a
 * thread that may execute it. One parking for the whole batch. */
static size_t write_parked(struct pfe_object *obj, struct cand *c, size_t n)
{
	struct pfe_text_write *w = calloc(n, sizeof(*w));
	size_t done = 0;
	int err;

	if (!w)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int keep = 0;

		for (size_t k = 0; k < obj->nsegs; k++)
			if (c[i].at >= obj->segs[k].start && c[i].at < obj->segs[k].end)
				keep = obj->segs[k].prot & PFE_PROT_BTI;
		w[i] = (struct pfe_text_write){c[i].at, c[i].old, c[i].b, keep};
	}
	err = pfe_park_others();
	if (err) {
		pfe_err("%s: threads that could not be stopped run; %zu functions stay "
			"unpatched",
			obj->name, n);
		free(w);
		return 0;
	}
	/* pfe_text_apply makes system calls only, and no malloc: safe with
	 * another thread parked inside malloc. */
	err = pfe_text_apply(w, n, NULL);
	pfe_park_release();
	free(w);
	if (err < 0)
		pfe_err("%s: cannot write the branches to dynamic sites: %s", obj->name,
			strerror(-err));
	for (size_t i = 0; i < n; i++)
		if (__atomic_load_n((uint32_t *)c[i].at, __ATOMIC_RELAXED) == c[i].b)
			done++;
	return done;
}

static int keep_site(struct pfe_dyn *d, struct pfe_site *s)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct pfe_site **v = realloc(d->sites, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->sites = v;
		d->cap = cap;
	}
	d->sites[d->n++] = s;
	return 0;
}

/* Create, stub and patch the sites of @c (n of them). A site that did not
 * make it is freed and its c[i].site set to NULL. */
static int create_batch(struct pfe_object *obj, struct cand *c, size_t n)
{
	struct pfe_dyn *d = obj->dyn;
	size_t k = 0, done;
	struct cand *v;
	int err = 0;

	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		enum pfe_reloc_why why = PFE_RELOC_OK;

		err = pfe_dynstub_build(obj, c[i].site, c[i].at, &why);
		if (err) {
			refuse(obj, c[i].site->func, c[i].site->name,
			       err == -ENOSPC || err == -ENOMEM ? "no room for its stub"
								: pfe_reloc_why_str(why));
			free(c[i].site);
			c[i].site = NULL;
			continue;
		}
		c[i].old = *(const uint32_t *)c[i].at;
		c[i].b = pfe_insn_b(c[i].at, c[i].site->pc + 8); /* detached: the body */
		v[k++] = c[i];
	}
	err = k ? pfe_dynstub_commit(obj) : 0;
	done = k && !err ? write_parked(obj, v, k) : 0;
	if (k)
		pfe_debug("%s: %zu of %zu dynamic sites patched", obj->name, done, k);
	for (size_t i = 0; i < n; i++) {
		struct pfe_site *s = c[i].site;

		if (!s)
			continue;
		if (err || *(const uint32_t *)c[i].at != c[i].b) {
			/* Its stub stays unused in the arena. */
			free(s);
			c[i].site = NULL;
			continue;
		}
		/* Patched: it must stay, whatever else fails. */
		s->state = PFE_SITE_INIT;
		if (pfe_site_id_assign_one(s) || keep_site(d, s)) {
			s->state = PFE_SITE_COMPILED; /* never selectable */
			c[i].site = NULL;
		}
	}
	free(v);
	return err;
}

/* Two aliases or an IFUNC and its implementation: one site. */
static bool dup_cand(const struct cand *c, size_t n, uintptr_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].site->func == addr)
			return true;
	return false;
}

/*
 * The size of the function at @addr from its FDE (.eh_frame, through the
 * unwinder's own lookup): an IFUNC's implementations (__strlen_asimd) have
 * no symbol in a stripped library, but their CFI says where they end. 0
 * when unknown: only the common encoding (pc-relative sdata4 pc_begin, then
 * a 4-byte range) is read, and the FDE must start exactly at @addr.
 */
struct dwarf_eh_bases {
	void *tbase, *dbase, *func;
};

static uint32_t fde_size(uintptr_t addr)
{
	static const void *(*find)(void *, struct dwarf_eh_bases *);
	struct dwarf_eh_bases b = {0};
	const unsigned char *fde;
	int32_t rel;
	uint32_t range;

	if (!find)
		*(void **)&find = dlsym(RTLD_DEFAULT, "_Unwind_Find_FDE");
	if (!find || !(fde = find((void *)(addr + 1), &b)) || (uintptr_t)b.func != addr)
		return 0;
	memcpy(&rel, fde + 8, 4);
	if ((uintptr_t)(fde + 8) + (intptr_t)rel != addr)
		return 0;
	memcpy(&range, fde + 12, 4);
	return range;
}

/* AArch64 glibc calls an IFUNC resolver with these (elf_ifunc_invoke). */
struct ifunc_arg {
	unsigned long size, hwcap, hwcap2;
};
#define IFUNC_ARG_HWCAP (1ULL << 62)

/*
 * The implementation @ds (an STT_GNU_IFUNC symbol) resolves to, as the
 * dynamic loader resolved it for the program's calls: its resolver called
 * the way the loader calls it, with the same hardware capabilities, gives
 * the same answer. Its size: its own symbol's, else its FDE's. False after
 * refusing.
 */
static bool ifunc_target(struct pfe_object *obj, const struct dsym *ds, const char *name,
			 struct pfe_sym *out)
{
	struct ifunc_arg arg = {sizeof(arg), getauxval(AT_HWCAP), getauxval(AT_HWCAP2)};
	uintptr_t (*resolve)(unsigned long, const struct ifunc_arg *);
	const struct pfe_dyn *d = obj->dyn;
	uintptr_t impl;

	memcpy(&resolve, &ds->addr, sizeof(resolve));
	impl = resolve(arg.hwcap | IFUNC_ARG_HWCAP, &arg);
	if (!impl || impl < obj->lo || impl >= obj->hi) {
		refuse(obj, ds->addr, name, "IFUNC resolves outside its object");
		return false;
	}
	out->addr = impl;
	out->size = 0;
	for (size_t i = 0; i < d->nall; i++)
		if (d->all[i].addr == impl && d->all[i].size && !d->all[i].ifunc)
			out->size = d->all[i].size;
	if (!out->size)
		out->size = fde_size(impl);
	return true;
}

int pfe_dyn_match(struct pfe_object *obj, struct pfe_pattern *pat,
		  int (*fn)(struct pfe_site *site, void *ctx), void *ctx)
{
	size_t n = 0, cap = 0, *groups = NULL, ngroups = 0, gcap = 0;
	unsigned reach = PFE_REACH_EXACT;
	struct cand *c = NULL;
	struct pfe_dyn *d;
	bool scan = true;
	int err = 0;

	if (obj->no_table)
		reach |= PFE_REACH_NAMED | (obj->is_main ? PFE_REACH_GLOB : 0);
	if (!obj->dyn_ok || !pfe_pattern_reaches(pat, obj->name, reach))
		return 0;
	d = dyn_get(obj);
	if (!d)
		return -ENOMEM;
	/* Only exact names reach it: look them up (those a flagged site of
	 * the object already answers need nothing), instead of matching every
	 * symbol on every attach. */
	if (!pfe_pattern_reaches(pat, obj->name, reach & ~PFE_REACH_EXACT)) {
		bool any = false;

		for (size_t k = 0; k < pfe_pattern_nterms(pat) && !any; k++) {
			const char *x = pfe_pattern_exact(pat, k, obj->name);

			any = x && !pfe_sitetab_by_name(&obj->tab, x);
		}
		if (!any)
			return 0;
		dyn_syms(obj);
		for (size_t k = 0; k < pfe_pattern_nterms(pat) && !err; k++) {
			const char *x = pfe_pattern_exact(pat, k, obj->name);

			if (x && !pfe_sitetab_by_name(&obj->tab, x))
				err = lookup_name(d, x, &groups, &ngroups, &gcap);
		}
		scan = false;
		/* Two terms naming aliases of one function: one group. */
		qsort(groups, ngroups, sizeof(*groups), cmp_size);
		size_t m = 0;

		for (size_t k = 0; k < ngroups; k++)
			if (!m || groups[m - 1] != groups[k])
				groups[m++] = groups[k];
		ngroups = m;
	} else {
		dyn_syms(obj);
	}
	for (size_t gi = 0, i = 0; !err && (scan ? i < d->nall : gi < ngroups);) {
		const struct dsym *ds = NULL;
		const char *name = NULL;
		struct pfe_sym sym;
		struct pfe_site *s;
		uintptr_t pc, addr;
		uint8_t flags;

		if (!scan)
			i = groups[gi++];
		addr = d->all[i].addr;
		/* One site per address: the first alias the pattern selects
		 * names it. */
		for (; i < d->nall && d->all[i].addr == addr; i++)
			if (!ds && pfe_pattern_match_unflagged(pat, d->pool + d->all[i].name,
							       obj->name, reach)) {
				ds = &d->all[i];
				name = d->pool + ds->name;
			}
		if (!ds)
			continue;
		sym = (struct pfe_sym){ds->addr, ds->size, 0};
		if (ds->ifunc && !ifunc_target(obj, ds, name, &sym))
			continue;
		addr = sym.addr;
		if (has_flagged(obj, addr) || dup_cand(c, n, addr))
			continue;
		s = dyn_find(d, addr);
		if (s) {
			if (s->state == PFE_SITE_INIT || s->state == PFE_SITE_CALL)
				err = fn(s, ctx);
			continue;
		}
		if (dyn_refused(d, addr) || !(pc = site_pc(obj, &sym, name, &flags)))
			continue;
		if (n == cap) {
			struct cand *v;

			cap = cap ? 2 * cap : 16;
			v = realloc(c, cap * sizeof(*v));
			if (!v) {
				err = -ENOMEM;
				break;
			}
			c = v;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			err = -ENOMEM;
			break;
		}
		s->func = addr;
		s->name = name;
		s->obj = obj;
		s->flags = flags | PFE_SITE_DYN;
		s->nops = 2;
		c[n++] = (struct cand){.site = s, .at = pc};
	}
	if (!err && n) {
		err = create_batch(obj, c, n);
	} else {
		for (size_t i = 0; i < n; i++)
			free(c[i].site);
		n = 0;
	}
	/* The batch's new sites, in symbol order. */
	for (size_t i = 0; !err && i < n; i++)
		if (c[i].site)
			err = fn(c[i].site, ctx);
	free(c);
	free(groups);
	return err;
}

size_t pfe_dyn_count(const struct pfe_object *obj)
{
	return obj->dyn ? obj->dyn->n : 0;
}

struct pfe_site *pfe_dyn_site(const struct pfe_object *obj, size_t i)
{
	return obj->dyn && i < obj->dyn->n ? obj->dyn->sites[i] : NULL;
}

const char *pfe_dyn_refusal(const struct pfe_object *obj, size_t i, uintptr_t *func,
			    const char **name)
{
	if (!obj->dyn || i >= obj->dyn->nrefused)
		return NULL;
	*func = obj->dyn->refused[i].func;
	*name = obj->dyn->refused[i].name;
	return obj->dyn->refused[i].why;
}

void pfe_dyn_free(struct pfe_object *obj)
{
	struct pfe_dyn *d = obj->dyn;

	if (!d)
		return;
	pfe_dynstub_free(obj);
	for (size_t i = 0; i < d->n; i++)
		free(d->sites[i]);
	free(d->sites);
	free(d->refused);
	free(d->all);
	free(d->byname);
	free(d->pool);
	pfe_sitetab_free(&d->symtab);
	free(d);
	obj->dyn = NULL;
}
