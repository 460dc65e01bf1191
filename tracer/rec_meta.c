/* SPDX-License-Identifier: MIT */
/*
 * The metadata of a PFE_RECORD recording (rec_meta.h; the format is
 * tracer/record.h): the image's directory, info, objects, sym-<obj>.txt,
 * threads, and the header of each <tid>.dat.
 *
 * Why it is written this way:
 *
 * - One directory per process image, made with mkdir(2): a directory this
 *   process created is its own, so every file in it is created with O_EXCL
 *   and nothing another process (or an earlier image of this pid) wrote is
 *   ever appended to. An image that cannot start removes what it made, so
 *   that the rest of the recording still reads.
 * - Paths are made absolute at start: the program may chdir(2), and a fork
 *   child makes its directory next to its parent's.
 * - Text files are opened for each batch of lines and closed again (with
 *   O_APPEND): nothing stays open for a daemon to close or a fork child to
 *   share, and every descriptor libpfe holds is a high one (outfile.c).
 * - A sym file is complete before the objects line that names it: a
 *   recording cut short may lack an object, never a sym file it lists.
 * - No stdio and no allocation for a line: stdio may call the program's
 *   malloc, and pfe_rec_meta_end runs in a fatal signal's handler. Lines are
 *   built in fixed buffers and go out with write(2) (pfe_output_write).
 *   The object table and the snapshot of the loader's list are malloc'ed:
 *   they change with dlopen, outside every hot path.
 * - Objects are numbered in the order their lines are written, in load
 *   order. Objects with sites are known by their first site id (never
 *   reused), the others (libc, ld.so, the vdso, libraries built without
 *   -fpatchable-function-entry) by load bias and name; an object without
 *   sites that leaves the loader's list gets its unload line at the next
 *   sync, one with sites when the tracer says so (pfe_rec_meta_unload).
 * - An object with sites is written when it is published, by the thread
 *   that loaded it (the tracer's after_load), not at the writer's next
 *   sync: a dlclose soon after takes it off the loader's list and the
 *   object list before that sync, and its events would name nothing
 *   (uftrace's s-dlopen, recorded: site#1, site#2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <urcu-bp.h>

#include "core.h"
#include "elfobj.h"
#include "rec_meta.h"
#include "record.h"

/* An event names its site by the core's process-wide id. */
_Static_assert(PFE_REC_SITE_BITS == PFE_SITE_ID_BITS, "record.h and core.h disagree on site ids");

#if defined(__aarch64__)
#define REC_ARCH "aarch64"
#elif defined(__x86_64__)
#define REC_ARCH "x86_64"
#else
#define REC_ARCH "unknown"
#endif

/* Room left after the image's directory for "/<file name>". */
#define NAME_ROOM 64
/* <pid>.1 ... <pid>.<K>: images of one pid (execve) before giving up. */
#define MAX_IMAGES 10000

/* What start was given and made; read by pfe_rec_meta_thread_fd. */
static struct {
	char base[PATH_MAX];		 /* <dir>, absolute */
	char proc[PATH_MAX - NAME_ROOM]; /* <dir>/<pid>[.<k>], absolute */
	char date[64];			 /* UTC at start */
	uint64_t clock_hz, clock_base, realtime_ns;
	bool graph, drop;
	bool started;
	uint32_t pid; /* the image's pid: a fork child has its own */
} rec;

/* ------------------------------------------------------------ output */

/* Lines to one descriptor through a caller's buffer. */
struct out {
	int fd; /* -1: not open */
	int err;
	size_t n, cap;
	char *buf;
};

/* Buffers of the serialised calls (all but pfe_rec_meta_thread_fd). */
static char sym_buf[8192], objects_buf[2048];
static struct out sym_out = {.fd = -1, .cap = sizeof(sym_buf), .buf = sym_buf};
static struct out objects_out = {.fd = -1, .cap = sizeof(objects_buf), .buf = objects_buf};

/* A failed write has been said by outfile.c, naming the file. */
static void out_flush(struct out *o)
{
	if (!o->err && o->n)
		o->err = pfe_output_write(o->fd, o->buf, o->n);
	o->n = 0;
}

