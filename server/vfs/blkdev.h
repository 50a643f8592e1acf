/*
 * blkdev: a byte-addressed, cached view of a block device for the fat and
 * iso9660 plugins.
 * SPDX-License-Identifier: MIT
 *
 * The device is reached through three callbacks (a Block session in the
 * vfs, a host file in unit tests, a buffer in the fuzz targets), so the
 * file-system code above it has no I/O of its own. Small accesses go
 * through a write-back cache of units of up to 4 KiB (whole device blocks);
 * accesses that cover whole units go to the device directly and keep the
 * cached copies of those units current. Dirty units reach the device with
 * blkdev_flush(), which the plugins call at the end of every operation
 * that changed something, and on eviction.
 *
 * Every function returns 0 or a negative errno: -EIO (the device failed),
 * -ERANGE (the range lies beyond the device), -EROFS (a write on a
 * read-only device), -ENOMEM.
 */
#ifndef VFS_BLKDEV_H
#define VFS_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blkdev_ops {
	/* Transfer count blocks at block number `block`: 0 or -EIO. */
	int (*read)(void *ctx, uint64_t block, uint64_t count, void *buf);
	int (*write)(void *ctx, uint64_t block, uint64_t count,
	    const void *buf);
	/* Make every write done so far durable (NULL: nothing to do). */
	int (*sync)(void *ctx);
};

struct blkdev_unit;

struct blkdev {
	const struct blkdev_ops *ops;
	void *ctx;
	uint32_t block_size;		/* power of two, 512 .. 64 KiB */
	uint64_t block_count;
	bool writeable;
	/* The cache: private. */
	uint32_t unit_blocks;		/* device blocks per unit */
	uint32_t unit_size;		/* bytes */
	struct blkdev_unit *units;
	unsigned nunits;
	struct blkdev_unit **hash;
	unsigned hash_mask;
	struct blkdev_unit *lru;	/* most recently used first (ring) */
	uint8_t *mem;
	unsigned ndirty;
	/* Statistics for tests and logs. */
	uint64_t dev_reads, dev_writes;
};

/*
 * Set up d over ops/ctx with a cache of about cache_bytes (at least 16
 * units). block_size must be a power of two from 512 to 64 KiB. Returns 0,
 * -EINVAL or -ENOMEM.
 */
int blkdev_init(struct blkdev *d, const struct blkdev_ops *ops, void *ctx,
    uint32_t block_size, uint64_t block_count, bool writeable,
    size_t cache_bytes) __attribute__((warn_unused_result));

/* Free the cache (dirty data is lost: flush first). */
void blkdev_fini(struct blkdev *d);

/* Bytes on the device. */
uint64_t blkdev_size(const struct blkdev *d);

int blkdev_read(struct blkdev *d, uint64_t off, void *buf, size_t len)
    __attribute__((warn_unused_result));
int blkdev_write(struct blkdev *d, uint64_t off, const void *buf, size_t len)
    __attribute__((warn_unused_result));
/* Write len zero bytes at off. */
int blkdev_zero(struct blkdev *d, uint64_t off, uint64_t len)
    __attribute__((warn_unused_result));

/* Write every dirty unit back (in device order). */
int blkdev_flush(struct blkdev *d) __attribute__((warn_unused_result));

/* Flush, then have the device make it durable. */
int blkdev_sync(struct blkdev *d) __attribute__((warn_unused_result));

/* Drop every clean unit (tests: force the next reads to the device). */
void blkdev_drop_clean(struct blkdev *d);

#endif
