/* SPDX-License-Identifier: MIT */
/*
 * Discovery: every loaded object's patch sites, through dl_iterate_phdr and
 * libelf. The table's entries are read from memory (load bias + section
 * address), where the dynamic linker has already applied their
 * R_AARCH64_RELATIVE relocations; the file only says where the table and the
 * symbols are. Instructions are read from memory too, and only inside the
 * object's executable segments, so that a corrupt table cannot make libpfe
 * fault.
 */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "elfobj.h"
#include "demangle.h"
#include "core.h"

#ifndef HWCAP2_BTI
#define HWCAP2_BTI (1 << 17)
#endif

#define ENTRY_SIZE sizeof(uint64_t) /* LP64: one address per entry */

/* The main program's file name. dl_iterate_phdr gives "", and
 * /proc/self/exe would name every program "exe". */
static char *main_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return strdup("/proc/self/exe");
	buf[n] = '\0';
	return strdup(buf);
}

static bool object_contains(const struct dl_phdr_info *info, uintptr_t addr)
{
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= start && addr - start < ph->p_memsz)
			return true;
	}
	return false;
}

/* [addr, addr + size) lies in one readable loaded segment. */
static bool in_readable_segment(const struct dl_phdr_info *info, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_R) && addr >= ph->p_vaddr &&
		    size <= ph->p_memsz && addr - ph->p_vaddr <= ph->p_memsz - size)
			return true;
	}
	return false;
}

static int seg_prot(ElfW(Word) flags, bool bti)
{
	int prot = 0;

	if (flags & PF_R)
		prot |= PROT_READ;
	if (flags & PF_W)
		prot |= PROT_WRITE;
	if (flags & PF_X)
		prot |= PROT_EXEC | (bti ? PFE_PROT_BTI : 0);
	return prot;
}

/*
 * The executable segments: page-aligned with their rights for the text
 * writer, exact for the decoder (bytes past p_filesz are not code). A BTI
 * object's text was mapped with PFE_PROT_BTI by the loader on a BTI CPU; text.c
 * must restore exactly that or the pages silently lose their guard.
 */
static int text_segments(const struct dl_phdr_info *info, struct pfe_object *obj, bool bti,
			 struct pfe_range **ranges)
{
	uintptr_t page = pfe_page_size();
	size_t n = 0;

	*ranges = NULL;
	for (size_t i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X))
			n++;
	if (!n)
		return 0;
	obj->segs = calloc(n, sizeof(*obj->segs));
	*ranges = calloc(n, sizeof(**ranges));
	if (!obj->segs || !*ranges)
		return -ENOMEM;
	obj->lo = UINTPTR_MAX;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		struct pfe_text_seg *s = &obj->segs[obj->nsegs];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (!(ph->p_flags & PF_R)) {
			pfe_err("%s: execute-only text cannot be read; left unpatched", obj->path);
			return -EACCES;
		}
		(*ranges)[obj->nsegs] =
		    (struct pfe_range){start, start + ph->p_filesz, (const void *)start};
		s->start = start & ~(page - 1);
		s->end = (start + ph->p_memsz + page - 1) & ~(page - 1);
		s->prot = seg_prot(ph->p_flags, bti);
		if (s->start < obj->lo)
			obj->lo = s->start;
		if (s->end > obj->hi)
			obj->hi = s->end;
		obj->nsegs++;
	}
	return 0;
}

/* Copies the relocated entries of every table section out of memory,
 * after checking that the section lies in a readable loaded segment. */
static int read_entries(const struct dl_phdr_info *info, const char *path,
			const struct pfe_elf_sec *secs, size_t nsecs, uintptr_t **out, size_t *n)
{
	size_t total = 0, k = 0;
	uintptr_t *v;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < nsecs; i++) {
		if (secs[i].size % ENTRY_SIZE || secs[i].addr % ENTRY_SIZE) {
			pfe_err("%s: __patchable_function_entries at 0x%llx has size %llu, not a "
				"multiple of %zu; left unpatched",
				path, (unsigned long long)secs[i].addr,
				(unsigned long long)secs[i].size, ENTRY_SIZE);
			return -ENOEXEC;
		}
		if (!in_readable_segment(info, secs[i].addr, secs[i].size)) {
			pfe_err("%s: __patchable_function_entries at 0x%llx is outside the loaded "
				"segments; left unpatched",
				path, (unsigned long long)secs[i].addr);
			return -ENOEXEC;
		}
		total += secs[i].size / ENTRY_SIZE;
	}
	v = malloc((total ? total : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nsecs; i++) {
		memcpy(v + k, (const void *)(info->dlpi_addr + secs[i].addr), secs[i].size);
		k += secs[i].size / ENTRY_SIZE;
	}
	*out = v;
	*n = total;
	return 0;
}

