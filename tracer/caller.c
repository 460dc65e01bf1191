/* SPDX-License-Identifier: MIT */
/*
 * Naming a caller: the function and offset of a return address, as the
 * tracer's lines show it ("main+0x24"), for the writer thread and the
 * graph hooks. Objects with patch sites are named from their symbol
 * tables; the others (libc, the vdso, libraries built without the flag)
 * from a snapshot of their executable spans taken when tracing starts.
 */
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "tracer.h"

/*
 * Objects without patch sites (libc, the vdso, libraries built without
 * -fpatchable-function-entry) are unknown to the object list, but they call
 * traced functions too: libc calls main and every thread's start routine.
 * A snapshot of their executable spans, taken at start, names them.
 */
#define NOTHER 64
static struct other_obj {
	uintptr_t lo, hi, bias;
	char name[56];
} others[NOTHER];
static unsigned nothers;

void pfe_trace_caller(uintptr_t ra, struct pfe_caller *c)
{
	/* Inside pfe_dispatch's RCU read-side section: the object and its
	 * names stay valid until the hook returns. */
	struct pfe_object *obj = pfe_object_by_addr(ra);

	if (obj) {
		uintptr_t off;
		const char *sym = pfe_sitetab_symbolize(pfe_object_symtab(obj), ra, &off);

		if (sym) {
			*c = (struct pfe_caller){PFE_CALLER_SYM, sym, off};
		} else {
			*c = (struct pfe_caller){PFE_CALLER_OBJ, obj->name, ra - obj->bias};
		}
		return;
	}
	for (unsigned i = 0; i < nothers; i++) {
		if (ra >= others[i].lo && ra < others[i].hi) {
			*c = (struct pfe_caller){PFE_CALLER_OBJ, others[i].name,
						 ra - others[i].bias};
			return;
		}
	}
	*c = (struct pfe_caller){PFE_CALLER_ADDR, NULL, ra};
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int note_other(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct other_obj *o;
	char exe[256];
	const char *name = info->dlpi_name;

	if (nothers == NOTHER)
		return 1;
	o = &others[nothers];
	o->lo = UINTPTR_MAX;
	o->hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (info->dlpi_addr + ph->p_vaddr < o->lo)
			o->lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > o->hi)
			o->hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (o->lo >= o->hi)
		return 0;
	if (!name || !*name) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[n > 0 ? n : 0] = '\0';
		name = exe;
	}
	o->bias = info->dlpi_addr;
	name = base_name(name);
	memcpy(o->name, name, strnlen(name, sizeof(o->name) - 1));
	nothers++;
	return 0;
}

void pfe_trace_note_others(void)
{
	if (!nothers)
		dl_iterate_phdr(note_other, NULL);
}
