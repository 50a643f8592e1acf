/*
 * The ext2 plugin's directories: lookups by hash, entries, listings.
 * SPDX-License-Identifier: MIT
 *
 * libext2fs looks names up by scanning every block of a directory, even
 * one with a hash index (dir_index), and leaves a directory unindexed
 * however large it grows. Here, as in Linux:
 *   - a lookup, a removal or a retargeting (rename over an entry) in an
 *     indexed directory walks the index (at most three levels, each entry
 *     checked) to the one leaf block that can hold the name, following
 *     hash collisions into the next leaf as the continuation bit says;
 *   - a directory that outgrows its first block is indexed: the block
 *     becomes the index root and its entries are split by hash into two
 *     leaves. From then on libext2fs's ext2fs_link() adds entries through
 *     the index and splits leaves itself.
 * An index that fails a check is reported once per lookup and the
 * directory is scanned linearly instead, so a damaged index costs speed,
 * never correctness. Directories with inline data go through libext2fs.
 *
 * Listings: the File_system session reads a directory by entry index, so
 * a directory's entries are listed once into memory and served from
 * there until the directory changes; the entry count (a directory's size
 * in the session) is kept up to date across changes without a listing.
 * EXT2_DIRINFO_MAX directories are remembered, least recently used first
 * out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ext2.h"

#define DX_ROOT_OFF	24	/* dx_root_info follows "." and ".." */
#define DX_NODE_OFF	8	/* count/limit follow the fake dirent */

struct lent {
	uint32_t ino;
	uint32_t off;		/* of the name in names */
	uint8_t len;
	uint8_t type;		/* enum fs_node_type */
};

struct ext2_dirinfo {
	uint32_t ino;		/* 0: slot unused */
	uint64_t used;		/* e->dir_clock at the last use */
	bool have_count, listed;
	uint64_t count;
	struct lent *ents;
	uint32_t nents, cap;
	char *names;
	size_t nlen, ncap;
};

/* Where a name was found: its block and the entry's offset in it. */
struct loc {
	uint64_t lblk;
	blk64_t pblk;
	unsigned off;
	int prev;		/* offset of the entry before, -1: first */
	uint8_t *buf;
};

struct dx_frame {
	uint8_t *buf;
	struct ext2_dx_entry *ent;
	unsigned count, at;
};

struct dx_path {
	unsigned levels;
	uint32_t hash;
	uint64_t nblocks;
	struct dx_frame f[EXT4_HTREE_LEVEL];
};

static uint8_t *
scratch(struct ext2_fs *e, unsigned k)
{
	return e->dirbuf + (size_t)k * e->bs;
}

static bool
is_dot(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.');
}

static int
corrupt(struct ext2_fs *e, uint32_t dir, uint64_t lblk, const char *what)
{
	ext2_logf(e, "directory inode %u, block %llu: %s", dir,
	    (unsigned long long)lblk, what);
	return -EIO;
}

/* Logical block lblk of directory dir into buf. */
static int
dir_block(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in,
    uint64_t lblk, uint8_t *buf, blk64_t *pblk)
{
	int flags = 0;
	errcode_t c;

	c = ext2fs_bmap2(e->fs, dir, (struct ext2_inode *)in,
	    (char *)scratch(e, 6), 0, lblk, &flags, pblk);
	if (c)
		return ext2_err(e, c, "directory block map", dir);
	if (*pblk == 0 || (flags & BMAP_RET_UNINIT))
		return corrupt(e, dir, lblk, "a hole in the directory");
	c = ext2fs_read_dir_block4(e->fs, *pblk, buf, 0, dir);
	if (c)
		return ext2_err(e, c, "directory block", dir);
	return 0;
}

/*
 * Find name in a directory block: 0 with the entry's offset and the one
 * before it, -ENOENT, or -EIO for an entry that breaks the block's rules.
 */
