/*
 * The fat plugin's file data: reads, writes, growing and shrinking.
 * SPDX-License-Identifier: MIT
 *
 * A file's chain holds exactly the clusters its size needs; bytes between
 * the size and the end of the last cluster are never trusted, so whenever
 * a file grows the gap is zeroed first. Clusters that follow each other
 * on the volume are transferred in one request. An open file may hold
 * preallocated clusters past its size (FS_ALLOCATE with KEEP_SIZE) until
 * its last close.
 */
#include <errno.h>
#include <string.h>

#include "fat_impl.h"

/* Zero bytes [from, to) of the file whose chain starts at first. */
static int
zero_range(struct fat_fs *fs, uint32_t first, uint32_t limit, uint64_t from,
    uint64_t to)
{
	uint32_t cs = fs->b.cluster_size, cl;
	int r;

	while (from < to) {
		uint64_t in = from % cs, cnt = cs - in;

		if (cnt > to - from)
			cnt = to - from;
		r = fat_chain_at(fs, first, limit, (uint32_t)(from / cs), &cl);
		if (r != 0)
			return r < 0 ? r : fat_fail(fs, -EIO, "file chain "
			    "shorter than its size");
		if (blkdev_zero(fs->dev, fat_cluster_offset(&fs->b, cl) + in,
		    cnt) < 0)
			return fat_fail(fs, -EIO, "cannot clear cluster %u", cl);
		from += cnt;
	}
	return 0;
}

/*
 * Make file n hold `size` bytes (more than now): clusters are added (or
 * taken from its preallocation) and the bytes from the old size up to
 * zero_to read as zeros.
 */
static int
extend(struct fat_fs *fs, struct fat_node *n, uint64_t size,
    uint64_t zero_to)
{
	uint32_t have = fat_clusters_for(fs, n->de.size);
	uint32_t len = have + (n->o ? n->o->prealloc : 0);
	uint32_t need = fat_clusters_for(fs, size), last = 0, first = 0, v;
	int r;

	if (need > len) {
		if (len > 0) {
			r = fat_chain_at(fs, n->de.cluster, len, len - 1,
			    &last);
			if (r != 0)
				return r < 0 ? r : fat_fail(fs, -EIO, "file "
				    "chain shorter than its size");
			if ((r = fat_get(fs, last, &v)) < 0)
				return r;
			if (v < fat_eoc(&fs->b) - 7)
				return fat_fail(fs, -EIO, "cluster chain: "
				    "cluster %u goes on past the file's size "
				    "(%u bytes)", last, n->de.size);
		}
		if ((r = fat_chain_alloc(fs, last, need - len, false,
		    &first)) < 0)
			return r;
		if (len == 0)
			n->de.cluster = first;
		len = need;
	}
	r = 0;
	if (zero_to > n->de.size)
		r = zero_range(fs, n->de.cluster, len, n->de.size,
		    zero_to < size ? zero_to : size);
	/* What the size will not cover stays preallocated (on failure the
	 * caller keeps the old size). */
	if (n->o)
		n->o->prealloc = len - (r == 0 ? need : have);
	return r;
}

