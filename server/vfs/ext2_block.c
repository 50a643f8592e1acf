/*
 * The ext2 plugin on a Block session: the device, the cache's memory, and
 * the constructor the vfs calls for <ext2/> and <config fs="ext2fs">.
 * SPDX-License-Identifier: MIT
 *
 * libext2fs is synchronous: a read waits for the Block server. Waiting
 * must not run other handlers of the vfs meanwhile (a second request
 * would enter libext2fs while the first is still inside it), so the Block
 * session lives on an entrypoint of its own, dispatched only while this
 * file waits for it. Writes (the cache's write-back) go out as
 * asynchronous jobs, as many as the session allows, and are waited for as
 * a whole.
 *
 * Like rump_fs in 14.02, the file system is synced a while (SYNC_DELAY_US)
 * after a change, besides the sync RPC; the timer runs on the vfs's
 * entrypoint between requests, never inside one.
 *
 * The block cache is funded from the vfs's RAM quota, as the 14.02 release
 * notes promise of rump_fs: half of what is left once the Block session's
 * buffer is paid, less a reserve for libext2fs's own tables, unless the
 * node's `cache` attribute says otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/block_client.h>

#include "ext2.h"
#include "vfs.h"

#define CACHE_MIN	(256u * 1024)
#define CACHE_MAX	(1024ull << 20)
#define RESERVE		(1536u * 1024)	/* libext2fs, listings, stack */
#define SYNC_DELAY_US	1000000
/* The Block session's buffer: room for the cache's write-back runs. */
#define TX_BUF		(512u * 1024)

struct wjob {
	struct block_job j;
	struct ext2_blk *b;
	bool busy;
};

struct ext2_blk {
	struct cairn_env env;		/* ours: its own entrypoint */
	struct cairn_env *main_env;
	struct block_client *c;
	struct ext2_dev dev;
	struct wjob *jobs;
	unsigned njobs;
	uint64_t piece;			/* most blocks per job */
	int err;			/* first failed write since drain */
	struct cairn_ds cache;
	struct ext2_fs *fs;
	struct cairn_timer *timer;
	bool armed;
	bool verbose;			/* log each timed sync */
	char label[64];
};

static int
wait_once(struct ext2_blk *b)
{
	return cairn_ep_dispatch_once(b->env.ep, -1) < 0 ? -EIO : 0;
}

static int
b_read(void *ctx, uint64_t lba, uint64_t count, void *buf)
{
	struct ext2_blk *b = ctx;

	return block_client_read(b->c, lba, count, buf, NULL);
}

static void
b_written(struct block_job *j)
{
	struct wjob *w = j->ctx;

	if (!j->success && w->b->err == 0)
		w->b->err = -EIO;
	block_job_release(w->b->c, j);
	w->busy = false;
}

static struct wjob *
free_job(struct ext2_blk *b)
{
	unsigned i;

	for (;;) {
		for (i = 0; i < b->njobs; i++)
			if (!b->jobs[i].busy)
				return &b->jobs[i];
		if (wait_once(b) < 0)
			return NULL;
	}
}

static int
b_write(void *ctx, uint64_t lba, uint64_t count, const void *buf)
{
	struct ext2_blk *b = ctx;
	const uint8_t *p = buf;
	struct wjob *w;
	uint64_t n;
	int r;

	while (count > 0) {
		n = count < b->piece ? count : b->piece;
		if ((w = free_job(b)) == NULL)
			return -EIO;
		block_job_init(&w->j, BLOCK_OP_WRITE, lba, n, b_written, w);
		while ((r = block_job_alloc(b->c, &w->j)) == -EAGAIN)
			if (wait_once(b) < 0)
				return -EIO;
		if (r < 0)
			return r;
		memcpy(w->j.payload, p, w->j.bytes);
		while ((r = block_job_submit(b->c, &w->j)) == -EAGAIN)
			if (wait_once(b) < 0)
				break;
		if (r < 0) {
			block_job_release(b->c, &w->j);
			return r;
		}
		w->busy = true;
		p += w->j.bytes;
		lba += n;
		count -= n;
	}
	return 0;
}

static int
b_drain(void *ctx)
{
	struct ext2_blk *b = ctx;
	int r = block_client_drain(b->c, -1), err = b->err;

	b->err = 0;
	return r < 0 ? r : err;
}

static int
b_sync(void *ctx)
{
	struct ext2_blk *b = ctx;

	return block_client_sync(b->c);
}

static void
log_line(void *ctx, const char *msg)
{
	struct ext2_blk *b = ctx;

	cairn_warn(b->main_env, "ext2: %s", msg);
}

