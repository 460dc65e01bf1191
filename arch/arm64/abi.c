/* SPDX-License-Identifier: MIT */
/*
 * The calling convention for lib/hooks/sig.c's signatures: where each
 * argument arrives and how the saved registers are read. AAPCS64 on Linux:
 * integers and pointers in x0-x7, float and double in v0-v7 (s or d), each
 * counted on its own (NGRN, NSRN); the rest on the caller's stack from the
 * entry sp, one 8-byte slot each (NSAA), the value at the slot's start.
 * The upper bits of a narrow argument's register are unspecified: the value
 * is extended as its type says. Results come back in x0 or v0.
 *
 * Pure code, built on the host too (tests/host/test_sig.c).
 */
#include <string.h>

#include "arch.h"
#include "sig.h"

void pfe_arch_place_args(struct pfe_sig *sig)
{
	unsigned ngrn = 0, nsrn = 0, nsaa = 0;

	for (unsigned i = 0; i < sig->nargs; i++) {
		bool fp = sig->arg[i].kind == PFE_TK_FLOAT || sig->arg[i].kind == PFE_TK_DOUBLE;
		unsigned *next = fp ? &nsrn : &ngrn;

		if (*next < 8) {
			sig->loc[i] =
			    (struct pfe_arg_loc){fp ? PFE_LOC_FP_REG : PFE_LOC_INT_REG, *next};
			++*next;
		} else {
			sig->loc[i] = (struct pfe_arg_loc){PFE_LOC_STACK, nsaa};
			nsaa += 8;
		}
	}
}

/* The low @size bytes of @raw, extended as @kind says. */
static union pfe_value extend(struct pfe_type t, uint64_t raw)
{
	union pfe_value v;
	unsigned shift = 64 - 8 * (t.size ? t.size : 8);

	switch (t.kind) {
	case PFE_TK_SINT:
	case PFE_TK_CHAR:
		v.i = (int64_t)(raw << shift) >> shift;
		break;
	case PFE_TK_BOOL:
		v.u = (raw & 0xff) != 0;
		break;
	default:
		v.u = (raw << shift) >> shift;
		break;
	}
	return v;
}

static union pfe_value from_vreg(struct pfe_type t, const union pfe_vreg *r)
{
	union pfe_value v;

	if (t.kind == PFE_TK_FLOAT)
		v.d = r->s;
	else
		v.d = r->d;
	return v;
}

bool pfe_sig_arg_read(const struct pfe_sig *sig, const struct pfe_regs *regs, unsigned i,
		      pfe_mem_reader rd, union pfe_value *v)
{
	struct pfe_arg_loc l = sig->loc[i];
	struct pfe_type t = sig->arg[i];
	uintptr_t slot;
	uint64_t raw;

	switch (l.cls) {
	case PFE_LOC_INT_REG:
		*v = extend(t, regs->x[l.n]);
		return true;
	case PFE_LOC_FP_REG:
		*v = from_vreg(t, &regs->v[l.n]);
		return true;
	default:
		/* The caller's stack: on a coroutine's stack the slot may be
		 * past its end, on a guard page. */
		slot = (uintptr_t)regs->sp + l.n;
		if (!rd(slot, &raw, t.kind == PFE_TK_FLOAT ? sizeof(float) : sizeof(raw)))
			return false;
		if (t.kind == PFE_TK_FLOAT) {
			float f;

			memcpy(&f, &raw, sizeof(f));
			v->d = f;
		} else if (t.kind == PFE_TK_DOUBLE) {
			memcpy(&v->d, &raw, sizeof(v->d));
		} else {
			*v = extend(t, raw);
		}
		return true;
	}
}

union pfe_value pfe_sig_ret(const struct pfe_sig *sig, const struct pfe_ret_regs *ret)
{
	if (sig->ret.kind == PFE_TK_FLOAT || sig->ret.kind == PFE_TK_DOUBLE)
		return from_vreg(sig->ret, &ret->v[0]);
	return extend(sig->ret, ret->x[0]);
}

void pfe_sig_set_ret(const struct pfe_sig *sig, struct pfe_ret_regs *ret, union pfe_value v)
{
	if (sig->ret.kind == PFE_TK_FLOAT)
		ret->v[0].s = (float)v.d;
	else if (sig->ret.kind == PFE_TK_DOUBLE)
		ret->v[0].d = v.d;
	else
		ret->x[0] = v.u;
}
