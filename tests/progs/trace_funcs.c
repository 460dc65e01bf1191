/* SPDX-License-Identifier: MIT */
/*
 * The traced functions of the tracer tests: each call site below appears
 * once, so the expected caller offsets can be read off objdump. In the
 * executable or in libtrfuncs.so, depending on the layout under test.
 */
#include "trace_funcs.h"

#define TRACED __attribute__((noipa))

TRACED int leaf(int x)
{
	return x + 1;
}

TRACED int mid(int x)
{
	return leaf(x) * 2;
}

TRACED int top(int x)
{
	return mid(x) + leaf(x + 1);
}

TRACED int other(int x)
{
	return x * 3;
}
