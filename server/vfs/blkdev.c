/*
 * blkdev: a write-back cache of device units over three callbacks.
 * SPDX-License-Identifier: MIT
 *
 * A unit is unit_blocks device blocks (4 KiB, or one block when blocks are
 * larger); the last unit of a device may be shorter. Units live in a
 * chained hash by number and in an LRU ring. A unit is either absent,
 * clean, or dirty; a dirty unit is written back before it is reused, so
 * the device plus the cache always hold the latest data. Whole units a
 * request covers bypass the cache unless they are cached already, which
 * keeps bulk file data from flushing the metadata out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev.h"

#define UNIT_BYTES	4096u
#define MIN_UNITS	16u
#define ZERO_BYTES	(64u * 1024)

struct blkdev_unit {
	uint64_t no;
	bool valid;
	bool dirty;
	uint8_t *data;
	struct blkdev_unit *hnext;
	struct blkdev_unit *prev, *next;	/* LRU ring */
};

static const uint8_t zeros[ZERO_BYTES];

uint64_t
blkdev_size(const struct blkdev *d)
{
	return d->block_count * d->block_size;
}

int
blkdev_init(struct blkdev *d, const struct blkdev_ops *ops, void *ctx,
    uint32_t block_size, uint64_t block_count, bool writeable,
    size_t cache_bytes)
{
	unsigned i, n, h;

	memset(d, 0, sizeof(*d));
	if (block_size < 512 || block_size > 65536 ||
	    (block_size & (block_size - 1)) != 0 || block_count == 0 ||
	    block_count > (UINT64_MAX >> 17))
		return -EINVAL;
	d->ops = ops;
	d->ctx = ctx;
	d->block_size = block_size;
	d->block_count = block_count;
	d->writeable = writeable;
	d->unit_blocks = block_size >= UNIT_BYTES ? 1 : UNIT_BYTES / block_size;
	d->unit_size = d->unit_blocks * block_size;
	n = (unsigned)(cache_bytes / d->unit_size);
	if (n < MIN_UNITS)
		n = MIN_UNITS;
	for (h = 1; h < n; h <<= 1)
		;
	d->units = calloc(n, sizeof(*d->units));
	d->hash = calloc(h, sizeof(*d->hash));
	d->mem = malloc((size_t)n * d->unit_size);
	if (d->units == NULL || d->hash == NULL || d->mem == NULL) {
		blkdev_fini(d);
		return -ENOMEM;
	}
	d->nunits = n;
	d->hash_mask = h - 1;
	for (i = 0; i < n; i++) {
		struct blkdev_unit *u = &d->units[i];

		u->data = d->mem + (size_t)i * d->unit_size;
		u->next = &d->units[(i + 1) % n];
		u->prev = &d->units[(i + n - 1) % n];
	}
	d->lru = &d->units[0];
	return 0;
}

void
blkdev_fini(struct blkdev *d)
{
	free(d->units);
	free(d->hash);
	free(d->mem);
	d->units = NULL;
	d->hash = NULL;
	d->mem = NULL;
	d->nunits = 0;
}

/* Blocks of unit n (the last one may be short). */
static uint64_t
unit_nblocks(const struct blkdev *d, uint64_t n)
{
	uint64_t first = n * d->unit_blocks;
	uint64_t left = d->block_count - first;

	return left < d->unit_blocks ? left : d->unit_blocks;
}

static unsigned
hash_of(const struct blkdev *d, uint64_t n)
{
	return (unsigned)((n * 0x9e3779b97f4a7c15ull) >> 40) & d->hash_mask;
}

static struct blkdev_unit *
find(struct blkdev *d, uint64_t n)
{
	struct blkdev_unit *u;

	for (u = d->hash[hash_of(d, n)]; u != NULL; u = u->hnext)
		if (u->no == n)
			return u;
	return NULL;
}

