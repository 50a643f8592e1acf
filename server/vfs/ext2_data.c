/*
 * The ext2 plugin's file content: read, write, truncate, holes, symlinks.
 * SPDX-License-Identifier: MIT
 *
 * Reads and writes go through libext2fs's file I/O. Freeing blocks does
 * not, for block-mapped files (ext2, ext3): libext2fs 1.47's ext2fs_punch()
 * gets the range wrong when it starts among the twelve direct blocks and
 * ends in the indirect ones (the blocks past the boundary stay allocated),
 * and frees blocks outside the range when it starts inside an indirect
 * block's span (test/vfs_ext2 shows both). Its truncate goes through the
 * same code. So a block-mapped file is punched here: one walk over its
 * block tree, freeing the data blocks in the range and, children first,
 * every indirect block left mapping nothing. Extent-mapped files (ext4)
 * use ext2fs_punch(), which is right for them.
 *
 * Sizes: the largest file follows Linux (ext2_max_size() for block maps:
 * the block tree and the 32-bit sector count in i_blocks; 2^32 blocks for
 * extents); beyond it writes and truncates fail with EFBIG.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ext2.h"

#define FAST_SYMLINK_MAX	(sizeof(((struct ext2_inode *)0)->i_block))

static bool
extent_mapped(const struct ext2_inode_large *in)
{
	return (in->i_flags & EXT4_EXTENTS_FL) != 0;
}

static uint64_t
div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

uint64_t
ext2_max_size(struct ext2_fs *e, const struct ext2_inode_large *in)
{
	ext2_filsys fs = e->fs;
	unsigned bits = (unsigned)fs->super->s_log_block_size + 10;
	uint64_t ppb = e->bs / 4, res, meta, upper;

	if (fs->super->s_rev_level == EXT2_GOOD_OLD_REV)
		return (1ull << 31) - 1;
	/* i_blocks counts 512-byte sectors in 32 bits (48 with huge_file). */
	upper = ext2fs_has_feature_huge_file(fs->super) ?
	    (1ull << 48) - 1 : (1ull << 32) - 1;
	upper >>= bits - 9;		/* in blocks */
	if (extent_mapped(in)) {
		res = (1ull << 32) - 1;
		if (res > upper)
			res = upper;
		return res << bits;
	}
	res = EXT2_NDIR_BLOCKS + ppb + ppb * ppb + ppb * ppb * ppb;
	meta = 1 + (1 + ppb) + (1 + ppb + ppb * ppb);
	if (res + meta > upper) {
		/* Linux's ext2_max_size(): leave room for the indirect blocks
		 * that upper blocks need. */
		res = upper;
		upper -= EXT2_NDIR_BLOCKS;
		meta = 1;
		upper -= ppb;
		if (upper < ppb * ppb) {
			meta += 1 + div_up(upper, ppb);
		} else {
			meta += 1 + ppb;
			upper -= ppb * ppb;
			meta += 1 + div_up(upper, ppb) +
			    div_up(upper, ppb * ppb);
		}
		res -= meta;
	}
	if (res > (uint64_t)LLONG_MAX >> bits)
		return (uint64_t)LLONG_MAX;
	return res << bits;
}

static int
regular(struct ext2_fs *e, uint32_t ino, struct ext2_inode_large *in)
{
	int r = ext2_read_inode(e, ino, in);

	if (r < 0)
		return r;
	if (LINUX_S_ISDIR(in->i_mode))
		return -EISDIR;
	return LINUX_S_ISREG(in->i_mode) ? 0 : -EINVAL;
}