static int
scan_block(struct ext2_fs *e, uint32_t dir, uint64_t lblk, uint8_t *buf,
    const char *name, size_t len, unsigned *off, int *prev)
{
	unsigned o = 0, rl;
	int last = -1;

	while (o < e->bs) {
		struct ext2_dir_entry *d = (struct ext2_dir_entry *)(buf + o);
		unsigned nl;

		if (o + 8 > e->bs || ext2fs_get_rec_len(e->fs, d, &rl) ||
		    rl < 8 || rl % 4 || rl > e->bs - o)
			return corrupt(e, dir, lblk, "bad record length");
		nl = (unsigned)ext2fs_dirent_name_len(d);
		if (nl + 8 > rl)
			return corrupt(e, dir, lblk, "name beyond its record");
		if (d->inode && nl == len && memcmp(d->name, name, len) == 0) {
			*off = o;
			*prev = last;
			return 0;
		}
		last = (int)o;
		o += rl;
	}
	return -ENOENT;
}

/* --- the hash index --- */

static unsigned
dx_limit(struct ext2_fs *e, unsigned at)
{
	unsigned tail = ext2fs_has_feature_metadata_csum(e->fs->super) ?
	    sizeof(struct ext2_dx_tail) : 0;

	return (e->bs - at - tail) / sizeof(struct ext2_dx_entry);
}

/* Check a node's count/limit at offset at and search it for the hash. */
static int
dx_frame_search(struct ext2_fs *e, uint32_t dir, uint64_t lblk,
    struct dx_frame *f, unsigned at, uint32_t hash, uint64_t nblocks)
{
	struct ext2_dx_countlimit *cl =
	    (struct ext2_dx_countlimit *)(f->buf + at);
	unsigned lo, hi, blk;

	f->ent = (struct ext2_dx_entry *)cl;
	f->count = ext2fs_le16_to_cpu(cl->count);
	if (ext2fs_le16_to_cpu(cl->limit) != dx_limit(e, at) ||
	    f->count == 0 || f->count > dx_limit(e, at))
		return corrupt(e, dir, lblk, "htree node count/limit");
	/* The last entry whose hash is not above ours (entry 0: hash 0). */
	lo = 1;
	hi = f->count;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (ext2fs_le32_to_cpu(f->ent[mid].hash) > hash)
			hi = mid;
		else
			lo = mid + 1;
	}
	f->at = lo - 1;
	blk = ext2fs_le32_to_cpu(f->ent[f->at].block) & EXT4_DX_BLOCK_MASK;
	if (blk == 0 || blk >= nblocks)
		return corrupt(e, dir, lblk, "htree entry points outside "
		    "the directory");
	return 0;
}

static uint32_t
dx_block(const struct dx_frame *f)
{
	return ext2fs_le32_to_cpu(f->ent[f->at].block) & EXT4_DX_BLOCK_MASK;
}

/* Load node lblk into frame level and search it. */
static int
dx_descend(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in,
    struct dx_path *p, unsigned level, uint64_t lblk)
{
	struct dx_frame *f = &p->f[level];
	struct ext2_dir_entry *d;
	blk64_t pblk;
	unsigned rl;
	int r;

	if ((r = dir_block(e, dir, in, lblk, f->buf, &pblk)) < 0)
		return r;
	d = (struct ext2_dir_entry *)f->buf;
	if (d->inode != 0 || ext2fs_get_rec_len(e->fs, d, &rl) || rl != e->bs)
		return corrupt(e, dir, lblk, "htree node is not a node");
	return dx_frame_search(e, dir, lblk, f, DX_NODE_OFF, p->hash,
	    p->nblocks);
}

/*
 * Walk the index of dir to the leaf for name. Returns 0, -EAGAIN when the
 * index cannot be used (an unknown hash, or it is damaged: scan instead),
 * or -errno.
 */
