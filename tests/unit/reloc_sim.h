/* SPDX-License-Identifier: MIT */
/*
 * A small A64 simulator for the relocator's tests: the instructions
 * pfe_reloc_insn() accepts (adr, adrp, literal loads, b, bl, b.cond, cbz,
 * tbz and their kin) and the ones its sequences are made of (add immediate,
 * unsigned-offset loads, str pre-index and ldr post-index of x16 on sp,
 * nop). Written from the architecture's bit layouts, apart from reloc.c.
 * tests/host/test_reloc.c runs originals and sequences on it;
 * tests/unit/test_reloc_run.c checks it against real execution (qemu or an
 * arm64 machine). step() fails on any instruction it does not know, on a
 * memory write outside the 16 bytes below sp, and on a misaligned sp base
 * (Linux turns the SP alignment check on).
 *
 * Memory is a fixed function of the address (mem_byte), overlaid by writes.
 */
#ifndef PFE_TEST_RELOC_SIM_H
#define PFE_TEST_RELOC_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* ---------------------------------------------------------- simulator */

struct cpu {
	uint64_t x[31];
	uint64_t sp;
	unsigned nzcv; /* N Z C V in bits 3..0 */
	uint64_t q[32][2];
	uint64_t pc;
	/* Memory: a fixed function of the address, overlaid by writes. */
	unsigned nw;
	uint64_t waddr[32];
	uint8_t wval[32];
	const char *fault; /* why the simulator stopped, NULL when fine */
};

static inline uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15u;
	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9u;
	z = (z ^ z >> 27) * 0x94d049bb133111ebu;
	return z ^ z >> 31;
}

static inline uint8_t mem_byte(const struct cpu *c, uint64_t a)
{
	for (unsigned i = c->nw; i-- > 0;)
		if (c->waddr[i] == a)
			return c->wval[i];
	return (uint8_t)mix(a);
}

static inline uint64_t mem_read(const struct cpu *c, uint64_t a, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = size; i-- > 0;)
		v = v << 8 | mem_byte(c, a + i);
	return v;
}

static inline void mem_write(struct cpu *c, uint64_t a, uint64_t v, unsigned size)
{
	/* Only the 16 bytes below sp: what the contract allows. */
	if (a < c->sp - 16 || a + size > c->sp) {
		c->fault = "write outside the 16 bytes below sp";
		return;
	}
	for (unsigned i = 0; i < size && c->nw < ARRAY_SIZE(c->waddr); i++) {
		c->waddr[c->nw] = a + i;
		c->wval[c->nw++] = (uint8_t)(v >> 8 * i);
	}
}

static inline uint64_t bits(uint32_t w, unsigned lo, unsigned n)
{
	return (w >> lo) & ((UINT64_C(1) << n) - 1);
}

static inline int64_t sx(uint64_t v, unsigned n)
{
	return (int64_t)(v << (64 - n)) >> (64 - n);
}

/* Register 31 as xzr: reads 0, writes vanish. */
static inline uint64_t xr(const struct cpu *c, unsigned r)
{
	return r == 31 ? 0 : c->x[r];
}

static inline void xw(struct cpu *c, unsigned r, uint64_t v)
{
	if (r != 31)
		c->x[r] = v;
}

/* Register 31 as sp (an address base, add immediate). */
static inline uint64_t spr(struct cpu *c, unsigned r)
{
	if (r != 31)
		return c->x[r];
	if (c->sp & 15)
		c->fault = "sp not 16-byte aligned as a base";
	return c->sp;
}

static inline void spw(struct cpu *c, unsigned r, uint64_t v)
{
	if (r == 31)
		c->sp = v;
	else
		c->x[r] = v;
}

static inline bool cond_holds(unsigned cond, unsigned f)
{
	bool n = f & 8, z = f & 4, cy = f & 2, v = f & 1, r;

	switch (cond >> 1) {
	case 0:
		r = z;
		break;
	case 1:
		r = cy;
		break;
	case 2:
		r = n;
		break;
	case 3:
		r = v;
		break;
	case 4:
		r = cy && !z;
		break;
	case 5:
		r = n == v;
		break;
	case 6:
		r = n == v && !z;
		break;
	default:
		return true; /* al, nv */
	}
	return (cond & 1) ? !r : r;
}

