/* SPDX-License-Identifier: MIT */
/*
 * Prints pfe_insn_classify's class of instruction words and, for the
 * PC-relative ones, pfe_insn_pcrel_target's address, for
 * tests/integ/t_reloc_decode.sh to hold against the disassembler's reading.
 * Built for the machine the tests run on (reloc.c is pure).
 *
 *   reloc_classify < "addr word" lines   one "class<TAB>target" line each
 *   reloc_classify rand N SEED FILE      N pseudo-random words, little-endian,
 *                                        to FILE (at address 4 * i), and
 *                                        their lines on stdout
 * The target is "-" for words that are not PC-relative.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reloc.h"

static const char *const names[PFE_INSN_CLASS_COUNT] = {
    [PFE_INSN_CLASS_UNDECODED] = "undecoded",
    [PFE_INSN_CLASS_TRAP] = "trap",
    [PFE_INSN_CLASS_EXCLUSIVE] = "exclusive",
    [PFE_INSN_CLASS_SEQUENCE] = "sequence",
    [PFE_INSN_CLASS_PLAIN] = "plain",
    [PFE_INSN_CLASS_LINK] = "link",
    [PFE_INSN_CLASS_ADR] = "adr",
    [PFE_INSN_CLASS_ADRP] = "adrp",
    [PFE_INSN_CLASS_LDR_LIT] = "ldr_lit",
    [PFE_INSN_CLASS_LDR_LIT_FP] = "ldr_lit_fp",
    [PFE_INSN_CLASS_PRFM_LIT] = "prfm_lit",
    [PFE_INSN_CLASS_B] = "b",
    [PFE_INSN_CLASS_BL] = "bl",
    [PFE_INSN_CLASS_B_COND] = "b_cond",
    [PFE_INSN_CLASS_CB] = "cb",
    [PFE_INSN_CLASS_TB] = "tb",
};

static void put(uint64_t pc, uint32_t w)
{
	uint64_t t;

	if (pfe_insn_pcrel_target(w, pc, &t))
		printf("%s\t%llx\n", names[pfe_insn_classify(w)], (unsigned long long)t);
	else
		printf("%s\t-\n", names[pfe_insn_classify(w)]);
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc == 5 && !strcmp(argv[1], "rand")) {
		unsigned long n = strtoul(argv[2], NULL, 0);
		uint64_t s = strtoull(argv[3], NULL, 0) | 1;
		FILE *f = fopen(argv[4], "wb");

		if (!f)
			return 1;
		for (unsigned long i = 0; i < n; i++) {
			uint32_t w;
			unsigned char b[4];

			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			w = (uint32_t)(s >> 16);
			for (int k = 0; k < 4; k++)
				b[k] = (unsigned char)(w >> 8 * k);
			if (fwrite(b, 1, 4, f) != 4)
				return 1;
			put(4 * (uint64_t)i, w);
		}
		return fclose(f) != 0;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char *w;
		uint64_t pc = strtoull(line, &w, 16);

		put(pc, (uint32_t)strtoul(w, NULL, 16));
	}
	return 0;
}