static int
dx_walk(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in,
    const char *name, size_t len, struct dx_path *p)
{
	struct ext2_dx_root_info *ri;
	ext2_filsys fs = e->fs;
	blk64_t pblk;
	unsigned i, alg;
	uint32_t minor;
	errcode_t c;
	int r;

	p->nblocks = EXT2_I_SIZE(in) / e->bs;
	for (i = 0; i < EXT4_HTREE_LEVEL; i++)
		p->f[i].buf = scratch(e, i);
	if ((r = dir_block(e, dir, in, 0, p->f[0].buf, &pblk)) < 0)
		return r == -EIO ? -EAGAIN : r;
	ri = (struct ext2_dx_root_info *)(p->f[0].buf + DX_ROOT_OFF);
	alg = ri->hash_version;
	if (ri->reserved_zero != 0 || ri->info_length != 8 ||
	    ri->indirect_levels >= ext2_dir_htree_level(fs) ||
	    alg > EXT2_HASH_TEA) {
		corrupt(e, dir, 0, "htree root is damaged or uses an "
		    "unknown hash; searching linearly");
		return -EAGAIN;
	}
	if (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH)
		alg += 3;
	c = ext2fs_dirhash2((int)alg, name, (int)len, fs->encoding,
	    in->i_flags & EXT4_CASEFOLD_FL, fs->super->s_hash_seed, &p->hash,
	    &minor);
	if (c)
		return -EAGAIN;
	p->levels = ri->indirect_levels + 1u;
	r = dx_frame_search(e, dir, 0, &p->f[0], DX_ROOT_OFF + 8, p->hash,
	    p->nblocks);
	for (i = 1; r == 0 && i < p->levels; i++)
		r = dx_descend(e, dir, in, p, i, dx_block(&p->f[i - 1]));
	return r == -EIO ? -EAGAIN : r;
}

/*
 * Move to the next leaf if it may continue our hash (a collision spread
 * over leaves): 1 and the leaf in *lblk, 0 when not, or -errno.
 */
static int
dx_next(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in,
    struct dx_path *p, uint64_t *lblk)
{
	int level = (int)p->levels - 1;
	uint32_t h;
	unsigned i;
	int r;

	while (level >= 0 && p->f[level].at + 1 >= p->f[level].count)
		level--;
	if (level < 0)
		return 0;
	p->f[level].at++;
	h = ext2fs_le32_to_cpu(p->f[level].ent[p->f[level].at].hash);
	if ((h & ~1u) != (p->hash & ~1u))
		return 0;
	for (i = (unsigned)level + 1; i < p->levels; i++) {
		if ((r = dx_descend(e, dir, in, p, i,
		    dx_block(&p->f[i - 1]))) < 0)
			return r;
		p->f[i].at = 0;
	}
	*lblk = dx_block(&p->f[p->levels - 1]);
	return 1;
}

/* --- finding entries --- */

static int
locate_linear(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in,
    const char *name, size_t len, uint64_t nblocks, struct loc *l)
{
	uint64_t b;
	int r;

	for (b = 0; b < nblocks; b++) {
		if ((r = dir_block(e, dir, in, b, l->buf, &l->pblk)) < 0)
			return r;
		r = scan_block(e, dir, b, l->buf, name, len, &l->off,
		    &l->prev);
		if (r != -ENOENT) {
			l->lblk = b;
			return r;
		}
	}
	return -ENOENT;
}

/* Find name in dir (not inline): 0 and *l, -ENOENT, or -errno. */
static int
locate(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in,
    const char *name, struct loc *l)
{
	size_t len = strlen(name);
	struct dx_path p;
	uint64_t lblk;
	int r;

	l->buf = scratch(e, 3);
	if (len == 0 || len > EXT2_NAME_MAX)
		return len ? -ENAMETOOLONG : -ENOENT;
	/* "." and ".." are the first entries of block 0, index or not. */
	if (is_dot(name, len))
		return locate_linear(e, dir, in, name, len, 1, l);
	if ((in->i_flags & EXT2_INDEX_FL) &&
	    (r = dx_walk(e, dir, in, name, len, &p)) != -EAGAIN) {
		if (r < 0)
			return r;
		lblk = dx_block(&p.f[p.levels - 1]);
		for (;;) {
			if ((r = dir_block(e, dir, in, lblk, l->buf,
			    &l->pblk)) < 0)
				return r;
			r = scan_block(e, dir, lblk, l->buf, name, len,
			    &l->off, &l->prev);
			if (r != -ENOENT) {
				l->lblk = lblk;
				return r;
			}
			if ((r = dx_next(e, dir, in, &p, &lblk)) <= 0)
				return r == 0 ? -ENOENT : r;
		}
	}
	return locate_linear(e, dir, in, name, len,
	    EXT2_I_SIZE(in) / e->bs, l);
}