/* Transfer len bytes at pos of file n (inside its chain). */
static int
transfer(struct fat_fs *fs, struct fat_node *n, uint64_t size, void *buf,
    size_t len, uint64_t pos, bool wr)
{
	uint32_t cs = fs->b.cluster_size, cl, last, next;
	uint32_t limit = fat_node_limit(fs, n, (uint32_t)size);
	uint8_t *p = buf;
	size_t done = 0;
	int r;

	while (done < len) {
		uint64_t at = pos + done, in = at % cs, cnt = cs - in, off;
		uint32_t idx = (uint32_t)(at / cs);

		r = fat_chain_at(fs, n->de.cluster, limit, idx, &cl);
		if (r != 0)
			return r < 0 ? r : fat_fail(fs, -EIO, "file: cluster "
			    "chain shorter than the size (%llu bytes)",
			    (unsigned long long)size);
		/* Clusters that follow each other on the volume: one go. */
		for (last = cl; cnt < len - done; last = next, idx++, cnt += cs)
			if (fat_chain_at(fs, n->de.cluster, limit, idx + 1,
			    &next) != 0 || next != last + 1)
				break;
		if (cnt > len - done)
			cnt = len - done;
		/*
		 * The size's last cluster must end the chain: a chain that
		 * loops back within the size never does, and is caught here.
		 */
		if (idx == limit - 1 && (r = fat_chain_next(fs, last, idx,
		    limit, &next)) < 0)
			return r;
		off = fat_cluster_offset(&fs->b, cl) + in;
		r = wr ? blkdev_write(fs->dev, off, p + done, (size_t)cnt) :
		    blkdev_read(fs->dev, off, p + done, (size_t)cnt);
		if (r < 0)
			return fat_fail(fs, -EIO, "file data: cannot %s %llu "
			    "bytes at cluster %u", wr ? "write" : "read",
			    (unsigned long long)cnt, cl);
		done += (size_t)cnt;
	}
	return 0;
}

long
fat_read(void *ctx, uint64_t id, void *buf, size_t len, uint64_t pos)
{
	struct fat_fs *fs = ctx;
	struct fat_node n;
	int r;

	if ((r = fat_file_get(fs, id, &n)) < 0)
		return r;
	if (pos >= n.de.size)
		return 0;
	if (len > n.de.size - pos)
		len = (size_t)(n.de.size - pos);
	if ((r = transfer(fs, &n, n.de.size, buf, len, pos, false)) < 0)
		return r;
	return (long)len;
}

long
fat_write(void *ctx, uint64_t id, const void *buf, size_t len, uint64_t pos)
{
	struct fat_fs *fs = ctx;
	struct fat_node n;
	uint64_t end;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = fat_file_get(fs, id, &n)) < 0)
		return r;
	if (len == 0)
		return 0;
	if (pos > FAT_MAX_FILE_SIZE || len > FAT_MAX_FILE_SIZE - pos)
		return -EFBIG;
	end = pos + len;
	if (end > n.de.size) {
		if ((r = extend(fs, &n, end, pos)) < 0)
			return fat_finish(fs, r);
		n.de.size = (uint32_t)end;
	}
	r = transfer(fs, &n, n.de.size, (void *)(uintptr_t)buf, len, pos,
	    true);
	fat_now(&n.de.mdate, &n.de.mtime, NULL);
	n.de.adate = n.de.mdate;
	n.de.attr |= FAT_ATTR_ARCHIVE;
	/* Store the entry even after a failure: the size covers what the
	 * chain holds now. */
	if (fat_node_store(fs, &n) < 0 && r == 0)
		r = -EIO;
	r = fat_finish(fs, r);
	if (r < 0)
		return r;
	return (long)len;
}

/* Cut file n's chain to what `size` (less than now) needs. */
static int
shrink(struct fat_fs *fs, struct fat_node *n, uint64_t size)
{
	uint32_t keep = fat_clusters_for(fs, size), last, v;
	uint32_t limit = fat_node_limit(fs, n, n->de.size);
	int r;

	if (!fat_cluster_valid(&fs->b, n->de.cluster))
		return 0;
	/* A truncate takes preallocated clusters too (Linux does). */
	if (n->o)
		n->o->prealloc = 0;
	if (keep == 0) {
		/* A damaged tail stays lost (and reported); the file is
		 * empty either way. */
		(void)fat_chain_free(fs, n->de.cluster, limit);
		n->de.cluster = 0;
		return 0;
	}
	r = fat_chain_at(fs, n->de.cluster, limit, keep - 1, &last);
	if (r != 0)
		return r < 0 ? r : fat_fail(fs, -EIO, "file: cluster chain "
		    "shorter than the size (%u bytes)", n->de.size);
	if ((r = fat_get(fs, last, &v)) < 0)
		return r;
	fat_chain_forget(fs, n->de.cluster);
	if ((r = fat_set(fs, last, fat_eoc(&fs->b))) < 0)
		return r;
	if (fat_cluster_valid(&fs->b, v))
		(void)fat_chain_free(fs, v, limit - keep);
	return 0;
}

