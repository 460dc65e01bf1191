/* SPDX-License-Identifier: MIT */
/*
 * libpfe.so is linked with -nostartfiles: Debian's crti.o and crtbeginS.o carry
 * no BTI property note, and a single input without it makes the linker drop
 * BTI for the whole library. crtbeginS.o's one service we need is the
 * object's handle for __cxa_atexit/__register_atfork (lib/base/glibc.c), so it is
 * defined here, for the shared library only: executables that link
 * build/libpfe.a (the unit tests) get theirs from crtbegin.o.
 */
void *__dso_handle __attribute__((visibility("hidden"))) = &__dso_handle;