static void
unhash(struct blkdev *d, struct blkdev_unit *u)
{
	struct blkdev_unit **pp = &d->hash[hash_of(d, u->no)];

	while (*pp != u)
		pp = &(*pp)->hnext;
	*pp = u->hnext;
	u->valid = false;
}

/* Make u the most recently used unit. */
static void
touch(struct blkdev *d, struct blkdev_unit *u)
{
	if (d->lru == u)
		return;
	u->prev->next = u->next;
	u->next->prev = u->prev;
	u->next = d->lru;
	u->prev = d->lru->prev;
	d->lru->prev->next = u;
	d->lru->prev = u;
	d->lru = u;
}

static int
write_back(struct blkdev *d, struct blkdev_unit *u)
{
	int r;

	if (!u->dirty)
		return 0;
	d->dev_writes++;
	r = d->ops->write(d->ctx, u->no * d->unit_blocks,
	    unit_nblocks(d, u->no), u->data);
	if (r < 0)
		return -EIO;
	u->dirty = false;
	d->ndirty--;
	return 0;
}

/* A unit holding n, read from the device unless fill is false. */
static int
load(struct blkdev *d, uint64_t n, bool fill, struct blkdev_unit **out)
{
	struct blkdev_unit *u = find(d, n);
	int r;

	if (u != NULL) {
		touch(d, u);
		*out = u;
		return 0;
	}
	u = d->lru->prev;		/* the least recently used */
	if (u->valid) {
		if ((r = write_back(d, u)) < 0)
			return r;
		unhash(d, u);
	}
	if (fill) {
		d->dev_reads++;
		r = d->ops->read(d->ctx, n * d->unit_blocks,
		    unit_nblocks(d, n), u->data);
		if (r < 0)
			return -EIO;
	}
	u->no = n;
	u->valid = true;
	u->dirty = false;
	u->hnext = d->hash[hash_of(d, n)];
	d->hash[hash_of(d, n)] = u;
	touch(d, u);
	*out = u;
	return 0;
}

static int
range_ok(const struct blkdev *d, uint64_t off, uint64_t len)
{
	uint64_t size = blkdev_size(d);

	return off <= size && len <= size - off;
}

/* Units n .. m (inclusive) lie inside [off, end) whole and are not cached:
 * the longest such run starting at n, at most `max` units. */
static uint64_t
direct_run(struct blkdev *d, uint64_t n, uint64_t end, uint64_t max)
{
	uint64_t m = n;

	while (m - n + 1 < max) {
		uint64_t next = m + 1;
		uint64_t nend;

		if (next * d->unit_blocks >= d->block_count)
			break;
		nend = next * d->unit_size +
		    unit_nblocks(d, next) * d->block_size;

		if (nend > end || find(d, next) != NULL)
			break;
		m = next;
	}
	return m;
}

int
blkdev_read(struct blkdev *d, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;
	uint64_t end = off + len, pos = off;
	int r;

	if (!range_ok(d, off, len))
		return -ERANGE;
	while (pos < end) {
		uint64_t n = pos / d->unit_size, start = n * d->unit_size;
		uint64_t ulen = unit_nblocks(d, n) * d->block_size;
		uint64_t in = pos - start, cnt;
		struct blkdev_unit *u = find(d, n);

		if (u == NULL && in == 0 && end >= start + ulen) {
			uint64_t m = direct_run(d, n, end, 1024);
			uint64_t blocks = (m - n) * d->unit_blocks +
			    unit_nblocks(d, m);

			d->dev_reads++;
			if (d->ops->read(d->ctx, n * d->unit_blocks, blocks,
			    dst + (pos - off)) < 0)
				return -EIO;
			pos += blocks * d->block_size;
			continue;
		}
		if (u == NULL && (r = load(d, n, true, &u)) < 0)
			return r;
		touch(d, u);
		cnt = ulen - in;
		if (cnt > end - pos)
			cnt = end - pos;
		memcpy(dst + (pos - off), u->data + in, (size_t)cnt);
		pos += cnt;
	}
	return 0;
}

