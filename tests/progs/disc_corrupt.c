/* SPDX-License-Identifier: MIT */
/*
 * A program whose __patchable_function_entries has four bad entries besides
 * the compiler's: one into a function body (not a NOP), one misaligned, one
 * pointing at data (outside text), and good()'s entry a second time. Built
 * with -fpatchable-function-entry=2; libpfe must refuse exactly those four,
 * say so in one line, and still list good, target and main.
 */
#include <stdio.h>

int data_word = 42;

__attribute__((noinline)) int good(int x)
{
	return x + 1;
}

__attribute__((noinline)) int target(int x)
{
	return x * 5;
}

__asm__(".pushsection __patchable_function_entries, \"awo\", @progbits, target\n"
	".p2align 3\n"
	".8byte target + 8\n" /* past the two NOPs: the body */
	".8byte target + 2\n"
	".8byte data_word\n"
	".8byte good\n"
	".popsection\n");

int main(void)
{
	printf("%d %d %d\n", good(1), target(2), data_word);
	return 0;
}
