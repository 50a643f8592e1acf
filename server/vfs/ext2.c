/*
 * The ext2 plugin: mounting an image and the vfs's node operations on it.
 * SPDX-License-Identifier: MIT
 *
 * Node ids are inode numbers. Every operation reads what it needs through
 * libext2fs (whose reads hit the block cache) and leaves the image
 * consistent when it returns; the cache is written back when dirty units
 * fill half of it (right after the operation that got it there) and on
 * sync. The superblock says "clean" exactly when it is written by a sync:
 * an image left behind between syncs says it needs a check.
 *
 * POSIX points kept here (permissions are the client's business: the
 * FUSE export lets the kernel check them against the owners and modes we
 * report): names up to 255 bytes, rename(2)'s rules, hard links up to
 * ext2's 32000, nanosecond times where the inodes have room for them
 * (256-byte inodes), and a file removed while a handle refers to it lives
 * on until the last handle goes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <et/com_err.h>

#include "ext2.h"

#define LINK_MAX_EXT2	32000
#define OPENS_CAP	256
/* Steps of ".." from a directory to the root before we call it a loop. */
#define DEPTH_MAX	4096

struct ext2_open {
	uint32_t ino;
	uint32_t count;
	bool doomed;			/* no name left: free at last close */
	struct ext2_open *next;
};

/* --- helpers shared by the plugin's files --- */

void
ext2_logf(struct ext2_fs *e, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (e->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->log(e->log_ctx, msg);
}

int
ext2_err(struct ext2_fs *e, errcode_t c, const char *what, uint32_t ino)
{
	switch (c) {
	case 0:
		return 0;
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_EA_NO_SPACE:
		return -ENOSPC;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	case EXT2_ET_FILE_TOO_BIG:
		return -EFBIG;
	case EXT2_ET_DIR_EXISTS:
		return -EEXIST;
	default:
		break;
	}
	ext2_logf(e, "inode %u: %s: %s", ino, what, error_message(c));
	if (c > 0 && c < 256 && c != EIO)
		return -(int)c;
	return -EIO;
}

static bool
inode_ok(struct ext2_fs *e, uint64_t ino)
{
	return ino >= 1 && ino <= e->fs->super->s_inodes_count;
}

int
ext2_read_inode(struct ext2_fs *e, uint32_t ino, struct ext2_inode_large *in)
{
	errcode_t c;

	if (!inode_ok(e, ino))
		return -ENOENT;
	memset(in, 0, sizeof(*in));
	c = ext2fs_read_inode_full(e->fs, ino, (struct ext2_inode *)in,
	    sizeof(*in));
	return c ? ext2_err(e, c, "reading the inode", ino) : 0;
}

int
ext2_write_inode(struct ext2_fs *e, uint32_t ino, struct ext2_inode_large *in)
{
	errcode_t c = ext2fs_write_inode_full(e->fs, ino,
	    (struct ext2_inode *)in, sizeof(*in));

	return c ? ext2_err(e, c, "writing the inode", ino) : 0;
}

/* Whether the inode has room for the extra field ending at `end`. */
static bool
has_extra(struct ext2_fs *e, const struct ext2_inode_large *in, size_t end)
{
	return EXT2_INODE_SIZE(e->fs->super) > EXT2_GOOD_OLD_INODE_SIZE &&
	    EXT2_GOOD_OLD_INODE_SIZE + (size_t)in->i_extra_isize >= end;
}

#define EXTRA_END(f) \
	(offsetof(struct ext2_inode_large, f) + sizeof(((struct \
	ext2_inode_large *)0)->f))

/* Seconds beyond 32 bits go into the extra field's epoch bits. */
static void
time_set(struct ext2_fs *e, struct ext2_inode_large *in, __u32 *lo,
    __u32 *extra, size_t end, const struct fs_time *t)
{
	*lo = (__u32)t->sec;
	if (has_extra(e, in, end))
		*extra = (((uint32_t)((t->sec - (int32_t)*lo) >> 32)) &
		    EXT4_EPOCH_MASK) | (t->nsec << EXT4_EPOCH_BITS);
}

static struct fs_time
time_get(struct ext2_fs *e, const struct ext2_inode_large *in, __u32 lo,
    __u32 extra, size_t end)
{
	struct fs_time t = { (int32_t)lo, 0, 0 };

	if (has_extra(e, in, end)) {
		t.sec += (int64_t)(extra & EXT4_EPOCH_MASK) << 32;
		t.nsec = extra >> EXT4_EPOCH_BITS;
		if (t.nsec >= 1000000000u)
			t.nsec = 0;
	}
	return t;
}

static struct fs_time
now(void)
{
	struct timespec ts;
	struct fs_time t = { 0, 0, 0 };

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		t.sec = ts.tv_sec;
		t.nsec = (uint32_t)ts.tv_nsec;
	}
	return t;
}

