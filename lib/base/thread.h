/* SPDX-License-Identifier: MIT */
/*
 * libpfe's per-thread words on the hook path, in one initial-exec TLS
 * block. A function that touches several of them finds the block once (one
 * GOT load of its thread-pointer offset) instead of once per variable,
 * which the graph tracer's path, touching five of them per call, notices.
 *
 * Initial-exec for the reason given in lib/hooks/dispatch.c: libpfe is loaded
 * with the program, so the block is in every thread's static TLS and no
 * access can allocate (async-signal-safe). The names below are the
 * variables each owner documents.
 */
#ifndef PFE_THREAD_H
#define PFE_THREAD_H

#include <stdint.h>

struct pfe_site;
struct pfe_hook;
struct pfe_ring;
struct pfe_shadow;

/* The flat tracer's hook touches only its ring: first, where a
 * register-offset load from the thread pointer reaches it. */
struct pfe_thread {
	struct pfe_ring *ring;		 /* tracer/trace_rec.h */
	int in_hook;			 /* dispatch.h: the recursion guard */
	const struct pfe_site *cur_site; /* dispatch.h */
	struct pfe_hook *cur_hook;	 /* dispatch.h */
	uint64_t exit_now;		 /* exit.h */
	unsigned long exit_lost;	 /* exit.h */
	struct pfe_shadow *shadow;	 /* exit.c */
};

extern __thread struct pfe_thread pfe_thread __attribute__((tls_model("initial-exec")));

#define pfe_in_hook   (pfe_thread.in_hook)
#define pfe_cur_site  (pfe_thread.cur_site)
#define pfe_cur_hook  (pfe_thread.cur_hook)
#define pfe_exit_now  (pfe_thread.exit_now)
#define pfe_exit_lost (pfe_thread.exit_lost)
#define pfe_my_ring   (pfe_thread.ring)

#endif /* PFE_THREAD_H */
