/*
 * report_rom's module registry: modules by name, their versions, readers.
 * SPDX-License-Identifier: MIT
 *
 * A module is created by whichever side comes first (a reporter, or a ROM
 * client whose policy names a report not yet written) and destroyed when
 * neither a writer nor a reader refers to it any more. Every change
 * (a report, or the reporter going away) makes a new version; the caller
 * then signals every reader with module_signal(), as spec/report_rom.md
 * demands even when nothing differs, after logging the change, so that a
 * reader's reaction never precedes our log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_rom.h"

struct rom_module *
registry_lookup(struct rom_registry *reg, const char *name, bool create)
{
	struct rom_module *m;

	for (m = reg->modules; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	if (!create || strlen(name) >= sizeof(m->name))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	strcpy(m->name, name);
	m->next = reg->modules;
	reg->modules = m;
	return m;
}

void
registry_release(struct rom_registry *reg, struct rom_module *m)
{
	struct rom_module **pp;

	if (m->writer != NULL || m->readers != NULL)
		return;
	for (pp = &reg->modules; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	version_put(reg, m->current);
	free(m);
}

struct rom_version *
version_get(struct rom_version *v)
{
	if (v != NULL)
		v->refs++;
	return v;
}

void
version_put(struct rom_registry *reg, struct rom_version *v)
{
	if (v == NULL || --v->refs > 0)
		return;
	cairn_ram_free(reg->env, &v->ds);
	free(v);
}

void
module_signal(struct rom_module *m)
{
	struct rom_session *s;

	for (s = m->readers; s != NULL; s = s->next)
		if (s->sig >= 0)
			cairn_sig_submit(s->sig);
}

/* Install v (may be NULL: empty) as the module's content. */
static void
replace(struct rom_registry *reg, struct rom_module *m, struct rom_version *v)
{
	version_put(reg, m->current);
	m->current = v;
	m->version++;
}

int
module_update(struct rom_registry *reg, struct rom_module *m,
    const void *data, size_t len)
{
	struct rom_version *v;
	int r;

	if (len == 0) {
		replace(reg, m, NULL);
		return 0;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	r = cairn_ram_alloc(reg->env, len, &v->ds);
	if (r < 0) {
		free(v);
		return r;
	}
	memcpy(v->ds.addr, data, len);
	/*
	 * Readers map the version while it is current; sealing it against
	 * writes (after dropping our writable mapping, which the seal needs)
	 * guarantees that an obtained dataspace never changes under them.
	 */
	cairn_ds_detach(&v->ds);
	if (fcntl(v->ds.fd, F_ADD_SEALS, F_SEAL_WRITE) < 0) {
		r = -errno;
		cairn_ram_free(reg->env, &v->ds);
		free(v);
		return r;
	}
	v->size = len;
	v->refs = 1;
	replace(reg, m, v);
	return 0;
}

void
module_clear(struct rom_registry *reg, struct rom_module *m)
{
	replace(reg, m, NULL);
}

void
module_add_reader(struct rom_module *m, struct rom_session *s)
{
	s->next = m->readers;
	m->readers = s;
}

void
module_remove_reader(struct rom_module *m, struct rom_session *s)
{
	struct rom_session **pp;

	for (pp = &m->readers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			return;
		}
}
