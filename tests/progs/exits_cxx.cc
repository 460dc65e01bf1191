// SPDX-License-Identifier: MIT
// C++ exceptions for the graph tracer (tests/integ/t_graph_exits.sh, every
// function traced, PFE_GRAPH=1): one thrown through three traced frames
// (one with a destructor to run) and caught two levels up; one caught,
// rethrown from the handler and caught again further up. The output is the
// same with and without libpfe.
#include <stdio.h>
#include <stdexcept>

#define NOINL __attribute__((noinline, noclone))
#define CALLS __attribute__((optimize("no-optimize-sibling-calls")))

static volatile long sink;

struct Guard {
	NOINL CALLS ~Guard() { sink++; }
};

NOINL CALLS int cx_c(int x)
{
	if (x)
		throw std::runtime_error("boom");
	return x;
}

NOINL CALLS int cx_b(int x)
{
	Guard g;	// a cleanup: the unwinder stops here on its way

	return cx_c(x) + 1;
}

NOINL CALLS int cx_a(int x)
{
	return cx_b(x) + 1;
}

NOINL CALLS void cx_handled(void)
{
	sink++;
}

NOINL CALLS int cx_catcher(int x)
{
	try {
		return cx_a(x) + 1;
	} catch (const std::exception &e) {
		cx_handled();
		return -1;
	}
}

NOINL CALLS int cx_rethrower(int x)
{
	try {
		return cx_a(x) + 1;
	} catch (...) {
		cx_handled();
		throw;
	}
}

NOINL CALLS int cx_top(int x)
{
	try {
		return cx_rethrower(x) + 1;
	} catch (const std::exception &e) {
		cx_handled();
		return -2;
	}
}

int main()
{
	volatile int one = 1;

	setvbuf(stdout, nullptr, _IOLBF, 0);
	printf("caught: %d\n", cx_catcher(one));
	printf("not thrown: %d\n", cx_catcher(0 * one));
	printf("rethrown: %d\n", cx_top(one));
	printf("not thrown: %d\n", cx_top(0 * one));
	return 0;
}
