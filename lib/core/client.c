/* SPDX-License-Identifier: MIT */
/*
 * Clients of the core: the tracer, or any later one, is told of the
 * process's life through callbacks it registered (core.h), so that nothing
 * below tracer/ names it. Registration happens in constructors that run
 * before libpfe's own (PFE_CLIENT_PRIORITY), single-threaded; afterwards
 * the table is only read, also from a fatal-signal handler or a vfork
 * child, so it is a fixed array without a lock.
 */
#include <errno.h>

#include "core.h"

static const struct pfe_client *clients[PFE_CLIENTS_MAX];
static unsigned nclients;

int pfe_client_register(const struct pfe_client *c)
{
	if (nclients == PFE_CLIENTS_MAX) {
		pfe_err("%s: more than %d clients of the core; not registered", c->name,
			PFE_CLIENTS_MAX);
		return -ENOSPC;
	}
	clients[nclients++] = c;
	return 0;
}

void pfe_clients_early(void)
{
	for (unsigned i = 0; i < nclients; i++)
		if (clients[i]->early)
			clients[i]->early();
}

void pfe_clients_ready(void)
{
	for (unsigned i = 0; i < nclients; i++)
		if (clients[i]->ready)
			clients[i]->ready();
}

void pfe_clients_image_end(void)
{
	for (unsigned i = 0; i < nclients; i++)
		if (clients[i]->image_end)
			clients[i]->image_end();
}

void pfe_clients_quit(void)
{
	for (unsigned i = 0; i < nclients; i++)
		if (clients[i]->quit)
			clients[i]->quit();
}

void pfe_clients_after_load(const struct pfe_object *obj)
{
	for (unsigned i = 0; i < nclients; i++)
		if (clients[i]->after_load)
			clients[i]->after_load(obj);
}

void pfe_clients_before_unload(const struct pfe_object *obj)
{
	for (unsigned i = 0; i < nclients; i++)
		if (clients[i]->before_unload)
			clients[i]->before_unload(obj);
}