static int
dir_inode(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in)
{
	int r = ext2_read_inode(e, dir, in);

	if (r < 0)
		return r;
	return LINUX_S_ISDIR(in->i_mode) ? 0 : -ENOTDIR;
}

static bool
inline_dir(const struct ext2_inode_large *in)
{
	return (in->i_flags & EXT4_INLINE_DATA_FL) != 0;
}

int
ext2_dir_lookup(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t *ino, int *ftype)
{
	struct ext2_inode_large in;
	struct ext2_dir_entry *d;
	struct loc l;
	ext2_ino_t i;
	errcode_t c;
	int r;

	if ((r = dir_inode(e, dir, &in)) < 0)
		return r;
	if (inline_dir(&in)) {
		c = ext2fs_lookup(e->fs, dir, name, (int)strlen(name), NULL,
		    &i);
		if (c == EXT2_ET_FILE_NOT_FOUND)
			return -ENOENT;
		if (c)
			return ext2_err(e, c, "inline directory", dir);
		*ino = i;
		*ftype = 0;
		return 0;
	}
	if ((r = locate(e, dir, &in, name, &l)) < 0)
		return r;
	d = (struct ext2_dir_entry *)(l.buf + l.off);
	*ino = d->inode;
	*ftype = ext2fs_dirent_file_type(d);
	if (*ino > e->fs->super->s_inodes_count)
		return corrupt(e, dir, l.lblk, "entry names an inode beyond "
		    "s_inodes_count");
	return 0;
}

/* Remove the entry l found in dir. */
static int
remove_at(struct ext2_fs *e, uint32_t dir, struct loc *l)
{
	struct ext2_dir_entry *d, *pd;
	unsigned rl, prl;
	errcode_t c;

	d = (struct ext2_dir_entry *)(l->buf + l->off);
	if (l->prev < 0) {
		/* The first entry of a block stays as an empty record. */
		d->inode = 0;
	} else {
		pd = (struct ext2_dir_entry *)(l->buf + l->prev);
		if (ext2fs_get_rec_len(e->fs, pd, &prl) ||
		    ext2fs_get_rec_len(e->fs, d, &rl) ||
		    ext2fs_set_rec_len(e->fs, prl + rl, pd))
			return corrupt(e, dir, l->lblk, "bad record length");
	}
	c = ext2fs_write_dir_block4(e->fs, l->pblk, l->buf, 0, dir);
	return c ? ext2_err(e, c, "directory block", dir) : 0;
}

int
ext2_dir_remove(struct ext2_fs *e, uint32_t dir, const char *name)
{
	struct ext2_inode_large in;
	struct loc l;
	errcode_t c;
	int r;

	if ((r = dir_inode(e, dir, &in)) < 0)
		return r;
	if (inline_dir(&in)) {
		c = ext2fs_unlink(e->fs, dir, name, 0, 0);
		return c ? ext2_err(e, c, "inline directory", dir) : 0;
	}
	if ((r = locate(e, dir, &in, name, &l)) < 0)
		return r;
	return remove_at(e, dir, &l);
}