int
fat_truncate(void *ctx, uint64_t id, uint64_t size)
{
	struct fat_fs *fs = ctx;
	struct fat_node n;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = fat_file_get(fs, id, &n)) < 0)
		return r;
	if (size > FAT_MAX_FILE_SIZE)
		return -EFBIG;
	if (size > n.de.size)
		r = extend(fs, &n, size, size);
	else if (size < n.de.size)
		r = shrink(fs, &n, size);
	if (r == 0) {
		n.de.size = (uint32_t)size;
		fat_now(&n.de.mdate, &n.de.mtime, NULL);
		n.de.attr |= FAT_ATTR_ARCHIVE;
		r = fat_node_store(fs, &n);
	}
	return fat_finish(fs, r);
}

/*
 * fallocate(2) as Linux's vfat has it: no holes and no unwritten zeros
 * (punch and zero-range are -EOPNOTSUPP); every cluster within the size
 * exists already; growing the size extends the file as a truncate does;
 * KEEP_SIZE preallocates clusters past the end, held by the open node
 * until its last close (or a truncate).
 */
int
fat_allocate(void *ctx, uint64_t id, uint32_t flags, uint64_t off,
    uint64_t len)
{
	struct fat_fs *fs = ctx;
	struct fat_node n;
	uint64_t end = off + len;
	uint32_t need, have, last = 0, first = 0;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = fat_file_get(fs, id, &n)) < 0)
		return r;
	if (flags & (FS_ALLOC_PUNCH_HOLE | FS_ALLOC_ZERO_RANGE))
		return -EOPNOTSUPP;
	if (end > FAT_MAX_FILE_SIZE)
		return -EFBIG;
	if (end <= n.de.size)
		return 0;
	if (!(flags & FS_ALLOC_KEEP_SIZE))
		return fat_truncate(ctx, id, end);
	if (n.o == NULL)
		return -ENOMEM;		/* untracked: nowhere to keep it */
	need = fat_clusters_for(fs, end);
	have = fat_clusters_for(fs, n.de.size) + n.o->prealloc;
	if (need <= have)
		return 0;
	if (have > 0) {
		r = fat_chain_at(fs, n.de.cluster, have, have - 1, &last);
		if (r != 0)
			return r < 0 ? r : fat_fail(fs, -EIO, "file chain "
			    "shorter than its size");
	}
	if ((r = fat_chain_alloc(fs, last, need - have, false, &first)) < 0)
		return fat_finish(fs, r);
	n.o->prealloc += need - have;
	if (have == 0) {
		n.de.cluster = first;
		r = fat_node_store(fs, &n);
	}
	return fat_finish(fs, r);
}

int
fat_trim(struct fat_fs *fs, struct fat_open *o)
{
	struct fat_node n;
	uint32_t keep, pre = o->prealloc, last, v;
	int r;

	if (pre == 0)
		return 0;
	if ((r = fat_file_get(fs, o->id, &n)) < 0)
		return r;
	keep = fat_clusters_for(fs, n.de.size);
	o->prealloc = 0;
	if (!fat_cluster_valid(&fs->b, n.de.cluster))
		return 0;
	if (keep == 0) {
		r = fat_chain_free(fs, n.de.cluster, pre);
		n.de.cluster = 0;
		return fat_node_store(fs, &n) < 0 && r == 0 ? -EIO : r;
	}
	r = fat_chain_at(fs, n.de.cluster, keep + pre, keep - 1, &last);
	if (r != 0)
		return r < 0 ? r : fat_fail(fs, -EIO, "file chain shorter "
		    "than its size");
	if ((r = fat_get(fs, last, &v)) < 0)
		return r;
	fat_chain_forget(fs, n.de.cluster);
	if ((r = fat_set(fs, last, fat_eoc(&fs->b))) < 0)
		return r;
	return fat_cluster_valid(&fs->b, v) ? fat_chain_free(fs, v, pre) : 0;
}
