/* SPDX-License-Identifier: MIT */
/*
 * libelf access for discovery: one object file's __patchable_function_entries
 * sections and function symbols. Every libelf call of libpfe goes through
 * here, so that errors are reported one way (one line naming the file and
 * elf_errmsg) and the library is opened with the same safe defaults.
 */
#ifndef PFE_ELFOBJ_H
#define PFE_ELFOBJ_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sitetab.h"

struct pfe_elf;

/* A section's link-time address and size. */
struct pfe_elf_sec {
	uint64_t addr, size;
};

/*
 * Open @path for reading its headers and symbols. @label names the object in
 * messages. Returns 0, or -errno: failing open(2) is returned silently (the
 * caller knows whether a missing file matters), anything else after one line.
 */
int pfe_elf_open(const char *path, const char *label, struct pfe_elf **out);
void pfe_elf_close(struct pfe_elf *e); /* accepts NULL */

/*
 * 0 when the file is a 64-bit AArch64 executable or shared object whose
 * PT_LOAD headers are those the object was loaded with (@phdr, @phnum): the
 * file on disk is the one in memory. -ENOEXEC after one line otherwise.
 */
int pfe_elf_check_loaded(struct pfe_elf *e, const ElfW(Phdr) * phdr, size_t phnum);

/*
 * Every section named __patchable_function_entries (several in a partial
 * link; one in a normal final link). *@out is malloc'ed (NULL with *@n == 0
 * when there is none). Returns 0 or -errno after one line.
 */
int pfe_elf_patch_sections(struct pfe_elf *e, struct pfe_elf_sec **out, size_t *n);

/*
 * The defined function symbols (STT_FUNC, STT_GNU_IFUNC) of .symtab, or of
 * .dynsym when there is no .symtab, at run-time addresses (+ @bias). *@out is
 * malloc'ed; its names point into @e and live until pfe_elf_close. When
 * @strs is not NULL, *@strs is the string table (*@strs_len bytes, the last
 * a NUL) that holds every name, or NULL when they come from several or
 * from none checked whole (pfe_sitetab_src.strtab). Returns 0 or -errno
 * after one line.
 */
int pfe_elf_func_syms(struct pfe_elf *e, uintptr_t bias, struct pfe_sym_in **out, size_t *n,
		      const char **strs, size_t *strs_len);

/*
 * The separate debug file of a stripped object (@e without .symtab, opened
 * from @obj_path), found by build-id or .gnu_debuglink under the
 * colon-separated directories @dirs (lib/core/debugname.h), and checked to
 * be that build's. Returns 0 with *@out open, -EEXIST when @e has its own
 * .symtab, -ENOENT when there is none.
 */
int pfe_elf_debug_file(struct pfe_elf *e, const char *obj_path, const char *dirs,
		       struct pfe_elf **out);

/* The object is marked for BTI (PFE_ARCH_PROP_BTI, arch/arm64/arch-inline.h): on a
 * CPU with BTI its text is mapped with PROT_BTI. */
bool pfe_elf_has_bti(struct pfe_elf *e);

#endif /* PFE_ELFOBJ_H */
