# libpfe — build, test and bench.  Cross-compiles for arm64 on any other host
# and runs the results under qemu-aarch64; builds natively on arm64.
#
#   make            build/libpfe.so
#   make check      every test; closes with "N passed, N failed[, N skipped]"
#   make check-host the pure modules built for this machine, ASan/UBSan
#   make lint       clang-format and shellcheck
#   make demo       the traced example program
#   make bench      the benchmark harness (see bench/README.md)
#   make bench-realprog  zstd -T4 traced in full (bench/realprog.sh)
#   make deps       install the toolchain and libraries (Debian 12, as root)
#   make install    [PREFIX=/usr/local] [DESTDIR=]; make uninstall

HOST_ARCH := $(shell uname -m)
ifeq ($(HOST_ARCH),aarch64)
CROSS ?=
QEMU ?=
else
CROSS ?= aarch64-linux-gnu-
QEMU ?= qemu-aarch64
endif
CC := $(CROSS)gcc
OBJDUMP := $(CROSS)objdump
HOSTCC ?= gcc

B := build
GEN := $(B)/gen

# The library's folders: the architecture's backend, the subsystems of lib/
# (each with its contract in one header), the constructor on top of them,
# and the tracer, a client of the core.
ARCH := arm64
LIB_DIRS := arch/$(ARCH) lib/base lib/core lib/hooks lib/interpose lib
SRC_DIRS := $(LIB_DIRS) tracer
# lib/ and arch/ see no tracer header: the core calls its clients through
# struct pfe_client (lib/core/core.h), never by name.
PFE_INC := -Iinclude -Iarch $(addprefix -I,$(LIB_DIRS))

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
PFE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -fPIC -fvisibility=hidden \
	-fno-omit-frame-pointer -mbranch-protection=standard -mno-outline-atomics \
	-D_GNU_SOURCE $(PFE_INC) -I$(GEN)
PFE_LIBS := -lelf -lurcu-bp -lurcu-common -lffi -lgcc_s -lpthread -ldl

