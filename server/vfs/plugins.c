/*
 * The plugins the vfs knows: config node type -> file-system instance.
 * SPDX-License-Identifier: MIT
 *
 * ext2, iso9660 and fat need a Block session; they are named here so that
 * configs using them get a clear answer until they exist.
 */
#include <errno.h>
#include <stdio.h>

#include "ext2.h"
#include "fat.h"
#include "iso9660.h"
#include "ram.h"
#include "vfs.h"

static int
ram_plugin(struct vfs_pool *pool, const struct xml_node *node,
    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
    size_t ecap)
{
	struct ram_fs *r;
	int e = ram_create(&pool->alloc, &r, root);

	if (e < 0) {
		snprintf(err, ecap, "no memory for a ram file system");
		return e;
	}
	*ops = &ram_ops;
	*fs = r;
	return 0;
}

const struct vfs_plugin vfs_plugins[] = {
	{ "ram", NULL, ram_plugin },
	{ "ext2", "ext2fs", ext2_plugin_create },
	{ "iso9660", "cd9660", iso9660_plugin_create },
	{ "fat", "msdos", fat_plugin_create },
};

const unsigned vfs_nplugins = sizeof(vfs_plugins) / sizeof(vfs_plugins[0]);