#define SET_TIME(e, in, f, t) \
	time_set(e, in, &(in)->i_##f, &(in)->i_##f##_extra, \
	    EXTRA_END(i_##f##_extra), t)
#define GET_TIME(e, in, f) \
	time_get(e, in, (in)->i_##f, (in)->i_##f##_extra, \
	    EXTRA_END(i_##f##_extra))

void
ext2_touch(struct ext2_fs *e, struct ext2_inode_large *in, bool mtime,
    bool ctime)
{
	struct fs_time t = now();

	if (mtime)
		SET_TIME(e, in, mtime, &t);
	if (ctime)
		SET_TIME(e, in, ctime, &t);
}

static int
ftype_of(uint16_t mode)
{
	return LINUX_S_ISDIR(mode) ? EXT2_FT_DIR :
	    LINUX_S_ISLNK(mode) ? EXT2_FT_SYMLINK :
	    LINUX_S_ISREG(mode) ? EXT2_FT_REG_FILE :
	    LINUX_S_ISCHR(mode) ? EXT2_FT_CHRDEV :
	    LINUX_S_ISBLK(mode) ? EXT2_FT_BLKDEV :
	    LINUX_S_ISFIFO(mode) ? EXT2_FT_FIFO : EXT2_FT_SOCK;
}

static uint32_t
link_max(struct ext2_fs *e)
{
	return LINK_MAX_EXT2;
}

/* --- write-back --- */

/* libext2fs's own state (bitmaps, descriptors, superblock) into the cache. */
static int
put_meta(struct ext2_fs *e, uint16_t state)
{
	ext2_filsys fs = e->fs;
	errcode_t c;

	if (state != fs->super->s_state) {
		fs->super->s_state = state;
		ext2fs_mark_super_dirty(fs);
	}
	c = ext2fs_write_bitmaps(fs);
	if (c == 0 && (fs->flags & EXT2_FLAG_DIRTY))
		c = ext2fs_flush2(fs, EXT2_FLAG_FLUSH_NO_SYNC);
	return c ? ext2_err(e, c, "writing the superblock and bitmaps", 0) :
	    0;
}

/*
 * Write the cache back; with clean, as a sync that leaves the image
 * marked clean. The mark on disk never claims more than is true: before
 * the first write after a clean mark, the superblock alone goes out
 * saying "not clean" (and is made durable); a clean mark is written, and
 * made durable, only after everything else is.
 */
static int
flush(struct ext2_fs *e, bool clean)
{
	uint16_t state = e->fs->super->s_state;
	uint64_t sb_unit = 1024 / e->bs;
	int r;

	if (e->ro)
		return 0;
	if (e->disk_valid && (ext2_io_dirty(e->io) ||
	    (e->fs->flags & EXT2_FLAG_DIRTY))) {
		if ((r = put_meta(e, state & (uint16_t)~EXT2_VALID_FS)) < 0 ||
		    (r = ext2_io_writeback_unit(e->io, sb_unit, true)) < 0)
			goto fail;
		e->disk_valid = false;
	}
	if ((r = put_meta(e, state & (uint16_t)~EXT2_VALID_FS)) < 0 ||
	    (r = ext2_io_writeback(e->io, clean)) < 0)
		goto fail;
	if (clean && !e->disk_valid) {
		if ((r = put_meta(e, state | EXT2_VALID_FS)) < 0 ||
		    (r = ext2_io_writeback(e->io, true)) < 0)
			goto fail;
		e->disk_valid = true;
	}
	return 0;
fail:
	ext2_logf(e, "write-back to the device failed: %s", strerror(-r));
	return r;
}

/*
 * The end of a changing operation: write back if the cache fills up, and
 * tell the server that there is something to sync.
 */
static int
done(struct ext2_fs *e, int r)
{
	int w;

	if (e->ro)
		return r;
	if (ext2_io_pressure(e->io) && (w = flush(e, false)) < 0 && r >= 0)
		r = w;
	if (e->changed)
		e->changed(e->log_ctx);
	return r;
}

static long
done_long(struct ext2_fs *e, long r)
{
	int w = done(e, r < 0 ? (int)r : 0);

	return r < 0 ? r : w < 0 ? w : r;
}

/* --- open nodes and deferred deletion --- */

static struct ext2_open **
open_slot(struct ext2_fs *e, uint32_t ino)
{
	struct ext2_open **pp = &e->opens[ino % e->opens_cap];

	while (*pp && (*pp)->ino != ino)
		pp = &(*pp)->next;
	return pp;
}

/*
 * Free inode ino without names, as *in holds it: its blocks, then the
 * inode itself, written once.
 */
static int
free_inode_as(struct ext2_fs *e, uint32_t ino, struct ext2_inode_large *in)
{
	int r;

	if ((r = ext2_data_free_all(e, ino, in)) < 0)
		return r;
	in->i_links_count = 0;
	in->i_dtime = (__u32)now().sec;
	ext2fs_inode_size_set(e->fs, (struct ext2_inode *)in, 0);
	if ((r = ext2_write_inode(e, ino, in)) < 0)
		return r;
	ext2fs_inode_alloc_stats2(e->fs, ino, -1, LINUX_S_ISDIR(in->i_mode));
	return 0;
}

static int
free_inode(struct ext2_fs *e, uint32_t ino)
{
	struct ext2_inode_large in;
	int r;

	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return r;
	return free_inode_as(e, ino, &in);
}

/* Inode ino lost its last name: free it now or at its last close. */
static int
orphaned(struct ext2_fs *e, uint32_t ino)
{
	struct ext2_open *o = *open_slot(e, ino);

	if (o) {
		o->doomed = true;
		return 0;
	}
	return free_inode(e, ino);
}

static void
e_open(void *ctx, uint64_t node)
{
	struct ext2_fs *e = ctx;
	struct ext2_open **pp, *o;

	if (!inode_ok(e, node))
		return;
	pp = open_slot(e, (uint32_t)node);
	if (*pp == NULL) {
		o = calloc(1, sizeof(*o));
		if (o == NULL)
			return;		/* deletion will not wait for it */
		o->ino = (uint32_t)node;
		*pp = o;
	}
	(*pp)->count++;
}

static void
e_close(void *ctx, uint64_t node)
{
	struct ext2_fs *e = ctx;
	struct ext2_open **pp, *o;

	if (!inode_ok(e, node))
		return;
	pp = open_slot(e, (uint32_t)node);
	if ((o = *pp) == NULL || --o->count > 0)
		return;
	*pp = o->next;
	if (o->doomed && !e->ro)
		(void)done(e, free_inode(e, o->ino));
	free(o);
}

/* --- operations --- */

static int
e_lookup(void *ctx, uint64_t dir, const char *name, uint64_t *node)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large in;
	uint32_t ino;
	int ft, r;

	if (!inode_ok(e, dir))
		return -ENOENT;
	if (strlen(name) > EXT2_NAME_MAX)
		return -ENAMETOOLONG;
	if ((r = ext2_dir_lookup(e, (uint32_t)dir, name, &ino, &ft)) < 0)
		return r;
	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return r;
	if (in.i_links_count == 0 || in.i_mode == 0) {
		ext2_logf(e, "directory inode %u: entry \"%s\" names deleted "
		    "inode %u", (unsigned)dir, name, ino);
		return -EIO;
	}
	*node = ino;
	return 0;
}

static int
check_new_name(struct ext2_fs *e, uint32_t dir, const char *name,
    struct ext2_inode_large *din)
{
	uint32_t ino;
	int ft, r;

	if (e->ro)
		return -EROFS;
	if (strlen(name) > EXT2_NAME_MAX)
		return -ENAMETOOLONG;
	if ((r = ext2_read_inode(e, dir, din)) < 0)
		return r;
	if (!LINUX_S_ISDIR(din->i_mode))
		return -ENOTDIR;
	if (din->i_links_count == 0)
		return -ENOENT;		/* removed while open */
	r = ext2_dir_lookup(e, dir, name, &ino, &ft);
	return r == 0 ? -EEXIST : r == -ENOENT ? 0 : r;
}

/* Change a directory's link count and times (it gained or lost one). */
static int
dir_adjust(struct ext2_fs *e, uint32_t dir, int links)
{
	struct ext2_inode_large in;
	int r;

	if ((r = ext2_read_inode(e, dir, &in)) < 0)
		return r;
	if (links > 0 && in.i_links_count < 0xffff)
		in.i_links_count++;
	else if (links < 0 && in.i_links_count > 1)
		in.i_links_count--;
	ext2_touch(e, &in, true, true);
	return ext2_write_inode(e, dir, &in);
}

/* A new directory's first block, mapped as its block 0. */
static int
new_dir_block(struct ext2_fs *e, uint32_t ino, uint32_t parent,
    struct ext2_inode_large *in)
{
	ext2_extent_handle_t h;
	char *block = NULL;
	blk64_t blk;
	errcode_t c;

	c = ext2fs_new_block2(e->fs, ext2fs_find_inode_goal(e->fs, ino,
	    (struct ext2_inode *)in, 0), NULL, &blk);
	if (c)
		return ext2_err(e, c, "new directory", ino);
	ext2fs_block_alloc_stats2(e->fs, blk, +1);
	c = ext2fs_new_dir_block(e->fs, ino, parent, &block);
	if (c == 0)
		c = ext2fs_write_dir_block4(e->fs, blk, block, 0, ino);
	ext2fs_free_mem(&block);
	if (c == 0 && (in->i_flags & EXT4_EXTENTS_FL)) {
		c = ext2fs_extent_open2(e->fs, ino, (struct ext2_inode *)in,
		    &h);
		if (c == 0) {
			c = ext2fs_extent_set_bmap(h, 0, blk, 0);
			ext2fs_extent_free(h);
		}
	} else if (c == 0) {
		in->i_block[0] = (__u32)blk;
	}
	if (c) {
		ext2fs_block_alloc_stats2(e->fs, blk, -1);
		return ext2_err(e, c, "new directory", ino);
	}
	ext2fs_iblk_set(e->fs, (struct ext2_inode *)in, 1);
	(void)ext2fs_inode_size_set(e->fs, (struct ext2_inode *)in, e->bs);
	return 0;
}

static int
e_create(void *ctx, uint64_t dir, const char *name, uint32_t mode,
    uint64_t *node)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large din, in;
	uint32_t type = mode & FS_MODE_TYPE;
	uint16_t lmode;
	ext2_extent_handle_t h;
	struct fs_time t = now();
	ext2_ino_t ino;
	errcode_t c;
	int r;

	if (!inode_ok(e, dir))
		return -ENOENT;
	if (type != FS_MODE_FILE && type != FS_MODE_DIRECTORY &&
	    type != FS_MODE_SYMLINK)
		return -EINVAL;
	if ((r = check_new_name(e, (uint32_t)dir, name, &din)) < 0)
		return r;
	if (type == FS_MODE_DIRECTORY && din.i_links_count >= link_max(e))
		return -EMLINK;
	lmode = (uint16_t)((type == FS_MODE_FILE ? LINUX_S_IFREG :
	    type == FS_MODE_DIRECTORY ? LINUX_S_IFDIR : LINUX_S_IFLNK) |
	    (mode & 07777));
	/* Linux: a directory inherits its parent's set-group-id bit. */
	if (type == FS_MODE_DIRECTORY && (din.i_mode & LINUX_S_ISGID))
		lmode |= LINUX_S_ISGID;
	c = ext2fs_new_inode(e->fs, (ext2_ino_t)dir, lmode, NULL, &ino);
	if (c)
		return ext2_err(e, c, "new inode", (uint32_t)dir);
	ext2fs_inode_alloc_stats2(e->fs, ino, +1, type == FS_MODE_DIRECTORY);

	memset(&in, 0, sizeof(in));
	in.i_mode = lmode;
	/* New nodes belong to the directory's owner; clients chown. */
	in.i_uid = din.i_uid;
	in.osd2.linux2.l_i_uid_high = din.osd2.linux2.l_i_uid_high;
	in.i_gid = din.i_gid;
	in.osd2.linux2.l_i_gid_high = din.osd2.linux2.l_i_gid_high;
	in.i_links_count = type == FS_MODE_DIRECTORY ? 2 : 1;
	c = ext2fs_write_new_inode(e->fs, ino, (struct ext2_inode *)&in);
	if (c) {
		r = ext2_err(e, c, "new inode", ino);
		goto undo_inode;
	}
	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		goto undo_inode;
	SET_TIME(e, &in, atime, &t);
	SET_TIME(e, &in, mtime, &t);
	SET_TIME(e, &in, ctime, &t);
	SET_TIME(e, &in, crtime, &t);
	if (type != FS_MODE_SYMLINK &&
	    ext2fs_has_feature_extents(e->fs->super)) {
		in.i_flags |= EXT4_EXTENTS_FL;
		c = ext2fs_extent_open2(e->fs, ino, (struct ext2_inode *)&in,
		    &h);
		if (c) {
			r = ext2_err(e, c, "new inode", ino);
			goto undo_inode;
		}
		ext2fs_extent_free(h);
	}
	if (type == FS_MODE_DIRECTORY &&
	    (r = new_dir_block(e, ino, (uint32_t)dir, &in)) < 0)
		goto undo_inode;
	if ((r = ext2_write_inode(e, ino, &in)) < 0)
		goto undo_blocks;
	r = ext2_dir_add(e, (uint32_t)dir, name, ino, ftype_of(lmode));
	if (r < 0)
		goto undo_blocks;
	ext2_dir_changed(e, (uint32_t)dir, +1);
	if ((r = dir_adjust(e, (uint32_t)dir,
	    type == FS_MODE_DIRECTORY ? 1 : 0)) < 0)
		return done(e, r);
	*node = ino;
	return done(e, 0);

undo_blocks:
	(void)ext2_data_free_all(e, ino, &in);
	in.i_links_count = 0;
	in.i_dtime = (__u32)t.sec;
	(void)ext2_write_inode(e, ino, &in);
undo_inode:
	ext2fs_inode_alloc_stats2(e->fs, ino, -1, type == FS_MODE_DIRECTORY);
	return done(e, r);
}

static int
e_stat(void *ctx, uint64_t node, struct fs_status *st)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large in;
	uint64_t count;
	int r;

	if ((r = ext2_read_inode(e, (uint32_t)node, &in)) < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->mode = in.i_mode & 07777;
	if (LINUX_S_ISDIR(in.i_mode)) {
		st->mode |= FS_MODE_DIRECTORY;
		if ((r = ext2_dir_count(e, (uint32_t)node, &count)) < 0)
			return r;
		st->size = count * sizeof(struct fs_dirent);
	} else {
		st->mode |= LINUX_S_ISLNK(in.i_mode) ? FS_MODE_SYMLINK :
		    FS_MODE_FILE;
		st->size = EXT2_I_SIZE(&in);
	}
	st->nlink = in.i_links_count;
	st->inode = node;
	st->uid = inode_uid(in);
	st->gid = inode_gid(in);
	st->blocks = ext2fs_get_stat_i_blocks(e->fs, (struct ext2_inode *)&in);
	st->atime = GET_TIME(e, &in, atime);
	st->mtime = GET_TIME(e, &in, mtime);
	st->ctime = GET_TIME(e, &in, ctime);
	return 0;
}

static long
e_read(void *ctx, uint64_t node, void *buf, size_t len, uint64_t pos)
{
	return ext2_data_read(ctx, (uint32_t)node, buf, len, pos);
}

static long
e_write(void *ctx, uint64_t node, const void *buf, size_t len, uint64_t pos)
{
	struct ext2_fs *e = ctx;

	return done_long(e, ext2_data_write(e, (uint32_t)node, buf, len, pos));
}

static int
e_readdir(void *ctx, uint64_t dir, uint64_t index, struct fs_dirent *out)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large in;
	int r;

	if ((r = ext2_read_inode(e, (uint32_t)dir, &in)) < 0)
		return r;
	if (!LINUX_S_ISDIR(in.i_mode))
		return -ENOTDIR;
	return ext2_dir_entry(e, (uint32_t)dir, index, out);
}

/* The entry dir/name must go: its node loses a link. */
static int
drop_link(struct ext2_fs *e, uint32_t dir, uint32_t ino,
    struct ext2_inode_large *in)
{
	int r;

	if (LINUX_S_ISDIR(in->i_mode)) {
		in->i_links_count = 0;	/* its name and its "." */
		ext2_dir_changed(e, ino, 0);
		if ((r = dir_adjust(e, dir, -1)) < 0)
			return r;
	} else if (in->i_links_count > 0) {
		in->i_links_count--;
	}
	ext2_touch(e, in, false, true);
	/* Nobody has it open: free it in the same write. */
	if (in->i_links_count == 0 && *open_slot(e, ino) == NULL)
		return free_inode_as(e, ino, in);
	if ((r = ext2_write_inode(e, ino, in)) < 0)
		return r;
	return in->i_links_count == 0 ? orphaned(e, ino) : 0;
}

static int
empty_dir(struct ext2_fs *e, uint32_t ino)
{
	uint64_t n;
	int r = ext2_dir_count(e, ino, &n);

	return r < 0 ? r : n ? -ENOTEMPTY : 0;
}

static int
e_unlink(void *ctx, uint64_t dir, const char *name)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large in;
	uint32_t ino;
	bool wrote;
	int ft, r;

	if (e->ro)
		return -EROFS;
	if (!inode_ok(e, dir))
		return -ENOENT;
	r = ext2_dir_remove_file(e, (uint32_t)dir, name, &ino, &in, &wrote);
	if (r < 0)
		return wrote ? done(e, r) : r;
	if (r > 0) {
		/* A directory (must be empty), or an inline one. */
		if ((r = ext2_dir_lookup(e, (uint32_t)dir, name, &ino,
		    &ft)) < 0)
			return r;
		if ((r = ext2_read_inode(e, ino, &in)) < 0)
			return r;
		if (LINUX_S_ISDIR(in.i_mode) && (r = empty_dir(e, ino)) < 0)
			return r;
		if ((r = ext2_dir_remove(e, (uint32_t)dir, name)) < 0)
			return done(e, r);
	}
	ext2_dir_changed(e, (uint32_t)dir, -1);
	if (!LINUX_S_ISDIR(in.i_mode) && (r = dir_adjust(e, (uint32_t)dir,
	    0)) < 0)
		return done(e, r);
	return done(e, drop_link(e, (uint32_t)dir, ino, &in));
}

