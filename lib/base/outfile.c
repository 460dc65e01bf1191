/* SPDX-License-Identifier: MIT */
/*
 * Files libpfe writes on the user's behalf (outfile.h).
 *
 * Opening. The path comes from the environment or a control command, and
 * the process may run with more rights than whoever chose it: the last
 * component is never followed when it is a symbolic link (O_NOFOLLOW), a
 * new file gets mode 0600 (traces show arguments: strings, pointers),
 * and an existing file or FIFO must belong to the process's effective user
 * and not be writable by others, else another user could have prepared it
 * (a FIFO in /tmp feeding commands, a file swapped for a link). The open
 * is non-blocking so that a FIFO without a reader fails at once (ENXIO)
 * instead of hanging the program before main; the type is checked with
 * fstat on what was opened, and only then is a regular file truncated.
 * Character devices (/dev/null, a terminal) are taken as they are.
 *
 * Descriptors. Each one libpfe keeps is moved to PFE_FD_MIN or above with
 * F_DUPFD_CLOEXEC, so that the program's own open() calls get the numbers
 * they expect (the first one returns 3), and its device and inode are
 * remembered in a small table. A program may still close it (daemons close
 * every descriptor above 2) and reuse the number: before each use
 * (pfe_output_write, or pfe_fd_check by a reader, once per buffer or
 * command, not per traced call) fstat must show the same file; otherwise
 * libpfe says so once and stops using that descriptor, and never writes to
 * or closes what is now the program's. The window between the check and
 * the write is the program's own race against itself. A regular file
 * opened in append mode (the trace) is opened again instead when its number
 * is free (closed, not reused): by its absolute path, only if it is still
 * the same file and passes the checks of the first open, and put back under
 * its number, so that libpfe goes on writing where it did. So is the
 * PFE_CONTROL FIFO, read-write as at first, and an output FIFO or
 * character device, if the path still names the same one: where it names
 * something else now, libpfe says so in its one line and stops using it.
 *
 * Signals. The program's signal dispositions and masks are never changed.
 * A write to a pipe whose reader went away raises SIGPIPE, which by default
 * kills the program: around each write to a FIFO, socket or descriptor not
 * known to be a regular file, SIGPIPE is blocked in the writing thread only,
 * and on EPIPE the SIGPIPE that this write raised (not one already pending)
 * is taken with a zero-timeout sigtimedwait before the mask is restored.
 *
 * The table is read lock-free from any thread, including signal handlers:
 * an entry is filled and then published by storing its descriptor number.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"
#include "base.h"

/* The trace, PFE_LIST, the control FIFO and its log, and a PFE_RECORD
 * thread file per thread (trace_rec.c): as many as the tracer has rings. */
#define NKEPT 4096

struct kept {
	int dead;    /* 0, or the -errno that made libpfe stop using it */
	bool pipe;   /* FIFO or socket: SIGPIPE possible */
	int again;   /* reopenable[again - 1] says how to open it again; 0: never */
	mode_t type; /* S_IFREG, S_IFIFO...: a reopened one must be the same */
	dev_t dev;
	ino_t ino;
	char what[128];
};

static struct kept kept[NKEPT];
/* The absolute paths of the first regular files opened in append mode, of
 * output FIFOs and devices and of the control FIFO, and their access mode:
 * used 0 free, 1 being written, 2 valid. */
#define NAGAIN 16
static struct {
	int used;
	int oflags;
	char path[PATH_MAX];
} reopenable[NAGAIN];
/* kept[i]'s descriptor + 1; 0 free, -1 being filled. Apart from the rest,
 * so that finding a descriptor on each write scans 16 KiB, not 700. */
static int kept_fd1[NKEPT];

/* ------------------------------------------------------------ the table */

/* Where the last search ended: a writer writes one descriptor many times. */
static int find_hint;

static struct kept *find(int fd)
{
	int h = __atomic_load_n(&find_hint, __ATOMIC_RELAXED);

	if (fd < 0)
		return NULL;
	if (__atomic_load_n(&kept_fd1[h], __ATOMIC_ACQUIRE) == fd + 1)
		return &kept[h];
	for (int i = 0; i < NKEPT; i++)
		if (__atomic_load_n(&kept_fd1[i], __ATOMIC_ACQUIRE) == fd + 1) {
			__atomic_store_n(&find_hint, i, __ATOMIC_RELAXED);
			return &kept[i];
		}
	return NULL;
}

