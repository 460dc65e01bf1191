/* SPDX-License-Identifier: MIT */
/*
 * The PFE_RECORD metadata writer (tracer/rec_meta.c) on this very process:
 * the test program's own patchable functions are discovered and published
 * as the constructor would, a made-up object is published beside them
 * (its sites get ids after the program's, as a dlopen'ed library's would),
 * and every file the writer makes is compared byte for byte with what
 * tracer/record.h says: info, objects, sym-<obj>.txt, threads, the 64-byte
 * header of <tid>.dat; then a second image of the pid (<pid>.1), a reused
 * tid, a fork child (restart) and a directory that cannot be made.
 *
 * The tests run in order and share one recording. PFE_REC_META_DIR=<dir>
 * records into <dir> and keeps it (tests/integ/t_rec_meta.sh reads it with
 * the pfe command); otherwise it goes to a temporary directory, removed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <link.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <urcu-bp.h>

#include "rec_meta.h"
#include "outfile.h"
#include "core.h"
#include "record.h"

#define BTI_C 0xd503245fu
#define HZ    62500000
#define BASE  123456789

int rm_leaf(int x);
int rm_caller(int x);
int main(int argc, char **argv); /* a function that is not patchable */

__attribute__((patchable_function_entry(2), noinline)) int rm_leaf(int x)
{
	return x * 3;
}

__attribute__((patchable_function_entry(2), noinline)) int rm_caller(int x)
{
	return rm_leaf(x) + 1;
}

static char top[512] = "/tmp/pfe-rec-meta-XXXXXX";
static bool keep;
static char dir[600], img[700];
static struct pfe_object *self;
static char **args;

/* ------------------------------------------------------------ helpers */

static char *slurp(const char *path, size_t *len)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

static char *file_in(const char *d, const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", d, name);
	return path;
}

