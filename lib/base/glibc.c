/* SPDX-License-Identifier: MIT */
/*
 * Process-exit and fork handlers, registered with glibc directly.
 *
 * atexit() and pthread_atfork() are not in libc.so.6 but in libc_nonshared.a,
 * whose objects carry no BTI property note: linking them would make the linker
 * drop BTI for all of libpfe.so. They are thin wrappers around these two
 * exported glibc calls, tied to our object's handle as they would be.
 *
 * Each handler runs under the recursion guard (guard.h): it is libpfe's
 * work, and what it calls (write, free) may be the program's traced code.
 * __register_atfork passes no argument to a handler, so each registration
 * gets its own trio of guarded stubs, keeping glibc's order (prepare
 * handlers in reverse, the others in registration order).
 */
#include "guard.h"
#include "base.h"

extern void *__dso_handle;
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
extern int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
			     void *dso);

static void call_void(void *fn)
{
	int g = pfe_guard_enter();

	((void (*)(void))fn)();
	pfe_guard_leave(g);
}

int pfe_atexit(void (*fn)(void))
{
	return __cxa_atexit(call_void, (void *)fn, __dso_handle);
}

#define MAX_ATFORK 8

static struct {
	void (*fn[3])(void); /* prepare, parent, child */
} atfork[MAX_ATFORK];
static int natfork;

static void run_atfork(int i, int which)
{
	int g = pfe_guard_enter();

	atfork[i].fn[which]();
	pfe_guard_leave(g);
}

#define STUBS(i)                                                                                   \
	static void prepare_##i(void)                                                              \
	{                                                                                          \
		run_atfork(i, 0);                                                                  \
	}                                                                                          \
	static void parent_##i(void)                                                               \
	{                                                                                          \
		run_atfork(i, 1);                                                                  \
	}                                                                                          \
	static void child_##i(void)                                                                \
	{                                                                                          \
		run_atfork(i, 2);                                                                  \
	}
STUBS(0)
STUBS(1)
STUBS(2)
STUBS(3)
STUBS(4)
STUBS(5)
STUBS(6)
STUBS(7)

#define STUB_ROW(i)                                                                                \
	{                                                                                          \
		prepare_##i, parent_##i, child_##i                                                 \
	}
static void (*const stubs[MAX_ATFORK][3])(void) = {
    STUB_ROW(0), STUB_ROW(1), STUB_ROW(2), STUB_ROW(3),
    STUB_ROW(4), STUB_ROW(5), STUB_ROW(6), STUB_ROW(7),
};

/* Registrations come from the constructor and the control thread (tracer
 * start), never concurrently with a fork of the same slot: the slot is
 * filled before glibc can call its stubs. */
int pfe_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	int i = __atomic_fetch_add(&natfork, 1, __ATOMIC_RELAXED);

	if (i >= MAX_ATFORK) {
		pfe_err("more than %d fork handlers; this one runs unguarded", MAX_ATFORK);
		return __register_atfork(prepare, parent, child, __dso_handle);
	}
	atfork[i].fn[0] = prepare;
	atfork[i].fn[1] = parent;
	atfork[i].fn[2] = child;
	return __register_atfork(prepare ? stubs[i][0] : NULL, parent ? stubs[i][1] : NULL,
				 child ? stubs[i][2] : NULL, __dso_handle);
}