/*
 * Whether directory a is b or one of b's ancestors: 1, 0, or -EIO when the
 * ".." chain loops (a damaged image).
 */
static int
is_ancestor(struct ext2_fs *e, uint32_t a, uint32_t b)
{
	uint32_t parent;
	unsigned steps;
	int ft, r;

	for (steps = 0; steps < DEPTH_MAX; steps++) {
		if (b == a)
			return 1;
		if (b == EXT2_ROOT_INO)
			return 0;
		if ((r = ext2_dir_lookup(e, b, "..", &parent, &ft)) < 0)
			return r;
		if (parent == b)
			break;
		b = parent;
	}
	ext2_logf(e, "directory inode %u: its \"..\" entries form a loop "
	    "(or nest deeper than %u)", b, DEPTH_MAX);
	return -EIO;
}

static int
rename_check(struct ext2_fs *e, uint32_t fdir, uint32_t tdir, uint32_t src,
    struct ext2_inode_large *sin, bool have_dst,
    struct ext2_inode_large *din)
{
	struct ext2_inode_large tin;
	bool sdir = LINUX_S_ISDIR(sin->i_mode);
	int r;

	if ((r = ext2_read_inode(e, tdir, &tin)) < 0)
		return r;
	if (!LINUX_S_ISDIR(tin.i_mode))
		return -ENOTDIR;
	if (tin.i_links_count == 0)
		return -ENOENT;
	if (sdir && (r = is_ancestor(e, src, tdir)) != 0)
		return r < 0 ? r : -EINVAL;
	if (have_dst) {
		if (sdir && !LINUX_S_ISDIR(din->i_mode))
			return -ENOTDIR;
		if (!sdir && LINUX_S_ISDIR(din->i_mode))
			return -EISDIR;
	} else if (sdir && fdir != tdir && tin.i_links_count >= link_max(e)) {
		return -EMLINK;
	}
	return 0;
}

