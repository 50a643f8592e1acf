/*
 * rom_logger: logs every new version of one ROM module, line by line.
 * SPDX-License-Identifier: MIT
 *
 * Config: <config rom="NAME"/>. On start and on every change signal the
 * module is fetched again and logged as "ROM 'NAME' version N:" followed by
 * its content up to the first NUL, one log line per text line (empty lines
 * are not logged), or as "ROM 'NAME' is invalid" while it has no content.
 */
#include <errno.h>
#include <string.h>

#include <cairn/env.h>

struct main {
	struct cairn_env *env;
	char name[128];
	struct cairn_rom rom;
	bool logged;		/* something was logged before */
	bool last_valid;
	uint64_t last_version;
};

static void
log_content(struct main *mn)
{
	const char *p = mn->rom.ds.addr;
	const char *end, *nul;

	cairn_log(mn->env, "ROM '%s' version %llu:", mn->name,
	    (unsigned long long)mn->rom.version);
	if (mn->rom.size == 0)
		return;		/* valid, but empty */
	end = p + mn->rom.size;
	nul = memchr(p, '\0', mn->rom.size);
	if (nul != NULL)
		end = nul;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		if (len > 0)
			cairn_log(mn->env, "%.*s", (int)len, p);
		p += len + (nl != NULL);
	}
}

static void
show(struct main *mn)
{
	int r = cairn_rom_update(mn->env, &mn->rom);

	if (r < 0) {
		cairn_error(mn->env, "ROM '%s': cannot fetch: %s", mn->name,
		    strerror(-r));
		return;
	}
	/* Several signals may announce one version: log each version once. */
	if (mn->logged && mn->rom.valid == mn->last_valid &&
	    mn->rom.version == mn->last_version)
		return;
	mn->logged = true;
	mn->last_valid = mn->rom.valid;
	mn->last_version = mn->rom.version;
	if (!mn->rom.valid)
		cairn_log(mn->env, "ROM '%s' is invalid", mn->name);
	else
		log_content(mn);
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
	struct cairn_rom cfg;
	struct xml_node node;
	struct xml_error err;
	int r;

	mn.env = env;
	if (cairn_rom_open(env, "config", &cfg) < 0) {
		cairn_error(env, "no config ROM");
		cairn_exit(env, 1);
	}
	(void)cairn_rom_xml(env, &cfg, &node);
	r = xml_attr_get_str(&node, "rom", mn.name, sizeof(mn.name), &err);
	if (r == -ENOENT)
		cairn_error(env, "config: <config> lacks the attribute 'rom' "
		    "(the module to log)");
	else if (r < 0)
		cairn_error(env, "config:%u:%u: %s", err.line, err.col,
		    err.msg);
	if (r < 0)
		cairn_exit(env, 1);
	cairn_rom_close(env, &cfg);
	r = cairn_rom_open(env, mn.name, &mn.rom);
	if (r < 0) {
		cairn_error(env, "ROM '%s': session refused: %s", mn.name,
		    strerror(-r));
		cairn_exit(env, 1);
	}
	if (cairn_rom_sigh(env, &mn.rom, changed, &mn) < 0) {
		cairn_error(env, "ROM '%s': cannot register for changes",
		    mn.name);
		cairn_exit(env, 1);
	}
	/* Fetch again now that the signal is registered: a change in
	 * between would otherwise go unnoticed. */
	show(&mn);
}