/* Line @n (from 0) of @text, copied without its newline; NULL past the end. */
static const char *line_of(const char *text, int n)
{
	static char line[8192];
	const char *p = text, *nl;

	for (; n > 0 && p; n--)
		p = (nl = strchr(p, '\n')) ? nl + 1 : NULL;
	if (!p || !*p)
		return NULL;
	nl = strchr(p, '\n');
	assert_non_null(nl); /* every line ends in a newline */
	snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
	return line;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* The value of "key value" in @text, or NULL. */
static const char *info_value(const char *text, const char *key)
{
	for (int i = 0; line_of(text, i); i++) {
		const char *l = line_of(text, i);
		size_t k = strlen(key);

		if (!strncmp(l, key, k) && l[k] == ' ')
			return l + k + 1;
	}
	return NULL;
}

static void expect_info(const char *text, const char *key, const char *want)
{
	const char *v = info_value(text, key);

	if (!v)
		fail_msg("info has no '%s' line", key);
	assert_string_equal(v, want);
}

static bool has_line(const char *text, const char *want)
{
	for (int i = 0; line_of(text, i); i++)
		if (!strcmp(line_of(text, i), want))
			return true;
	return false;
}

static void expect_line(const char *text, const char *want)
{
	if (!has_line(text, want))
		fail_msg("no line '%s' in:\n%.2000s", want, text);
}

/*
 * @arg as info's cmdline shows it, appended to @buf at @k: C-escaped, '"'
 * too, and in quotes when empty or holding a space. The test's arguments
 * are what tests/integ/t_rec_meta.sh gives it.
 */
static size_t add_arg(char *buf, size_t k, size_t len, const char *arg, bool first)
{
	bool quote = !*arg || strchr(arg, ' ');

	k += (size_t)snprintf(buf + k, len - k, "%s%s", first ? "" : " ", quote ? "\"" : "");
	for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
		if (*p == '\\' || *p == '"')
			k += (size_t)snprintf(buf + k, len - k, "\\%c", *p);
		else if (*p == '\t')
			k += (size_t)snprintf(buf + k, len - k, "\\t");
		else if (*p == '\n')
			k += (size_t)snprintf(buf + k, len - k, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			k += (size_t)snprintf(buf + k, len - k, "\\x%02x", *p);
		else
			k += (size_t)snprintf(buf + k, len - k, "%c", *p);
	}
	return k + (size_t)snprintf(buf + k, len - k, "%s", quote ? "\"" : "");
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* The header record.h describes, built byte by byte (little-endian). */
static void expect_header(const char *path, uint32_t pid, uint32_t tid, uint64_t flags)
{
	unsigned char want[64] = "PFETHRD";
	size_t len;
	const char *got = slurp(path, &len);

	put32(want + 8, 2); /* version 2: ARGS and RETVAL defined */
	put32(want + 12, 64);
	put32(want + 16, pid);
	put32(want + 20, tid);
	put64(want + 24, BASE);
	put64(want + 32, flags);
	assert_true(len >= 64);
	assert_memory_equal(got, want, 64);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static struct pfe_site *site_named(const char *name)
{
	struct pfe_site *s = pfe_sitetab_by_name(&self->tab, name);

	assert_non_null(s);
	return s;
}

static void write_events(int fd, const struct pfe_rec *ev, size_t n)
{
	char buf[16 * 8];

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		pfe_rec_store(buf + 16 * i, ev[i]);
	assert_int_equal(write(fd, buf, 16 * n), (ssize_t)(16 * n));
}

/* Run @fn with stderr in a file; what it wrote there. */
static const char *stderr_of(void (*fn)(void *), void *arg)
{
	static char text[4096];
	char path[1024];
	int fd, saved = dup(2);

	snprintf(path, sizeof(path), "%s", file_in(top, "stderr"));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	fn(arg);
	dup2(saved, 2);
	close(saved);
	close(fd);
	snprintf(text, sizeof(text), "%s", slurp(path, NULL));
	unlink(path);
	return text;
}

/* ----------------------------------------------------- a made-up object */
/*
 * Published after the program, so its sites' ids follow the program's; not
 * in the loader's list (as an object of another namespace), at a made-up
 * address, with a name that needs escaping and a site without a symbol.
 */
#define FAKE_BIAS 0x7000000000ul
static struct pfe_site fake_sites[3];
static struct pfe_sym fake_syms[3];
/* The third symbol's name takes every escape of record.h but the quote's
 * (cmdline only) and bytes above 0x7f as they are; its size 0 is "0x0". */
static char fake_strings[] = "\0fake_one\0we\tird\0a\\b\"c\x01\x7f\xc3\xa9\n";
static char fake_path[] = "/no/such/lib fake\t1.so";
static struct pfe_object fake = {
    .path = fake_path,
    .name = "lib fake\t1.so",
    .bias = FAKE_BIAS,
    .lo = FAKE_BIAS + 0x1000,
    .hi = FAKE_BIAS + 0x2000,
};

static void make_fake(void)
{
	fake_sites[0] = (struct pfe_site){.pc = FAKE_BIAS + 0x1100,
					  .func = FAKE_BIAS + 0x1100,
					  .name = fake_strings + 1,
					  .obj = &fake};
	fake_sites[1] = (struct pfe_site){.pc = FAKE_BIAS + 0x1204,
					  .func = FAKE_BIAS + 0x1200,
					  .name = fake_strings + 10,
					  .obj = &fake,
					  .flags = PFE_SITE_BTI};
	fake_sites[2] = (struct pfe_site){.pc = FAKE_BIAS + 0x1300, .func = FAKE_BIAS + 0x1300};
	fake_syms[0] = (struct pfe_sym){FAKE_BIAS + 0x1100, 0x40, 1};
	fake_syms[1] = (struct pfe_sym){FAKE_BIAS + 0x1200, 0x80, 10};
	fake_syms[2] = (struct pfe_sym){FAKE_BIAS + 0x1400, 0, 17};
	fake.tab.sites = fake_sites;
	fake.tab.nsites = 3;
	fake.tab.syms = fake_syms;
	fake.tab.nsyms = 3;
	fake.tab.strings = fake_strings;
}

/* ------------------------------------------------------------- tests */

static int publish(struct pfe_object *obj, void *ctx)
{
	int err = pfe_object_publish(obj);

	if (err)
		pfe_object_free(obj);
	return err;
}

/* Discovery as the constructor does it, then the recording starts in a
 * directory that does not exist yet. */
static void test_start(void **state)
{
	const char *keep_dir = getenv("PFE_REC_META_DIR");
	struct stat st;

	assert_int_equal(rm_caller(1), 4);
	if (keep_dir && *keep_dir) {
		keep = true;
		snprintf(top, sizeof(top), "%s", keep_dir);
		mkdir(top, 0755);
	} else {
		assert_non_null(mkdtemp(top));
	}
	pfe_patch_lock();
	assert_int_equal(pfe_discover_all(publish, NULL), 0);
	pfe_patch_unlock();
	rcu_read_lock();
	self = pfe_objects_first();
	rcu_read_unlock();
	assert_non_null(self);
	assert_true(self->is_main);
	assert_non_null(pfe_sitetab_by_name(&self->tab, "rm_leaf"));

	snprintf(dir, sizeof(dir), "%s/rec", top);
	assert_int_equal(pfe_rec_meta_start(dir, HZ, BASE, true, false), 0);
	snprintf(img, sizeof(img), "%s/%d", dir, (int)getpid());
	assert_int_equal(stat(img, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(size_of(file_in(img, "threads")), 0);
}

static void test_info(void **state)
{
	const char *text = slurp(file_in(img, "info"), NULL);
	char want[4096], exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct timespec now;
	unsigned long long rt;
	regex_t re;
	size_t k = 0;

	assert_string_equal(line_of(text, 0), "format pfe-record 2");
	snprintf(want, sizeof(want), "%d", (int)getpid());
	expect_info(text, "pid", want);
	snprintf(want, sizeof(want), "%d", (int)getppid());
	expect_info(text, "ppid", want);
	assert_true(n > 0);
	exe[n] = '\0';
	expect_info(text, "exe", exe);
	for (char **a = args; *a; a++)
		k = add_arg(want, k, sizeof(want), *a, a == args);
	expect_info(text, "cmdline", want);
	expect_info(text, "clock_hz", "62500000");
	expect_info(text, "clock_base", "123456789");
	expect_info(text, "arch", "aarch64");
	expect_info(text, "mode", "graph");
	assert_null(info_value(text, "end"));
	assert_int_equal(count_lines(text), 11);

	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	assert_non_null(info_value(text, "date"));
	assert_int_equal(regexec(&re, info_value(text, "date"), 0, NULL, 0), 0);
	regfree(&re);
	clock_gettime(CLOCK_REALTIME, &now);
	rt = strtoull(info_value(text, "realtime_ns"), NULL, 10);
	assert_true(rt <= (unsigned long long)now.tv_sec * 1000000000ull + now.tv_nsec);
	assert_true(rt + 60000000000ull > (unsigned long long)now.tv_sec * 1000000000ull);
}

static int libc_bias(struct dl_phdr_info *info, size_t size, void *ctx)
{
	if (info->dlpi_name && strstr(info->dlpi_name, "/libc.so.6")) {
		*(uintptr_t *)ctx = info->dlpi_addr;
		return 1;
	}
	return 0;
}

/* The program first, with its sites; then libc and the rest without. */
static void test_objects(void **state)
{
	const char *text = slurp(file_in(img, "objects"), NULL);
	char want[4096], sym[64];
	uintptr_t libc = 0;
	int n = count_lines(text), libc_num = -1;

	snprintf(want, sizeof(want), "object 0 %u %zu 0x%lx 0x%lx 0x%lx 0 %s", self->first_id,
		 self->tab.nsites, (unsigned long)self->bias, (unsigned long)self->lo,
		 (unsigned long)self->hi, self->path);
	assert_string_equal(line_of(text, 0), want);
	assert_true(n >= 3); /* the program, libc, ld.so at least */
	for (int i = 0; i < n; i++) {
		const char *l = line_of(text, i);
		int num = -1, len = 0;

		assert_int_equal(sscanf(l, "object %d %*u %*u 0x%*x 0x%*x 0x%*x 0 %n", &num, &len),
				 1);
		assert_int_equal(num, i);
		if (strstr(l + len, "/libc.so.6"))
			libc_num = i;
		if (i > 0) /* only the program has sites */
			assert_non_null(strstr(l, " 0 0 0x"));
	}
	assert_true(libc_num > 0);
	dl_iterate_phdr(libc_bias, &libc);
	assert_true(libc != 0);
	/* Its symbols name return addresses into it: malloc is sized. */
	snprintf(sym, sizeof(sym), "sym-%d.txt", libc_num);
	text = slurp(file_in(img, sym), NULL);
	snprintf(want, sizeof(want), "sym 0x%lx ", (unsigned long)((uintptr_t)malloc - libc));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(strstr(text, want), " malloc\n"));
	assert_null(strstr(text, "\nsite "));
}

/* Sites in table order with their index, then every function symbol. */
static void test_sym_self(void **state)
{
	const char *text = slurp(file_in(img, "sym-0.txt"), NULL);
	struct pfe_site *leaf = site_named("rm_leaf");
	char want[256];
	uintptr_t off;

	for (size_t i = 0; i < self->tab.nsites; i++) {
		const struct pfe_site *s = &self->tab.sites[i];

		snprintf(want, sizeof(want), "site %zu 0x%lx %s %s", i,
			 (unsigned long)(s->func - self->bias),
			 s->flags & PFE_SITE_BTI ? "bti" : "-", s->name ? s->name : "?");
		assert_string_equal(line_of(text, (int)i), want);
	}
	snprintf(want, sizeof(want), "site %zu 0x%lx %s rm_leaf", (size_t)(leaf - self->tab.sites),
		 (unsigned long)((uintptr_t)rm_leaf - self->bias),
		 *(const uint32_t *)rm_leaf == BTI_C ? "bti" : "-");
	expect_line(text, want);
	/* main is not patchable: a symbol only. */
	assert_non_null(pfe_sitetab_symbolize(&self->tab, (uintptr_t)main, &off));
	assert_int_equal(off, 0);
	snprintf(want, sizeof(want), "sym 0x%lx 0x", (unsigned long)((uintptr_t)main - self->bias));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(strstr(text, want), " main\n"));
	assert_int_equal(count_lines(text), (int)(self->tab.nsites + self->tab.nsyms));
}

/* The thread's file: its header, then the events written to the
 * descriptor as they are; its name in threads, escaped. */
static void test_thread(void **state)
{
	uint32_t tid = (uint32_t)gettid();
	struct pfe_site *caller = site_named("rm_caller"), *leaf = site_named("rm_leaf");
	struct pfe_rec ev[4] = {
	    pfe_rec_entry(10, caller->id, (uintptr_t)main + 8),
	    pfe_rec_entry(20, leaf->id, (uintptr_t)rm_caller + 12),
	    pfe_rec_exit(30, leaf->id, 1, false),
	    pfe_rec_exit(40, caller->id, 0, false),
	};
	char name[32], want[64];
	int fd;

	assert_int_equal(prctl(PR_SET_NAME, "rm\tmeta"), 0);
	fd = pfe_rec_meta_thread_fd(tid);
	assert_true(fd >= PFE_FD_MIN);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	write_events(fd, ev, 4);
	pfe_fd_close(fd);
	snprintf(name, sizeof(name), "%u.dat", tid);
	expect_header(file_in(img, name), (uint32_t)getpid(), tid, PFE_REC_F_GRAPH);
	assert_int_equal(size_of(file_in(img, name)), 64 + 4 * 16);
	snprintf(want, sizeof(want), "%u rm\\tmeta\n", tid);
	assert_string_equal(slurp(file_in(img, "threads"), NULL), want);
}

/* A new object appears (dlopen) at tick 777: one more line, its sym file. */
static void test_sync_new_object(void **state)
{
	const char *text;
	char want[512], sym[32];
	int n;

	n = count_lines(slurp(file_in(img, "objects"), NULL));
	make_fake();
	pfe_patch_lock();
	assert_int_equal(pfe_object_publish(&fake), 0);
	pfe_patch_unlock();
	assert_int_equal(fake.first_id, self->first_id + self->tab.nsites);
	pfe_rec_meta_sync_objects(777);
	text = slurp(file_in(img, "objects"), NULL);
	assert_int_equal(count_lines(text), n + 1);
	snprintf(want, sizeof(want),
		 "object %d %u 3 0x7000000000 0x7000001000 0x7000002000 777 "
		 "/no/such/lib fake\\t1.so",
		 n, fake.first_id);
	assert_string_equal(line_of(text, n), want);
	snprintf(sym, sizeof(sym), "sym-%d.txt", n);
	assert_string_equal(slurp(file_in(img, sym), NULL),
			    "site 0 0x1100 - fake_one\n"
			    "site 1 0x1200 bti we\\tird\n"
			    "site 2 0x1300 - ?\n"
			    "sym 0x1100 0x40 fake_one\n"
			    "sym 0x1200 0x80 we\\tird\n"
			    "sym 0x1400 0x0 a\\\\b\"c\\x01\\x7f\xc3\xa9\\n\n");
	/* Nothing new: nothing written. */
	pfe_rec_meta_sync_objects(778);
	assert_int_equal(count_lines(slurp(file_in(img, "objects"), NULL)), n + 1);
}

/*
 * The tracer says an object with sites leaves (before dlclose takes it off
 * the list): one unload line, even when a sync sees it still listed. An
 * object without sites (libm, dlopen'ed) is found by a sync, and its
 * unload line written by the first sync after it left the loader's list.
 */
static void test_unload(void **state)
{
	const char *text;
	char want[512];
	int n = count_lines(slurp(file_in(img, "objects"), NULL));
	void *libm;

	pfe_rec_meta_unload(&fake, 888);
	pfe_rec_meta_unload(&fake, 889); /* once */
	libm = dlopen("libm.so.6", RTLD_NOW);
	assert_non_null(libm);
	pfe_rec_meta_sync_objects(890); /* the loader's list changed */
	pfe_patch_lock();
	pfe_object_unpublish(&fake);
	pfe_patch_unlock();
	pfe_rec_meta_unload(&fake, 891);
	text = slurp(file_in(img, "objects"), NULL);
	assert_int_equal(count_lines(text), n + 2);
	snprintf(want, sizeof(want), "unload %d 888", n - 1);
	assert_string_equal(line_of(text, n), want);
	snprintf(want, sizeof(want), "object %d 0 0 0x", n);
	assert_memory_equal(line_of(text, n + 1), want, strlen(want));
	assert_non_null(strstr(line_of(text, n + 1), " 890 /"));
	assert_non_null(strstr(line_of(text, n + 1), "/libm.so.6"));

	assert_int_equal(dlclose(libm), 0);
	pfe_rec_meta_sync_objects(900);
	pfe_rec_meta_sync_objects(901);
	text = slurp(file_in(img, "objects"), NULL);
	assert_int_equal(count_lines(text), n + 3);
	snprintf(want, sizeof(want), "unload %d 900", n);
	assert_string_equal(line_of(text, n + 2), want);
}

/*
 * An object published and unpublished again with no sync between (a
 * dlopen and dlclose before the writer ran): at its unload, its objects
 * line and sym file, from the object itself, then its unload line.
 */
static struct pfe_site quick_sites[1];
static struct pfe_object quick = {
    .path = "/no/such/quick.so",
    .name = "quick.so",
    .bias = 0x7100000000ul,
    .lo = 0x7100001000ul,
    .hi = 0x7100002000ul,
};

static void test_unload_unsynced(void **state)
{
	const char *text;
	char want[512], sym[32];
	int n = count_lines(slurp(file_in(img, "objects"), NULL)), num = 0;

	/* Objects are numbered in the order of their lines. */
	text = slurp(file_in(img, "objects"), NULL);
	for (int i = 0; i < n; i++)
		num += !strncmp(line_of(text, i), "object ", 7);
	quick_sites[0] = (struct pfe_site){
	    .pc = 0x7100001100ul, .func = 0x7100001100ul, .name = "quick_fn", .obj = &quick};
	quick.tab.sites = quick_sites;
	quick.tab.nsites = 1;
	pfe_patch_lock();
	assert_int_equal(pfe_object_publish(&quick), 0);
	pfe_object_unpublish(&quick);
	pfe_patch_unlock();
	pfe_rec_meta_unload(&quick, 950);
	text = slurp(file_in(img, "objects"), NULL);
	assert_int_equal(count_lines(text), n + 2);
	snprintf(want, sizeof(want),
		 "object %d %u 1 0x7100000000 0x7100001000 0x7100002000 950 /no/such/quick.so", num,
		 quick.first_id);
	assert_string_equal(line_of(text, n), want);
	snprintf(want, sizeof(want), "unload %d 950", num);
	assert_string_equal(line_of(text, n + 1), want);
	snprintf(sym, sizeof(sym), "sym-%d.txt", num);
	assert_string_equal(slurp(file_in(img, sym), NULL), "site 0 0x1100 - quick_fn\n");
}

static void test_end(void **state)
{
	const char *text;
	int n = count_lines(slurp(file_in(img, "info"), NULL));

	pfe_rec_meta_end(50, 4, 0);
	text = slurp(file_in(img, "info"), NULL);
	assert_int_equal(count_lines(text), n + 1);
	assert_string_equal(line_of(text, n), "end 50 events 4 lost 0");
}

/* A second image of this pid (execve) gets <pid>.1; entries only, drop.
 * A tid reused in one image continues its file without a second header. */
static void test_second_image(void **state)
{
	uint32_t tid = (uint32_t)gettid();
	struct pfe_rec ev = pfe_rec_entry(5, site_named("rm_leaf")->id, (uintptr_t)main + 8);
	char img1[800], name[32], want[128];
	const char *text;
	int fd;

	assert_int_equal(pfe_rec_meta_start(dir, HZ, BASE, false, true), 0);
	snprintf(img1, sizeof(img1), "%s.1", img);
	text = slurp(file_in(img1, "info"), NULL);
	expect_info(text, "mode", "entry");
	snprintf(want, sizeof(want), "%d", (int)getpid());
	expect_info(text, "pid", want);
	/* Numbered anew: the program is object 0 again. */
	assert_non_null(strstr(slurp(file_in(img1, "objects"), NULL), "object 0 "));
	assert_null(strstr(slurp(file_in(img1, "objects"), NULL), "fake"));

	snprintf(name, sizeof(name), "%u.dat", tid);
	fd = pfe_rec_meta_thread_fd(tid);
	assert_true(fd >= PFE_FD_MIN);
	pfe_fd_close(fd);
	expect_header(file_in(img1, name), (uint32_t)getpid(), tid, PFE_REC_F_DROP);
	assert_int_equal(size_of(file_in(img1, name)), 64);
	fd = pfe_rec_meta_thread_fd(tid);
	assert_true(fd >= PFE_FD_MIN);
	assert_int_equal(size_of(file_in(img1, name)), 64);
	write_events(fd, &ev, 1);
	pfe_fd_close(fd);
	assert_int_equal(size_of(file_in(img1, name)), 80);
	snprintf(want, sizeof(want), "%u rm\\tmeta\n%u rm\\tmeta\n", tid, tid);
	assert_string_equal(slurp(file_in(img1, "threads"), NULL), want);
	pfe_rec_meta_end(5, 1, 0);
	/* The first image is untouched. */
	assert_string_equal(line_of(slurp(file_in(img, "info"), NULL), 11),
			    "end 50 events 4 lost 0");
}

/* A fork child continues in <dir>/<its pid>, with the same clock. */
static void test_restart(void **state)
{
	char want[4096], child_img[800], name[32];
	const char *text;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		int fd;

		if (pfe_rec_meta_restart())
			_exit(1);
		fd = pfe_rec_meta_thread_fd((uint32_t)gettid());
		pfe_rec_meta_end(60, 0, 0);
		_exit(fd >= PFE_FD_MIN ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(child_img, sizeof(child_img), "%s/%d", dir, (int)pid);
	text = slurp(file_in(child_img, "info"), NULL);
	snprintf(want, sizeof(want), "%d", (int)pid);
	expect_info(text, "pid", want);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	expect_info(text, "ppid", want);
	expect_info(text, "clock_base", "123456789");
	expect_info(text, "mode", "entry");
	expect_info(text, "end", "60 events 0 lost 0");
	snprintf(want, sizeof(want), "object 0 %u %zu 0x%lx 0x%lx 0x%lx 0 %s\n", self->first_id,
		 self->tab.nsites, (unsigned long)self->bias, (unsigned long)self->lo,
		 (unsigned long)self->hi, self->path);
	text = slurp(file_in(child_img, "objects"), NULL);
	assert_memory_equal(text, want, strlen(want));
	assert_int_equal(size_of(file_in(child_img, "sym-0.txt")),
			 size_of(file_in(img, "sym-0.txt")));
	snprintf(name, sizeof(name), "%d.dat", (int)pid); /* its one thread */
	expect_header(file_in(child_img, name), (uint32_t)pid, (uint32_t)pid, PFE_REC_F_DROP);
}

static void start_under_file(void *arg)
{
	*(int *)arg = pfe_rec_meta_start(file_in(top, "file/rec"), HZ, BASE, true, false);
}

/* One line naming the path and what was expected; nothing made. */
static void test_error(void **state)
{
	char path[1024], want[2048];
	const char *err;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s", file_in(top, "file"));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	err = stderr_of(start_under_file, &r);
	assert_int_equal(r, -ENOTDIR);
	snprintf(want, sizeof(want),
		 "libpfe: PFE_RECORD: %s/rec: cannot create the directory: Not "
		 "a directory (expected a directory libpfe can write in)\n",
		 path);
	assert_string_equal(err, want);
	/* Nothing to write into: no descriptor, no crash. */
	assert_int_equal(pfe_rec_meta_thread_fd((uint32_t)gettid()), -ENOENT);
	pfe_rec_meta_sync_objects(1);
	pfe_rec_meta_end(1, 0, 0);
	unlink(path);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int cleanup(void **state)
{
	if (!keep && top[0])
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_start),   cmocka_unit_test(test_info),
	    cmocka_unit_test(test_objects), cmocka_unit_test(test_sym_self),
	    cmocka_unit_test(test_thread),  cmocka_unit_test(test_sync_new_object),
	    cmocka_unit_test(test_unload),  cmocka_unit_test(test_unload_unsynced),
	    cmocka_unit_test(test_end),	    cmocka_unit_test(test_second_image),
	    cmocka_unit_test(test_restart), cmocka_unit_test(test_error),
	};

	args = argv;
	return cmocka_run_group_tests_name("rec_meta", tests, NULL, cleanup);
}
