// SPDX-License-Identifier: MIT
// C++ exceptions through functions with exit hooks (tests/integ/t_exit_cxx.sh).
// Their saved return addresses point at libpfe's return trampoline; the
// unwinder must still find the real callers (phase 1 to find the handler,
// phase 2 to run the destructors), and the shadow stack must be right after
// the catch. Also pthread_exit (a forced unwind) from a traced function.
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdexcept>

#include "pfe.h"

#define NOINL __attribute__((noinline, noclone))

static volatile long entries, exits, unwound, bad_flags, dtors;

// C names, so that the patterns need no mangling.
extern "C" {
long c1(long x), c2(long x), c3(long x), catcher(long x);
void *t2(void *arg), *t3(void *arg);
}

struct Guard {
	~Guard() { dtors++; }
};

NOINL long c3(long x)
{
	if (x > 0)
		throw std::runtime_error("boom");
	return x;
}

NOINL long c2(long x)
{
	Guard g;	// a cleanup: phase 2 lands here and resumes
	return c3(x) + 1;
}

NOINL long c1(long x)
{
	return c2(x) + 1;
}

NOINL long catcher(long x)
{
	try {
		return c1(x);
	} catch (const std::exception &e) {
		return -1;
	}
}

NOINL void *t3(void *arg)
{
	Guard g;
	pthread_exit(arg);
}

NOINL void *t2(void *arg)
{
	t3(arg);
	return nullptr;
}

static void h_entry(const struct pfe_site *, struct pfe_regs *, void *)
{
	entries++;
}

static void h_exit(const struct pfe_site *, struct pfe_ret_regs *ret, uint64_t, void *)
{
	if (ret->flags == PFE_RET_UNWOUND)
		unwound++;
	else if (ret->flags == 0)
		exits++;
	else
		bad_flags++;
}

int main()
{
	volatile long one = 1;

	setvbuf(stdout, nullptr, _IOLBF, 0);
	auto add_ops = (struct pfe_hook * (*)(const char *, const struct pfe_hook_ops *, void *))
		dlsym(RTLD_DEFAULT, "pfe_hook_add_ops");

	if (!add_ops) {
		printf("libpfe: absent\n");
		return 0;
	}
	struct pfe_hook_ops ops = { h_entry, h_exit, nullptr };
	if (!add_ops("c1,c2,c3,catcher,t2,t3", &ops, nullptr)) {
		printf("attach failed\n");
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		entries = exits = unwound = dtors = 0;
		long r = catcher(one);
		printf("throw %d: catcher %ld entries %ld exits %ld unwound %ld dtors %ld\n", i, r,
		       entries, exits, unwound, dtors);
		entries = exits = unwound = dtors = 0;
		r = catcher(0 * one);
		printf("no throw %d: catcher %ld entries %ld exits %ld unwound %ld dtors %ld\n", i,
		       r, entries, exits, unwound, dtors);
	}
	try {
		entries = exits = unwound = 0;
		c1(one);
	} catch (const std::runtime_error &e) {
		printf("caught in main: %s entries %ld exits %ld unwound %ld\n", e.what(), entries,
		       exits, unwound);
	}
	pthread_t t;
	void *ret = nullptr;
	entries = exits = unwound = dtors = 0;
	pthread_create(&t, nullptr, t2, (void *)42);
	pthread_join(t, &ret);
	printf("pthread_exit: %ld entries %ld exits %ld unwound %ld dtors %ld\n", (long)ret,
	       entries, exits, unwound, dtors);
	entries = exits = unwound = 0;
	long r = c1(0 * one);
	printf("after: c1(0) %ld entries %ld exits %ld unwound %ld bad flags %ld\n", r, entries,
	       exits, unwound, bad_flags);
	return 0;
}