/* Loads a SIMD&FP register: the rest of the vector is zeroed. */
static inline void qw(struct cpu *c, unsigned r, uint64_t lo, uint64_t hi)
{
	c->q[r][0] = lo;
	c->q[r][1] = hi;
}

/* One instruction at c->pc; returns false (with c->fault) when unknown. */
static inline bool step(struct cpu *c, uint32_t w)
{
	uint64_t pc = c->pc, next = pc + 4;
	unsigned rt = w & 31, rn = bits(w, 5, 5);

	if (w == 0xd503201f) {			     /* nop */
	} else if ((w & 0x1f000000) == 0x10000000) { /* adr, adrp */
		int64_t imm = sx(bits(w, 5, 19) << 2 | bits(w, 29, 2), 21);

		if (w & 0x80000000)
			xw(c, rt, (pc & ~UINT64_C(0xfff)) + (uint64_t)imm * 4096);
		else
			xw(c, rt, pc + (uint64_t)imm);
	} else if ((w & 0xff800000) == 0x91000000) { /* add Xd|sp, Xn|sp, #imm{, lsl 12} */
		uint64_t imm = bits(w, 10, 12) << (bits(w, 22, 1) ? 12 : 0);

		spw(c, rt, spr(c, rn) + imm);
	} else if ((w & 0x3b000000) == 0x18000000) { /* load (literal) */
		uint64_t a = pc + (uint64_t)sx(bits(w, 5, 19), 19) * 4;
		unsigned opc = bits(w, 30, 2);

		if (!(w & 0x04000000)) {
			if (opc == 0)
				xw(c, rt, mem_read(c, a, 4));
			else if (opc == 1)
				xw(c, rt, mem_read(c, a, 8));
			else if (opc == 2)
				xw(c, rt, (uint64_t)sx(mem_read(c, a, 4), 32));
			/* opc 3: prfm, no architectural effect */
		} else if (opc == 0) {
			qw(c, rt, mem_read(c, a, 4), 0);
		} else if (opc == 1) {
			qw(c, rt, mem_read(c, a, 8), 0);
		} else if (opc == 2) {
			qw(c, rt, mem_read(c, a, 8), mem_read(c, a + 8, 8));
		} else {
			c->fault = "ldr literal V=1 opc=3";
			return false;
		}
	} else if ((w & 0x3b000000) == 0x39000000) { /* ldr (unsigned offset) */
		unsigned size = bits(w, 30, 2), opc = bits(w, 22, 2);
		bool v = w & 0x04000000;
		uint64_t off = bits(w, 10, 12), a;

		if (!v && opc == 1 && size >= 2) { /* ldr Wt / Xt */
			a = spr(c, rn) + (off << size);
			xw(c, rt, mem_read(c, a, 1u << size));
		} else if (!v && opc == 2 && size == 2) { /* ldrsw */
			a = spr(c, rn) + off * 4;
			xw(c, rt, (uint64_t)sx(mem_read(c, a, 4), 32));
		} else if (v && opc == 1 && size >= 2) { /* ldr St / Dt */
			a = spr(c, rn) + (off << size);
			qw(c, rt, mem_read(c, a, 1u << size), 0);
		} else if (v && opc == 3 && size == 0) { /* ldr Qt */
			a = spr(c, rn) + off * 16;
			qw(c, rt, mem_read(c, a, 8), mem_read(c, a + 8, 8));
		} else {
			c->fault = "unsimulated load";
			return false;
		}
	} else if ((w & 0xffe00c00) == 0xf8000c00) { /* str Xt, [Xn|sp, #simm9]! */
		uint64_t a = spr(c, rn) + (uint64_t)sx(bits(w, 12, 9), 9);

		if (rn == rt) {
			c->fault = "str writeback to its own source";
			return false;
		}
		mem_write(c, a, xr(c, rt), 8);
		spw(c, rn, a);
	} else if ((w & 0xffe00c00) == 0xf8400400) { /* ldr Xt, [Xn|sp], #simm9 */
		uint64_t a = spr(c, rn);

		if (rn == rt) {
			c->fault = "ldr writeback to its own destination";
			return false;
		}
		xw(c, rt, mem_read(c, a, 8));
		spw(c, rn, a + (uint64_t)sx(bits(w, 12, 9), 9));
	} else if ((w & 0x7c000000) == 0x14000000) { /* b, bl */
		if (w & 0x80000000)
			c->x[30] = pc + 4;
		next = pc + (uint64_t)sx(bits(w, 0, 26), 26) * 4;
	} else if ((w & 0xff000000) == 0x54000000) { /* b.cond, bc.cond */
		if (cond_holds(w & 15, c->nzcv))
			next = pc + (uint64_t)sx(bits(w, 5, 19), 19) * 4;
	} else if ((w & 0x7e000000) == 0x34000000) { /* cbz, cbnz */
		uint64_t v = xr(c, rt);

		if (!(w & 0x80000000))
			v = (uint32_t)v;
		if ((v == 0) != !!(w & 0x01000000))
			next = pc + (uint64_t)sx(bits(w, 5, 19), 19) * 4;
	} else if ((w & 0x7e000000) == 0x36000000) { /* tbz, tbnz */
		unsigned b = bits(w, 31, 1) << 5 | bits(w, 19, 5);
		bool set = xr(c, rt) >> b & 1;

		if (set == !!(w & 0x01000000))
			next = pc + (uint64_t)sx(bits(w, 5, 14), 14) * 4;
	} else {
		c->fault = "unsimulated instruction";
		return false;
	}
	c->pc = next;
	return c->fault == NULL;
}