static int
e_rename(void *ctx, uint64_t from_dir, const char *from, uint64_t to_dir,
    const char *to)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large sin, din;
	uint32_t fdir = (uint32_t)from_dir, tdir = (uint32_t)to_dir;
	uint32_t src, dst = 0;
	bool sdir;
	int ft, r;

	if (e->ro)
		return -EROFS;
	if (!inode_ok(e, from_dir) || !inode_ok(e, to_dir))
		return -ENOENT;
	if (strlen(to) > EXT2_NAME_MAX)
		return -ENAMETOOLONG;
	if ((r = ext2_dir_lookup(e, fdir, from, &src, &ft)) < 0 ||
	    (r = ext2_read_inode(e, src, &sin)) < 0)
		return r;
	r = ext2_dir_lookup(e, tdir, to, &dst, &ft);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && dst == src)
		return 0;		/* POSIX: the same file, nothing to do */
	if (r == 0 && (r = ext2_read_inode(e, dst, &din)) < 0)
		return r;
	sdir = LINUX_S_ISDIR(sin.i_mode);
	if ((r = rename_check(e, fdir, tdir, src, &sin, dst != 0, &din)) < 0)
		return r;
	if (dst && LINUX_S_ISDIR(din.i_mode) && (r = empty_dir(e, dst)) < 0)
		return r;

	/* The new name first: a crash in between leaves two names. */
	if (dst) {
		r = ext2_dir_retarget(e, tdir, to, src, ftype_of(sin.i_mode));
		ext2_dir_changed(e, tdir, 0);
		if (r == 0)
			r = drop_link(e, tdir, dst, &din);
	} else {
		r = ext2_dir_add(e, tdir, to, src, ftype_of(sin.i_mode));
		if (r == 0)
			ext2_dir_changed(e, tdir, +1);
	}
	if (r < 0)
		return done(e, r);
	if ((r = ext2_dir_remove(e, fdir, from)) < 0)
		return done(e, r);
	ext2_dir_changed(e, fdir, -1);
	if (sdir && fdir != tdir) {
		if ((r = ext2_dir_retarget(e, src, "..", tdir,
		    EXT2_FT_DIR)) < 0)
			return done(e, r);
		ext2_dir_changed(e, src, 0);
		if ((r = dir_adjust(e, fdir, -1)) < 0 ||
		    (r = dir_adjust(e, tdir, +1)) < 0)
			return done(e, r);
	} else {
		if ((r = dir_adjust(e, fdir, 0)) < 0 ||
		    (fdir != tdir && (r = dir_adjust(e, tdir, 0)) < 0))
			return done(e, r);
	}
	if ((r = ext2_read_inode(e, src, &sin)) < 0)
		return done(e, r);
	ext2_touch(e, &sin, false, true);
	return done(e, ext2_write_inode(e, src, &sin));
}

