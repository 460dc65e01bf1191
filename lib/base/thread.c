/* SPDX-License-Identifier: MIT */
/* libpfe's per-thread words (thread.h): defined in base, which every other
 * part of libpfe stands on, so that the guard needs nothing above it. */
#include "thread.h"

/*
 * The recursion guard (in_hook) is nonzero while this thread runs hooks.
 * Hooks do not nest: a traced function called from a hook (or from a signal
 * handler that interrupted one) runs without hooks, so a hook may call
 * anything.
 *
 * initial-exec TLS: libpfe is loaded with the program (LD_PRELOAD), so its TLS
 * block is part of the static TLS set up with each thread, and the access is
 * one load relative to tpidr_el0. The general-dynamic model would go through
 * __tls_get_addr, which may allocate the block on first use in a thread:
 * neither async-signal-safe nor cheap. (The price: libpfe cannot be
 * dlopen()ed into a process whose static TLS surplus is used up.)
 */
__thread struct pfe_thread pfe_thread __attribute__((tls_model("initial-exec")));
