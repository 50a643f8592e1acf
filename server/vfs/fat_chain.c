/*
 * The fat plugin's FAT: entries, cluster chains, allocation and the count
 * of free clusters.
 * SPDX-License-Identifier: MIT
 *
 * Every walk along a chain is bounded: a file's chain by the clusters its
 * size needs, a directory's by the most a directory may have, so a chain
 * that loops or runs off the volume ends in -EIO with a message naming
 * the cluster, never in a hang. Writes go to every FAT copy (or to the
 * active one when a FAT32 volume turned mirroring off).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fat_impl.h"

/* Bytes of FAT read at once when counting: a multiple of 2, 3 and 4. */
#define SCAN_BYTES	(3u * 16384)

uint32_t
fat_clusters_for(const struct fat_fs *fs, uint64_t size)
{
	return (uint32_t)((size + fs->b.cluster_size - 1) / fs->b.cluster_size);
}

uint32_t
fat_dir_limit(const struct fat_fs *fs)
{
	uint64_t n = (uint64_t)FAT_MAX_DIR_SLOTS * FAT_DIRENT_SIZE /
	    fs->b.cluster_size;

	if (n == 0)
		n = 1;
	return n < fs->b.clusters ? (uint32_t)n : fs->b.clusters;
}

static uint64_t
entry_off(const struct fat_fs *fs, unsigned fat, uint32_t c)
{
	return fs->b.fat_offset + fat * fs->b.fat_bytes +
	    fat_entry_offset(&fs->b, c);
}

int
fat_get(struct fat_fs *fs, uint32_t c, uint32_t *v)
{
	uint8_t raw[4];
	int r;

	r = blkdev_read(fs->dev, entry_off(fs, fs->b.active_fat, c), raw,
	    fat_entry_bytes(&fs->b));
	if (r < 0)
		return fat_fail(fs, -EIO, "FAT: cannot read the entry of "
		    "cluster %u", c);
	*v = fat_entry_decode(&fs->b, c, raw);
	return 0;
}

int
fat_set(struct fat_fs *fs, uint32_t c, uint32_t v)
{
	unsigned k, n = fat_entry_bytes(&fs->b);
	uint8_t raw[4];

	for (k = 0; k < fs->b.nfats; k++) {
		uint64_t off = entry_off(fs, k, c);

		if (!fs->b.mirror && k != fs->b.active_fat)
			continue;
		if (blkdev_read(fs->dev, off, raw, n) < 0)
			return fat_fail(fs, -EIO, "FAT %u: cannot read the "
			    "entry of cluster %u", k + 1, c);
		fat_entry_encode(&fs->b, c, v, raw);
		if (blkdev_write(fs->dev, off, raw, n) < 0)
			return fat_fail(fs, -EIO, "FAT %u: cannot write the "
			    "entry of cluster %u", k + 1, c);
	}
	return 0;
}

int
fat_chain_next(struct fat_fs *fs, uint32_t c, uint32_t step, uint32_t limit,
    uint32_t *next)
{
	char err[160];
	uint32_t v;
	int r;

	if ((r = fat_get(fs, c, &v)) < 0)
		return r;
	r = fat_next(&fs->b, c, v, step, limit, next, err, sizeof(err));
	if (r < 0)
		return fat_fail(fs, r, "%s", err);
	return r == FAT_NEXT_END ? 1 : 0;
}

void
fat_chain_forget(struct fat_fs *fs, uint32_t first)
{
	unsigned i;

	for (i = 0; i < FAT_CHAIN_CACHE; i++)
		if (fs->cc[i].first == first)
			fs->cc[i].first = 0;
}

int
fat_chain_at(struct fat_fs *fs, uint32_t first, uint32_t limit, uint32_t idx,
    uint32_t *cl)
{
	uint32_t cur = first, at = 0, next;
	unsigned i, best = FAT_CHAIN_CACHE;
	int r;

	if (!fat_cluster_valid(&fs->b, first))
		return fat_fail(fs, -EIO, "cluster chain: first cluster %u "
		    "lies outside the volume (2 .. %u)", first,
		    fs->b.clusters + 1);
	if (idx >= limit)
		return 1;
	for (i = 0; i < FAT_CHAIN_CACHE; i++)
		if (fs->cc[i].first == first && fs->cc[i].idx <= idx &&
		    (best == FAT_CHAIN_CACHE || fs->cc[i].idx > at)) {
			best = i;
			at = fs->cc[i].idx;
			cur = fs->cc[i].cl;
		}
	while (at < idx) {
		r = fat_chain_next(fs, cur, at, limit, &next);
		if (r != 0)
			return r;
		cur = next;
		at++;
	}
	if (best == FAT_CHAIN_CACHE || fs->cc[best].idx != idx) {
		if (best == FAT_CHAIN_CACHE) {
			best = fs->cc_next;
			fs->cc_next = (fs->cc_next + 1) % FAT_CHAIN_CACHE;
		}
		fs->cc[best].first = first;
		fs->cc[best].idx = idx;
		fs->cc[best].cl = cur;
	}
	*cl = cur;
	return 0;
}

