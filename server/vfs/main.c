/*
 * vfs: the File_system service over a tree assembled from plugins.
 * SPDX-License-Identifier: MIT
 *
 * The tree is built once from the config; later versions of the config
 * change the policies only (for sessions opened from then on).
 */
#include <stdio.h>
#include <string.h>

#include "ram.h"
#include "vfs.h"

/* What the file systems' bookkeeping may use beyond the donations. */
#define VFS_BASE_QUOTA	(64 * 1024)

struct main {
	struct cairn_env *env;
	struct cairn_rom config;
	struct xml_node cfg;
	struct vfs_tree tree;
	struct vfs_pool pool;
	struct fs_server *srv;
};

static uint64_t
budget(void *ctx)
{
	struct main *mn = ctx;

	return VFS_BASE_QUOTA +
	    (mn->srv ? fs_server_spare_quota(mn->srv) : 0);
}

static void
config_changed(void *ctx, uint64_t count)
{
	struct main *mn = ctx;

	if (cairn_rom_update(mn->env, &mn->config) < 0 ||
	    cairn_rom_xml(mn->env, &mn->config, &mn->cfg) < 0)
		return;
	fs_server_config(mn->srv, &mn->cfg);
	fs_server_verbose(mn->srv, xml_attr_bool(&mn->cfg, "verbose", false));
}

static void
log_tree(struct main *mn)
{
	unsigned k;

	for (k = 1; k <= mn->tree.ninst; k++)
		cairn_log(mn->env, "%s: %s", mn->tree.inst[k].path,
		    mn->tree.inst[k].plugin->type);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	bool verbose;

	mn.env = env;
	if (cairn_rom_open(env, "config", &mn.config) < 0) {
		cairn_error(env, "no config ROM");
		cairn_exit(env, 1);
	}
	(void)cairn_rom_xml(env, &mn.config, &mn.cfg);
	verbose = xml_attr_bool(&mn.cfg, "verbose", false);
	vfs_pool_init(&mn.pool, env, budget, &mn);
	if (vfs_config(env, &mn.cfg, &mn.tree, &mn.pool) < 0)
		cairn_exit(env, 1);
	mn.srv = fs_server_create(env, &vfs_tree_ops, &mn.tree,
	    vfs_tree_root(&mn.tree), &mn.cfg);
	if (mn.srv == NULL) {
		cairn_error(env, "out of memory");
		cairn_exit(env, 1);
	}
	fs_server_verbose(mn.srv, verbose);
	if (verbose)
		log_tree(&mn);
	if (cairn_rom_sigh(env, &mn.config, config_changed, &mn) < 0)
		cairn_warn(env, "config changes will not be noticed");
	if (fs_server_announce(mn.srv) < 0) {
		cairn_error(env, "cannot announce the File_system service");
		cairn_exit(env, 1);
	}
}
