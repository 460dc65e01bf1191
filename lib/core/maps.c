/* SPDX-License-Identifier: MIT */
/*
 * /proc/self/maps line parser. Pure: see maps.h. Written by hand rather than
 * with sscanf so that it needs no NUL terminator, allocates nothing and is
 * strict about the fields the patch engine relies on (addresses, rights).
 */
#include <errno.h>
#include <sys/mman.h>

#include "hex.h"
#include "maps.h"

struct cursor {
	const char *p, *end;
};

/* At least one hex digit, at most 16; no overflow. */
static int hex(struct cursor *c, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, d;

	while (c->p < c->end && (d = pfe_hexval(*c->p)) >= 0) {
		if (++n > 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
		c->p++;
	}
	*out = v;
	return n ? 0 : -EINVAL;
}

static int expect(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

/* One of @yes or '-'; ORs @bit into *@prot for @yes. */
static int perm(struct cursor *c, char yes, int bit, int *prot)
{
	if (c->p >= c->end)
		return -EINVAL;
	if (*c->p == yes)
		*prot |= bit;
	else if (*c->p != '-')
		return -EINVAL;
	c->p++;
	return 0;
}

/* Skip a field of non-blank characters; it must not be empty. */
static int field(struct cursor *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ' ' && *c->p != '\n')
		c->p++;
	return c->p > start ? 0 : -EINVAL;
}

static void blanks(struct cursor *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

int pfe_maps_parse_line(const char *line, size_t len, struct pfe_map *m)
{
	struct cursor c = {line, line + len};
	uint64_t start, end, off;
	const char *path;

	if (len && line[len - 1] == '\n')
		c.end--;
	m->prot = 0;
	if (hex(&c, &start) || expect(&c, '-') || hex(&c, &end) || expect(&c, ' '))
		return -EINVAL;
	if (start >= end || start > UINTPTR_MAX || end > UINTPTR_MAX)
		return -EINVAL;
	if (perm(&c, 'r', PROT_READ, &m->prot) || perm(&c, 'w', PROT_WRITE, &m->prot) ||
	    perm(&c, 'x', PROT_EXEC, &m->prot))
		return -EINVAL;
	if (c.p >= c.end || (*c.p != 'p' && *c.p != 's'))
		return -EINVAL;
	m->shared = *c.p++ == 's';
	if (expect(&c, ' ') || hex(&c, &off) || expect(&c, ' '))
		return -EINVAL;
	/* dev (maj:min) and inode: checked for presence only. */
	if (field(&c) || expect(&c, ' ') || field(&c))
		return -EINVAL;
	blanks(&c);
	path = c.p;
	m->start = (uintptr_t)start;
	m->end = (uintptr_t)end;
	m->offset = off;
	m->path = path;
	m->pathlen = (size_t)(c.end - path);
	return 0;
}

const char *pfe_maps_perms(int prot, bool shared, char buf[5])
{
	buf[0] = prot & PROT_READ ? 'r' : '-';
	buf[1] = prot & PROT_WRITE ? 'w' : '-';
	buf[2] = prot & PROT_EXEC ? 'x' : '-';
	buf[3] = shared ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}
