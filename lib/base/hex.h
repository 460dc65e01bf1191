/* SPDX-License-Identifier: MIT */
/* One hexadecimal digit, for the parsers of lib/ and of the pfe command. */
#ifndef PFE_HEX_H
#define PFE_HEX_H

/* The digit's value, or -1 when @c is not one (either case). */
static inline int pfe_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* PFE_HEX_H */