int
ext2_dir_remove_file(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t *ino, struct ext2_inode_large *in, bool *wrote)
{
	struct ext2_inode_large din;
	struct loc l;
	int r;

	*wrote = false;
	if ((r = dir_inode(e, dir, &din)) < 0)
		return r;
	if (inline_dir(&din))
		return 1;
	if ((r = locate(e, dir, &din, name, &l)) < 0)
		return r;
	*ino = ((struct ext2_dir_entry *)(l.buf + l.off))->inode;
	if (*ino > e->fs->super->s_inodes_count)
		return corrupt(e, dir, l.lblk, "entry names an inode beyond "
		    "s_inodes_count");
	/* Reading the inode leaves l.buf alone (it is not libext2fs's). */
	if ((r = ext2_read_inode(e, *ino, in)) < 0)
		return r;
	if (LINUX_S_ISDIR(in->i_mode))
		return 1;
	*wrote = true;
	return remove_at(e, dir, &l);
}

int
ext2_dir_retarget(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t ino, int ftype)
{
	struct ext2_inode_large in;
	struct ext2_dir_entry *d;
	struct loc l;
	errcode_t c;
	int r;

	if ((r = dir_inode(e, dir, &in)) < 0)
		return r;
	if (inline_dir(&in)) {
		/* Not in place, but an inline directory has room for it. */
		if ((r = ext2_dir_remove(e, dir, name)) < 0)
			return r;
		return ext2_dir_add(e, dir, name, ino, ftype);
	}
	if ((r = locate(e, dir, &in, name, &l)) < 0)
		return r;
	d = (struct ext2_dir_entry *)(l.buf + l.off);
	d->inode = ino;
	if (ext2fs_has_feature_filetype(e->fs->super))
		ext2fs_dirent_set_file_type(d, ftype);
	c = ext2fs_write_dir_block4(e->fs, l.pblk, l.buf, 0, dir);
	return c ? ext2_err(e, c, "directory block", dir) : 0;
}

/* --- indexing a directory that outgrows its first block --- */

struct hent {
	uint32_t hash, minor;
	unsigned off;
};

static int
cmp_hent(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return 0;
}

/* Pack entries h[0..n) of src into a leaf block at dst. */
static void
pack_leaf(struct ext2_fs *e, const struct hent *h, unsigned n,
    const uint8_t *src, uint8_t *dst)
{
	unsigned csum = ext2fs_has_feature_metadata_csum(e->fs->super) ?
	    sizeof(struct ext2_dir_entry_tail) : 0;
	struct ext2_dir_entry *d = NULL;
	unsigned k, o = 0, rl = 0;

	memset(dst, 0, e->bs);
	for (k = 0; k < n; k++) {
		const struct ext2_dir_entry *s =
		    (const struct ext2_dir_entry *)(src + h[k].off);

		rl = EXT2_DIR_REC_LEN(ext2fs_dirent_name_len(s));
		d = (struct ext2_dir_entry *)(dst + o);
		memcpy(d, s, rl);
		(void)ext2fs_set_rec_len(e->fs, rl, d);
		o += rl;
	}
	(void)ext2fs_set_rec_len(e->fs, e->bs - csum - (o - rl), d);
	if (csum)
		ext2fs_initialize_dirent_tail(e->fs,
		    EXT2_DIRENT_TAIL(dst, e->bs));
}

/*
 * Turn the one full block of dir into an index root over two leaves, as
 * Linux's make_indexed_dir does. Returns 0, -EAGAIN (too few entries to
 * split: expand the directory linearly instead) or -errno.
 */