static void remember(int fd, const struct stat *st, const char *what)
{
	for (int i = 0; i < NKEPT; i++) {
		struct kept *k = &kept[i];
		int free_ = 0;
		size_t n;

		if (!__atomic_compare_exchange_n(&kept_fd1[i], &free_, -1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		k->dead = 0;
		k->pipe = S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode);
		k->again = 0;
		k->type = st->st_mode & S_IFMT;
		k->dev = st->st_dev;
		k->ino = st->st_ino;
		n = what ? strnlen(what, sizeof(k->what) - 1) : 0;
		memcpy(k->what, what ? what : "", n);
		k->what[n] = '\0';
		__atomic_store_n(&kept_fd1[i], fd + 1, __ATOMIC_RELEASE);
		return;
	}
	/* More than NKEPT at once: used without the identity check. */
	pfe_err_once("more than %d descriptors kept; descriptor %d is not checked", NKEPT, fd);
}

/* Stop using @k's descriptor: true for the caller that must say why. */
static bool stop(struct kept *k, int err)
{
	int none = 0;

	return __atomic_compare_exchange_n(&k->dead, &none, err, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED);
}

static const char *what(const struct kept *k)
{
	return k->what[0] ? k->what : "output";
}

static int fd_floor(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > PFE_FD_MIN + 16)
		return PFE_FD_MIN;
	return rl.rlim_cur > 32 ? (int)rl.rlim_cur - 16 : 3;
}

/*
 * A close-on-exec duplicate of @fd at or above fd_floor() under a number no
 * kept descriptor holds: a kept one the program closed keeps its number,
 * for reopen() or for saying that it is gone, and a file libpfe opens in
 * the meantime (the control log's answer, a thread's recording) must not
 * take that number and be mistaken for it. -1 with errno when none is free.
 */
static int dup_high(int fd)
{
	int from = fd_floor(), hi;

	for (;;) {
		hi = fcntl(fd, F_DUPFD_CLOEXEC, from);
		if (hi < 0 || !find(hi))
			return hi;
		close(hi);
		from = hi + 1;
	}
}

static int keep(int fd, const char *what, bool dup_only)
{
	struct stat st;
	int hi;

	if (fd < 0)
		return fd;
	hi = dup_high(fd);
	if (hi < 0) {
		if (dup_only)
			return -errno;
		hi = fd; /* none free up there: stays where it is, still checked */
	} else if (!dup_only) {
		close(fd);
	}
	if (fstat(hi, &st)) {
		int err = -errno;

		close(hi);
		return err;
	}
	remember(hi, &st, what);
	return hi;
}

int pfe_fd_keep(int fd, const char *what)
{
	return keep(fd, what, false);
}

int pfe_fd_move_high(int fd)
{
	return keep(fd, NULL, false);
}

int pfe_fd_dup_high(int fd, const char *what)
{
	return keep(fd, what, true);
}

/* An existing file another user could have prepared. */
static bool foreign(const struct stat *st)
{
	return st->st_uid != geteuid() || (st->st_mode & S_IWOTH);
}

/* @k's file again under its number @fd, which the program closed: 0; 1
 * when it is not to be opened again (not reopenable, or the number is the
 * program's now); or the -errno that refused it, -ESTALE when the path
 * names another file now. The checks are the first open's, with the same
 * non-blocking open (a FIFO nobody reads: -ENXIO). Async-signal-safe. */