LIB_SRC := $(sort $(wildcard $(addsuffix /*.c,$(SRC_DIRS))))
ASM_SRC := $(sort $(wildcard arch/$(ARCH)/*.S))
LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(filter-out arch/$(ARCH)/asm-offsets.c,$(LIB_SRC))) \
	$(patsubst %.S,$(B)/obj/%.o,$(ASM_SRC))

.PHONY: all deps check check-host demo bench bench-quick bench-realprog clean format lint install uninstall
all: $(B)/libpfe.so $(B)/pfe

deps:
	sh scripts/deps.sh

# Pull in the toolchain before the first build of a tree. On Debian deps.sh
# itself decides (it checks every package it needs and takes under a second
# when all are there), so a machine prepared by an older deps.sh catches up;
# elsewhere the headers are probed and a clear error names what is missing.
$(B)/.deps-ok: scripts/deps.sh
	@if command -v dpkg-query >/dev/null 2>&1; then sh scripts/deps.sh; \
	elif ! printf '#include <libelf.h>\n#include <urcu-bp.h>\n#include <ffi.h>\n#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n#include <cmocka.h>\n' | \
	  $(CC) -E -x c - >/dev/null 2>&1; then \
	  echo "deps: $(CC) cannot find libelf, liburcu, libffi and cmocka headers; install them (see scripts/deps.sh)" >&2; exit 1; fi
	@mkdir -p $(@D) && touch $@

# Offsets shared between C and assembly come from the C structs themselves.
$(GEN)/pfe-asm-offsets.h: arch/$(ARCH)/asm-offsets.c include/pfe.h lib/core/core.h arch/arch.h \
		lib/hooks/dispatch.h lib/hooks/shadow.h arch/$(ARCH)/dynsave.h $(B)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(PFE_CFLAGS) -S -o $(GEN)/asm-offsets.s $<
	sed -n 's/.*->\([A-Za-z0-9_]*\) #\{0,1\}\(-\{0,1\}[0-9][0-9]*\).*/#define \1 \2/p' \
		$(GEN)/asm-offsets.s > $@.tmp && mv $@.tmp $@

$(B)/obj/tracer/%.o: PFE_CFLAGS += -Itracer
$(B)/obj/%.o: %.c $(GEN)/pfe-asm-offsets.h
	@mkdir -p $(@D)
	$(CC) $(PFE_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/%.o: %.S $(GEN)/pfe-asm-offsets.h
	@mkdir -p $(@D)
	$(CC) $(PFE_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libpfe.a: $(LIB_OBJ)
	rm -f $@ && $(CROSS)ar rcs $@ $^

# libpfe.so keeps the BTI and PAC property only if every input has the note:
# so no start files (lib/so/ stands in for crtbeginS.o), no outline atomics,
# and arch/arm64/cache.c, lib/base/glibc.c instead of libgcc's and libc_nonshared's
# helpers. The build fails if the property is lost again.
SO_OBJ := $(B)/obj/lib/so/dso_handle.o
$(B)/libpfe.so: $(LIB_OBJ) $(SO_OBJ) pfe.map
	$(CC) -shared -nostartfiles -o $@ $(LIB_OBJ) $(SO_OBJ) -Wl,--version-script=pfe.map \
		-Wl,-z,now -Wl,-z,relro -Wl,-z,noexecstack -Wl,--no-undefined $(PFE_LIBS)
	@sh scripts/check-exports.sh $@ pfe.map $(CROSS)
	@$(CROSS)readelf -n $@ | grep -q 'AArch64 feature: BTI, PAC' || { \
	  echo "$@ lost its BTI/PAC property: an input lacks the note (link with -Wl,-z,force-bti to see which)" >&2; \
	  rm -f $@; exit 1; }

-include $(shell find $(B)/obj $(B)/host-obj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- pfe
# The pfe command runs on the machine you build on (it reads recordings of
# any architecture), so it is built with HOSTCC, with the pure pattern and
# value parsers of lib/. jansson writes its JSON; the C++ runtime (libstdc++)
# demangles, as in the traced process.
TOOL_SRC := $(sort $(wildcard tools/pfe/*.c)) lib/core/pattern.c lib/base/envparse.c tracer/sumtab.c
TOOL_OBJ := $(patsubst %.c,$(B)/host-obj/%.o,$(TOOL_SRC))
TOOL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Ilib/core -Ilib/base -Itracer -Itools/pfe

$(B)/host-obj/%.o: %.c $(B)/.deps-ok
	@mkdir -p $(@D)
	$(HOSTCC) $(TOOL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/pfe: $(TOOL_OBJ)
	$(HOSTCC) $(CFLAGS) -o $@ $(TOOL_OBJ) -ljansson -lstdc++

# ------------------------------------------------------------- install
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR := $(PREFIX)/lib
INCDIR := $(PREFIX)/include
BINDIR := $(PREFIX)/bin
MAN1DIR := $(PREFIX)/share/man/man1
PCDIR := $(LIBDIR)/pkgconfig

install: $(B)/libpfe.so $(B)/pfe
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MAN1DIR) $(DESTDIR)$(PCDIR)
	install -m 755 $(B)/libpfe.so $(DESTDIR)$(LIBDIR)/libpfe.so
	install -m 644 include/pfe.h $(DESTDIR)$(INCDIR)/pfe.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
		tools/libpfe.pc.in > $(DESTDIR)$(PCDIR)/libpfe.pc
	chmod 644 $(DESTDIR)$(PCDIR)/libpfe.pc
	install -m 755 $(B)/pfe $(DESTDIR)$(BINDIR)/pfe
	install -m 644 tools/pfe/pfe.1 $(DESTDIR)$(MAN1DIR)/pfe.1

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libpfe.so $(DESTDIR)$(INCDIR)/pfe.h \
		$(DESTDIR)$(PCDIR)/libpfe.pc $(DESTDIR)$(BINDIR)/pfe $(DESTDIR)$(MAN1DIR)/pfe.1

# ---------------------------------------------------------------- tests
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRC))

$(B)/tests/unit/%: tests/unit/%.c $(B)/libpfe.a
	@mkdir -p $(@D)
	$(CC) $(PFE_CFLAGS) -Itracer -Itests -o $@ $< $(B)/libpfe.a -lcmocka $(PFE_LIBS) $(LDFLAGS_$*)

# test_icache sees every cache maintenance call libpfe makes.
LDFLAGS_test_icache := -Wl,--wrap=pfe_sync_icache

check: $(B)/libpfe.so $(B)/pfe $(UNIT_BIN)
	@QEMU="$(QEMU)" CC="$(CC)" OBJDUMP="$(OBJDUMP)" B="$(B)" sh tests/run.sh

# The pure modules also build for the machine you are on, for fast iteration
# and fuzzing without qemu.
PURE := $(basename $(notdir $(wildcard tests/host/test_*.c)))
check-host: $(B)/.deps-ok
	@mkdir -p $(B)/host
	@set -e; for t in $(PURE); do \
	  m=$${t#test_}; \
	  $(HOSTCC) -O1 -g $(WARN) -std=gnu11 -D_GNU_SOURCE $(PFE_INC) -Itracer -Itests \
	    -fsanitize=address,undefined -o $(B)/host/$$t tests/host/$$t.c \
	    $$(ls $(addsuffix /$$m.c,$(SRC_DIRS))) -lcmocka; \
	  $(B)/host/$$t; done

demo: $(B)/libpfe.so
	@QEMU="$(QEMU)" CC="$(CC)" B="$(B)" sh examples/demo.sh

bench: $(B)/libpfe.so
	@QEMU="$(QEMU)" CC="$(CC)" B="$(B)" sh bench/run.sh

bench-quick: $(B)/libpfe.so
	@QEMU="$(QEMU)" CC="$(CC)" B="$(B)" BENCH_QUICK=1 sh bench/run.sh

# A real program (zstd, downloaded from Debian's archive) traced in full;
# LIBPFE=<path> tests another libpfe.so than this tree's, which is then not built.
bench-realprog: $(if $(LIBPFE),,$(B)/libpfe.so)
	@QEMU="$(QEMU)" CC="$(CC)" B="$(B)" sh bench/realprog.sh

# Kernel style for the library and every C test and example; shellcheck for
# every shell script (settings in the scripts themselves).
# (pfe-asm.h holds assembler macros for the .S files, not C.)
FORMAT_SRC = $(LIB_SRC) $(filter-out arch/$(ARCH)/pfe-asm.h,$(wildcard $(addsuffix /*.h,$(SRC_DIRS)))) \
	$(wildcard include/*.h arch/*.h tests/unit/*.[ch] tests/host/*.c \
	tests/progs/*.[ch] examples/*.[ch] tools/pfe/*.[ch])
SHELL_SRC = $(wildcard tests/*.sh tests/integ/*.sh scripts/*.sh examples/*.sh) .ci/run

format:
	clang-format -i $(FORMAT_SRC)

lint: $(B)/.deps-ok
	clang-format --dry-run --Werror $(FORMAT_SRC)
	shellcheck $(SHELL_SRC)

clean:
	rm -rf $(B)

# ---------------------------------------------------------------- fuzzing
# libFuzzer harnesses of the pfe reader (tests/fuzz/fuzz.h, README.md "Fuzzing
# the pfe reader"): `make fuzz [FUZZ_TIME=seconds per harness] [FUZZ=names]`
# with clang; check-host replays each harness's corpus and every crash found
# so far (tests/fuzz/regress/<harness>/) with HOSTCC and ASan/UBSan.
FUZZ ?= recording events parsers
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_SRC = $(filter-out tools/pfe/main.c,$(TOOL_SRC)) tests/fuzz/fuzz_common.c
# pfe's own flags and include path (TOOL_CFLAGS), so that the harnesses follow it
FUZZ_CFLAGS = $(TOOL_CFLAGS) -O1 -Itests/fuzz -fno-omit-frame-pointer

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) tests/fuzz/fuzz.h $(wildcard tools/pfe/*.h) $(B)/.deps-ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $< $(FUZZ_SRC) -ljansson -lstdc++

$(B)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c $(FUZZ_SRC) tests/fuzz/fuzz.h \
		$(wildcard tools/pfe/*.h) $(B)/.deps-ok
	@mkdir -p $(@D)
	$(HOSTCC) $(FUZZ_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all \
		-o $@ $< tests/fuzz/standalone.c $(FUZZ_SRC) -ljansson -lstdc++

.PHONY: fuzz fuzz-replay
fuzz: $(addprefix $(B)/fuzz/fuzz_,$(FUZZ))
	@B="$(B)" FUZZ="$(FUZZ)" FUZZ_TIME="$(FUZZ_TIME)" sh tests/fuzz/run.sh

fuzz-replay: $(addprefix $(B)/fuzz/replay_,$(FUZZ))
	@set -e; for h in $(FUZZ); do \
	  $(B)/fuzz/replay_$$h tests/fuzz/corpus/$$h tests/fuzz/regress/$$h; done

check-host: fuzz-replay

# pfe with ASan and UBSan, for tests/integ/t_pfe_read_hostile.sh: memory
# errors on hostile recordings are reports, not silent wrong answers.
$(B)/pfe-asan: $(TOOL_SRC) $(wildcard tools/pfe/*.h) $(B)/.deps-ok
	$(HOSTCC) $(TOOL_CFLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer -o $@ $(TOOL_SRC) -ljansson -lstdc++
check: $(B)/pfe-asan
FORMAT_SRC += $(wildcard tests/fuzz/*.[ch])
SHELL_SRC += $(wildcard tests/fuzz/*.sh)