/* The next free cluster from the hint on, wrapping once: 0 or -ENOSPC. */
static int
find_free(struct fat_fs *fs, uint32_t *out)
{
	uint32_t n = fs->b.clusters, i, c, v;
	int r;

	c = fat_cluster_valid(&fs->b, fs->next_free) ? fs->next_free : 2;
	for (i = 0; i < n; i++) {
		if ((r = fat_get(fs, c, &v)) < 0)
			return r;
		if (v == 0) {
			*out = c;
			fs->next_free = c + 1;
			return 0;
		}
		c = c + 1 < n + 2 ? c + 1 : 2;
	}
	return -ENOSPC;
}

int
fat_chain_alloc(struct fat_fs *fs, uint32_t last, uint32_t n, bool zero,
    uint32_t *first)
{
	uint32_t prev = last, c = 0, got = 0, head = 0;
	int r;

	if (n == 0)
		return 0;
	if ((r = fat_count_free(fs)) < 0)
		return r;
	if (fs->free_count < n)
		return -ENOSPC;
	for (got = 0; got < n; got++) {
		if ((r = find_free(fs, &c)) < 0)
			goto undo;
		/* Mark it first, so the next search passes it by. */
		if ((r = fat_set(fs, c, fat_eoc(&fs->b))) < 0)
			goto undo;
		if (zero && (r = blkdev_zero(fs->dev, fat_cluster_offset(&fs->b,
		    c), fs->b.cluster_size)) < 0) {
			(void)fat_set(fs, c, 0);
			r = fat_fail(fs, -EIO, "cannot clear cluster %u", c);
			goto undo;
		}
		if (prev != 0 && (r = fat_set(fs, prev, c)) < 0) {
			(void)fat_set(fs, c, 0);
			goto undo;
		}
		if (head == 0)
			head = c;
		prev = c;
		fs->free_count--;
		fs->fsinfo_dirty = true;
	}
	*first = head;
	return 0;
undo:
	/* Give back what this call took; `last` ends the chain again. */
	if (head != 0)
		(void)fat_chain_free(fs, head, got + 1);
	if (last != 0)
		(void)fat_set(fs, last, fat_eoc(&fs->b));
	return r == -ENOSPC ? fat_fail(fs, -EIO, "FAT: the free cluster "
	    "count was wrong") : r;
}

int
fat_chain_free(struct fat_fs *fs, uint32_t c, uint32_t limit)
{
	uint32_t step, v;
	char err[160];
	int r;

	fat_chain_forget(fs, c);
	for (step = 0; step < limit; step++) {
		if (!fat_cluster_valid(&fs->b, c))
			return fat_fail(fs, -EIO, "cluster chain: cluster %u "
			    "lies outside the volume (2 .. %u)", c,
			    fs->b.clusters + 1);
		if ((r = fat_get(fs, c, &v)) < 0)
			return r;
		if (v == 0)
			return fat_fail(fs, -EIO, "cluster chain: cluster %u "
			    "is free but belongs to a chain", c);
		if ((r = fat_set(fs, c, 0)) < 0)
			return r;
		if (fs->free_known) {
			fs->free_count++;
			fs->fsinfo_dirty = true;
		}
		if (c < fs->next_free)
			fs->next_free = c;
		/* A loop meets a freed entry above, so this ends. */
		r = fat_next(&fs->b, c, v, step, limit, &c, err, sizeof(err));
		if (r == FAT_NEXT_END)
			return 0;
		if (r < 0)
			return fat_fail(fs, r, "%s", err);
	}
	return 0;
}

int
fat_count_free(struct fat_fs *fs)
{
	uint64_t base = fs->b.fat_offset + fs->b.active_fat * fs->b.fat_bytes;
	uint64_t need = fat_entry_offset(&fs->b, fs->b.clusters + 2) + 2;
	uint8_t *buf;
	uint32_t c = 0, nfree = 0, last = fs->b.clusters + 1;
	uint64_t at;

	if (fs->free_known)
		return 0;
	if (need > fs->b.fat_bytes)
		need = fs->b.fat_bytes;
	buf = malloc(SCAN_BYTES + 4);
	if (buf == NULL)
		return -ENOMEM;
	for (at = 0; at < need && c <= last; at += SCAN_BYTES) {
		size_t n = need - at < SCAN_BYTES ? (size_t)(need - at) :
		    SCAN_BYTES;

		memset(buf + n, 0, SCAN_BYTES + 4 - n);
		if (blkdev_read(fs->dev, base + at, buf, n) < 0) {
			free(buf);
			return fat_fail(fs, -EIO, "FAT: cannot read bytes "
			    "%llu .. %llu", (unsigned long long)at,
			    (unsigned long long)(at + n));
		}
		/* Entries that start inside this piece (FAT12 pairs never
		 * straddle it: pieces are multiples of 3 bytes). */
		for (; c <= last; c++) {
			uint64_t o = fat_entry_offset(&fs->b, c);

			if (o + fat_entry_bytes(&fs->b) > at + n)
				break;
			if (c >= 2 && fat_entry_decode(&fs->b, c,
			    buf + (o - at)) == 0)
				nfree++;
		}
	}
	free(buf);
	fs->free_count = nfree;
	fs->free_known = true;
	return 0;
}