long
ext2_data_read(struct ext2_fs *e, uint32_t ino, void *buf, size_t len,
    uint64_t pos)
{
	struct ext2_inode_large in;
	uint64_t size;
	ext2_file_t f;
	size_t done = 0;
	unsigned got;
	errcode_t c;
	int r;

	if ((r = regular(e, ino, &in)) < 0)
		return r;
	size = EXT2_I_SIZE(&in);
	if (pos >= size || len == 0)
		return 0;
	if (len > size - pos)
		len = (size_t)(size - pos);
	c = ext2fs_file_open2(e->fs, ino, (struct ext2_inode *)&in, 0, &f);
	if (c)
		return ext2_err(e, c, "file", ino);
	c = ext2fs_file_llseek(f, pos, EXT2_SEEK_SET, NULL);
	while (c == 0 && done < len) {
		unsigned want = len - done > (1u << 30) ? 1u << 30 :
		    (unsigned)(len - done);

		c = ext2fs_file_read(f, (char *)buf + done, want, &got);
		if (c == 0 && got == 0)
			break;
		done += got;
	}
	(void)ext2fs_file_close(f);
	if (c && done == 0)
		return ext2_err(e, c, "file", ino);
	return (long)done;
}

long
ext2_data_write(struct ext2_fs *e, uint32_t ino, const void *buf,
    size_t len, uint64_t pos)
{
	struct ext2_inode_large in;
	uint64_t max;
	ext2_file_t f;
	size_t done = 0;
	unsigned got;
	errcode_t c, c2;
	int r;

	if (e->ro)
		return -EROFS;
	if ((r = regular(e, ino, &in)) < 0)
		return r;
	max = ext2_max_size(e, &in);
	if (pos >= max || len > max - pos)
		return -EFBIG;
	if (len == 0)
		return 0;
	c = ext2fs_file_open2(e->fs, ino, (struct ext2_inode *)&in,
	    EXT2_FILE_WRITE, &f);
	if (c)
		return ext2_err(e, c, "file", ino);
	c = ext2fs_file_llseek(f, pos, EXT2_SEEK_SET, NULL);
	while (c == 0 && done < len) {
		unsigned want = len - done > (1u << 30) ? 1u << 30 :
		    (unsigned)(len - done);

		got = 0;
		c = ext2fs_file_write(f, (const char *)buf + done, want, &got);
		done += got;
		if (c == 0 && got == 0)
			break;
	}
	c2 = ext2fs_file_close(f);
	if (c == 0)
		c = c2;
	if (c && done == 0)
		return ext2_err(e, c, "file", ino);
	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return r;
	ext2_touch(e, &in, true, true);
	if ((r = ext2_write_inode(e, ino, &in)) < 0)
		return r;
	return (long)done;
}

/* --- freeing blocks --- */

struct punch {
	struct ext2_fs *e;
	uint64_t first, last;
	blk64_t freed;
};

static bool
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int
punch_one(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt,
    blk64_t ref_blk, int ref_offset, void *priv)
{
	struct punch *p = priv;
	uint8_t *buf = p->e->dirbuf + 8 * (size_t)p->e->bs;

	if (blockcnt >= 0) {
		if ((uint64_t)blockcnt < p->first ||
		    (uint64_t)blockcnt > p->last)
			return 0;
	} else {
		/* An indirect block, visited after what it maps (depth
		 * first) and written back already: free it once empty. */
		if (io_channel_read_blk64(fs->io, *blocknr, 1, buf) ||
		    !all_zero(buf, p->e->bs))
			return 0;
	}
	ext2fs_block_alloc_stats2(fs, *blocknr, -1);
	*blocknr = 0;
	p->freed++;
	return BLOCK_CHANGED;
}

int
ext2_punch_blocks(struct ext2_fs *e, uint32_t ino,
    struct ext2_inode_large *in, uint64_t first, uint64_t last)
{
	struct punch p = { e, first, last, 0 };
	errcode_t c;
	int r;