static void
sync_due(void *ctx)
{
	struct ext2_blk *b = ctx;

	int r;

	b->armed = false;
	r = ext2_ops.sync(b->fs);
	if (b->verbose)
		cairn_log(b->main_env, "ext2 \"%s\": synced%s%s", b->label,
		    r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
}

static void
changed(void *ctx)
{
	struct ext2_blk *b = ctx;

	if (!b->armed && b->timer &&
	    cairn_timer_set(b->timer, SYNC_DELAY_US, 0) == 0)
		b->armed = true;
}

static uint64_t
cache_size(struct ext2_blk *b, const struct xml_node *node)
{
	uint64_t quota = 0, used = 0, avail, size;

	size = xml_attr_size(node, "cache", 0);
	if (size == 0) {
		if (cairn_ram_quota(b->main_env, &quota, &used) < 0)
			quota = used = 0;
		avail = quota > used ? quota - used : 0;
		size = avail > RESERVE ? (avail - RESERVE) / 2 : 0;
	}
	if (size < CACHE_MIN)
		size = CACHE_MIN;
	if (size > CACHE_MAX)
		size = CACHE_MAX;
	return size & ~4095ull;
}

static void
blk_free(struct ext2_blk *b)
{
	if (b->timer)
		cairn_timer_destroy(b->timer);
	if (b->cache.fd >= 0)
		cairn_ram_free(b->main_env, &b->cache);
	if (b->c)
		block_client_close(b->c);
	if (b->env.ep)
		cairn_ep_destroy(b->env.ep);
	free(b->jobs);
	free(b);
}

int
ext2_plugin_create(struct vfs_pool *pool, const struct xml_node *node,
    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
    size_t ecap)
{
	const struct block_info *info;
	struct ext2_mount_args a;
	struct ext2_io_stats st;
	struct ext2_blk *b;
	char label[64], detail[160] = "";
	uint64_t cache;
	int r;

	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		snprintf(err, ecap, "out of memory");
		return -ENOMEM;
	}
	b->cache.fd = -1;
	b->main_env = pool->env;
	b->env = *pool->env;
	b->env.ep = cairn_ep_create(&r);
	if (b->env.ep == NULL) {
		snprintf(err, ecap, "no entrypoint for the Block session");
		free(b);
		return r;
	}
	xml_attr_str(node, "label", label, sizeof(label), "");
	snprintf(b->label, sizeof(b->label), "%s", label);
	b->verbose = xml_attr_bool(node, "verbose", false);
	r = block_client_open(&b->env, label, TX_BUF, &b->c, detail,
	    sizeof(detail));
	if (r < 0) {
		snprintf(err, ecap, "Block session \"%s\": %s%s%s", label,
		    strerror(-r), detail[0] ? ": " : "", detail);
		goto fail;
	}
	info = block_client_info(b->c);
	b->njobs = block_client_max_jobs(b->c);
	b->piece = block_client_bulk_size(b->c) / 4 / info->block_size;
	if (info->max_blocks && b->piece > info->max_blocks)
		b->piece = info->max_blocks;
	if (b->piece == 0)
		b->piece = 1;
	b->jobs = calloc(b->njobs, sizeof(*b->jobs));
	if (b->jobs == NULL) {
		r = -ENOMEM;
		snprintf(err, ecap, "out of memory");
		goto fail;
	}
	for (r = 0; (unsigned)r < b->njobs; r++)
		b->jobs[r].b = b;
	cache = cache_size(b, node);
	if ((r = cairn_ram_alloc(b->main_env, cache, &b->cache)) < 0) {
		snprintf(err, ecap, "no RAM for a block cache of %llu KiB "
		    "(raise the vfs's RAM quantum or set 'cache')",
		    (unsigned long long)cache / 1024);
		goto fail;
	}
	b->dev.block_size = info->block_size;
	b->dev.block_count = info->block_count;
	b->dev.writeable = info->writeable &&
	    xml_attr_bool(node, "writeable", true);
	b->dev.read = b_read;
	b->dev.write = b_write;
	b->dev.drain = b_drain;
	b->dev.sync = b_sync;
	b->dev.ctx = b;
	memset(&a, 0, sizeof(a));
	a.dev = &b->dev;
	a.cache_mem = b->cache.addr;
	a.cache_bytes = cache;
	a.log = log_line;
	a.changed = changed;
	a.log_ctx = b;
	b->timer = cairn_timer_create(pool->env->ep, sync_due, b);
	if (b->timer == NULL)
		cairn_warn(pool->env, "ext2: no timer: synced on request "
		    "only");
	if ((r = ext2_mount(&a, &b->fs, err, ecap)) < 0)
		goto fail;
	ext2_io_stats(ext2_io_of(b->fs), &st);
	cairn_log(pool->env, "ext2 \"%s\": %llu blocks of %u bytes, %s, "
	    "block cache %llu KiB", label,
	    (unsigned long long)info->block_count,
	    info->block_size, ext2_read_only(b->fs) ? "read-only" :
	    "writeable", (unsigned long long)st.units * st.unit / 1024);
	*ops = &ext2_ops;
	*fs = b->fs;
	*root = ext2_root(b->fs);
	return 0;
fail:
	blk_free(b);
	return r;
}
