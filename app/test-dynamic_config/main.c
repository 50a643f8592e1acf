/*
 * test-dynamic_config: follows its config ROM and logs every version.
 * SPDX-License-Identifier: MIT
 *
 * Meant to get its config from dynamic_rom (<configfile> plus a route), so
 * that it changes while the component runs: each version is logged as
 * "config version N: message 'TEXT'" (from <config message="TEXT"/>), an
 * absent config as "config is invalid". When the first valid config
 * arrives it also asks for the ROM module "missing", which the server is
 * expected to refuse, and logs the refusal.
 */
#include <string.h>

#include <cairn/env.h>

struct main {
	struct cairn_env *env;
	struct cairn_rom config;
	uint64_t last_version;
	bool asked_missing;
};

static void
ask_missing(struct main *mn)
{
	char detail[128];
	uint64_t id;
	int cap;

	cap = cairn_session(mn->env, "ROM", "label=\"missing\", ram_quota=4K",
	    &id, detail, sizeof(detail));
	if (cap >= 0) {
		cairn_error(mn->env, "ROM 'missing': granted, expected a "
		    "refusal");
		cairn_session_close(mn->env, id, cap);
		return;
	}
	cairn_log(mn->env, "ROM 'missing': refused (%s)", detail);
}

static void
show(struct main *mn)
{
	struct xml_node cfg;
	char msg[64];

	if (cairn_rom_update(mn->env, &mn->config) < 0) {
		cairn_error(mn->env, "cannot fetch the config");
		return;
	}
	if (mn->config.version == mn->last_version)
		return;		/* another signal for a version shown */
	mn->last_version = mn->config.version;
	if (!mn->config.valid) {
		cairn_log(mn->env, "config is invalid");
		return;
	}
	if (cairn_rom_xml(mn->env, &mn->config, &cfg) < 0)
		return;		/* logged with line:column */
	xml_attr_str(&cfg, "message", msg, sizeof(msg), "");
	cairn_log(mn->env, "config version %llu: message '%s'",
	    (unsigned long long)mn->config.version, msg);
	if (!mn->asked_missing) {
		mn->asked_missing = true;
		ask_missing(mn);
	}
}

static void
changed(void *ctx, uint64_t count)
{
	show(ctx);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;

	mn.env = env;
	mn.last_version = UINT64_MAX;
	if (cairn_rom_open(env, "config", &mn.config) < 0 ||
	    cairn_rom_sigh(env, &mn.config, changed, &mn) < 0) {
		cairn_error(env, "cannot follow the config ROM");
		cairn_exit(env, 1);
	}
	show(&mn);
}
