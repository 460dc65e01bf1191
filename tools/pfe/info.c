/* SPDX-License-Identifier: MIT */
/* pfe info: what a recording holds, process by process. */
#include <stdio.h>
#include <string.h>

#include "pfe.h"
#include "reader.h"
#include "util.h"

static int show_proc(const struct rd_proc *p)
{
	uint64_t events = 0, lost = 0, last = 0;
	char buf[32];
	int bad = 0;

	printf("process:   %u (ppid %u)%s\n", p->pid, p->ppid,
	       strcmp(p->id, "") && strchr(p->id, '.') ? " after execve" : "");
	printf("command:   %s\n", p->cmdline ? p->cmdline : "?");
	printf("exe:       %s\n", p->exe ? p->exe : "?");
	printf("date:      %s\n", p->date ? p->date : "?");
	printf("arch:      %s\n", p->arch ? p->arch : "?");
	printf("mode:      %s\n", p->mode ? p->mode : "?");
	printf("clock:     %llu Hz\n", (unsigned long long)p->clock_hz);
	for (size_t k = 0; k < p->nthreads; k++) {
		struct rd_stats st;

		if (rd_walk(&p->threads[k], NULL, NULL, &st)) {
			bad++;
			continue;
		}
		events += st.events;
		lost += st.lost;
		last = st.last_ns > last ? st.last_ns : last;
	}
	printf("duration:  %s us%s\n",
	       rd_fmt_us(p->ended ? rd_ns(p, p->end_ticks) : last, buf, sizeof(buf)),
	       p->ended ? "" : " (to the last event: cut short)");
	printf("events:    %llu\n", (unsigned long long)events);
	printf("lost:      %llu\n", (unsigned long long)lost);
	printf("status:    %s\n", p->ended ? "complete" : "cut short (no end line)");
	printf("threads:   %zu\n", p->nthreads);
	for (size_t k = 0; k < p->nthreads; k++)
		printf("  %u %s\n", p->threads[k].tid,
		       p->threads[k].name ? p->threads[k].name : "");
	printf("objects:   %zu\n", p->nobjs);
	for (size_t k = 0; k < p->nobjs; k++)
		printf("  %u %s (%u sites)%s\n", p->objs[k].id, p->objs[k].path, p->objs[k].nsites,
		       p->objs[k].unloaded ? " unloaded" : "");
	return bad;
}

int cmd_info(int argc, char **argv)
{
	struct pfe_opts o;
	struct rd_recording rec;
	int bad = 0, ret;

	pfe_opts_init(&o, "info");
	ret = pfe_getopt(&o, argc, argv, "", NULL, NULL, NULL);
	if (ret != PFE_PROCEED)
		return ret;
	o.demangle = false; /* info shows no function names: no time spent on them */
	if (pfe_open_recording(&o, &rec))
		return 1;
	printf("recording: %s\n", rec.dir);
	for (size_t i = 0; i < rec.nprocs; i++) {
		putchar('\n');
		bad += show_proc(&rec.procs[i]);
	}
	rd_close(&rec);
	return bad ? 1 : 0;
}