static int
e_truncate(void *ctx, uint64_t node, uint64_t size)
{
	struct ext2_fs *e = ctx;

	return done(e, ext2_data_truncate(e, (uint32_t)node, size));
}

static int
e_symlink(void *ctx, uint64_t node, const char *target, size_t len)
{
	struct ext2_fs *e = ctx;

	return done(e, ext2_symlink_set(e, (uint32_t)node, target, len));
}

static long
e_readlink(void *ctx, uint64_t node, char *buf, size_t cap)
{
	return ext2_symlink_get(ctx, (uint32_t)node, buf, cap);
}

static int
e_link(void *ctx, uint64_t node, uint64_t dir, const char *name)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large in, din;
	uint32_t ino = (uint32_t)node;
	int r;

	if (!inode_ok(e, node) || !inode_ok(e, dir))
		return -ENOENT;
	if ((r = check_new_name(e, (uint32_t)dir, name, &din)) < 0)
		return r;
	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return r;
	if (LINUX_S_ISDIR(in.i_mode))
		return -EPERM;
	if (in.i_links_count == 0)
		return -ENOENT;
	if (in.i_links_count >= link_max(e))
		return -EMLINK;
	if ((r = ext2_dir_add(e, (uint32_t)dir, name, ino,
	    ftype_of(in.i_mode))) < 0)
		return done(e, r);
	ext2_dir_changed(e, (uint32_t)dir, +1);
	if ((r = ext2_read_inode(e, ino, &in)) < 0)
		return done(e, r);
	in.i_links_count++;
	ext2_touch(e, &in, false, true);
	if ((r = ext2_write_inode(e, ino, &in)) < 0)
		return done(e, r);
	return done(e, dir_adjust(e, (uint32_t)dir, 0));
}