static void report_refusals(const struct pfe_object *obj, size_t nentries)
{
	unsigned refused = pfe_sitetab_nrefused(&obj->tab);
	char why[200];

	if (refused)
		pfe_err("%s: refused %u of %zu patch sites (%s)", obj->path, refused, nentries,
			pfe_sitetab_refusals(&obj->tab, why, sizeof(why)));
}

void pfe_object_free(struct pfe_object *obj)
{
	if (!obj)
		return;
	pfe_dyn_free(obj);
	pfe_stubs_free(obj);
	pfe_sitetab_free(&obj->tab);
	free(obj->segs);
	free(obj->path);
	free(obj);
}

bool pfe_discover_quiet;

int pfe_object_discover(const struct dl_phdr_info *info, struct pfe_object **out)
{
	bool is_main = !info->dlpi_name || !info->dlpi_name[0];
	struct pfe_elf_sec *secs = NULL;
	struct pfe_range *text = NULL;
	struct pfe_sym_in *syms = NULL;
	uintptr_t *entries = NULL;
	size_t nsecs, nsyms, nentries = 0, strs_len = 0;
	const char *strs = NULL;
	struct pfe_object *obj;
	struct pfe_elf *e = NULL;
	const char *slash;
	int err;

	*out = NULL;
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	obj->is_main = is_main;
	obj->bias = info->dlpi_addr;
	obj->path = is_main ? main_path() : strdup(info->dlpi_name);
	if (!obj->path) {
		err = -ENOMEM;
		goto out;
	}
	slash = strrchr(obj->path, '/');
	obj->name = slash ? slash + 1 : obj->path;

	/* /proc/self/exe is the loaded file even if its name was reused. */
	err = pfe_elf_open(is_main ? "/proc/self/exe" : obj->path, obj->path, &e);
	if (err) {
		/* A library without a file (a name the loader made up) has no
		 * table to read: not worth a message. */
		if (is_main || (err != -ENOENT && err != -ENOTDIR))
			pfe_err("%s: cannot open: %s", obj->path, strerror(-err));
		else
			err = 0;
		goto out;
	}
	err = pfe_elf_check_loaded(e, info->dlpi_phdr, info->dlpi_phnum);
	if (err)
		goto out;
	err = pfe_elf_patch_sections(e, &secs, &nsecs);
	if (err)
		goto out;
	err = text_segments(info, obj, pfe_elf_has_bti(e) && (getauxval(AT_HWCAP2) & HWCAP2_BTI),
			    &text);
	if (err)
		goto out;
	/* Every object but the dynamic loader may have dynamic sites
	 * (lib/core/dynsite.c): libpfe and the vdso never get here. */
	obj->dyn_ok = obj->nsegs && info->dlpi_addr != getauxval(AT_BASE);
	if (!nsecs) {
		/* Kept for its dynamic sites; its symbols are read when a term
		 * reaches it, not now. */
		obj->no_table = true;
		/* Silent in a child libpfe followed: it just runs. */
		if (is_main && !pfe_discover_quiet)
			pfe_err("%s: no __patchable_function_entries section (build with "
				"-fpatchable-function-entry=2); only its functions' dynamic sites "
				"can be traced",
				obj->path);
		if (obj->dyn_ok) {
			pfe_debug("%s: no __patchable_function_entries section: dynamic sites "
				  "only",
				  obj->path);
			*out = obj;
			obj = NULL;
		}
		goto out;
	}
	err = read_entries(info, obj->path, secs, nsecs, &entries, &nentries);
	if (err)
		goto out;
	err = pfe_elf_func_syms(e, info->dlpi_addr, &syms, &nsyms, &strs, &strs_len);
	if (err)
		goto out;

	struct pfe_sitetab_src src = {
	    .entries = entries,
	    .nentries = nentries,
	    .syms = syms,
	    .nsyms = nsyms,
	    .strtab = strs,
	    .strtab_len = strs_len,
	    .text = text,
	    .ntext = obj->nsegs,
	};
	err = pfe_sitetab_build(&obj->tab, &src);
	if (err) {
		pfe_err("%s: no memory for %zu patch sites", obj->path, nentries);
		goto out;
	}
	report_refusals(obj, nentries);
	/* Labels are made as sites are enabled; patterns see demangled names
	 * from now on, if the runtime is there. */
	if (obj->tab.cxx_names)
		pfe_demangle_ready();
	for (size_t i = 0; i < obj->tab.nsites; i++)
		obj->tab.sites[i].obj = obj;
	if (obj->tab.nsites) {
		*out = obj;
		obj = NULL;
	}
out:
	free(entries);
	free(syms);
	free(text);
	free(secs);
	pfe_elf_close(e);
	pfe_object_free(obj);
	return err;
}

