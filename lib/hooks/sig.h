/* SPDX-License-Identifier: MIT */
/*
 * Function signatures (sig.c, pure): parse "(int,str,double)->long" and place
 * each argument where the calling convention passes it (arch/arm64/abi.c,
 * which also reads them). wrap.c adds the libffi side.
 *
 * Syntax (README.md "Signatures"):
 *   signature := "(" [ type { "," type } ] ")" [ "->" type ]
 * Spaces are allowed around names and '*'. "()" and "(void)" take no
 * argument; without "->" the function returns void. Types:
 *   i8 i16 i32 i64 u8 u16 u32 u64, int8_t ... uint64_t,
 *   char (printed as a character), signed char, unsigned char, short,
 *   unsigned short, int, unsigned [int], long, unsigned long, long long,
 *   unsigned long long, size_t, ssize_t, intptr_t, uintptr_t, off_t, bool,
 *   float, double, void (result only),
 *   str or char* (a NUL-terminated string), ptr or any other T* (an address).
 * "const" is ignored anywhere. At most PFE_SIG_MAX_ARGS arguments.
 */
#ifndef PFE_SIG_H
#define PFE_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pfe.h"

#define PFE_SIG_MAX_ARGS 24

enum pfe_type_kind {
	PFE_TK_VOID,
	PFE_TK_SINT,
	PFE_TK_UINT,
	PFE_TK_BOOL,
	PFE_TK_CHAR,
	PFE_TK_PTR,
	PFE_TK_STR,
	PFE_TK_FLOAT,
	PFE_TK_DOUBLE,
};

struct pfe_type {
	uint8_t kind; /* enum pfe_type_kind */
	uint8_t size; /* bytes: 1, 2, 4, 8 (0 for void) */
};

/* Where an argument arrives: an integer register, a floating-point register
 * or the caller's stack (the rules: arch/arm64/abi.c). */
enum pfe_loc_class { PFE_LOC_INT_REG, PFE_LOC_FP_REG, PFE_LOC_STACK };

struct pfe_arg_loc {
	uint8_t cls; /* enum pfe_loc_class */
	uint16_t n;  /* register number, or byte offset from the entry sp */
};

struct pfe_sig {
	unsigned nargs;
	struct pfe_type ret;
	struct pfe_type arg[PFE_SIG_MAX_ARGS];
	struct pfe_arg_loc loc[PFE_SIG_MAX_ARGS];
	void *ffi; /* wrap.c: the prepared libffi call interface */
};

/* A value as the type says: integers in i/u, float and double in d. */
union pfe_value {
	int64_t i;
	uint64_t u;
	double d;
};

/* Parse @text into @sig (ffi left NULL). Returns 0, or -EINVAL with a
 * reason naming the offending part in @why. */
int pfe_sig_parse(const char *text, struct pfe_sig *sig, char *why, size_t len);

/* "name(sig)->ret": the length of the name part (up to '(' or the end). */
size_t pfe_sig_name_len(const char *term);

/* Copies @n bytes at @addr to @buf; false when they cannot be read. */
typedef bool (*pfe_mem_reader)(uintptr_t addr, void *buf, size_t n);

/* Argument @i as saved at the entry, extended to 64 bits as its type says
 * (the upper bits of a narrow argument's register are unspecified). A stack
 * argument is read at regs->sp with @rd: false when it cannot be read. */
bool pfe_sig_arg_read(const struct pfe_sig *sig, const struct pfe_regs *regs, unsigned i,
		      pfe_mem_reader rd, union pfe_value *v);
/* The same, for a stack the caller knows to be readable (plain loads). */
union pfe_value pfe_sig_arg(const struct pfe_sig *sig, const struct pfe_regs *regs, unsigned i);
/* The result from the return registers. */
union pfe_value pfe_sig_ret(const struct pfe_sig *sig, const struct pfe_ret_regs *ret);
/* Store @v as the result (an exit hook changing it). */
void pfe_sig_set_ret(const struct pfe_sig *sig, struct pfe_ret_regs *ret, union pfe_value v);

/* Split a PFE_TRACE spec at the commas outside parentheses: @fn gets each
 * term (not NUL-terminated) and returns nonzero to stop. Returns that value,
 * or 0. */
int pfe_sig_split(const char *spec, int (*fn)(const char *term, size_t len, void *ctx), void *ctx);

/* ------------------------------------------------------------ sigfmt.c */

/* Strings are printed up to this many bytes, then "...". */
#define PFE_SIG_STR_MAX 32

/*
 * Format @v of type @t at @buf (NUL-terminated, cut to @len): integers in
 * decimal, bool as true/false, char as 'c', pointers as 0x..., strings
 * quoted with C escapes (read with @rd; NULL, or (bad 0x...) when
 * unreadable), float/double as %g. Returns the length written.
 */
size_t pfe_sig_fmt_value(char *buf, size_t len, struct pfe_type t, union pfe_value v,
			 pfe_mem_reader rd);
/* "a, b, c": every argument of @sig at a function's entry; a stack argument
 * that @rd cannot read is shown as (bad 0x<address>). */
size_t pfe_sig_fmt_args(char *buf, size_t len, const struct pfe_sig *sig,
			const struct pfe_regs *regs, pfe_mem_reader rd);

/* wrap.c: allocate, parse and prepare the libffi interface. */
int pfe_sig_new(const char *text, struct pfe_sig **out, char *why, size_t len);
void pfe_sig_free(struct pfe_sig *sig);

#endif /* PFE_SIG_H */