static int
e_setattr(void *ctx, uint64_t node, const struct fs_control_args *a)
{
	struct ext2_fs *e = ctx;
	struct ext2_inode_large in;
	struct fs_time t = now();
	int r;

	if (e->ro)
		return -EROFS;
	if ((r = ext2_read_inode(e, (uint32_t)node, &in)) < 0)
		return r;
	if (a->valid & FS_CONTROL_MODE)
		in.i_mode = (uint16_t)((in.i_mode & ~07777) |
		    (a->mode & 07777));
	if (a->valid & FS_CONTROL_UID) {
		in.i_uid = (uint16_t)a->uid;
		in.osd2.linux2.l_i_uid_high = (uint16_t)(a->uid >> 16);
	}
	if (a->valid & FS_CONTROL_GID) {
		in.i_gid = (uint16_t)a->gid;
		in.osd2.linux2.l_i_gid_high = (uint16_t)(a->gid >> 16);
	}
	if (a->valid & FS_CONTROL_ATIME)
		SET_TIME(e, &in, atime, &a->atime);
	if (a->valid & FS_CONTROL_MTIME)
		SET_TIME(e, &in, mtime, &a->mtime);
	if (a->valid & FS_CONTROL_ATIME_NOW)
		SET_TIME(e, &in, atime, &t);
	if (a->valid & FS_CONTROL_MTIME_NOW)
		SET_TIME(e, &in, mtime, &t);
	SET_TIME(e, &in, ctime, &t);
	return done(e, ext2_write_inode(e, (uint32_t)node, &in));
}

