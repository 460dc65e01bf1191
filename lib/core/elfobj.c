/* SPDX-License-Identifier: MIT */
/*
 * libelf wrapper: opens an object file and reads what discovery needs. The
 * file is read with ELF_C_READ, not mapped: a library replaced or truncated
 * on disk while the program runs must give an error, not SIGBUS in the host
 * program.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "debugname.h"
#include "elfobj.h"
#include "core.h"

#define PATCH_SECTION "__patchable_function_entries"

struct pfe_elf {
	Elf *elf;
	int fd;
	const char *label;
	char *own_label; /* a debug file's path, which is ours to keep */
};

static int elf_fail(const struct pfe_elf *e, const char *what)
{
	pfe_err("%s: %s: %s", e->label, what, elf_errmsg(-1));
	return -ENOEXEC;
}

int pfe_elf_open(const char *path, const char *label, struct pfe_elf **out)
{
	struct pfe_elf *e;
	int err;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		pfe_err_once("libelf: %s", elf_errmsg(-1));
		return -ENOSYS;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->label = label;
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0) {
		err = -errno;
		free(e);
		return err;
	}
	e->elf = elf_begin(e->fd, ELF_C_READ, NULL);
	if (!e->elf || elf_kind(e->elf) != ELF_K_ELF) {
		if (e->elf)
			pfe_err("%s: not an ELF file", label);
		else
			elf_fail(e, "elf_begin");
		pfe_elf_close(e);
		return -ENOEXEC;
	}
	*out = e;
	return 0;
}

void pfe_elf_close(struct pfe_elf *e)
{
	if (!e)
		return;
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	free(e->own_label);
	free(e);
}

int pfe_elf_check_loaded(struct pfe_elf *e, const ElfW(Phdr) * phdr, size_t phnum)
{
	GElf_Ehdr eh;
	size_t n, k = 0;

	if (!gelf_getehdr(e->elf, &eh))
		return elf_fail(e, "ELF header");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != PFE_ARCH_ELF_MACHINE ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		pfe_err("%s: not a 64-bit " PFE_ARCH_NAME " executable or shared object", e->label);
		return -ENOEXEC;
	}
	if (elf_getphdrnum(e->elf, &n))
		return elf_fail(e, "program headers");
	/* Compare the loadable segments in order: same count, place, size and
	 * rights, or the file changed since it was loaded. */
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e->elf, (int)i, &ph))
			return elf_fail(e, "program header");
		if (ph.p_type != PT_LOAD)
			continue;
		while (k < phnum && phdr[k].p_type != PT_LOAD)
			k++;
		if (k == phnum || phdr[k].p_vaddr != ph.p_vaddr || phdr[k].p_memsz != ph.p_memsz ||
		    phdr[k].p_filesz != ph.p_filesz || phdr[k].p_flags != ph.p_flags)
			goto differs;
		k++;
	}
	while (k < phnum && phdr[k].p_type != PT_LOAD)
		k++;
	if (k == phnum)
		return 0;
differs:
	pfe_err("%s: the file differs from the loaded object (replaced on disk?); left unpatched",
		e->label);
	return -ESTALE;
}

int pfe_elf_patch_sections(struct pfe_elf *e, struct pfe_elf_sec **out, size_t *n)
{
	struct pfe_elf_sec *v = NULL;
	size_t strndx, cap = 0;
	Elf_Scn *scn = NULL;

	*out = NULL;
	*n = 0;
	if (elf_getshdrstrndx(e->elf, &strndx))
		return elf_fail(e, "section names");
	while ((scn = elf_nextscn(e->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh)) {
			free(v);
			return elf_fail(e, "section header");
		}
		name = elf_strptr(e->elf, strndx, sh.sh_name);
		if (!name || strcmp(name, PATCH_SECTION))
			continue;
		/* The entries are read from memory, so the section must be
		 * loaded and hold data. */
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS) {
			pfe_err("%s: %s is not loaded; left unpatched", e->label, PATCH_SECTION);
			free(v);
			return -ENOEXEC;
		}
		if (sh.sh_size == 0)
			continue;
		if (*n == cap) {
			struct pfe_elf_sec *nv;

			cap = cap ? 2 * cap : 2;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = (struct pfe_elf_sec){sh.sh_addr, sh.sh_size};
	}
	*out = v;
	return 0;
}