static void out_mem_slow(struct out *o, const char *p, size_t n)
{
	while (n) {
		size_t k = o->cap - o->n < n ? o->cap - o->n : n;

		memcpy(o->buf + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
		if (o->n == o->cap)
			out_flush(o);
	}
}

/* Inline when it fits: a constant @n then copies without a call
 * (write_sym_file's words, below). */
static inline __attribute__((always_inline)) void out_mem(struct out *o, const char *p, size_t n)
{
	if (__builtin_expect(o->cap - o->n >= n, 1)) {
		memcpy(o->buf + o->n, p, n);
		o->n += n;
	} else {
		out_mem_slow(o, p, n);
	}
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

/* Numbers and fixed words; strings from outside go through out_escaped. */
static void __attribute__((format(printf, 2, 3))) out_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/*
 * Lines assembled in place, without a call per character or per number:
 * the symbol files are written before main (sync_all at start), thousands
 * of lines for the C library alone. With a vsnprintf per line and a call of
 * out_mem per character they took some 10 M instructions for a recorded
 * zstd's nine objects, and every call signed and checked its return
 * address, which qemu's default CPU does in a software cipher (issue 25:
 * about 0.15 s of the recording's start). The helpers below are inline, so
 * that a symbol's line costs no call at all but out_flush's, per 8 KiB.
 */

/* @n bytes (at most 32) can be stored at o->buf + o->n. */
static inline __attribute__((always_inline)) char *out_room(struct out *o, size_t n)
{
	if (__builtin_expect(o->cap - o->n < n, 0))
		out_flush(o);
	return o->buf + o->n;
}

/* "0x" and @v in lowercase hex, as printf's %#lx but for 0 ("0x0"). */
static inline __attribute__((always_inline)) void out_hex(struct out *o, uint64_t v)
{
	unsigned digits = v ? (unsigned)(67 - __builtin_clzll(v)) / 4 : 1;
	char *p = out_room(o, 18);

	p[0] = '0';
	p[1] = 'x';
	for (unsigned i = digits; i; i--, v >>= 4)
		p[1 + i] = "0123456789abcdef"[v & 15];
	o->n += 2 + digits;
}

/* @v in decimal, as printf's %zu. */
static inline __attribute__((always_inline)) void out_dec(struct out *o, uint64_t v)
{
	char t[20], *p = out_room(o, 20);
	unsigned k = 0;

	do
		t[k++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	o->n += k;
	while (k)
		*p++ = t[--k];
}

/* One character with the C escapes of record.h (\\ \n \t \xHH below 0x20
 * and 0x7f); @quote also escapes '"', for the quoted words of cmdline. */
static inline __attribute__((always_inline)) void out_escaped_char(struct out *o, unsigned char c,
								   bool quote)
{
	char *p = out_room(o, 4);

	if (__builtin_expect(c >= 0x20 && c != 0x7f && c != '\\' && (c != '"' || !quote), 1)) {
		*p = (char)c;
		o->n++;
	} else if (c == '\\' || c == '"') { /* '"' only when @quote */
		p[0] = '\\';
		p[1] = (char)c;
		o->n += 2;
	} else if (c == '\n' || c == '\t') {
		p[0] = '\\';
		p[1] = c == '\n' ? 'n' : 't';
		o->n += 2;
	} else {
		p[0] = '\\';
		p[1] = 'x';
		p[2] = "0123456789abcdef"[c >> 4];
		p[3] = "0123456789abcdef"[c & 15];
		o->n += 4;
	}
}

static void out_escaped(struct out *o, const char *s, size_t n, bool quote)
{
	for (size_t i = 0; i < n; i++)
		out_escaped_char(o, (unsigned char)s[i], quote);
}

/* Up to the NUL, without a strlen first. */
static inline __attribute__((always_inline)) void out_escaped_str(struct out *o, const char *s)
{
	for (; *s; s++)
		out_escaped_char(o, (unsigned char)*s, false);
}

/* A sym file's "site <i> 0x<offset> bti|- <name>" line (record.h). */
static inline __attribute__((always_inline)) void
out_site_line(struct out *o, size_t i, const struct pfe_site *s, uintptr_t bias)
{
	out_mem(o, "site ", 5);
	out_dec(o, i);
	out_mem(o, " ", 1);
	out_hex(o, (uint64_t)(s->func - bias));
	if (s->flags & PFE_SITE_BTI)
		out_mem(o, " bti ", 5);
	else
		out_mem(o, " - ", 3);
	out_escaped_str(o, s->name ? s->name : "?");
	out_mem(o, "\n", 1);
}

/* ------------------------------------------------------------- files */

/* strerrordesc_np: untranslated, no locale, async-signal-safe (outfile.c):
 * pfe_rec_meta_end runs in a fatal signal's handler. */
static const char *errstr(int err)
{
	const char *s = strerrordesc_np(-err);

	return s ? s : "unknown error";
}

/* <proc>/<name>; the directory leaves room for every name used here. */
static void proc_file(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", rec.proc, name);
}

/* Open <proc>/<name> (@oflags adds O_CREAT | O_EXCL to create it) for
 * appending: a kept, high, close-on-exec descriptor, or -errno. Silent. */
static int open_file(const char *name, int oflags)
{
	char path[PATH_MAX];
	int fd;

	proc_file(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | oflags, 0600);
	if (fd < 0)
		return -errno;
	return pfe_fd_keep(fd, path);
}

static int say_open_failed(const char *name, int err, bool create)
{
	char path[PATH_MAX];

	proc_file(path, sizeof(path), name);
	pfe_err("PFE_RECORD: %s: cannot %s it: %s (expected %s)", path, create ? "create" : "open",
		errstr(err),
		create ? "a new file in the recording's directory"
		       : "the file libpfe created at start");
	return err;
}

/* Open @o on <proc>/<name>, saying why not. */
static int out_open(struct out *o, const char *name, bool create)
{
	int fd = open_file(name, create ? O_CREAT | O_EXCL : 0);

	o->n = 0;
	o->err = 0;
	o->fd = fd;
	return fd < 0 ? say_open_failed(name, fd, create) : 0;
}

/* Flush and close @o: 0, or the first write error (said). */
static int out_close(struct out *o)
{
	int err;

	if (o->fd < 0)
		return 0;
	out_flush(o);
	pfe_fd_close(o->fd);
	o->fd = -1;
	err = o->err;
	o->err = 0;
	return err;
}

static void remove_file(const char *name)
{
	char path[PATH_MAX];

	proc_file(path, sizeof(path), name);
	unlink(path);
}

/* ------------------------------------------------------------- process */

/* The program's file ("?" when /proc cannot say). */
static void exe_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = '\0';
}

/* /proc/self/cmdline, malloc'ed, NUL-terminated words; NULL when it cannot
 * be read. */
static char *read_cmdline(size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
}

/* argv joined by spaces, each word C-escaped, quoted when empty or holding
 * a space (record.h: the reader shows it as written). */
static void out_cmdline(struct out *o)
{
	size_t len = 0;
	char *args = read_cmdline(&len);

	if (!args || !len) {
		out_str(o, "?");
		free(args);
		return;
	}
	for (size_t i = 0; i < len;) {
		size_t n = strnlen(args + i, len - i);
		bool quote = !n || memchr(args + i, ' ', n);

		if (i)
			out_str(o, " ");
		if (quote)
			out_str(o, "\"");
		out_escaped(o, args + i, n, true);
		if (quote)
			out_str(o, "\"");
		i += n + 1;
	}
	free(args);
}

static int write_info(void)
{
	struct out *o = &sym_out;
	char exe[PATH_MAX];
	int err = out_open(o, "info", true);

	if (err)
		return err;
	exe_path(exe, sizeof(exe));
	out_fmt(o, "format pfe-record %d\npid %u\nppid %d\nexe ", PFE_REC_VERSION, rec.pid,
		(int)getppid());
	out_escaped_str(o, exe);
	out_str(o, "\ncmdline ");
	out_cmdline(o);
	out_fmt(o, "\ndate %s\nclock_hz %llu\nclock_base %llu\nrealtime_ns %llu\n", rec.date,
		(unsigned long long)rec.clock_hz, (unsigned long long)rec.clock_base,
		(unsigned long long)rec.realtime_ns);
	out_fmt(o, "arch %s\nmode %s\n", REC_ARCH, rec.graph ? "graph" : "entry");
	return out_close(o);
}

/* An empty file, there from the start (objects, threads). */
static int create_empty(const char *name)
{
	int fd = open_file(name, O_CREAT | O_EXCL);

	if (fd < 0)
		return say_open_failed(name, fd, true);
	pfe_fd_close(fd);
	return 0;
}

/* --------------------------------------------------------- the objects */

/* An object of this image's objects file. */
struct mobj {
	uintptr_t bias;
	char *path;	   /* objects without sites: the loader's name ("": main) */
	uint32_t first_id; /* objects with sites */
	uint32_t nsites;   /* 0: an object without sites */
	uint64_t ticks;	   /* when it appeared */
	int num;	   /* <obj>, or -1 until its line is written */
	bool seen;	   /* in the loader's list (or the object list) at this sync */
	bool gone;	   /* its unload line is written; still published */
};

/* Under the caller's serialisation (rec_meta.h). */
static struct mobj *mobjs;
static size_t nmobjs, mobjs_cap;
static int next_num;

static struct mobj *find_sited(uint32_t first_id)
{
	for (size_t i = 0; i < nmobjs; i++)
		if (mobjs[i].nsites && mobjs[i].first_id == first_id)
			return &mobjs[i];
	return NULL;
}

static struct mobj *find_other(uintptr_t bias, const char *path)
{
	for (size_t i = 0; i < nmobjs; i++)
		if (!mobjs[i].nsites && mobjs[i].bias == bias && !strcmp(mobjs[i].path, path))
			return &mobjs[i];
	return NULL;
}

static struct mobj *add_mobj(void)
{
	if (nmobjs == mobjs_cap) {
		size_t cap = mobjs_cap ? 2 * mobjs_cap : 32;
		struct mobj *v = realloc(mobjs, cap * sizeof(*v));

		if (!v)
			return NULL;
		mobjs = v;
		mobjs_cap = cap;
	}
	memset(&mobjs[nmobjs], 0, sizeof(mobjs[0]));
	mobjs[nmobjs].num = -1;
	return &mobjs[nmobjs++];
}

static void remove_mobj(struct mobj *m)
{
	free(m->path);
	*m = mobjs[--nmobjs];
}

static void forget_all_objects(void)
{
	while (nmobjs)
		remove_mobj(&mobjs[0]);
	next_num = 0;
}

static void sym_name(char *buf, size_t len, int num)
{
	snprintf(buf, len, "sym-%d.txt", num);
}

/* sym-<num>.txt: @t's sites (none for an object without sites) in table
 * order, then its function symbols, offsets from @bias. */
static int write_sym_file(int num, const struct pfe_sitetab *t, uintptr_t bias)
{
	struct out *o = &sym_out;
	char name[32];
	int err;

	sym_name(name, sizeof(name), num);
	err = out_open(o, name, true);
	if (err)
		return err;
	for (size_t i = 0; i < t->nsites; i++)
		out_site_line(o, i, &t->sites[i], bias);
	for (size_t i = 0; i < t->nsyms; i++) {
		/* "sym 0x<offset> 0x<size> <name>" */
		out_mem(o, "sym ", 4);
		out_hex(o, (uint64_t)(t->syms[i].addr - bias));
		out_mem(o, " ", 1);
		out_hex(o, (uint32_t)t->syms[i].size);
		out_mem(o, " ", 1);
		out_escaped_str(o, t->strings + t->syms[i].name);
		out_mem(o, "\n", 1);
	}
	err = out_close(o);
	if (err)
		remove_file(name);
	return err;
}

/* One line of objects, opened on first use within a sync. */
static int write_objects_line(int num, uint32_t first, uint32_t nsites, uintptr_t bias,
			      uintptr_t lo, uintptr_t hi, uint64_t ticks, const char *path)
{
	struct out *o = &objects_out;
	int err;

	if (o->fd < 0 && (err = out_open(o, "objects", false)))
		return err;
	out_fmt(o, "object %d %u %u 0x%lx 0x%lx 0x%lx %llu ", num, first, nsites,
		(unsigned long)bias, (unsigned long)lo, (unsigned long)hi,
		(unsigned long long)ticks);
	out_escaped_str(o, path);
	out_str(o, "\n");
	/* Written at once: a sym file is never listed before it is there. */
	out_flush(o);
	return o->err;
}

static int write_unload_line(int num, uint64_t ticks)
{
	struct out *o = &objects_out;
	int err;

	if (o->fd < 0 && (err = out_open(o, "objects", false)))
		return err;
	out_fmt(o, "unload %d %llu\n", num, (unsigned long long)ticks);
	out_flush(o);
	return o->err;
}

/*
 * The sym file of @m (from @t; none without) and then its objects line,
 * with the next number, which is taken only when both are there: the
 * reader wants the numbers in order and each listed sym file complete.
 */
static int write_object(struct mobj *m, const struct pfe_sitetab *t, uintptr_t lo, uintptr_t hi,
			const char *path)
{
	char name[32];
	int err = t ? write_sym_file(next_num, t, m->bias) : 0;

	if (!err)
		err = write_objects_line(next_num, m->first_id, m->nsites, m->bias, lo, hi,
					 m->ticks, path);
	if (!err) {
		m->num = next_num++;
	} else if (t) {
		sym_name(name, sizeof(name), next_num);
		remove_file(name);
	}
	return err;
}

/* Under rcu_read_lock: @obj stays valid until it ends. */
static int write_sited(const struct pfe_object *obj, uint64_t ticks)
{
	struct mobj *m = find_sited(obj->first_id);

	if (!m) {
		m = add_mobj();
		if (!m)
			return -ENOMEM;
		m->bias = obj->bias;
		m->first_id = obj->first_id;
		m->nsites = (uint32_t)obj->tab.nsites;
		m->ticks = ticks;
	}
	m->seen = true;
	if (m->num >= 0 || m->gone)
		return 0;
	return write_object(m, &obj->tab, obj->lo, obj->hi, obj->path);
}

/* An object of the loader's list, as dl_iterate_phdr showed it. */
struct dl_ent {
	uintptr_t bias, lo, hi; /* [lo, hi): its executable segments */
	const char *name;	/* in the snapshot's pool; "" for the program */
	bool vdso;		/* no file behind it */
};

struct dl_snap {
	struct dl_ent *v;
	size_t n, cap;
	char *pool;
	size_t used, size;
	bool complete; /* every object the loader listed is here */
};

static const char *dl_name(const struct dl_phdr_info *info)
{
	return info->dlpi_name ? info->dlpi_name : "";
}

static int count_dl(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct dl_snap *s = arg;

	s->cap++;
	s->size += strlen(dl_name(info)) + 1;
	return 0;
}

/* Copies only: the loader's lock is held, nothing may allocate. */
static int copy_dl(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct dl_snap *s = arg;
	const char *name = dl_name(info);
	size_t len = strlen(name) + 1;
	uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
	struct dl_ent *e;

	if (s->n == s->cap || len > s->size - s->used) {
		s->complete = false; /* loaded since the count */
		return 1;
	}
	e = &s->v[s->n];
	*e = (struct dl_ent){.bias = info->dlpi_addr, .lo = UINTPTR_MAX};
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (vdso && vdso >= start && vdso - start < ph->p_memsz)
			e->vdso = true;
		if (!(ph->p_flags & PF_X))
			continue;
		if (start < e->lo)
			e->lo = start;
		if (start + ph->p_memsz > e->hi)
			e->hi = start + ph->p_memsz;
	}
	if (e->lo >= e->hi)
		return 0; /* no code: nothing to name */
	memcpy(s->pool + s->used, name, len);
	e->name = s->pool + s->used;
	s->used += len;
	s->n++;
	return 0;
}

/* The loader's list now, in load order. */
static void snapshot_dl(struct dl_snap *s)
{
	memset(s, 0, sizeof(*s));
	dl_iterate_phdr(count_dl, s);
	/* Room for a few loaded meanwhile; more make the snapshot incomplete. */
	s->cap += 8;
	s->size += 4096;
	s->v = malloc(s->cap * sizeof(*s->v));
	s->pool = malloc(s->size);
	if (!s->v || !s->pool) {
		s->n = 0;
		return;
	}
	s->complete = true;
	dl_iterate_phdr(copy_dl, s);
}

static void free_snapshot(struct dl_snap *s)
{
	free(s->v);
	free(s->pool);
}

/* @obj is what dl_iterate_phdr shows as @e. */
static bool same_object(const struct pfe_object *obj, const struct dl_ent *e)
{
	return obj->bias == e->bias && (obj->is_main ? !e->name[0] : !strcmp(obj->path, e->name));
}

/* The function symbols of the file of @e, into @t (sorted, one per
 * address, as for objects with sites). False when they cannot be read. */
static bool read_other_syms(const struct dl_ent *e, const char *path, struct pfe_sitetab *t)
{
	struct pfe_sym_in *syms = NULL;
	struct pfe_elf *elf;
	size_t n = 0;
	bool ok;

	if (e->vdso || pfe_elf_open(e->name[0] ? path : "/proc/self/exe", path, &elf))
		return false;
	ok = !pfe_elf_func_syms(elf, e->bias, &syms, &n, NULL, NULL);
	if (ok) {
		struct pfe_sitetab_src src = {.syms = syms, .nsyms = n};

		ok = !pfe_sitetab_build(t, &src);
	}
	free(syms);
	pfe_elf_close(elf);
	return ok;
}

/* An object without sites: its line, and its symbols when its file has
 * them (the vdso has no file: none). */
static int write_other(const struct dl_ent *e, uint64_t ticks)
{
	struct mobj *m = find_other(e->bias, e->name);
	char exe[PATH_MAX];
	const char *path = e->name;
	struct pfe_sitetab t;
	int err;

	if (!m) {
		m = add_mobj();
		if (!m || !(m->path = strdup(e->name))) {
			if (m)
				remove_mobj(m);
			return -ENOMEM;
		}
		m->bias = e->bias;
		m->ticks = ticks;
	}
	m->seen = true;
	if (m->num >= 0)
		return 0;
	if (!path[0]) {
		exe_path(exe, sizeof(exe));
		path = exe;
	}
	if (!read_other_syms(e, path, &t))
		return write_object(m, NULL, e->lo, e->hi, path);
	err = write_object(m, &t, e->lo, e->hi, path);
	pfe_sitetab_free(&t);
	return err;
}

/* One object of the loader's list: the published object with its sites
 * when there is one, else an object without sites. */
static int write_dl_entry(const struct dl_ent *e, uint64_t ticks)
{
	bool sited = false;
	int err = 0;

	rcu_read_lock();
	for (struct pfe_object *obj = pfe_objects_first(); obj; obj = rcu_dereference(obj->next))
		/* An object without a table is written as one without sites
		 * (its symbols from its file); its dynamic sites, by write_dyn. */
		if (obj->tab.nsites && same_object(obj, e)) {
			sited = true;
			err = write_sited(obj, ticks);
			break;
		}
	rcu_read_unlock();
	return sited ? err : write_other(e, ticks);
}

/* Published objects the loader's list did not show (other namespaces,
 * dlmopen; one loaded since the snapshot). */
static int write_unlisted(uint64_t ticks)
{
	int err = 0;

	rcu_read_lock();
	for (struct pfe_object *obj = pfe_objects_first(); obj && !err;
	     obj = rcu_dereference(obj->next))
		if (obj->tab.nsites)
			err = write_sited(obj, ticks);
	rcu_read_unlock();
	return err;
}

/*
 * Dynamic sites (lib/core/dynsite.c) get their ids one at a time, after
 * their object's line: each run of consecutive ids of one object is written
 * as an object line of its own (same path and bias, an empty [lo, hi) so
 * that callers are named by the object's own line) with a sym file of just
 * those sites. Ids are handed out in increasing order: everything below
 * dyn_done is written.
 */
static uint32_t dyn_done;

static int cmp_site_id(const void *a, const void *b)
{
	const struct pfe_site *x = *(const struct pfe_site *const *)a;
	const struct pfe_site *y = *(const struct pfe_site *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int write_dyn_run(struct pfe_site **v, size_t n, uint64_t ticks)
{
	const struct pfe_object *obj = v[0]->obj;
	struct out *o = &sym_out;
	char name[32];
	int err;

	sym_name(name, sizeof(name), next_num);
	err = out_open(o, name, true);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		out_site_line(o, i, v[i], obj->bias);
	err = out_close(o);
	if (!err)
		err = write_objects_line(next_num, v[0]->id, (uint32_t)n, obj->bias, obj->bias,
					 obj->bias, ticks, obj->path);
	if (err) {
		remove_file(name);
		return err;
	}
	next_num++;
	return 0;
}

/* The dynamic sites not yet written of @only, or of every published object
 * when NULL. */
static int write_dyn_of(const struct pfe_object *only, uint64_t ticks)
{
	struct pfe_site **v = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	rcu_read_lock();
	for (const struct pfe_object *obj = only ? only : pfe_objects_first(); obj && !err;
	     obj = only ? NULL : rcu_dereference(obj->next))
		for (size_t i = 0; i < pfe_dyn_count(obj) && !err; i++) {
			struct pfe_site *s = pfe_dyn_site(obj, i);

			if (s->id < dyn_done)
				continue;
			if (n == cap) {
				struct pfe_site **w;

				cap = cap ? 2 * cap : 64;
				w = realloc(v, cap * sizeof(*v));
				if (!w) {
					err = -ENOMEM;
					break;
				}
				v = w;
			}
			v[n++] = s;
		}
	if (!err && n) {
		qsort(v, n, sizeof(*v), cmp_site_id);
		for (size_t i = 0, j; i < n && !err; i = j) {
			for (j = i + 1;
			     j < n && v[j]->obj == v[i]->obj && v[j]->id == v[j - 1]->id + 1; j++)
				;
			err = write_dyn_run(v + i, j - i, ticks);
			if (!err)
				dyn_done = v[j - 1]->id + 1;
		}
	}
	rcu_read_unlock();
	free(v);
	return err;
}

static int write_dyn(uint64_t ticks)
{
	return write_dyn_of(NULL, ticks);
}

/* Objects without sites that left the loader's list: unloaded. */
static int unload_vanished(uint64_t ticks)
{
	int err = 0;

	for (size_t i = 0; i < nmobjs && !err;) {
		struct mobj *m = &mobjs[i];

		if (m->nsites || m->seen || m->num < 0) {
			i++;
			continue;
		}
		err = write_unload_line(m->num, ticks);
		if (!err)
			remove_mobj(m);
	}
	return err;
}

/* Objects with sites unloaded and now off the object list (the whole list
 * was walked): their ids name nothing any more. */
static void forget_unpublished(void)
{
	for (size_t i = 0; i < nmobjs;) {
		if (mobjs[i].gone && !mobjs[i].seen)
			remove_mobj(&mobjs[i]);
		else
			i++;
	}
}

/* Entries whose line could not be written, or that are gone: a later sync
 * writes them again when they are there. */
static void drop_unwritten(void)
{
	for (size_t i = 0; i < nmobjs;) {
		if (mobjs[i].num < 0 && !mobjs[i].gone)
			remove_mobj(&mobjs[i]);
		else
			i++;
	}
}

/*
 * What the last full sync saw: the ids handed out (a publication) and the
 * loader's counts of objects added and removed. The writer syncs before
 * every pass over the rings (every millisecond when busy); a pass with
 * nothing new costs one dl_iterate_phdr step and no allocation.
 */
struct generation {
	uint32_t ids;
	unsigned long long adds, subs;
	bool valid;
};
static struct generation synced;

static int peek_counts(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct generation *g = arg;

	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		g->adds = info->dlpi_adds;
		g->subs = info->dlpi_subs;
		g->valid = true;
	}
	return 1;
}

static struct generation generation_now(void)
{
	struct generation g = {.ids = pfe_site_ids_end()};

	dl_iterate_phdr(peek_counts, &g);
	return g;
}

static bool same_generation(const struct generation *a, const struct generation *b)
{
	return a->valid && b->valid && a->ids == b->ids && a->adds == b->adds && a->subs == b->subs;
}

/* Every object not yet in this image's objects file. */
static int sync_all(uint64_t ticks)
{
	struct generation now = generation_now();
	struct dl_snap s;
	int err = 0;

	if (same_generation(&now, &synced))
		return 0;
	for (size_t i = 0; i < nmobjs; i++)
		mobjs[i].seen = false;
	snapshot_dl(&s);
	for (size_t i = 0; i < s.n && !err; i++)
		err = write_dl_entry(&s.v[i], ticks);
	if (!err)
		err = write_unlisted(ticks);
	if (!err)
		err = write_dyn(ticks);
	if (!err)
		forget_unpublished();
	if (!err && s.complete)
		err = unload_vanished(ticks);
	drop_unwritten();
	free_snapshot(&s);
	if (out_close(&objects_out) && !err)
		err = -EIO;
	/* Changes since @now are seen next time; a failure is tried again. */
	synced = now;
	synced.valid = !err && s.complete;
	return err;
}

/* ---------------------------------------------------------- the image */

static int say_mkdir_failed(const char *path, int err)
{
	pfe_err("PFE_RECORD: %s: cannot create the directory: %s (expected a directory libpfe can "
		"write in)",
		path, errstr(err));
	return err;
}

/* <base>/<pid>, or <pid>.<k> when an earlier image of this pid made one. */
static int make_proc_dir(void)
{
	if (mkdir(rec.base, 0755) && errno != EEXIST)
		return say_mkdir_failed(rec.base, -errno);
	for (unsigned k = 0; k < MAX_IMAGES; k++) {
		int n = k ? snprintf(rec.proc, sizeof(rec.proc), "%s/%u.%u", rec.base, rec.pid, k)
			  : snprintf(rec.proc, sizeof(rec.proc), "%s/%u", rec.base, rec.pid);

		if (n < 0 || (size_t)n >= sizeof(rec.proc)) {
			pfe_err("PFE_RECORD: %s: path too long (expected a shorter directory)",
				rec.base);
			return -ENAMETOOLONG;
		}
		if (!mkdir(rec.proc, 0700))
			return 0;
		if (errno != EEXIST)
			return say_mkdir_failed(rec.proc, -errno);
	}
	pfe_err("PFE_RECORD: %s/%u.%u: %u images of this pid already (expected fewer)", rec.base,
		rec.pid, MAX_IMAGES, MAX_IMAGES);
	return -EEXIST;
}

/* What begin_image made, when it cannot finish: a directory without info
 * would make the whole recording unreadable. */
static void remove_proc_dir(void)
{
	char name[32];

	for (int i = 0; i < next_num; i++) {
		sym_name(name, sizeof(name), i);
		remove_file(name);
	}
	remove_file("info");
	remove_file("objects");
	remove_file("threads");
	rmdir(rec.proc);
}

/* A new directory for this image (start, or a fork child) and its files. */
static int begin_image(void)
{
	int err;

	rec.started = false;
	rec.pid = (uint32_t)getpid();
	err = make_proc_dir();
	if (err)
		return err;
	for (size_t i = 0; i < nmobjs; i++)
		mobjs[i].num = -1;
	next_num = 0;
	synced.valid = false;
	err = write_info();
	if (!err)
		err = create_empty("objects");
	if (!err)
		err = create_empty("threads");
	if (!err)
		err = sync_all(0);
	if (err) {
		remove_proc_dir();
		forget_all_objects();
		return err;
	}
	rec.started = true;
	return 0;
}

/* @dir, absolute: the program may change its working directory. */
static int set_base(const char *dir)
{
	char cwd[PATH_MAX];
	int n;

	if (!dir || !*dir) {
		pfe_err("PFE_RECORD: empty (expected a directory)");
		return -EINVAL;
	}
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		n = snprintf(rec.base, sizeof(rec.base), "%s", dir);
	else
		n = snprintf(rec.base, sizeof(rec.base), "%s/%s", cwd, dir);
	if (n < 0 || (size_t)n >= sizeof(rec.proc) - 32) {
		pfe_err("PFE_RECORD: %s: path too long (expected a shorter directory)", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The UTC wall clock now: time 0 is the moment the caller read clock_base,
 * just before. */
static void note_wall_clock(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	rec.realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (gmtime_r(&ts.tv_sec, &tm))
		snprintf(rec.date, sizeof(rec.date), "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
	else
		snprintf(rec.date, sizeof(rec.date), "?");
}

int pfe_rec_meta_start(const char *dir, uint64_t clock_hz, uint64_t clock_base, bool graph,
		       bool drop)
{
	int err;

	rec.started = false;
	forget_all_objects();
	err = set_base(dir);
	if (err)
		return err;
	rec.clock_hz = clock_hz;
	rec.clock_base = clock_base;
	rec.graph = graph;
	rec.drop = drop;
	note_wall_clock();
	return begin_image();
}

/* Same clock, mode, wall clock and directory; the objects keep the times
 * they appeared at. */
int pfe_rec_meta_restart(void)
{
	if (!rec.base[0]) {
		pfe_err("PFE_RECORD: no recording to continue in the child (expected "
			"pfe_rec_meta_start first)");
		return -ENOENT;
	}
	return begin_image();
}

void pfe_rec_meta_sync_objects(uint64_t ticks)
{
	if (rec.started)
		sync_all(ticks);
}

void pfe_rec_meta_unload(const struct pfe_object *obj, uint64_t ticks)
{
	struct mobj *m;

	if (!rec.started)
		return;
	/* Its dynamic sites, made by the hooks after its load (a term for a
	 * library built without the flag) and not yet synced: its events
	 * name them. It is off both lists a sync walks, so from @obj itself;
	 * and so is its table when its load could not write it (no room, an
	 * I/O error). */
	write_dyn_of(obj, ticks);
	if (!obj->tab.nsites) {
		out_close(&objects_out);
		return;
	}
	m = find_sited(obj->first_id);
	if (!m || m->num < 0)
		write_sited(obj, ticks);
	/* Kept until the object is off the list: a sync meanwhile must not
	 * take it for a new one. */
	m = find_sited(obj->first_id);
	if (m && m->num >= 0 && !m->gone && !write_unload_line(m->num, ticks))
		m->gone = true;
	out_close(&objects_out);
}

/* --------------------------------------------------------- the threads */

static uint32_t le32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static struct pfe_rec_header thread_header(uint32_t tid)
{
	struct pfe_rec_header h;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, PFE_REC_MAGIC, sizeof(h.magic));
	h.version = le32(PFE_REC_VERSION);
	h.hdr_size = le32(sizeof(h));
	h.pid = le32(rec.pid);
	h.tid = le32(tid);
	h.clock_base = pfe_rec_le64(rec.clock_base);
	h.flags = pfe_rec_le64((rec.drop ? PFE_REC_F_DROP : 0) | (rec.graph ? PFE_REC_F_GRAPH : 0));
	return h;
}

/* The thread's name, without the newline; false when it cannot be read
 * (the thread is gone). */
static bool thread_name(uint32_t tid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return true;
}

/* "<tid> <name>" to threads; a later line wins, so a reused tid gets one
 * too. Nothing when the name cannot be read. */
static void note_thread(uint32_t tid)
{
	char comm[64], line[128];
	struct out o = {.fd = -1, .cap = sizeof(line), .buf = line};

	if (!thread_name(tid, comm, sizeof(comm)) || out_open(&o, "threads", false))
		return;
	out_fmt(&o, "%u ", tid);
	out_escaped_str(&o, comm);
	out_str(&o, "\n");
	out_close(&o);
}

int pfe_rec_meta_thread_fd(uint32_t tid)
{
	struct pfe_rec_header h;
	char name[32];
	int fd, err;

	if (!rec.started)
		return -ENOENT;
	snprintf(name, sizeof(name), "%u.dat", tid);
	fd = open_file(name, O_CREAT | O_EXCL);
	if (fd == -EEXIST) {
		/* A tid reused within this image: its events follow the earlier
		 * thread's, time never goes back, and one header is enough. */
		fd = open_file(name, 0);
		if (fd < 0)
			return say_open_failed(name, fd, false);
		note_thread(tid);
		return fd;
	}
	if (fd < 0)
		return say_open_failed(name, fd, true);
	h = thread_header(tid);
	err = pfe_output_write(fd, &h, sizeof(h));
	if (err) {
		/* Said by outfile.c; a file without its header would not read. */
		pfe_fd_close(fd);
		remove_file(name);
		return err;
	}
	note_thread(tid);
	return fd;
}

void pfe_rec_meta_end(uint64_t ticks, uint64_t events, uint64_t lost)
{
	char line[128];
	struct out o = {.fd = -1, .cap = sizeof(line), .buf = line};

	if (!rec.started || out_open(&o, "info", false))
		return;
	out_fmt(&o, "end %llu events %llu lost %llu\n", (unsigned long long)ticks,
		(unsigned long long)events, (unsigned long long)lost);
	out_close(&o);
}
