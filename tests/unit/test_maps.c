/* SPDX-License-Identifier: MIT */
/* maps.c: /proc/self/maps lines as the kernel and qemu print them, and
 * malformed ones. tests/host/test_maps.c builds this file natively. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "maps.h"

static int parse(const char *s, struct pfe_map *m)
{
	return pfe_maps_parse_line(s, strlen(s), m);
}

static void test_text_line(void **state)
{
	struct pfe_map m;
	char buf[5];

	assert_int_equal(parse("5500000000-5500001000 r-xp 00000000 fe:00 10952994"
			       "                       /tmp/pexp/e\n",
			       &m),
			 0);
	assert_int_equal(m.start, 0x5500000000);
	assert_int_equal(m.end, 0x5500001000);
	assert_int_equal(m.prot, PROT_READ | PROT_EXEC);
	assert_false(m.shared);
	assert_int_equal(m.offset, 0);
	assert_int_equal(m.pathlen, strlen("/tmp/pexp/e"));
	assert_memory_equal(m.path, "/tmp/pexp/e", m.pathlen);
	assert_string_equal(pfe_maps_perms(m.prot, m.shared, buf), "r-xp");
}

static void test_variants(void **state)
{
	struct pfe_map m;
	char buf[5];

	/* Anonymous, trailing blanks, no newline. */
	assert_int_equal(parse("5502864000-5502865000 r-xp 00000000 00:00 0      ", &m), 0);
	assert_int_equal(m.pathlen, 0);
	/* No blanks at all after the inode. */
	assert_int_equal(parse("1000-2000 ---p 00000000 00:00 0", &m), 0);
	assert_int_equal(m.prot, PROT_NONE);
	assert_int_equal(m.pathlen, 0);
	/* Every right, shared, large offset, upper-case hex, a path with blanks. */
	assert_int_equal(parse("ffffffffff600000-ffffffffff601000 rwxs 7FFFFFFFF000 103:02 "
			       "1 /a b (deleted)\n",
			       &m),
			 0);
	assert_int_equal(m.start, (uintptr_t)0xffffffffff600000);
	assert_int_equal(m.prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	assert_true(m.shared);
	assert_int_equal(m.offset, 0x7ffffffff000);
	assert_memory_equal(m.path, "/a b (deleted)", m.pathlen);
	assert_string_equal(pfe_maps_perms(m.prot, m.shared, buf), "rwxs");
	assert_int_equal(parse("7ffc1000-7ffc2000 --xp 00000000 00:00 0 [vdso]", &m), 0);
	assert_int_equal(m.prot, PROT_EXEC);
	assert_memory_equal(m.path, "[vdso]", m.pathlen);
	assert_string_equal(pfe_maps_perms(PROT_WRITE, false, buf), "-w-p");
	/* Only the given length counts: the rest of the buffer is ignored. */
	assert_int_equal(pfe_maps_parse_line("1000-2000 r--p 0 0:0 0 /x/yz", 25, &m), 0);
	assert_int_equal(m.pathlen, 2);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "\n",
	    "5500000000",
	    "5500000000-",
	    "5500000000-5500001000",
	    "5500000000-5500001000 ",
	    "5500000000-5500001000 r-x",
	    "5500000000-5500001000 r-xq 0 0:0 0",
	    "5500000000-5500001000 x-rp 0 0:0 0",
	    "5500000000-5500001000 r-xp",
	    "5500000000-5500001000 r-xp 0",
	    "5500000000-5500001000 r-xp 0 ",
	    "5500000000-5500001000 r-xp 0 0:0",
	    "5500000000-5500001000 r-xp g 0:0 0",
	    "5500001000-5500000000 r-xp 0 0:0 0", /* end before start */
	    "5500000000-5500000000 r-xp 0 0:0 0", /* empty */
	    "-5500001000 r-xp 0 0:0 0",
	    "5500000000 5500001000 r-xp 0 0:0 0",
	    "15500000000000000-25500000000000000 r-xp 0 0:0 0", /* 17 digits */
	    " 5500000000-5500001000 r-xp 0 0:0 0",
	};
	struct pfe_map m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &m) != -22)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	/* The length bounds the parse: a valid line cut short is refused. */
	assert_int_equal(pfe_maps_parse_line("1000-2000 r--p 0 0:0 0", 14, &m), -22);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_line),
	    cmocka_unit_test(test_variants),
	    cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
