/* SPDX-License-Identifier: MIT */
/* Stop and release every other thread of the process (park.c). */
#ifndef PFE_PARK_H
#define PFE_PARK_H

#include <stdbool.h>
#include <sys/types.h>
#include <ucontext.h>

/* Park every other thread in a signal handler. Returns 0 with all of them
 * parked (or none to park), or -errno with every thread released after one
 * line saying why. Call under the patch lock; until pfe_park_release(),
 * no malloc, no stdio, no lock another thread could hold. */
int pfe_park_others(void);
/* Thread @tid of this process has ended, though it may still be listed:
 * the group leader after pthread_exit in main stays a zombie until the last
 * thread ends. Async-signal-safe. */
bool pfe_park_thread_ended(pid_t tid);
/* Whether the process has threads other than the caller (and qemu's,
 * libpfe's own, and ended ones). */
bool pfe_park_other_threads(void);
/* Let the parked threads go (exception return: context-synchronising). */
void pfe_park_release(void);
/* Call @fn with the interrupted context of each parked thread. */
void pfe_park_each(void (*fn)(ucontext_t *uc, void *ctx), void *ctx);
/* A libpfe thread that runs none of the program's code and blocks every
 * signal (the control thread, the tracer's writer): never waited for, and
 * not one of the program's threads for pfe_park_other_threads. Up to 4. */
void pfe_park_exempt(pid_t tid);
/* In a fork child: forget the threads that were not copied. */
void pfe_park_fork_child(void);
/* The real-time signal used. */
int pfe_park_signal(void);

#endif
