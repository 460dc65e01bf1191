/* SPDX-License-Identifier: MIT */
#ifndef TRACE_FUNCS_H
#define TRACE_FUNCS_H
int leaf(int x);
int mid(int x);
int top(int x);
int other(int x);
#endif