/* Write len bytes from src (or zeros when src is NULL) at off. */
static int
put(struct blkdev *d, uint64_t off, const uint8_t *src, uint64_t len)
{
	uint64_t end = off + len, pos = off;
	int r;

	if (!d->writeable)
		return -EROFS;
	if (!range_ok(d, off, len))
		return -ERANGE;
	while (pos < end) {
		uint64_t n = pos / d->unit_size, start = n * d->unit_size;
		uint64_t ulen = unit_nblocks(d, n) * d->block_size;
		uint64_t in = pos - start, cnt;
		struct blkdev_unit *u = find(d, n);

		if (u == NULL && in == 0 && end >= start + ulen) {
			/* Zeros come from a static buffer of ZERO_BYTES, which
			 * holds at least one unit. */
			uint64_t max = src ? 1024 : ZERO_BYTES / d->unit_size;
			uint64_t m = direct_run(d, n, end, max);
			uint64_t blocks = (m - n) * d->unit_blocks +
			    unit_nblocks(d, m);

			d->dev_writes++;
			if (d->ops->write(d->ctx, n * d->unit_blocks, blocks,
			    src ? src + (pos - off) : zeros) < 0)
				return -EIO;
			pos += blocks * d->block_size;
			continue;
		}
		if (u == NULL) {
			bool whole = in == 0 && end >= start + ulen;

			if ((r = load(d, n, !whole, &u)) < 0)
				return r;
		}
		touch(d, u);
		cnt = ulen - in;
		if (cnt > end - pos)
			cnt = end - pos;
		if (src)
			memcpy(u->data + in, src + (pos - off), (size_t)cnt);
		else
			memset(u->data + in, 0, (size_t)cnt);
		if (!u->dirty) {
			u->dirty = true;
			d->ndirty++;
		}
		pos += cnt;
	}
	return 0;
}

int
blkdev_write(struct blkdev *d, uint64_t off, const void *buf, size_t len)
{
	return put(d, off, buf, len);
}

int
blkdev_zero(struct blkdev *d, uint64_t off, uint64_t len)
{
	return put(d, off, NULL, len);
}

static int
cmp_unit(const void *a, const void *b)
{
	const struct blkdev_unit *x = *(struct blkdev_unit *const *)a;
	const struct blkdev_unit *y = *(struct blkdev_unit *const *)b;

	return x->no < y->no ? -1 : x->no > y->no;
}

int
blkdev_flush(struct blkdev *d)
{
	struct blkdev_unit **list;
	unsigned i, n = 0;
	int r = 0;

	if (d->ndirty == 0)
		return 0;
	list = malloc(d->ndirty * sizeof(*list));
	if (list == NULL) {
		/* Still write everything back, in cache order. */
		for (i = 0; i < d->nunits; i++)
			if (d->units[i].valid && write_back(d, &d->units[i]) < 0)
				r = -EIO;
		return r;
	}
	for (i = 0; i < d->nunits && n < d->ndirty; i++)
		if (d->units[i].valid && d->units[i].dirty)
			list[n++] = &d->units[i];
	qsort(list, n, sizeof(*list), cmp_unit);
	for (i = 0; i < n; i++)
		if (write_back(d, list[i]) < 0)
			r = -EIO;
	free(list);
	return r;
}

int
blkdev_sync(struct blkdev *d)
{
	int r = blkdev_flush(d);

	if (r == 0 && d->ops->sync != NULL && d->ops->sync(d->ctx) < 0)
		r = -EIO;
	return r;
}

void
blkdev_drop_clean(struct blkdev *d)
{
	unsigned i;

	for (i = 0; i < d->nunits; i++)
		if (d->units[i].valid && !d->units[i].dirty)
			unhash(d, &d->units[i]);
}