static int reopen(const struct kept *k, int fd)
{
	int oflags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	struct stat st;
	int nfd, err = 0;

	if (!k->again || __atomic_load_n(&reopenable[k->again - 1].used, __ATOMIC_ACQUIRE) != 2)
		return 1;
	/* Reused by the program: its descriptor, not ours to replace. */
	if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
		return 1;
	nfd = open(reopenable[k->again - 1].path, oflags | reopenable[k->again - 1].oflags);
	if (nfd < 0)
		return -errno;
	if (fstat(nfd, &st))
		err = -errno;
	else if ((st.st_mode & S_IFMT) != k->type || st.st_dev != k->dev || st.st_ino != k->ino)
		err = -ESTALE;
	else if ((S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)) && foreign(&st))
		err = -EPERM;
	else if (fcntl(nfd, F_SETFL, fcntl(nfd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	else if (nfd != fd && dup3(nfd, fd, O_CLOEXEC) < 0)
		err = -errno;
	if (nfd != fd)
		close(nfd);
	if (!err)
		pfe_debug("%s: descriptor %d was closed by the program; opened again", what(k), fd);
	return err;
}

/* Why reopen() refused: pfe_output_strerror's words, async-signal-safe. */
static const char *refused(int err)
{
	switch (err) {
	case -ESTALE:
		return "its path names another file now";
	case -ELOOP:
	case -EPERM:
	case -ENXIO:
		return pfe_output_strerror(err);
	default: /* untranslated, no locale */
		return strerrordesc_np(-err);
	}
}

static int check(struct kept *k, int fd)
{
	struct stat st;
	int dead = __atomic_load_n(&k->dead, __ATOMIC_RELAXED), err;

	if (dead)
		return dead;
	if (!fstat(fd, &st) && st.st_dev == k->dev && st.st_ino == k->ino)
		return 0;
	err = reopen(k, fd);
	if (!err)
		return 0;
	if (stop(k, -ESTALE)) {
		if (err > 0)
			pfe_err("%s: descriptor %d was closed or reused by the program; libpfe "
				"stops using it",
				what(k), fd);
		else
			pfe_err("%s: descriptor %d was closed by the program and cannot be "
				"opened again: %s; libpfe stops using it",
				what(k), fd, refused(err));
	}
	return __atomic_load_n(&k->dead, __ATOMIC_RELAXED);
}

int pfe_fd_check(int fd)
{
	struct kept *k = find(fd);

	return k ? check(k, fd) : 0;
}

void pfe_fd_close(int fd)
{
	struct kept *k = find(fd);
	bool theirs = k && __atomic_load_n(&k->dead, __ATOMIC_RELAXED) == -ESTALE;

	if (k && k->again)
		__atomic_store_n(&reopenable[k->again - 1].used, 0, __ATOMIC_RELEASE);
	if (k)
		__atomic_store_n(&kept_fd1[k - kept], 0, __ATOMIC_RELEASE);
	if (fd >= 0 && !theirs)
		close(fd);
}

/* ------------------------------------------------------------ opening */

/* Remember how to open kept descriptor @fd again (see reopen): its
 * absolute path, as the kernel names it now, and @oflags. */
static void note_reopenable(int fd, int oflags)
{
	struct kept *k = find(fd);
	char link[64];

	if (!k)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	for (int i = 0; i < NAGAIN; i++) {
		int free_ = 0;
		ssize_t n;

		if (!__atomic_compare_exchange_n(&reopenable[i].used, &free_, 1, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		n = readlink(link, reopenable[i].path, sizeof(reopenable[i].path) - 1);
		if (n <= 0 || reopenable[i].path[0] != '/' ||
		    n >= (ssize_t)sizeof(reopenable[i].path) - 1) {
			__atomic_store_n(&reopenable[i].used, 0, __ATOMIC_RELEASE);
			return;
		}
		reopenable[i].path[n] = '\0';
		reopenable[i].oflags = oflags;
		__atomic_store_n(&reopenable[i].used, 2, __ATOMIC_RELEASE);
		k->again = i + 1;
		return;
	}
}

const char *pfe_output_strerror(int err)
{
	switch (err) {
	case -ELOOP:
		return "a symbolic link (refused)";
	case -EPERM:
		return "owned by another user or writable by others (refused)";
	case -ENXIO:
		return "a FIFO nobody reads (refused: writing would block)";
	case -EINVAL:
		return "not a regular file, FIFO or character device (refused)";
	default:
		return strerror(-err);
	}
}

/* The regular files opened for output, for the children a traced process
 * starts (they append to them instead of truncating). Any thread; slots are
 * claimed with a compare-and-swap and published with a release store. */
static struct {
	uint64_t dev, ino;
	int used; /* 0 free, 1 being written, 2 valid */
} output_files[PFE_OUTPUT_FILES_MAX];

static void note_output_file(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	for (int i = 0; i < PFE_OUTPUT_FILES_MAX; i++) {
		int free_ = 0;

		if (__atomic_load_n(&output_files[i].used, __ATOMIC_ACQUIRE) == 2 &&
		    output_files[i].dev == st.st_dev && output_files[i].ino == st.st_ino)
			return;
		if (__atomic_compare_exchange_n(&output_files[i].used, &free_, 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			output_files[i].dev = st.st_dev;
			output_files[i].ino = st.st_ino;
			__atomic_store_n(&output_files[i].used, 2, __ATOMIC_RELEASE);
			return;
		}
	}
	/* More files than slots: a child may truncate one of them. */
	pfe_debug("more than %d output files: not all handed to children", PFE_OUTPUT_FILES_MAX);
}

bool pfe_output_file(unsigned i, uint64_t *dev, uint64_t *ino)
{
	if (i >= PFE_OUTPUT_FILES_MAX ||
	    __atomic_load_n(&output_files[i].used, __ATOMIC_ACQUIRE) != 2)
		return false;
	*dev = output_files[i].dev;
	*ino = output_files[i].ino;
	return true;
}

int pfe_output_open(const char *path, unsigned flags)
{
	int oflags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	struct stat st;
	int fd, err = 0;

	if (flags & PFE_OUT_APPEND)
		oflags |= O_APPEND;
	fd = open(path, oflags, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))
		err = foreign(&st) ? -EPERM : 0;
	else if (!S_ISCHR(st.st_mode))
		err = -EINVAL;
	if (!err && (flags & PFE_OUT_TRUNC) && S_ISREG(st.st_mode) && ftruncate(fd, 0))
		err = -errno;
	/* Blocking from now on: a slow reader must not lose lines. */
	if (!err && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	fd = pfe_fd_keep(fd, path);
	/* Children and new images append to it (lib/interpose/follow.c). */
	note_output_file(fd);
	/* A file opened again writes at its end only in append mode; a FIFO
	 * or device has no place to lose. */
	if (fd >= 0 && S_ISREG(st.st_mode) && (flags & PFE_OUT_APPEND))
		note_reopenable(fd, O_WRONLY | O_APPEND);
	else if (fd >= 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		note_reopenable(fd, O_WRONLY | (flags & PFE_OUT_APPEND ? O_APPEND : 0));
	return fd;
}

int pfe_fifo_open(const char *path, const char *what)
{
	struct stat st;
	int fd, err = 0;

	if (mkfifo(path, 0600) && errno != EEXIST)
		return -errno;
	/* Read and write: never blocks in open, never sees end of file when a
	 * writer goes away. */
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISFIFO(st.st_mode))
		err = -EINVAL;
	else if (foreign(&st))
		err = -EPERM;
	if (!err && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	fd = pfe_fd_keep(fd, what);
	note_reopenable(fd, O_RDWR);
	return fd;
}

/* ------------------------------------------------------------ writing */

static ssize_t write_nosigpipe(int fd, const void *p, size_t n, bool pipe)
{
	static const struct timespec zero;
	sigset_t pset, old, pending;
	bool was_pending = false;
	ssize_t w;
	int e;

	if (!pipe)
		return write(fd, p, n);
	sigemptyset(&pset);
	sigaddset(&pset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pset, &old);
	/* Blocked by the program itself: one may be pending already, its own. */
	if (sigismember(&old, SIGPIPE) && !sigpending(&pending))
		was_pending = sigismember(&pending, SIGPIPE);
	w = write(fd, p, n);
	e = errno;
	if (w < 0 && e == EPIPE && !was_pending)
		sigtimedwait(&pset, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return w;
}

int pfe_output_write(int fd, const void *buf, size_t n)
{
	struct kept *k = find(fd);
	const char *p = buf;
	int saved = errno, err = 0;

	if (k && (err = check(k, fd)))
		return err;
	while (n) {
		ssize_t w = write_nosigpipe(fd, p, n, !k || k->pipe);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w ? -errno : -EIO;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	/* strerrordesc_np: untranslated, no locale, async-signal-safe. */
	if (err && k && stop(k, err)) {
		if (err == -EPIPE)
			pfe_err("%s: the reader closed the pipe; no more output there", what(k));
		else
			pfe_err("%s: write failed: %s; no more output there", what(k),
				strerrordesc_np(-err));
	}
	if (err && k)
		err = __atomic_load_n(&k->dead, __ATOMIC_RELAXED);
	errno = saved;
	return err;
}