	if (first > last || (in->i_flags & EXT4_INLINE_DATA_FL))
		return 0;
	if (extent_mapped(in)) {
		c = ext2fs_punch(e->fs, ino, (struct ext2_inode *)in, NULL,
		    first, last);
		if (c)
			return ext2_err(e, c, "freeing blocks", ino);
		return ext2_read_inode(e, ino, in);
	}
	/* ext2fs_block_iterate3() works on the inode as stored. */
	if ((r = ext2_write_inode(e, ino, in)) < 0)
		return r;
	c = ext2fs_block_iterate3(e->fs, ino, BLOCK_FLAG_DEPTH_TRAVERSE, NULL,
	    punch_one, &p);
	if (c)
		return ext2_err(e, c, "freeing blocks", ino);
	if ((r = ext2_read_inode(e, ino, in)) < 0)
		return r;
	c = ext2fs_iblk_sub_blocks(e->fs, (struct ext2_inode *)in, p.freed);
	if (c)
		return ext2_err(e, c, "freeing blocks", ino);
	return ext2_write_inode(e, ino, in);
}

static bool
fast_symlink(struct ext2_fs *e, struct ext2_inode_large *in)
{
	return LINUX_S_ISLNK(in->i_mode) &&
	    !(in->i_flags & EXT4_INLINE_DATA_FL) &&
	    ext2fs_is_fast_symlink((struct ext2_inode *)in);
}

int
ext2_data_free_all(struct ext2_fs *e, uint32_t ino,
    struct ext2_inode_large *in)
{
	blk64_t ea = ext2fs_file_acl_block(e->fs, (struct ext2_inode *)in);
	__u32 refs = 1;
	errcode_t c;
	int r;

	if (!fast_symlink(e, in) &&
	    (r = ext2_punch_blocks(e, ino, in, 0, ~0ull)) < 0)
		return r;
	if (ea != 0) {
		c = ext2fs_adjust_ea_refcount3(e->fs, ea, NULL, -1, &refs, ino);
		if (c == 0 && refs == 0)
			ext2fs_block_alloc_stats2(e->fs, ea, -1);
		ext2fs_file_acl_block_set(e->fs, (struct ext2_inode *)in, 0);
	}
	return 0;
}

/*
 * Zero bytes [from, to) of logical block lblk if it is mapped (a hole or
 * an unwritten extent reads as zeros already).
 */
static int
zero_in_block(struct ext2_fs *e, uint32_t ino, struct ext2_inode_large *in,
    uint64_t lblk, unsigned from, unsigned to)
{
	uint8_t *buf = e->dirbuf + 5 * (size_t)e->bs;
	blk64_t pblk = 0;
	int flags = 0;
	errcode_t c;

	c = ext2fs_bmap2(e->fs, ino, (struct ext2_inode *)in,
	    (char *)e->dirbuf + 6 * (size_t)e->bs, 0, lblk, &flags, &pblk);
	if (c)
		return ext2_err(e, c, "block map", ino);
	if (pblk == 0 || (flags & BMAP_RET_UNINIT) || from >= to)
		return 0;
	if ((c = io_channel_read_blk64(e->fs->io, pblk, 1, buf)) != 0)
		return ext2_err(e, c, "file block", ino);
	memset(buf + from, 0, to - from);
	if ((c = io_channel_write_blk64(e->fs->io, pblk, 1, buf)) != 0)
		return ext2_err(e, c, "file block", ino);
	return 0;
}

int
ext2_data_truncate(struct ext2_fs *e, uint32_t ino, uint64_t size)
{
	struct ext2_inode_large in;
	uint64_t old;
	ext2_file_t f;
	errcode_t c;
	int r;

	if (e->ro)
		return -EROFS;
	if ((r = regular(e, ino, &in)) < 0)
		return r;
	if (size > ext2_max_size(e, &in))
		return -EFBIG;
	old = EXT2_I_SIZE(&in);
	if (size < old && !extent_mapped(&in) &&
	    !(in.i_flags & EXT4_INLINE_DATA_FL)) {
		/* What lies past the new end must read as zeros later. */
		if (size % e->bs && (r = zero_in_block(e, ino, &in,
		    size / e->bs, size % e->bs, e->bs)) < 0)
			return r;
		if ((r = ext2_punch_blocks(e, ino, &in, div_up(size, e->bs),
		    ~0ull)) < 0)
			return r;
	} else if (size < old) {
		c = ext2fs_file_open2(e->fs, ino, (struct ext2_inode *)&in,
		    EXT2_FILE_WRITE, &f);
		if (c == 0) {
			c = ext2fs_file_set_size2(f, size);
			if (c == 0)
				c = ext2fs_file_close(f);
			else
				(void)ext2fs_file_close(f);
		}
		if (c)
			return ext2_err(e, c, "truncate", ino);
		if ((r = ext2_read_inode(e, ino, &in)) < 0)
			return r;
	}
	c = ext2fs_inode_size_set(e->fs, (struct ext2_inode *)&in, size);
	if (c)
		return ext2_err(e, c, "truncate", ino);
	ext2_touch(e, &in, true, true);
	return ext2_write_inode(e, ino, &in);
}