static uint8_t bind_rank(unsigned char bind)
{
	switch (bind) {
	case STB_GLOBAL:
		return 0;
	case STB_WEAK:
		return 1;
	default:
		return 2;
	}
}

/* The string table of a symbol section as one NUL-terminated block, or NULL
 * (then each name goes through elf_strptr, which checks it). */
static const char *strtab_block(struct pfe_elf *e, const GElf_Shdr *sh, size_t *len)
{
	Elf_Scn *scn = elf_getscn(e->elf, sh->sh_link);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;

	if (!d || !d->d_buf || !d->d_size || d->d_type != ELF_T_BYTE ||
	    ((const char *)d->d_buf)[d->d_size - 1])
		return NULL;
	*len = d->d_size;
	return d->d_buf;
}

/*
 * The defined function symbols of @count entries of a symbol table whose
 * names are all in @block (@len bytes), appended at @out; returns the end.
 * The common case of read_symtab, in a function of its own so that its
 * few values stay in registers, the rank from a table rather than
 * bind_rank's branches (issue 25: start-up per site).
 */
static __attribute__((noinline)) struct pfe_sym_in *copy_syms(const Elf64_Sym *syms, size_t count,
							      const char *block, size_t len,
							      uintptr_t bias,
							      struct pfe_sym_in *out)
{
	/* bind_rank's answers by binding (4 bits) */
	static const uint8_t rank_of[16] = {2, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

	/* STT_FUNC (2) and STT_GNU_IFUNC (10) alone have type & 7 == 2;
	 * bit 3 tells them apart. */
	_Static_assert(STT_FUNC == 2 && STT_GNU_IFUNC == 10, "symbol types");
	for (size_t i = 1; i < count; i++) {
		const Elf64_Sym *s = &syms[i];
		unsigned char info = s->st_info;

		if ((info & 7) != STT_FUNC || s->st_shndx == SHN_UNDEF || !s->st_value ||
		    s->st_name >= len || !block[s->st_name])
			continue;
		*out++ = (struct pfe_sym_in){
		    .addr = bias + s->st_value,
		    .size = s->st_size,
		    .name = block + s->st_name,
		    .rank = rank_of[ELF64_ST_BIND(info)],
		    .ifunc = info & 8,
		};
	}
	return out;
}

/*
 * Appends the defined function symbols of one symbol table section. The
 * entries are read in place from libelf's translated data and the names
 * from their string table in one block: a libelf call per symbol was a
 * good part of the start-up per site (issue 25). *@strs is that block
 * when every name so far came from one (NULL otherwise).
 */
static int read_symtab(struct pfe_elf *e, Elf_Scn *scn, const GElf_Shdr *sh, uintptr_t bias,
		       struct pfe_sym_in **v, size_t *n, size_t *cap, const char **strs,
		       size_t *strs_len)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	const char *block;
	size_t count, len = 0;