static uint64_t rng = 0x1234567;

static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Registers with zeros, single bits and noise, for CBZ/TBZ to go both ways. */
static inline void random_state(struct cpu *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < 31; i++) {
		switch (rnd() % 4) {
		case 0:
			c->x[i] = 0;
			break;
		case 1:
			c->x[i] = UINT64_C(1) << (rnd() % 64);
			break;
		case 2:
			c->x[i] = rnd() & 0xffffffff00000000u;
			break;
		default:
			c->x[i] = rnd();
		}
	}
	c->sp = 0x7ff000000000u + (rnd() & 0xffffff0);
	c->nzcv = rnd() & 15;
	for (unsigned i = 0; i < 32; i++) {
		c->q[i][0] = rnd();
		c->q[i][1] = rnd();
	}
}

/* ------------------------------------------------- instruction builders */

static inline uint32_t f19(int64_t bytes)
{
	return ((uint32_t)(bytes >> 2) & 0x7ffff) << 5;
}

static inline uint32_t mk_adr(unsigned rd, int64_t imm)
{
	uint32_t u = (uint32_t)imm & 0x1fffff;

	return 0x10000000 | (u & 3) << 29 | (u >> 2) << 5 | rd;
}

static inline uint32_t mk_adrp(unsigned rd, int64_t pages)
{
	return mk_adr(rd, pages) | 0x80000000;
}

/* ldr (literal): @v 0 for W/X/SW/PRFM by @opc, 1 for S/D/Q. */
static inline uint32_t mk_ldr_lit(unsigned opc, bool v, unsigned rt, int64_t bytes)
{
	return 0x18000000 | opc << 30 | (v ? 0x04000000 : 0) | f19(bytes) | rt;
}

static inline uint32_t mk_b(bool link, int64_t bytes)
{
	return (link ? 0x94000000 : 0x14000000) | ((uint32_t)(bytes >> 2) & 0x3ffffff);
}

static inline uint32_t mk_bcond(unsigned cond, int64_t bytes)
{
	return 0x54000000 | f19(bytes) | cond;
}

static inline uint32_t mk_cb(bool sf, bool nz, unsigned rt, int64_t bytes)
{
	return 0x34000000 | (sf ? 0x80000000 : 0) | (nz ? 0x01000000 : 0) | f19(bytes) | rt;
}

static inline uint32_t mk_tb(unsigned bit, bool nz, unsigned rt, int64_t bytes)
{
	return 0x36000000 | (bit >> 5) << 31 | (nz ? 0x01000000 : 0) | (bit & 31) << 19 |
	       ((uint32_t)(bytes >> 2) & 0x3fff) << 5 | rt;
}

#endif /* PFE_TEST_RELOC_SIM_H */