int
ext2_fallocate(struct ext2_fs *e, uint64_t node, uint64_t off, uint64_t len,
    bool keep_size)
{
	struct ext2_inode_large in;
	uint32_t ino = (uint32_t)node;
	uint64_t first, last;
	errcode_t c;
	int flags, r;

	if (e->ro)
		return -EROFS;
	if ((r = regular(e, ino, &in)) < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	if (off >= ext2_max_size(e, &in) ||
	    len > ext2_max_size(e, &in) - off)
		return -EFBIG;
	first = off / e->bs;
	last = (off + len - 1) / e->bs;
	if (keep_size && !extent_mapped(&in) &&
	    last >= div_up(EXT2_I_SIZE(&in), e->bs))
		return -EOPNOTSUPP;
	/*
	 * Block maps have no unwritten state: new blocks are zeroed. Extents
	 * get unwritten ones, beyond the end only when the size grows (as
	 * fuse2fs asks libext2fs for it).
	 */
	if (extent_mapped(&in))
		flags = keep_size ? 0 : EXT2_FALLOCATE_INIT_BEYOND_EOF;
	else
		flags = EXT2_FALLOCATE_ZERO_BLOCKS | EXT2_FALLOCATE_FORCE_INIT |
		    EXT2_FALLOCATE_INIT_BEYOND_EOF;
	c = ext2fs_fallocate(e->fs, flags, ino, (struct ext2_inode *)&in,
	    ~0ull, first, last - first + 1);
	if (c)
		return ext2_err(e, c, "fallocate", ino);
	/* ext2fs_fallocate() left i_blocks in `in` only (fuse2fs writes it
	 * too), so `in` is the inode now. */
	if (!keep_size && off + len > EXT2_I_SIZE(&in)) {
		c = ext2fs_inode_size_set(e->fs, (struct ext2_inode *)&in,
		    off + len);
		if (c)
			return ext2_err(e, c, "fallocate", ino);
	}
	ext2_touch(e, &in, !keep_size, true);
	return ext2_write_inode(e, ino, &in);
}

int
ext2_punch_hole(struct ext2_fs *e, uint64_t node, uint64_t off,
    uint64_t len)
{
	struct ext2_inode_large in;
	uint32_t ino = (uint32_t)node;
	uint64_t end, first, last;
	int r;

	if (e->ro)
		return -EROFS;
	if ((r = regular(e, ino, &in)) < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	end = len > UINT64_MAX - off ? UINT64_MAX : off + len;
	/* Partial blocks at either end are zeroed in place. */
	if (off % e->bs) {
		uint64_t stop = end / e->bs == off / e->bs ? end % e->bs :
		    e->bs;

		if ((r = zero_in_block(e, ino, &in, off / e->bs,
		    off % e->bs, (unsigned)stop)) < 0)
			return r;
	}
	if (end % e->bs && end / e->bs != off / e->bs &&
	    (r = zero_in_block(e, ino, &in, end / e->bs, 0, end % e->bs)) < 0)
		return r;
	first = div_up(off, e->bs);
	last = end / e->bs;		/* first block not wholly inside */
	if (last > first && (r = ext2_punch_blocks(e, ino, &in, first,
	    last - 1)) < 0)
		return r;
	ext2_touch(e, &in, true, true);
	return ext2_write_inode(e, ino, &in);
}

/* --- symlinks --- */

int
ext2_symlink_set(struct ext2_fs *e, uint32_t ino, const char *target,
    size_t len)
{
	struct ext2_inode_large in;
	uint8_t *buf = e->dirbuf + 5 * (size_t)e->bs;
	blk64_t pblk = 0;
	errcode_t c;
	int r;

	if (e->ro)
		return -EROFS;
	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return r;
	if (!LINUX_S_ISLNK(in.i_mode))
		return -EINVAL;
	if (len >= e->bs || memchr(target, '\0', len))
		return len >= e->bs ? -ENAMETOOLONG : -EINVAL;
	if ((r = ext2_data_free_all(e, ino, &in)) < 0)
		return r;
	in.i_flags &= ~(EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL);
	memset(in.i_block, 0, sizeof(in.i_block));
	ext2fs_iblk_set(e->fs, (struct ext2_inode *)&in, 0);
	if (len < FAST_SYMLINK_MAX) {
		/* Linux's rule: a target that fits i_block lives there. */
		memcpy(in.i_block, target, len);
	} else {
		if (ext2fs_has_feature_extents(e->fs->super))
			in.i_flags |= EXT4_EXTENTS_FL;
		c = ext2fs_bmap2(e->fs, ino, (struct ext2_inode *)&in,
		    (char *)e->dirbuf + 6 * (size_t)e->bs, BMAP_ALLOC, 0,
		    NULL, &pblk);
		if (c)
			return ext2_err(e, c, "symlink", ino);
		memset(buf, 0, e->bs);
		memcpy(buf, target, len);
		c = io_channel_write_blk64(e->fs->io, pblk, 1, buf);
		if (c)
			return ext2_err(e, c, "symlink", ino);
	}
	(void)ext2fs_inode_size_set(e->fs, (struct ext2_inode *)&in, len);
	ext2_touch(e, &in, true, true);
	return ext2_write_inode(e, ino, &in);
}

long
ext2_symlink_get(struct ext2_fs *e, uint32_t ino, char *out, size_t cap)
{
	struct ext2_inode_large in;
	uint8_t *buf = e->dirbuf + 5 * (size_t)e->bs;
	uint64_t size;
	size_t isize = 0;
	blk64_t pblk = 0;
	errcode_t c;
	int r;

	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return r;
	if (!LINUX_S_ISLNK(in.i_mode))
		return -EINVAL;
	size = EXT2_I_SIZE(&in);
	if (size >= e->bs)
		return ext2_err(e, EXT2_ET_INODE_CORRUPTED, "symlink size",
		    ino);
	if (in.i_flags & EXT4_INLINE_DATA_FL) {
		c = ext2fs_inline_data_get(e->fs, ino,
		    (struct ext2_inode *)&in, buf, &isize);
		if (c)
			return ext2_err(e, c, "symlink", ino);
		if (isize < size)
			size = isize;
	} else if (fast_symlink(e, &in)) {
		if (size >= FAST_SYMLINK_MAX)
			return ext2_err(e, EXT2_ET_INODE_CORRUPTED,
			    "symlink size", ino);
		memcpy(buf, in.i_block, size);
	} else {
		c = ext2fs_bmap2(e->fs, ino, (struct ext2_inode *)&in,
		    (char *)e->dirbuf + 6 * (size_t)e->bs, 0, 0, NULL, &pblk);
		if (c == 0 && pblk == 0)
			c = EXT2_ET_INODE_CORRUPTED;
		if (c == 0)
			c = io_channel_read_blk64(e->fs->io, pblk, 1, buf);
		if (c)
			return ext2_err(e, c, "symlink", ino);
	}
	if (size > cap)
		size = cap;
	memcpy(out, buf, size);
	return (long)size;
}
