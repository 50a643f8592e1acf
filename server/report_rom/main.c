/*
 * report_rom: provides Report and ROM; every report becomes a ROM module.
 * SPDX-License-Identifier: MIT
 *
 * Modules are named after the full label of the reporting session; ROM
 * clients see them only where a <policy> under <rom> says so (see README).
 * The config is followed at run time: new ROM sessions see the new
 * policies, existing ones keep the module they were given.
 */
#include <stdio.h>
#include <string.h>

#include "report_rom.h"

/* (Re)read the config from the current version of the config ROM. */
static void
apply_config(struct main *mn)
{
	struct xml_node rom;

	/* A malformed config is logged by cairn_rom_xml and reads as an
	 * empty one: no policies, so no ROM session until it is fixed. */
	(void)cairn_rom_xml(mn->env, &mn->config, &mn->cfg);
	mn->verbose = xml_attr_bool(&mn->cfg, "verbose", false);
	if (xml_node_first(&mn->cfg, "rom", &rom) < 0)
		cairn_warn(mn->env, "missing <rom> configuration");
}

static void
config_changed(void *ctx, uint64_t count)
{
	struct main *mn = ctx;

	if (cairn_rom_update(mn->env, &mn->config) < 0) {
		cairn_error(mn->env, "cannot fetch the new config");
		return;
	}
	apply_config(mn);
	if (mn->verbose)
		cairn_log(mn->env, "config version %llu applied",
		    (unsigned long long)mn->config.version);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;

	mn.env = env;
	mn.registry.env = env;
	if (cairn_rom_open(env, "config", &mn.config) < 0) {
		cairn_error(env, "no config ROM");
		cairn_exit(env, 1);
	}
	apply_config(&mn);
	if (cairn_rom_sigh(env, &mn.config, config_changed, &mn) < 0)
		cairn_warn(env, "config changes will not be followed");
	mn.report_root = report_service_announce(&mn);
	mn.rom_root = rom_service_announce(&mn);
	if (mn.report_root == NULL || mn.rom_root == NULL) {
		cairn_error(env, "cannot announce the Report and ROM services");
		cairn_exit(env, 1);
	}
}
