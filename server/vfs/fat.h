/*
 * The fat plugin: FAT12/16/32 with VFAT long names on a blkdev, as an
 * ops table of the file-system framework.
 * SPDX-License-Identifier: MIT
 *
 * Free of Block sessions and of the component environment, so unit tests
 * run it on image files and the fuzz target on buffers; blk_plugins.c
 * binds it to a Block session for the vfs.
 */
#ifndef VFS_FAT_H
#define VFS_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/fs_server.h>

#include "blkdev.h"
#include "fat_parse.h"

struct fat_fs;

extern const struct fs_ops fat_ops;

/* Where the plugin reports a damaged structure (one line, no newline). */
typedef void (*fat_log_fn)(void *ctx, const char *msg);

/*
 * Mount the FAT volume on dev (which must outlive the file system): reads
 * and checks the boot sector, and for a writeable mount counts the free
 * clusters. writeable is honoured only if dev is writeable. Returns 0 with
 * *fs and the root node's id in *root, or -EINVAL (not a FAT, with the
 * reason in err), -EIO, -ENOMEM.
 */
int fat_mount(struct blkdev *dev, bool writeable, fat_log_fn log,
    void *log_ctx, struct fat_fs **fs, uint64_t *root, char *err,
    size_t ecap) __attribute__((warn_unused_result));

/* Have fn(ctx) called after every operation that changed the volume
 * (e.g. to sync the device a while later). */
void fat_set_changed(struct fat_fs *fs, void (*fn)(void *ctx), void *ctx);

/* Write everything back and free the file system (not dev). */
int fat_unmount(struct fat_fs *fs);

/* The geometry, for logs and tests. */
const struct fat_bpb *fat_bpb(const struct fat_fs *fs);

/* Free clusters (counting them first if needed), or -EIO. */
long long fat_free_clusters(struct fat_fs *fs);

/* The message of the last damaged structure met ("" if none). */
const char *fat_last_error(const struct fat_fs *fs);

/*
 * The vfs plugins (blk_plugins.c): a fat or iso9660 file system on a
 * Block session, for <fat/>, <iso9660/> and <config fs="msdos|cd9660">.
 */
struct vfs_pool;
int fat_plugin_create(struct vfs_pool *pool, const struct xml_node *node,
    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
    size_t ecap);

#endif
