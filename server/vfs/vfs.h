/*
 * vfs: types shared by the files of the server (never installed).
 * SPDX-License-Identifier: MIT
 */
#ifndef VFS_H
#define VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/alloc.h>
#include <cairn/dataspace.h>
#include <cairn/env.h>
#include <cairn/fs_server.h>

#define VFS_MAX_INSTANCES	32
#define VFS_MAX_DIRS		256
/* Node ids: the top 8 bits name the instance (0: the vfs's own dirs). */
#define VFS_INST_SHIFT		56
#define VFS_LOCAL_MASK		((1ull << VFS_INST_SHIFT) - 1)

/*
 * Memory for the ram file systems: 4 KiB pages from RAM dataspaces of our
 * PD in slabs, other sizes from the heap; everything counted against a
 * budget, the quota the open sessions donated beyond their own cost.
 */
struct vfs_pool {
	struct cairn_alloc alloc;	/* first: a pool is an allocator */
	struct cairn_env *env;
	uint64_t (*budget)(void *ctx);
	void *ctx;
	size_t used;			/* bytes charged */
	struct pool_slab *slabs;
	bool warned;			/* said so since the last success */
};

void vfs_pool_init(struct vfs_pool *p, struct cairn_env *env,
    uint64_t (*budget)(void *ctx), void *ctx);

/*
 * A plugin: a file-system type that config nodes of its name create.
 * create returns 0 and an instance (its ops, context and root node) or
 * -errno with a message in err.
 */
struct vfs_plugin {
	const char *type;		/* config node, e.g. "ram" */
	const char *block_fs;		/* non-NULL: needs a Block session
					 * (the <config fs="..."> name) */
	int (*create)(struct vfs_pool *pool, const struct xml_node *node,
	    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
	    size_t ecap);
};

/* A file system mounted in the tree. */
struct vfs_inst {
	const struct vfs_plugin *plugin;
	const struct fs_ops *ops;
	void *fs;
	uint64_t root;			/* its own root node id */
	char path[FS_MAX_PATH_LEN];	/* where it is mounted, for logs */
};

/* A directory of the tree itself: read-only, made by <dir name="..."/>. */
struct vfs_dir {
	char name[FS_MAX_NAME_LEN];
	struct vfs_dir *parent;
	struct vfs_dir *child;		/* first child */
	struct vfs_dir *sibling;
	unsigned nchildren;
	unsigned inst;			/* != 0: this directory IS that fs */
};

struct vfs_tree {
	struct vfs_dir dirs[VFS_MAX_DIRS];	/* [0] is "/" */
	unsigned ndirs;
	struct vfs_inst inst[VFS_MAX_INSTANCES + 1];	/* [0] unused */
	unsigned ninst;
	struct fs_time created;
};

extern const struct fs_ops vfs_tree_ops;

/* tree.c: the root node of the tree (a dir or an instance's root). */
uint64_t vfs_tree_root(const struct vfs_tree *t);

/* config.c: build the tree from <config>; 0 or -EINVAL after logging. */
int vfs_config(struct cairn_env *env, const struct xml_node *config,
    struct vfs_tree *t, struct vfs_pool *pool)
    __attribute__((warn_unused_result));

/* plugins.c */
extern const struct vfs_plugin vfs_plugins[];
extern const unsigned vfs_nplugins;

#endif