static int
make_indexed(struct ext2_fs *e, uint32_t dir, struct ext2_inode_large *in)
{
	ext2_filsys fs = e->fs;
	uint8_t *b0 = scratch(e, 0), *l1 = scratch(e, 1), *l2 = scratch(e, 2);
	struct ext2_dir_entry *d;
	struct ext2_dx_root_info *ri;
	struct ext2_dx_countlimit *cl;
	struct ext2_dx_entry *ent;
	struct hent *h;
	blk64_t p0, p1 = 0, p2 = 0;
	unsigned o, rl, n = 0, k, half, used, alg, hashalg;
	uint32_t split;
	errcode_t c;
	int r;

	if ((r = dir_block(e, dir, in, 0, b0, &p0)) < 0)
		return r;
	h = calloc(e->bs / 12 + 1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	alg = fs->super->s_def_hash_version;
	if (alg > EXT2_HASH_TEA)
		alg = EXT2_HASH_HALF_MD4;
	hashalg = alg + (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH ?
	    3 : 0);
	for (o = 0, k = 0; o < e->bs; o += rl, k++) {
		d = (struct ext2_dir_entry *)(b0 + o);
		if (ext2fs_get_rec_len(fs, d, &rl) || rl < 8 ||
		    rl > e->bs - o) {
			r = corrupt(e, dir, 0, "bad record length");
			goto out;
		}
		if (k < 2) {
			if (k == 0 ? ext2fs_dirent_name_len(d) != 1 ||
			    d->name[0] != '.' : ext2fs_dirent_name_len(d) != 2
			    || memcmp(d->name, "..", 2) != 0) {
				r = corrupt(e, dir, 0, "no \".\" and \"..\"");
				goto out;
			}
			continue;
		}
		if (d->inode == 0)
			continue;
		h[n].off = o;
		c = ext2fs_dirhash2((int)hashalg, d->name,
		    ext2fs_dirent_name_len(d), fs->encoding, 0,
		    fs->super->s_hash_seed, &h[n].hash, &h[n].minor);
		if (c) {
			r = -EAGAIN;
			goto out;
		}
		n++;
	}
	if (n < 2) {
		r = -EAGAIN;
		goto out;
	}
	qsort(h, n, sizeof(*h), cmp_hent);
	/* Split where half the bytes of the entries lie below. */
	for (used = 0, k = 0; k < n - 1; k++) {
		d = (struct ext2_dir_entry *)(b0 + h[k].off);
		used += EXT2_DIR_REC_LEN(ext2fs_dirent_name_len(d));
		if (used * 2 >= e->bs)
			break;
	}
	half = k + 1 < n ? k + 1 : n - 1;
	split = h[half].hash;
	if (h[half - 1].hash == split)
		split |= 1;	/* the collision continues in leaf 2 */
	pack_leaf(e, h, half, b0, l1);
	pack_leaf(e, h + half, n - half, b0, l2);

	c = ext2fs_bmap2(fs, dir, (struct ext2_inode *)in, (char *)scratch(e, 6),
	    BMAP_ALLOC, 1, NULL, &p1);
	if (c == 0)
		c = ext2fs_bmap2(fs, dir, (struct ext2_inode *)in,
		    (char *)scratch(e, 6), BMAP_ALLOC, 2, NULL, &p2);
	if (c) {
		r = ext2_err(e, c, "directory index", dir);
		goto out;
	}
	if ((c = ext2fs_write_dir_block4(fs, p1, l1, 0, dir)) ||
	    (c = ext2fs_write_dir_block4(fs, p2, l2, 0, dir))) {
		r = ext2_err(e, c, "directory block", dir);
		goto out;
	}

	/* Block 0: ".", ".." spanning the block, the root of the index. */
	d = (struct ext2_dir_entry *)b0;
	(void)ext2fs_set_rec_len(fs, 12, d);
	d = (struct ext2_dir_entry *)(b0 + 12);
	(void)ext2fs_set_rec_len(fs, e->bs - 12, d);
	memset(b0 + DX_ROOT_OFF, 0, e->bs - DX_ROOT_OFF);
	ri = (struct ext2_dx_root_info *)(b0 + DX_ROOT_OFF);
	ri->hash_version = (uint8_t)alg;
	ri->info_length = 8;
	cl = (struct ext2_dx_countlimit *)(b0 + DX_ROOT_OFF + 8);
	cl->limit = ext2fs_cpu_to_le16(dx_limit(e, DX_ROOT_OFF + 8));
	cl->count = ext2fs_cpu_to_le16(2);
	ent = (struct ext2_dx_entry *)cl;
	ent[0].block = ext2fs_cpu_to_le32(1);
	ent[1].hash = ext2fs_cpu_to_le32(split);
	ent[1].block = ext2fs_cpu_to_le32(2);
	if ((c = ext2fs_write_dir_block4(fs, p0, b0, 0, dir))) {
		r = ext2_err(e, c, "directory index", dir);
		goto out;
	}
	in->i_flags |= EXT2_INDEX_FL;
	(void)ext2fs_inode_size_set(fs, (struct ext2_inode *)in,
	    3ull * e->bs);
	r = ext2_write_inode(e, dir, in);
out:
	free(h);
	return r;
}

int
ext2_dir_add(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t ino, int ftype)
{
	struct ext2_inode_large in;
	errcode_t c;
	int r;

	c = ext2fs_link(e->fs, dir, name, ino, ftype);
	if (c == EXT2_ET_DIR_NO_SPACE) {
		if ((r = dir_inode(e, dir, &in)) < 0)
			return r;
		r = -EAGAIN;
		if (!(in.i_flags & (EXT2_INDEX_FL | EXT4_INLINE_DATA_FL |
		    EXT4_CASEFOLD_FL | EXT4_ENCRYPT_FL)) &&
		    ext2fs_has_feature_dir_index(e->fs->super) &&
		    EXT2_I_SIZE(&in) == e->bs)
			r = make_indexed(e, dir, &in);
		if (r == -EAGAIN && (in.i_flags & EXT2_INDEX_FL))
			return -ENOSPC;	/* the index is as deep as it gets */
		if (r == -EAGAIN) {
			c = ext2fs_expand_dir(e->fs, dir);
			if (c)
				return ext2_err(e, c, "directory", dir);
		} else if (r < 0) {
			return r;
		}
		c = ext2fs_link(e->fs, dir, name, ino, ftype);
	}
	if (c == EXT2_ET_DIR_NO_SPACE)
		return -ENOSPC;
	return c ? ext2_err(e, c, "directory", dir) : 0;
}

/* --- counts and listings --- */

static void
info_drop_listing(struct ext2_dirinfo *d)
{
	free(d->ents);
	free(d->names);
	d->ents = NULL;
	d->names = NULL;
	d->nents = d->cap = 0;
	d->nlen = d->ncap = 0;
	d->listed = false;
}

static struct ext2_dirinfo *
info_get(struct ext2_fs *e, uint32_t dir, bool create)
{
	struct ext2_dirinfo *d, *victim = &e->dirs[0];
	unsigned i;

	for (i = 0; i < EXT2_DIRINFO_MAX; i++) {
		d = &e->dirs[i];
		if (d->ino == dir) {
			d->used = ++e->dir_clock;
			return d;
		}
		if (d->ino == 0 || (victim->ino != 0 && d->used < victim->used))
			victim = d;
	}
	if (!create)
		return NULL;
	info_drop_listing(victim);
	memset(victim, 0, sizeof(*victim));
	victim->ino = dir;
	victim->used = ++e->dir_clock;
	return victim;
}

struct list_ctx {
	struct ext2_fs *e;
	struct ext2_dirinfo *d;
	int err;
};

static int
type_of(struct ext2_fs *e, const struct ext2_dir_entry *de)
{
	struct ext2_inode_large in;
	int ft = ext2fs_has_feature_filetype(e->fs->super) ?
	    ext2fs_dirent_file_type(de) : EXT2_FT_UNKNOWN;

	if (ft == EXT2_FT_UNKNOWN && ext2_read_inode(e, de->inode, &in) == 0)
		ft = LINUX_S_ISDIR(in.i_mode) ? EXT2_FT_DIR :
		    LINUX_S_ISLNK(in.i_mode) ? EXT2_FT_SYMLINK :
		    EXT2_FT_REG_FILE;
	return ft == EXT2_FT_DIR ? FS_TYPE_DIRECTORY :
	    ft == EXT2_FT_SYMLINK ? FS_TYPE_SYMLINK : FS_TYPE_FILE;
}

static int
list_one(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset,
    int blocksize, char *buf, void *priv)
{
	struct list_ctx *x = priv;
	struct ext2_dirinfo *d = x->d;
	unsigned len = (unsigned)ext2fs_dirent_name_len(de);

	if (entry == DIRENT_DOT_FILE || entry == DIRENT_DOT_DOT_FILE)
		return 0;
	if (d->nents == d->cap) {
		uint32_t ncap = d->cap ? d->cap * 2 : 64;
		struct lent *n = realloc(d->ents, ncap * sizeof(*n));

		if (n == NULL)
			goto nomem;
		d->ents = n;
		d->cap = ncap;
	}
	if (d->nlen + len > d->ncap) {
		size_t ncap = d->ncap ? d->ncap * 2 : 4096;
		char *n;

		while (ncap < d->nlen + len)
			ncap *= 2;
		n = realloc(d->names, ncap);
		if (n == NULL)
			goto nomem;
		d->names = n;
		d->ncap = ncap;
	}
	memcpy(d->names + d->nlen, de->name, len);
	d->ents[d->nents].ino = de->inode;
	d->ents[d->nents].off = (uint32_t)d->nlen;
	d->ents[d->nents].len = (uint8_t)len;
	d->ents[d->nents].type = (uint8_t)type_of(x->e, de);
	d->nents++;
	d->nlen += len;
	return 0;
nomem:
	x->err = -ENOMEM;
	return DIRENT_ABORT;
}

static int
list_dir(struct ext2_fs *e, uint32_t dir, struct ext2_dirinfo *d)
{
	struct ext2_inode_large in;
	struct list_ctx x = { e, d, 0 };
	errcode_t c;
	int r;

	if ((r = dir_inode(e, dir, &in)) < 0)
		return r;
	info_drop_listing(d);
	c = ext2fs_dir_iterate2(e->fs, dir, 0, NULL, list_one, &x);
	if (c || x.err) {
		info_drop_listing(d);
		return x.err ? x.err : ext2_err(e, c, "directory", dir);
	}
	d->listed = true;
	d->have_count = true;
	d->count = d->nents;
	return 0;
}

int
ext2_dir_count(struct ext2_fs *e, uint32_t dir, uint64_t *count)
{
	struct ext2_dirinfo *d = info_get(e, dir, true);
	int r;

	if (!d->have_count && (r = list_dir(e, dir, d)) < 0)
		return r;
	*count = d->count;
	return 0;
}

int
ext2_dir_entry(struct ext2_fs *e, uint32_t dir, uint64_t index,
    struct fs_dirent *out)
{
	struct ext2_dirinfo *d = info_get(e, dir, true);
	const struct lent *l;
	int r;

	if (!d->listed && (r = list_dir(e, dir, d)) < 0)
		return r;
	if (index >= d->nents)
		return -ENOENT;
	l = &d->ents[index];
	out->type = l->type;
	memcpy(out->name, d->names + l->off, l->len);
	out->name[l->len] = '\0';
	return 0;
}

void
ext2_dir_changed(struct ext2_fs *e, uint32_t dir, int delta)
{
	struct ext2_dirinfo *d = info_get(e, dir, false);

	if (d == NULL)
		return;
	info_drop_listing(d);
	if (delta < 0 && d->count < (uint64_t)-(int64_t)delta)
		d->have_count = false;
	else
		d->count += (uint64_t)(int64_t)delta;
}

int
ext2_dir_setup(struct ext2_fs *e)
{
	e->dirs = calloc(EXT2_DIRINFO_MAX, sizeof(*e->dirs));
	return e->dirs ? 0 : -ENOMEM;
}

void
ext2_dir_teardown(struct ext2_fs *e)
{
	unsigned i;

	for (i = 0; e->dirs && i < EXT2_DIRINFO_MAX; i++)
		info_drop_listing(&e->dirs[i]);
	free(e->dirs);
	e->dirs = NULL;
}
