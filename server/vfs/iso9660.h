/*
 * The iso9660 plugin: ISO 9660 images with Rock Ridge or Joliet, read
 * only, on a blkdev, as an ops table of the file-system framework.
 * SPDX-License-Identifier: MIT
 *
 * Free of Block sessions and of the component environment, so unit tests
 * run it on image files and the fuzz target on buffers; blk_plugins.c
 * binds it to a Block session for the vfs.
 */
#ifndef VFS_ISO9660_H
#define VFS_ISO9660_H

#include <stdint.h>

#include <cairn/fs_server.h>

#include "blkdev.h"
#include "iso9660_parse.h"

struct iso_fs;

extern const struct fs_ops iso_ops;

/* Where the plugin reports a damaged structure (one line, no newline). */
typedef void (*iso_log_fn)(void *ctx, const char *msg);

/*
 * Mount the image on dev (which must outlive the file system). The names
 * come from Rock Ridge when the root directory carries SUSP, else from a
 * Joliet descriptor when there is one, else from the primary descriptor.
 * Returns 0 with *fs and the root node's id in *root, or -EINVAL (not an
 * ISO 9660 image, or one whose root lies outside the device; err says
 * which), -EIO, -ENOMEM.
 */
int iso_mount(struct blkdev *dev, iso_log_fn log, void *log_ctx,
    struct iso_fs **fs, uint64_t *root, char *err, size_t ecap)
    __attribute__((warn_unused_result));

void iso_unmount(struct iso_fs *fs);

/* "Rock Ridge", "Joliet level N" or "ISO 9660", and the volume id. */
const char *iso_format(const struct iso_fs *fs);
const char *iso_volume_id(const struct iso_fs *fs);

/* The message of the last damaged structure met ("" if none). */
const char *iso_last_error(const struct iso_fs *fs);

/* The vfs plugin for <iso9660/> and <config fs="cd9660"> (blk_plugins.c). */
struct vfs_pool;
int iso9660_plugin_create(struct vfs_pool *pool,
    const struct xml_node *node, const struct fs_ops **ops, void **fs,
    uint64_t *root, char *err, size_t ecap);

#endif
