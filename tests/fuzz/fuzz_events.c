/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: one thread's event file (<tid>.dat, header included,
 * lib/record.h) in a fixed, valid process, read by every pfe reading
 * command. The recording harness reaches the same code through its
 * container; this one mutates the events alone.
 */
#include <string.h>

#include "fuzz.h"

static const char info[] = "format pfe-record 1\npid 7\nppid 1\nexe /usr/bin/app\n"
			   "cmdline /usr/bin/app\ndate 2026-11-28T12:00:00Z\nclock_hz 1000000000\n"
			   "clock_base 0\nrealtime_ns 0\narch aarch64\nmode graph\n"
			   "end 100000 events 10 lost 0\n";
static const char objects[] = "object 0 0 5 0x400000 0x401000 0x402000 0 /usr/bin/app\n"
			      "object 1 5 0 0x7f0000 0x7f1000 0x7f9000 0 /lib/libc.so.6\n"
			      "unload 1 90000\n";
static const char syms[] = "site 0 0x1100 - main\nsite 1 0x1200 - f\nsite 2 0x1300 bti g\n"
			   "site 3 0x1400 - _ZN2ns1fEv\nsite 4 0x1500 - ?\n"
			   "sym 0x1000 0x100 _start\nsym 0x1100 0x100 main\nsym 0x1200 0x100 f\n"
			   "sym 0x1300 0x100 g\nsym 0x1400 0x100 _ZN2ns1fEv\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_init();
	fuzz_reset();
	fuzz_put_file("7/info", info, strlen(info));
	fuzz_put_file("7/objects", objects, strlen(objects));
	fuzz_put_file("7/sym-0.txt", syms, strlen(syms));
	fuzz_put_file("7/threads", "7 main\n", 7);
	fuzz_put_file("7/7.dat", data, size);
	fuzz_run_commands();
	return 0;
}
