/* SPDX-License-Identifier: MIT */
/*
 * One PFE_TRACE line, formatted without stdio: pure, allocation-free and
 * async-signal-safe, so the tracer's hook can call it from any context.
 *
 *   <tid> <seconds>.<microseconds> <function> <- <caller>
 *
 * where <caller> is "sym+0xoff", "object+0xoff" (offset from the object's
 * load bias) or "0xaddr", in that order of preference.
 */
#ifndef PFE_TRACE_FMT_H
#define PFE_TRACE_FMT_H

#include <stddef.h>
#include <stdint.h>

enum pfe_caller_kind {
	PFE_CALLER_SYM,	 /* name = function symbol, off = from its start */
	PFE_CALLER_OBJ,	 /* name = object basename, off = from its load bias */
	PFE_CALLER_ADDR, /* off = the address itself */
};

struct pfe_caller {
	enum pfe_caller_kind kind;
	const char *name;
	uintptr_t off;
};

/* Longer names are cut to this many bytes, so that a line always fits. */
#define PFE_TRACE_NAME_MAX 400
/* tid, time, function, " <- ", caller, "+0x", offset, "\n" and a NUL. */
#define PFE_TRACE_LINE_MAX (10 + 1 + 21 + 1 + PFE_TRACE_NAME_MAX + 4 + PFE_TRACE_NAME_MAX + 19 + 2)

/*
 * Format the line for a call of @func (or, when it is NULL, of the function at
 * @func_addr, printed as 0x...) by @caller in thread @tid, @ns nanoseconds
 * after the tracer started, into @buf (PFE_TRACE_LINE_MAX bytes). Returns its
 * length including the newline; a NUL follows it.
 */
size_t pfe_trace_fmt_line(char *buf, uint32_t tid, uint64_t ns, const char *func,
			  uintptr_t func_addr, const struct pfe_caller *caller);

#endif /* PFE_TRACE_FMT_H */