	if (!data)
		return elf_fail(e, "symbol table");
	if (!sh->sh_entsize)
		return 0;
	if (data->d_type != ELF_T_SYM || sh->sh_entsize != sizeof(Elf64_Sym))
		return elf_fail(e, "symbol table entries");
	count = data->d_size / sizeof(Elf64_Sym);
	block = strtab_block(e, sh, &len);
	if (*n + count > *cap) {
		size_t c = *cap ? *cap : 256;
		struct pfe_sym_in *nv;

		while (c < *n + count)
			c *= 2;
		nv = realloc(*v, c * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	if (*n && block != *strs)
		*strs = NULL;
	else if (!*n)
		*strs = block;
	if (*strs)
		*strs_len = len;
	if (block) {
		*n = copy_syms(data->d_buf, count, block, len, bias, *v + *n) - *v;
		return 0;
	}
	/* Locals, not *@v and *@n, which the stores could alias. */
	const Elf64_Sym *syms = data->d_buf;
	struct pfe_sym_in *out = *v;
	size_t k = *n;

	for (size_t i = 1; i < count; i++) {
		const Elf64_Sym *s = &syms[i];
		unsigned char type = ELF64_ST_TYPE(s->st_info);
		const char *name;

		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s->st_shndx == SHN_UNDEF ||
		    !s->st_value)
			continue;
		name = elf_strptr(e->elf, sh->sh_link, s->st_name);
		if (!name || !*name)
			continue;
		out[k++] = (struct pfe_sym_in){
		    .addr = bias + s->st_value,
		    .size = s->st_size,
		    .name = name,
		    .rank = bind_rank(ELF64_ST_BIND(s->st_info)),
		    .ifunc = type == STT_GNU_IFUNC,
		};
	}
	*n = k;
	return 0;
}

int pfe_elf_func_syms(struct pfe_elf *e, uintptr_t bias, struct pfe_sym_in **out, size_t *n,
		      const char **strs, size_t *strs_len)
{
	static const Elf64_Word order[] = {SHT_SYMTAB, SHT_DYNSYM};
	struct pfe_sym_in *v = NULL;
	const char *block = NULL;
	size_t cap = 0, len = 0;

	*out = NULL;
	*n = 0;
	/* .symtab is a superset of .dynsym; .dynsym is what a stripped object
	 * keeps (its exported functions). */
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]) && !*n; k++) {
		Elf_Scn *scn = NULL;

		while ((scn = elf_nextscn(e->elf, scn))) {
			GElf_Shdr sh;
			int err;

			if (!gelf_getshdr(scn, &sh)) {
				free(v);
				*n = 0;
				return elf_fail(e, "section header");
			}
			if (sh.sh_type != order[k])
				continue;
			err = read_symtab(e, scn, &sh, bias, &v, n, &cap, &block, &len);
			if (err) {
				free(v);
				*n = 0;
				return err;
			}
		}
	}
	*out = v;
	if (strs) {
		*strs = *n ? block : NULL;
		*strs_len = *n && block ? len : 0;
	}
	return 0;
}

#ifndef PT_GNU_PROPERTY
#define PT_GNU_PROPERTY 0x6474e553
#endif

/* The GNU property note of PT_GNU_PROPERTY: an array of (type, size, data
 * padded to 8 bytes) in the "GNU" NT_GNU_PROPERTY_TYPE_0 note. */
static bool props_have_bti(const unsigned char *d, size_t len)
{
	size_t off = 0;

	while (len - off >= 8) {
		uint32_t type, size;

		memcpy(&type, d + off, 4);
		memcpy(&size, d + off + 4, 4);
		off += 8;
		if (size > len - off)
			return false;
		if (type == PFE_ARCH_PROP_FEATURES && size >= 4) {
			uint32_t bits;

			memcpy(&bits, d + off, 4);
			return bits & PFE_ARCH_PROP_BTI;
		}
		off += (size + 7) & ~(size_t)7;
		if (off > len)
			return false;
	}
	return false;
}

bool pfe_elf_has_bti(struct pfe_elf *e)
{
	size_t n;

	if (elf_getphdrnum(e->elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_GNU_PROPERTY)
			continue;
		d = elf_getdata_rawchunk(e->elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR8);
		if (!d)
			return false;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_PROPERTY_TYPE_0 && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + name_off, "GNU", 4))
				return props_have_bti((const unsigned char *)d->d_buf + desc_off,
						      nh.n_descsz);
		}
	}
	return false;
}

/* ------------------------------------------------- separate debug files */

