/* SPDX-License-Identifier: MIT */
/*
 * Fault-safe reads of the program's memory (saferead.h).
 *
 * First choice: process_vm_readv(2) on ourselves, which copies with the
 * kernel's fault handling: an unreadable byte fails the call (EFAULT or a
 * short count), nothing is left half-checked. qemu-user does not implement
 * it (ENOSYS, checked with qemu 7.2) and a seccomp filter may forbid it;
 * after the first such failure every read uses the probe instead.
 *
 * The probe: futex(FUTEX_WAIT) with a zero timeout on one aligned word of
 * each page the range touches. The kernel reads that word with its own
 * fault handling and returns EFAULT when the page cannot be read; otherwise
 * EAGAIN (the word differs from the value given) or ETIMEDOUT. It needs no
 * descriptor, unlike the classic write-to-a-pipe probe, so nothing can be
 * closed or reused under it, and it never blocks. Readability is a property
 * of the whole page, so one word per page answers for the range; then
 * memcpy copies. Under qemu-user guest loads are host loads, and the host
 * kernel's answer for the word is the guest's. The one gap: a page unmapped
 * by another thread between the probe and the copy still faults, as it
 * would for the program itself.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

bool pfe_safe_read_force_probe;
static int no_vm_readv;

static bool vm_readv(void *dst, uintptr_t src, size_t n, bool *answered)
{
	struct iovec l = {dst, n}, r = {(void *)src, n};
	long got;

	*answered = false;
	if (pfe_safe_read_force_probe || __atomic_load_n(&no_vm_readv, __ATOMIC_RELAXED))
		return false;
	got = syscall(SYS_process_vm_readv, (long)getpid(), &l, 1L, &r, 1L, 0L);
	if (got == (long)n) {
		*answered = true;
		return true;
	}
	if (got >= 0 || errno == EFAULT) {
		*answered = true;
		return false;
	}
	/* ENOSYS (qemu-user), EPERM (seccomp, LSM): never again. */
	__atomic_store_n(&no_vm_readv, 1, __ATOMIC_RELAXED);
	return false;
}

static bool page_readable(uintptr_t addr)
{
	static const struct timespec zero;
	long r = syscall(SYS_futex, (void *)(addr & ~(uintptr_t)3), FUTEX_WAIT_PRIVATE, 0x5afe5afe,
			 &zero, NULL, 0);

	return r == 0 || errno != EFAULT;
}

bool pfe_safe_read(void *dst, uintptr_t src, size_t n)
{
	int saved = errno;
	bool ok = true, answered;
	size_t ps;

	if (!n)
		return true;
	if (src + n < src)
		return false;
	ok = vm_readv(dst, src, n, &answered);
	if (answered) {
		errno = saved;
		return ok;
	}
	ps = pfe_page_size();
	ok = page_readable(src);
	for (uintptr_t p = (src & ~(ps - 1)) + ps; ok && p < src + n; p += ps)
		ok = page_readable(p);
	if (ok)
		memcpy(dst, (const void *)src, n);
	errno = saved;
	return ok;
}
