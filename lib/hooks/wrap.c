/* SPDX-License-Identifier: MIT */
/*
 * Signatures for libffi, and pfe_call_original: a hook calls the function it
 * replaces.
 *
 * The original is entered past its patch site (the body, site->pc + PFE_ARCH_SITE_BYTES), so
 * the call in slot 1 does not fire again and no hook runs for this entry;
 * what slot 0 would have saved, nothing reads. In a BTI-guarded page the body
 * is no landing pad for libffi's indirect call, so ffi_call goes to
 * pfe_orig_stub (arch/arm64/orig_stub.S says how it enters the body and
 * keeps ffi_call's return address). The body address reaches the stub in a
 * static-TLS variable: set here, read by the stub's first
 * instructions, saved and restored around the call so that a signal handler
 * calling an original in between finds its own.
 *
 * While the original runs the thread's recursion guard is lowered: the
 * functions it calls (itself too, when recursive) run their hooks as usual.
 * The guard, the running hook and site come back afterwards.
 */
#include <errno.h>
#include <ffi.h>
#include <stdio.h>
#include <stdlib.h>

#include "hooks.h"
#include "sig.h"

struct pfe_ffi {
	ffi_cif cif;
	ffi_type *args[PFE_SIG_MAX_ARGS];
};

__thread uintptr_t pfe_orig_target __attribute__((tls_model("initial-exec")));
void pfe_orig_stub(void);

static ffi_type *ffi_of(struct pfe_type t)
{
	switch (t.kind) {
	case PFE_TK_VOID:
		return &ffi_type_void;
	case PFE_TK_SINT:
	case PFE_TK_CHAR:
		return t.size == 1   ? &ffi_type_sint8
		       : t.size == 2 ? &ffi_type_sint16
		       : t.size == 4 ? &ffi_type_sint32
				     : &ffi_type_sint64;
	case PFE_TK_UINT:
	case PFE_TK_BOOL:
		return t.size == 1   ? &ffi_type_uint8
		       : t.size == 2 ? &ffi_type_uint16
		       : t.size == 4 ? &ffi_type_uint32
				     : &ffi_type_uint64;
	case PFE_TK_FLOAT:
		return &ffi_type_float;
	case PFE_TK_DOUBLE:
		return &ffi_type_double;
	default:
		return &ffi_type_pointer;
	}
}

int pfe_sig_new(const char *text, struct pfe_sig **out, char *why, size_t len)
{
	struct pfe_sig *sig = calloc(1, sizeof(*sig));
	struct pfe_ffi *f = calloc(1, sizeof(*f));
	int err;

	*out = NULL;
	if (!sig || !f) {
		free(sig);
		free(f);
		return -ENOMEM;
	}
	err = pfe_sig_parse(text, sig, why, len);
	if (err) {
		free(sig);
		free(f);
		return err;
	}
	for (unsigned i = 0; i < sig->nargs; i++)
		f->args[i] = ffi_of(sig->arg[i]);
	if (ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, sig->nargs, ffi_of(sig->ret), f->args) !=
	    FFI_OK) {
		snprintf(why, len, "'%s': libffi cannot call it", text);
		free(sig);
		free(f);
		return -EINVAL;
	}
	sig->ffi = f;
	*out = sig;
	return 0;
}

void pfe_sig_free(struct pfe_sig *sig)
{
	if (sig) {
		free(sig->ffi);
		free(sig);
	}
}

PFE_API int pfe_call_original(const struct pfe_site *site, void *ret, void **args)
{
	struct pfe_hook *hook = pfe_cur_hook;
	const struct pfe_site *cur = pfe_cur_site;
	uintptr_t target = pfe_orig_target;
	int guard = pfe_in_hook;
	uint64_t scratch[2];
	struct pfe_ffi *f;

	if (!site || !hook || !hook->sig)
		return -EINVAL;
	if (site != cur)
		return -EINVAL;
	f = hook->sig->ffi;
	pfe_orig_target = site->pc + PFE_ARCH_SITE_BYTES;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pfe_in_hook = 0;
	ffi_call(&f->cif, pfe_orig_stub, ret ? ret : scratch, args);
	pfe_in_hook = guard;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pfe_cur_hook = hook;
	pfe_cur_site = cur;
	pfe_orig_target = target;
	return 0;
}