/* The section named @want, or NULL. */
static Elf_Scn *find_section(struct pfe_elf *e, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t strndx;

	if (elf_getshdrstrndx(e->elf, &strndx))
		return NULL;
	while ((scn = elf_nextscn(e->elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			return NULL;
		name = elf_strptr(e->elf, strndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

static bool has_symtab(struct pfe_elf *e)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e->elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB && sh.sh_size)
			return true;
	return false;
}

/* The GNU build-id note's bytes (at most @cap), or 0. */
static size_t build_id(struct pfe_elf *e, uint8_t *id, size_t cap)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e->elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0)
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + noff, "GNU", 4) && nh.n_descsz >= 2 &&
			    nh.n_descsz <= cap) {
				memcpy(id, (char *)d->d_buf + doff, nh.n_descsz);
				return nh.n_descsz;
			}
	}
	return 0;
}

static bool crc_matches(const char *path, uint32_t want)
{
	unsigned char buf[65536];
	uint32_t crc = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		crc = pfe_crc32(crc, buf, (size_t)r);
	close(fd);
	return r == 0 && crc == want;
}

/*
 * Open @path as @label's debug file when it is one: a readable ELF file with
 * a symbol table and the object's build-id (@id, @idn; none when 0), and,
 * found by its debuglink name (@crc not NULL), the link's CRC-32. Says why
 * once when a file exists but is another build's.
 */
static struct pfe_elf *debug_candidate(const char *path, const char *label, const uint8_t *id,
				       size_t idn, const uint32_t *crc)
{
	struct pfe_elf *d;
	uint8_t did[64];
	size_t didn;

	if (access(path, R_OK))
		return NULL;
	if (pfe_elf_open(path, path, &d))
		return NULL;
	d->own_label = strdup(path);
	d->label = d->own_label ? d->own_label : label;
	didn = build_id(d, did, sizeof(did));
	if (idn && (didn != idn || memcmp(did, id, idn))) {
		pfe_err("%s: not the debug file of %s (another build-id); ignored", path, label);
	} else if (crc && !crc_matches(path, *crc)) {
		pfe_err("%s: not the debug file of %s (its .gnu_debuglink CRC differs); ignored",
			path, label);
	} else if (!has_symtab(d)) {
		pfe_debug("%s: no symbol table; ignored", path);
	} else {
		return d;
	}
	pfe_elf_close(d);
	return NULL;
}

int pfe_elf_debug_file(struct pfe_elf *e, const char *obj_path, const char *dirs,
		       struct pfe_elf **out)
{
	uint8_t id[64];
	size_t idn;
	char path[4096];
	GElf_Shdr sh;
	Elf_Scn *link;
	Elf_Data *ld;
	const char *name, *d;
	uint32_t crc;

	*out = NULL;
	if (has_symtab(e))
		return -EEXIST;
	idn = build_id(e, id, sizeof(id));
	for (d = dirs; idn && *d;) {
		size_t dn = strcspn(d, ":");
		char dir[4096];

		if (dn && dn < sizeof(dir)) {
			memcpy(dir, d, dn);
			dir[dn] = 0;
			if (!pfe_debug_buildid_path(path, sizeof(path), dir, id, idn) &&
			    (*out = debug_candidate(path, e->label, id, idn, NULL)))
				goto found;
		}
		d += dn + (d[dn] == ':');
	}
	link = find_section(e, ".gnu_debuglink", &sh);
	ld = link ? elf_getdata(link, NULL) : NULL;
	if (!ld || !ld->d_buf ||
	    pfe_debuglink_parse(ld->d_buf, ld->d_size,
				elf_getident(e->elf, NULL)[EI_DATA] == ELFDATA2MSB, &name, &crc))
		return -ENOENT;
	for (unsigned k = 0;; k++) {
		int r = pfe_debuglink_path(path, sizeof(path), obj_path, name, dirs, k);

		if (r == -ENOENT)
			return -ENOENT;
		if (!r && (*out = debug_candidate(path, e->label, id, idn, &crc)))
			goto found;
	}
found:
	pfe_debug("%s: symbols from %s", e->label, path);
	return 0;
}