/*
 * FS_ALLOCATE. Zeroing a range is a punch and an allocation: both leave
 * the range reading zeros, the second makes it allocated again (new
 * blocks are zeroed, or unwritten extents).
 */
static int
e_allocate(void *ctx, uint64_t node, uint32_t flags, uint64_t off,
    uint64_t len)
{
	struct ext2_fs *e = ctx;
	bool keep = (flags & FS_ALLOC_KEEP_SIZE) != 0;
	int r;

	if (flags & FS_ALLOC_PUNCH_HOLE)
		return done(e, ext2_punch_hole(e, node, off, len));
	if ((flags & FS_ALLOC_ZERO_RANGE) &&
	    (r = ext2_punch_hole(e, node, off, len)) < 0)
		return done(e, r);
	return done(e, ext2_fallocate(e, node, off, len, keep));
}

static int
e_sync(void *ctx)
{
	return flush(ctx, true);
}

const struct fs_ops ext2_ops = {
	.lookup = e_lookup,
	.create = e_create,
	.stat = e_stat,
	.read = e_read,
	.write = e_write,
	.readdir = e_readdir,
	.unlink = e_unlink,
	.rename = e_rename,
	.truncate = e_truncate,
	.symlink = e_symlink,
	.readlink = e_readlink,
	.link = e_link,
	.setattr = e_setattr,
	.sync = e_sync,
	.allocate = e_allocate,
	.open = e_open,
	.close = e_close,
};

/* --- mounting --- */

static int
fail(char *err, size_t ecap, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t ecap, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, ecap, fmt, ap);
	va_end(ap);
	return r;
}

/* libext2fs's refusal to open, named by the structure at fault. */
static const char *
open_structure(errcode_t c)
{
	switch (c) {
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_CORRUPT_SUPERBLOCK:
	case EXT2_ET_SB_CSUM_INVALID:
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
	case EXT2_ET_REV_TOO_HIGH:
	case EXT2_ET_UNKNOWN_CSUM:
		return "superblock";
	case EXT2_ET_GDESC_READ:
	case EXT2_ET_GDESC_BAD_BLOCK_MAP:
	case EXT2_ET_GDESC_BAD_INODE_MAP:
	case EXT2_ET_GDESC_BAD_INODE_TABLE:
	case EXT2_ET_BAD_DESC_SIZE:
		return "group descriptors";
	default:
		return "opening the file system";
	}
}

static int
read_super(const struct ext2_dev *dev, uint8_t *sb)
{
	uint64_t bs = dev->block_size, first = 1024 / bs, count;
	uint8_t *buf;
	int r;

	count = (2048 + bs - 1) / bs - first;
	if (count == 0)
		count = 1;
	buf = malloc(count * bs);
	if (buf == NULL)
		return -ENOMEM;
	r = dev->read(dev->ctx, first, count, buf);
	if (r == 0)
		memcpy(sb, buf + (1024 - first * bs), 1024);
	free(buf);
	return r;
}

static int
check_root(struct ext2_fs *e, char *err, size_t ecap)
{
	struct ext2_inode_large in;
	int r = ext2_read_inode(e, EXT2_ROOT_INO, &in);

	if (r < 0)
		return fail(err, ecap, r, "root inode: cannot be read");
	if (!LINUX_S_ISDIR(in.i_mode) || in.i_links_count < 2 ||
	    EXT2_I_SIZE(&in) < e->bs || EXT2_I_SIZE(&in) % e->bs)
		return fail(err, ecap, -EINVAL, "root inode: not a directory "
		    "(mode 0%o, %u links, size %llu)", in.i_mode,
		    in.i_links_count,
		    (unsigned long long)EXT2_I_SIZE(&in));
	return 0;
}

