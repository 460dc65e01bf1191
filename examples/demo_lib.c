/* SPDX-License-Identifier: MIT */
/* libdemo.so: the shared-library half of the demo. */
#include "demo.h"

int square(int x)
{
	return x * x;
}

int sum_squares(int n)
{
	int s = 0;

	for (int i = 1; i <= n; i++)
		s += square(i);
	return s;
}
