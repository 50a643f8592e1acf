/*
 * report_rom: types shared by the files of the server (never installed).
 * SPDX-License-Identifier: MIT
 */
#ifndef REPORT_ROM_H
#define REPORT_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/env.h>
#include <cairn/root.h>
#include <cairn/session/parent.h>

struct report_session;
struct rom_session;

/*
 * One content of a module: a write-sealed RAM dataspace handed to every
 * reader that asks while it is current. Readers keep a reference to the
 * version they were given, so the dataspace is returned to our PD as soon
 * as no reader holds it and a newer version replaced it.
 */
struct rom_version {
	struct cairn_ds ds;	/* detached, write-sealed */
	size_t size;		/* content bytes */
	unsigned refs;
};

/*
 * A module, named after the full label of the Report session that feeds
 * it. It exists while a writer or a reader refers to it.
 */
struct rom_module {
	char name[CAIRN_LABEL_MAX];
	struct report_session *writer;	/* NULL: no reporter right now */
	struct rom_session *readers;
	struct rom_version *current;	/* NULL: empty (ROM_INVALID) */
	uint64_t version;		/* increases with every change */
	struct rom_module *next;
};

struct rom_registry {
	struct cairn_env *env;
	struct rom_module *modules;
};

struct main {
	struct cairn_env *env;
	struct cairn_rom config;
	struct xml_node cfg;		/* views into config.ds */
	bool verbose;
	struct rom_registry registry;
	struct cairn_root *report_root;
	struct cairn_root *rom_root;
};

/* A ROM session as the registry sees it: a reader to signal. */
struct rom_session {
	struct main *main;
	struct rpc_obj *obj;
	struct rom_module *module;
	int sig;			/* client's signal cap, -1 if none */
	struct rom_version *held;	/* version handed out last */
	struct rom_session *next;	/* in module->readers */
};

/* rom_registry.c */
struct rom_module *registry_lookup(struct rom_registry *reg,
    const char *name, bool create);
void registry_release(struct rom_registry *reg, struct rom_module *m);
int module_update(struct rom_registry *reg, struct rom_module *m,
    const void *data, size_t len) __attribute__((warn_unused_result));
void module_clear(struct rom_registry *reg, struct rom_module *m);
void module_signal(struct rom_module *m);
void module_add_reader(struct rom_module *m, struct rom_session *s);
void module_remove_reader(struct rom_module *m, struct rom_session *s);
struct rom_version *version_get(struct rom_version *v);
void version_put(struct rom_registry *reg, struct rom_version *v);

/* policy.c */
int policy_lookup(const struct xml_node *config, const char *label,
    char *report, size_t cap, char *detail, size_t dcap)
    __attribute__((warn_unused_result));

/* report_service.c, rom_service.c: announce the service, NULL on error. */
struct cairn_root *report_service_announce(struct main *mn);
struct cairn_root *rom_service_announce(struct main *mn);

#endif