int
ext2_mount(const struct ext2_mount_args *a, struct ext2_fs **out, char *err,
    size_t ecap)
{
	const struct ext2_dev *dev = a->dev;
	uint8_t sb[1024];
	char note[160] = "", name[64];
	struct ext2_fs *e;
	errcode_t c;
	uint32_t bs;
	bool ro;
	int r, flags;

	initialize_ext2_error_table();
	if ((r = read_super(dev, sb)) < 0)
		return fail(err, ecap, r, "superblock: cannot be read (%s)",
		    strerror(-r));
	r = ext2_super_check(sb, dev->block_count * dev->block_size, &ro,
	    note, sizeof(note));
	if (r < 0)
		return fail(err, ecap, r, "%s", note);
	bs = 1024u << ((struct ext2_super_block *)sb)->s_log_block_size;
	if (bs < dev->block_size)
		return fail(err, ecap, -EINVAL, "superblock: block size %u is "
		    "smaller than the device's blocks (%u bytes)", bs,
		    dev->block_size);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return fail(err, ecap, -ENOMEM, "out of memory");
	e->bs = bs;
	e->log = a->log;
	e->changed = a->changed;
	e->log_ctx = a->log_ctx;
	e->ro = ro || a->read_only || !dev->writeable;
	if (ro && note[0])
		ext2_logf(e, "%s", note);
	e->opens_cap = OPENS_CAP;
	e->opens = calloc(e->opens_cap, sizeof(*e->opens));
	e->dirbuf = malloc((size_t)EXT2_SCRATCH_BLOCKS * bs);
	if (e->opens == NULL || e->dirbuf == NULL || ext2_dir_setup(e) < 0) {
		r = fail(err, ecap, -ENOMEM, "out of memory");
		goto free_e;
	}
	r = ext2_io_create(dev, bs, a->cache_mem, a->cache_bytes, &e->io);
	if (r < 0) {
		r = fail(err, ecap, r, "block cache of %zu bytes for %u-byte "
		    "blocks: %s", a->cache_bytes, bs, strerror(-r));
		goto free_e;
	}
	ext2_io_name(e->io, name, sizeof(name));
	flags = EXT2_FLAG_64BITS | (e->ro ? 0 : EXT2_FLAG_RW);
	c = ext2fs_open2(name, NULL, flags, 0, 0, ext2_io_manager, &e->fs);
	if (c) {
		r = fail(err, ecap, -EINVAL, "%s: %s", open_structure(c),
		    error_message(c));
		goto free_io;
	}
	/* Only the primary superblock is written, as Linux does. */
	e->fs->flags |= EXT2_FLAG_MASTER_SB_ONLY;
	if ((c = ext2fs_check_desc(e->fs)) != 0) {
		r = fail(err, ecap, -EINVAL, "group descriptors: %s",
		    error_message(c));
		goto close;
	}
	if ((c = ext2fs_read_bitmaps(e->fs)) != 0) {
		r = fail(err, ecap, -EINVAL, "block and inode bitmaps: %s",
		    error_message(c));
		goto close;
	}
	if ((r = check_root(e, err, ecap)) < 0)
		goto close;
	if (!e->ro) {
		if (!(e->fs->super->s_state & EXT2_VALID_FS))
			ext2_logf(e, "superblock: not cleanly unmounted; "
			    "running e2fsck is recommended");
		e->disk_valid = (e->fs->super->s_state & EXT2_VALID_FS) != 0;
		e->fs->super->s_mnt_count++;
		e->fs->super->s_mtime = (__u32)now().sec;
		ext2fs_mark_super_dirty(e->fs);
	}
	*out = e;
	return 0;
close:
	ext2fs_close_free(&e->fs);
free_io:
	ext2_io_destroy(e->io);
free_e:
	ext2_dir_teardown(e);
	free(e->opens);
	free(e->dirbuf);
	free(e);
	return r;
}

int
ext2_unmount(struct ext2_fs *e)
{
	unsigned i;
	int r = 0;

	for (i = 0; i < e->opens_cap; i++)
		while (e->opens[i]) {
			struct ext2_open *o = e->opens[i];

			e->opens[i] = o->next;
			if (o->doomed && !e->ro)
				(void)free_inode(e, o->ino);
			free(o);
		}
	if (!e->ro)
		r = flush(e, true);
	e->fs->flags &= ~EXT2_FLAG_DIRTY;
	ext2fs_close_free(&e->fs);
	ext2_dir_teardown(e);
	ext2_io_destroy(e->io);
	free(e->opens);
	free(e->dirbuf);
	free(e);
	return r;
}

uint64_t
ext2_root(const struct ext2_fs *e)
{
	return EXT2_ROOT_INO;
}

bool
ext2_read_only(const struct ext2_fs *e)
{
	return e->ro;
}

struct ext2_io *
ext2_io_of(struct ext2_fs *e)
{
	return e->io;
}