/* ------------------------------------------------------------------ walk */
/*
 * Objects already seen, by load bias and name, so that a walk after dlopen
 * hands only the new ones on. Objects without a table are remembered too:
 * their files are not opened again. Guarded by the patch lock.
 */
struct known {
	uintptr_t bias;
	char *name;
};
static struct known *known;
static size_t nknown, known_cap;

static bool is_known(uintptr_t bias, const char *name)
{
	for (size_t i = 0; i < nknown; i++)
		if (known[i].bias == bias && !strcmp(known[i].name, name))
			return true;
	return false;
}

static int remember(uintptr_t bias, const char *name)
{
	char *copy;

	if (nknown == known_cap) {
		size_t cap = known_cap ? 2 * known_cap : 16;
		struct known *k = realloc(known, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		known = k;
		known_cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	known[nknown++] = (struct known){bias, copy};
	return 0;
}

void pfe_discover_forget(uintptr_t bias, const char *name)
{
	for (size_t i = 0; i < nknown; i++) {
		if (known[i].bias == bias && !strcmp(known[i].name, name)) {
			free(known[i].name);
			known[i] = known[--nknown];
			return;
		}
	}
}

struct walk {
	struct pfe_object *head, **tail;
};

static int walk_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct walk *w = arg;
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct pfe_object *obj;

	if (vdso && object_contains(info, vdso))
		return 0;
	/* libpfe.so has no table and must never patch itself: skip it without
	 * opening it. Linked statically into a program (the unit tests), its
	 * code has no entries in the program's table, and the program is
	 * discovered as usual. */
	if (name[0] && object_contains(info, (uintptr_t)&pfe_discover_all))
		return 0;
	if (is_known(info->dlpi_addr, name) || remember(info->dlpi_addr, name))
		return 0;
	if (pfe_object_discover(info, &obj) == 0 && obj) {
		*w->tail = obj;
		w->tail = &obj->next;
	}
	return 0;
}

static int hand_on(struct walk *w, int (*fn)(struct pfe_object *obj, void *ctx), void *ctx);

int pfe_discover_all(int (*fn)(struct pfe_object *obj, void *ctx), void *ctx)
{
	struct walk w = {.head = NULL, .tail = &w.head};

	/* Build under the loader's lock, hand on after it: @fn patches text
	 * and applies hooks, which must not run with the loader locked. */
	dl_iterate_phdr(walk_one, &w);
	return hand_on(&w, fn, ctx);
}

/*
 * The program headers of a loaded object, from its ELF header in memory:
 * what dl_iterate_phdr would give, for a link map of another namespace.
 * Only objects whose first segment maps the ELF header (shared objects as
 * linkers lay them out).
 */
static bool phdr_info(const struct link_map *lm, struct dl_phdr_info *info)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)lm->l_addr;

	if (!lm->l_addr || !lm->l_name || !lm->l_name[0] || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phoff > 65536)
		return false;
	memset(info, 0, sizeof(*info));
	info->dlpi_addr = lm->l_addr;
	info->dlpi_name = lm->l_name;
	info->dlpi_phdr = (const ElfW(Phdr) *)(lm->l_addr + eh->e_phoff);
	info->dlpi_phnum = eh->e_phnum;
	/* The headers must lie in the first loaded segment, at file offset 0. */
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD)
			return ph->p_offset == 0 && ph->p_vaddr == 0 &&
			       eh->e_phoff + eh->e_phnum * sizeof(*ph) <= ph->p_filesz;
	}
	return false;
}

int pfe_discover_namespace(struct link_map *lm, int (*fn)(struct pfe_object *obj, void *ctx),
			   void *ctx)
{
	struct walk w = {.head = NULL, .tail = &w.head};
	struct dl_phdr_info info;

	while (lm && lm->l_prev)
		lm = lm->l_prev;
	for (; lm; lm = lm->l_next)
		if (phdr_info(lm, &info))
			walk_one(&info, sizeof(info), &w);
	return hand_on(&w, fn, ctx);
}

static int hand_on(struct walk *w, int (*fn)(struct pfe_object *obj, void *ctx), void *ctx)
{
	struct pfe_object *obj, *next;
	int ret = 0;

	for (obj = w->head; obj; obj = next) {
		int err;

		next = obj->next;
		obj->next = NULL;
		err = fn(obj, ctx);
		if (err && !ret)
			ret = err;
	}
	return ret;
}
