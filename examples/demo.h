/* SPDX-License-Identifier: MIT */
#ifndef DEMO_H
#define DEMO_H
int square(int x);
int sum_squares(int n);
#endif
