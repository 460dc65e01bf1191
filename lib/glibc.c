/* SPDX-License-Identifier: MIT */
/*
 * Process-exit and fork handlers, registered with glibc directly.
 *
 * atexit() and pthread_atfork() are not in libc.so.6 but in libc_nonshared.a,
 * whose objects carry no BTI property note: linking them would make the linker
 * drop BTI for all of libpfe.so. They are thin wrappers around these two
 * exported glibc calls, tied to our object's handle as they would be.
 */
#include "pfe_internal.h"

extern void *__dso_handle;
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
extern int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
			     void *dso);

static void call_void(void *fn)
{
	((void (*)(void))fn)();
}

int pfe_atexit(void (*fn)(void))
{
	return __cxa_atexit(call_void, (void *)fn, __dso_handle);
}

int pfe_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	return __register_atfork(prepare, parent, child, __dso_handle);
}
