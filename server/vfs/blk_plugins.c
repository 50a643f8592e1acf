/*
 * The fat and iso9660 plugins on a Block session: the device under their
 * blkdev and the constructors the vfs calls for <fat/>, <iso9660/> and
 * <config fs="msdos|cd9660">.
 * SPDX-License-Identifier: MIT
 *
 * The plugins are synchronous: a read waits for the Block server. Waiting
 * must not run other handlers of the vfs meanwhile (a second request would
 * enter the plugin in the middle of the first), so the Block session lives
 * on an entrypoint of its own, which only the blocking block_client calls
 * dispatch (the ext2 plugin does the same, ext2_block.c).
 *
 * A fat volume is written back at the end of every changing operation; a
 * while after a change (SYNC_DELAY_US) the device is asked to sync too, as
 * rump_fs's sync thread did in 14.02, on the vfs's entrypoint between
 * requests. The sync RPC does both at once.
 *
 * Node attributes (both plugins):
 *   label      the Block session's label (default ""), for routing when
 *              the vfs has several Block sessions
 *   cache      bytes of block cache (default 1M, at least 64K)
 *   writeable  fat only: "no" mounts read-only (default "yes"; a device
 *              without WRITE mounts read-only anyway)
 *   verbose    "yes": log the mount and every timed sync
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/block_client.h>

#include "fat.h"
#include "iso9660.h"
#include "vfs.h"

#define CACHE_DEFAULT	(1024u * 1024)
#define CACHE_MIN	(64u * 1024)
#define CACHE_MAX	(256ull << 20)
#define SYNC_DELAY_US	1000000

struct blk_fs {
	struct cairn_env env;		/* ours: its own entrypoint */
	struct cairn_env *main_env;
	struct block_client *c;
	struct blkdev dev;
	const char *type;		/* "fat", "iso9660" */
	char label[64];
	bool verbose;
	struct fat_fs *fat;
	struct cairn_timer *timer;
	bool armed;
};

static int
b_read(void *ctx, uint64_t block, uint64_t count, void *buf)
{
	struct blk_fs *b = ctx;

	return block_client_read(b->c, block, count, buf, NULL);
}

static int
b_write(void *ctx, uint64_t block, uint64_t count, const void *buf)
{
	struct blk_fs *b = ctx;

	return block_client_write(b->c, block, count, buf, NULL);
}

static int
b_sync(void *ctx)
{
	struct blk_fs *b = ctx;

	return block_client_sync(b->c);
}

static const struct blkdev_ops block_ops = { b_read, b_write, b_sync };

static void
log_line(void *ctx, const char *msg)
{
	struct blk_fs *b = ctx;

	cairn_warn(b->main_env, "%s \"%s\": %s", b->type, b->label, msg);
}

static void
sync_due(void *ctx)
{
	struct blk_fs *b = ctx;
	int r;

	b->armed = false;
	r = fat_ops.sync(b->fat);
	if (b->verbose || r < 0)
		cairn_log(b->main_env, "%s \"%s\": synced%s%s", b->type,
		    b->label, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
}

static void
changed(void *ctx)
{
	struct blk_fs *b = ctx;

	if (!b->armed && b->timer &&
	    cairn_timer_set(b->timer, SYNC_DELAY_US, 0) == 0)
		b->armed = true;
}

static void
blk_free(struct blk_fs *b)
{
	if (b->timer)
		cairn_timer_destroy(b->timer);
	if (b->dev.units)
		blkdev_fini(&b->dev);
	if (b->c)
		block_client_close(b->c);
	if (b->env.ep)
		cairn_ep_destroy(b->env.ep);
	free(b);
}

/* The Block session and the cache over it. */
static int
blk_open(struct vfs_pool *pool, const struct xml_node *node,
    const char *type, bool want_write, struct blk_fs **out, char *err,
    size_t ecap)
{
	const struct block_info *info;
	struct blk_fs *b;
	char detail[160] = "";
	uint64_t cache;
	int r;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, ecap, "out of memory");
		return -ENOMEM;
	}
	b->type = type;
	b->main_env = pool->env;
	b->env = *pool->env;
	b->env.ep = cairn_ep_create(&r);
	if (b->env.ep == NULL) {
		snprintf(err, ecap, "no entrypoint for the Block session");
		free(b);
		return r < 0 ? r : -ENOMEM;
	}
	xml_attr_str(node, "label", b->label, sizeof(b->label), "");
	b->verbose = xml_attr_bool(node, "verbose", false);
	cache = xml_attr_size(node, "cache", CACHE_DEFAULT);
	if (cache < CACHE_MIN)
		cache = CACHE_MIN;
	if (cache > CACHE_MAX)
		cache = CACHE_MAX;
	r = block_client_open(&b->env, b->label, 0, &b->c, detail,
	    sizeof(detail));
	if (r < 0) {
		b->c = NULL;
		snprintf(err, ecap, "Block session \"%s\": %s%s%s", b->label,
		    strerror(-r), detail[0] ? ": " : "", detail);
		goto fail;
	}
	info = block_client_info(b->c);
	r = blkdev_init(&b->dev, &block_ops, b, info->block_size,
	    info->block_count, want_write && info->writeable, (size_t)cache);
	if (r < 0) {
		snprintf(err, ecap, "Block session \"%s\": %s (%llu blocks "
		    "of %u bytes)", b->label, r == -ENOMEM ? "no memory for "
		    "the block cache" : "unusable geometry",
		    (unsigned long long)info->block_count, info->block_size);
		goto fail;
	}
	*out = b;
	return 0;
fail:
	blk_free(b);
	return r;
}

int
fat_plugin_create(struct vfs_pool *pool, const struct xml_node *node,
    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
    size_t ecap)
{
	const struct fat_bpb *bpb;
	struct blk_fs *b;
	bool writeable = xml_attr_bool(node, "writeable", true);
	int r;

	if ((r = blk_open(pool, node, "fat", writeable, &b, err, ecap)) < 0)
		return r;
	r = fat_mount(&b->dev, writeable, log_line, b, &b->fat, root, err,
	    ecap);
	if (r < 0) {
		blk_free(b);
		return r;
	}
	b->timer = cairn_timer_create(pool->env->ep, sync_due, b);
	if (b->timer == NULL)
		cairn_warn(pool->env, "fat \"%s\": no timer: synced on request "
		    "only", b->label);
	fat_set_changed(b->fat, changed, b);
	bpb = fat_bpb(b->fat);
	if (b->verbose)
		cairn_log(pool->env, "fat \"%s\": FAT%d, %u clusters of %u "
		    "bytes%s%s%s", b->label, bpb->type, bpb->clusters,
		    bpb->cluster_size, bpb->label[0] ? ", label " : "",
		    bpb->label, b->dev.writeable && writeable ? "" :
		    ", read-only");
	*ops = &fat_ops;
	*fs = b->fat;
	return 0;
}

int
iso9660_plugin_create(struct vfs_pool *pool, const struct xml_node *node,
    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
    size_t ecap)
{
	struct iso_fs *iso;
	struct blk_fs *b;
	int r;

	if ((r = blk_open(pool, node, "iso9660", false, &b, err, ecap)) < 0)
		return r;
	r = iso_mount(&b->dev, log_line, b, &iso, root, err, ecap);
	if (r < 0) {
		blk_free(b);
		return r;
	}
	if (b->verbose)
		cairn_log(pool->env, "iso9660 \"%s\": %s, volume \"%s\"",
		    b->label, iso_format(iso), iso_volume_id(iso));
	*ops = &iso_ops;
	*fs = iso;
	return 0;
}
