/*
 * The iso9660 plugin: directories, files and symlinks of an ISO 9660
 * image with Rock Ridge or Joliet names, read only.
 * SPDX-License-Identifier: MIT
 *
 * A node's id is the byte offset of its directory record on the image
 * (the root, which the volume descriptor records, is ISO_ROOT_ID): the
 * image never changes, so ids stay valid for good. Every block number
 * that comes from the image — a directory's or file's extent, a Rock
 * Ridge continuation area, a relocated directory — is checked against the
 * image before it is read, and every walk is bounded (directory records
 * advance by their length or to the next sector, continuation areas are
 * followed ISO_RR_MAX_CE times at most, a multi-extent file has at most
 * MAX_EXTENTS parts), so a damaged image gives -EIO and a message naming
 * the structure, never a read outside the image or a hang.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iso9660.h"

#define ISO_ROOT_ID	1ull
#define MAX_EXTENTS	65536u
#define PT_MAX		(64u << 20)	/* larger path tables are not read */

enum iso_names {
	NAMES_PLAIN,
	NAMES_JOLIET,
	NAMES_RR,
};

struct iso_fs {
	struct blkdev *dev;
	uint32_t bs;			/* logical block size */
	uint64_t blocks;		/* of the image that the device holds */
	enum iso_names names;
	unsigned joliet;
	uint8_t skip;			/* SUSP bytes to skip in each record */
	uint8_t root_raw[ISO_REC_MIN];
	char volume_id[33];
	char format[24];
	iso_log_fn log;
	void *log_ctx;
	char last_err[200];
	/* readdir's place: entry `index` of dir `dir` is at offset `off`. */
	struct {
		bool valid;
		uint64_t dir, index, off;
		bool multi;
	} cursor;
};

/* A directory record with what Rock Ridge adds to it. */
struct iso_ent {
	uint64_t pos;			/* the record on the image */
	uint8_t raw[256];
	struct iso_rec rec;
	struct iso_rr rr;
	char name[FS_MAX_NAME_LEN];
	uint32_t type;			/* FS_MODE_* */
	uint32_t extent;		/* directories: where the entries are */
	uint32_t size;
};

static int
fail(struct iso_fs *fs, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct iso_fs *fs, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fs->last_err, sizeof(fs->last_err), fmt, ap);
	va_end(ap);
	if (fs->log)
		fs->log(fs->log_ctx, fs->last_err);
	return err;
}

/* Is the range of `bytes` at block `block` (plus byte offset) inside? */
static bool
inside(const struct iso_fs *fs, uint64_t block, uint64_t off, uint64_t bytes)
{
	uint64_t end = fs->blocks * fs->bs;
	uint64_t at;

	if (block >= fs->blocks)
		return false;
	at = block * fs->bs + off;
	return at <= end && bytes <= end - at;
}

/* Read the record at pos (inside its sector). */
static int
load_rec(struct iso_fs *fs, uint64_t pos, struct iso_ent *e)
{
	uint64_t avail = ISO_SECTOR - pos % ISO_SECTOR;
	char err[160];

	if (avail > sizeof(e->raw) - 1)
		avail = sizeof(e->raw) - 1;
	if (pos >= fs->blocks * fs->bs || avail > fs->blocks * fs->bs - pos)
		return fail(fs, -EIO, "directory record at byte %llu lies "
		    "outside the image", (unsigned long long)pos);
	if (blkdev_read(fs->dev, pos, e->raw, (size_t)avail) < 0)
		return fail(fs, -EIO, "cannot read the directory record at "
		    "byte %llu", (unsigned long long)pos);
	e->pos = pos;
	if (iso_rec_parse(e->raw, (size_t)avail, &e->rec, err, sizeof(err)) < 0)
		return fail(fs, -EIO, "%s (at byte %llu)", err,
		    (unsigned long long)pos);
	return 0;
}

/* Rock Ridge of record r: its System Use area, then continuations. */
static int
load_rr(struct iso_fs *fs, const struct iso_rec *r, uint32_t skip,
    struct iso_rr *rr, uint64_t pos)
{
	uint8_t area[ISO_SECTOR];
	char err[160];
	unsigned hops;

	iso_rr_init(rr);
	if (r->su_len > skip &&
	    iso_susp_parse(r->su + skip, r->su_len - skip, rr, err,
	    sizeof(err)) < 0)
		return fail(fs, -EIO, "%s (record at byte %llu)", err,
		    (unsigned long long)pos);
	for (hops = 0; rr->ce; hops++) {
		uint32_t b = rr->ce_block, o = rr->ce_offset, n = rr->ce_len;

		rr->ce = false;
		if (hops >= ISO_RR_MAX_CE)
			return fail(fs, -EIO, "Rock Ridge: more than %u "
			    "continuation areas for the record at byte %llu "
			    "(a loop)", ISO_RR_MAX_CE,
			    (unsigned long long)pos);
		if (n > ISO_SECTOR || o >= fs->bs || !inside(fs, b, o, n))
			return fail(fs, -EIO, "Rock Ridge: continuation area "
			    "of %u bytes at block %u + %u lies outside the "
			    "image (record at byte %llu)", n, b, o,
			    (unsigned long long)pos);
		if (blkdev_read(fs->dev, (uint64_t)b * fs->bs + o, area, n) < 0)
			return fail(fs, -EIO, "Rock Ridge: cannot read the "
			    "continuation area at block %u", b);
		if (iso_susp_parse(area, n, rr, err, sizeof(err)) < 0)
			return fail(fs, -EIO, "%s (continuation area at block "
			    "%u)", err, b);
	}
	return 0;
}

/* Fill in e's Rock Ridge, type, name and (directories) extent. */
static int
decorate(struct iso_fs *fs, struct iso_ent *e)
{
	const struct iso_rec *r = &e->rec;
	struct iso_ent dot;
	int r2;

	iso_rr_init(&e->rr);
	e->name[0] = '\0';
	if (fs->names == NAMES_RR &&
	    (r2 = load_rr(fs, r, fs->skip, &e->rr, e->pos)) < 0) {
		/* Named as ISO 9660 does, for the caller's message. */
		iso_name_plain(r->name, r->name_len, e->name, sizeof(e->name));
		return r2;
	}
	if (fs->names == NAMES_RR && e->rr.nm && !e->rr.name_bad &&
	    !e->rr.nm_more && e->rr.name_len > 0 &&
	    strcmp(e->rr.name, ".") != 0 && strcmp(e->rr.name, "..") != 0)
		snprintf(e->name, sizeof(e->name), "%s", e->rr.name);
	else if (fs->names == NAMES_JOLIET)
		iso_name_joliet(r->name, r->name_len, e->name, sizeof(e->name));
	else
		iso_name_plain(r->name, r->name_len, e->name, sizeof(e->name));
	e->extent = r->extent;
	e->size = r->size;
	if (e->rr.child != 0) {
		/* A relocated directory: its "." record has its size. */
		if (!inside(fs, e->rr.child, 0, ISO_SECTOR))
			return fail(fs, -EIO, "Rock Ridge: \"%s\" is relocated "
			    "to block %u, outside the image", e->name,
			    e->rr.child);
		if ((r2 = load_rec(fs, (uint64_t)e->rr.child * fs->bs, &dot))
		    < 0)
			return r2;
		e->type = FS_MODE_DIRECTORY;
		e->extent = e->rr.child;
		e->size = dot.rec.size;
	} else if (r->flags & ISO_F_DIR)
		e->type = FS_MODE_DIRECTORY;
	else if (e->rr.sl || (e->rr.px && (e->rr.mode & 0170000) == 0120000))
		e->type = FS_MODE_SYMLINK;
	else
		e->type = FS_MODE_FILE;
	if (e->type == FS_MODE_DIRECTORY &&
	    !inside(fs, e->extent, 0, e->size))
		return fail(fs, -EIO, "directory record \"%s\": extent at "
		    "block %u (%u bytes) lies outside the image", e->name,
		    e->extent, e->size);
	return 0;
}

static int
node_get(struct iso_fs *fs, uint64_t id, struct iso_ent *e)
{
	char err[160];
	int r;

	memset(e, 0, sizeof(*e));
	if (id == ISO_ROOT_ID) {
		memcpy(e->raw, fs->root_raw, ISO_REC_MIN);
		if (iso_rec_parse(e->raw, ISO_REC_MIN, &e->rec, err,
		    sizeof(err)) < 0)
			return fail(fs, -EIO, "root directory record: %s", err);
		e->type = FS_MODE_DIRECTORY;
		e->extent = e->rec.extent;
		e->size = e->rec.size;
		/* Rock Ridge keeps the root's mode in its "." record. */
		if (fs->names == NAMES_RR) {
			struct iso_ent dot;

			if (load_rec(fs, (uint64_t)e->extent * fs->bs, &dot) ==
			    0 && load_rr(fs, &dot.rec, 0, &dot.rr, dot.pos) == 0)
				e->rr = dot.rr;
		}
		return 0;
	}
	if ((r = load_rec(fs, id, e)) < 0)
		return r;
	return decorate(fs, e);
}

/* The record after the one at e (the next multi-extent part). */
static int
next_part(struct iso_fs *fs, const struct iso_ent *e, struct iso_ent *n)
{
	uint64_t p = e->pos + e->rec.len;
	uint8_t b = 0;

	if (p % ISO_SECTOR != 0 && (blkdev_read(fs->dev, p, &b, 1) < 0 ||
	    b == 0))
		p += ISO_SECTOR - p % ISO_SECTOR;
	if (load_rec(fs, p, n) < 0 || n->rec.name_len != e->rec.name_len ||
	    memcmp(n->rec.name, e->rec.name, e->rec.name_len) != 0)
		return fail(fs, -EIO, "multi-extent file \"%s\": the record "
		    "of its next part is missing", e->name);
	return 0;
}

/* Bytes of file e, all its parts together. */
static int
file_size(struct iso_fs *fs, const struct iso_ent *e, uint64_t *size)
{
	struct iso_ent cur = *e, next;
	unsigned k;
	int r;

	*size = cur.rec.size;
	for (k = 1; cur.rec.flags & ISO_F_MULTI; k++) {
		if (k >= MAX_EXTENTS)
			return fail(fs, -EIO, "multi-extent file \"%s\": more "
			    "than %u parts", e->name, MAX_EXTENTS);
		if ((r = next_part(fs, &cur, &next)) < 0)
			return r;
		snprintf(next.name, sizeof(next.name), "%s", e->name);
		*size += next.rec.size;
		cur = next;
	}
	return 0;
}

/* --- directories --- */

/* damage: 0, or the error of entry e, which is damaged (its name may
 * still be known); fn then returns that error to end the scan, or 0. */
typedef int (*ent_fn)(void *ctx, struct iso_ent *e, uint64_t next_off,
    int damage);

/*
 * Call fn for each visible entry of the directory at extent/size from
 * byte `off` on (multi: the record before off had ISO_F_MULTI), with the
 * offset after the entry; until fn returns non-zero (returned) or the
 * end (0). *damaged (may be NULL) gets the error of the last damaged
 * entry passed over, 0 if none. ".", "..", associated files, later parts of multi-extent
 * files and relocated directories (RE) are not shown.
 */
static int
dir_scan(struct iso_fs *fs, uint32_t extent, uint32_t size, uint64_t off,
    bool multi, ent_fn fn, void *ctx, int *damaged_out)
{
	struct iso_ent *e = malloc(sizeof(*e));
	uint64_t base = (uint64_t)extent * fs->bs;
	int r = 0, damaged = 0;

	if (e == NULL)
		return -ENOMEM;
	if (!inside(fs, extent, 0, size)) {
		free(e);
		return fail(fs, -EIO, "directory at block %u (%u bytes) lies "
		    "outside the image", extent, size);
	}
	while (off < size) {
		uint64_t pos = base + off, in = pos % ISO_SECTOR;
		uint8_t len = 0;
		bool was_multi = multi;

		if (blkdev_read(fs->dev, pos, &len, 1) < 0) {
			r = fail(fs, -EIO, "cannot read directory at block %u",
			    extent);
			break;
		}
		if (len == 0) {
			off += ISO_SECTOR - in;	/* rest of sector unused */
			continue;
		}
		if (off + len > size) {
			r = fail(fs, -EIO, "directory at block %u: the record "
			    "at byte %llu runs past the directory's end",
			    extent, (unsigned long long)pos);
			break;
		}
		if ((r = load_rec(fs, pos, e)) < 0)
			break;
		off += e->rec.len;
		multi = e->rec.flags & ISO_F_MULTI;
		if (was_multi || iso_rec_is_dot(&e->rec) ||
		    (e->rec.flags & ISO_F_ASSOCIATED))
			continue;
		/* A damaged entry is reported and passed over, so that the
		 * others stay reachable. */
		if ((r = decorate(fs, e)) < 0) {
			damaged = r;
			if ((r = fn(ctx, e, off, r)) != 0)
				break;
			continue;
		}
		if (e->rr.relocated || e->name[0] == '\0')
			continue;
		if ((r = fn(ctx, e, off | (multi ? 1ull << 63 : 0), 0)) != 0)
			break;
	}
	free(e);
	if (damaged_out)
		*damaged_out = damaged;
	return r;
}

struct find {
	struct iso_fs *fs;
	const char *name;
	uint64_t id;
};

static int
find_fn(void *ctx, struct iso_ent *e, uint64_t next, int damage)
{
	struct find *f = ctx;
	bool same = f->fs->names == NAMES_PLAIN || damage ?
	    strcasecmp(f->name, e->name) == 0 : strcmp(f->name, e->name) == 0;

	if (!same)
		return 0;
	if (damage)
		return damage;
	f->id = e->pos;
	return 1;
}

static int
dir_get(struct iso_fs *fs, uint64_t id, struct iso_ent *e)
{
	int r = node_get(fs, id, e);

	if (r == 0 && e->type != FS_MODE_DIRECTORY)
		return -ENOTDIR;
	return r;
}

static int
i_lookup(void *ctx, uint64_t dir, const char *name, uint64_t *node)
{
	struct iso_fs *fs = ctx;
	struct find f = { fs, name, 0 };
	struct iso_ent d;
	int r;

	if ((r = dir_get(fs, dir, &d)) < 0)
		return r;
	r = dir_scan(fs, d.extent, d.size, 0, false, find_fn, &f, NULL);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	*node = f.id;
	return 0;
}

struct rd {
	uint64_t want, at, next;
	struct iso_ent *out;
};

static int
readdir_fn(void *ctx, struct iso_ent *e, uint64_t next, int damage)
{
	struct rd *rd = ctx;

	if (damage)
		return 0;
	if (rd->at++ < rd->want)
		return 0;
	*rd->out = *e;
	rd->next = next;
	return 1;
}

static int
count_fn(void *ctx, struct iso_ent *e, uint64_t next, int damage)
{
	if (!damage)
		++*(uint64_t *)ctx;
	return 0;
}

static int
i_readdir(void *ctx, uint64_t dir, uint64_t index, struct fs_dirent *de)
{
	struct iso_fs *fs = ctx;
	struct iso_ent d, *e;
	struct rd rd = { index, 0, 0, NULL };
	uint64_t off = 0;
	bool multi = false;
	int r, damaged = 0;

	if ((r = dir_get(fs, dir, &d)) < 0)
		return r;
	if ((e = malloc(sizeof(*e))) == NULL)
		return -ENOMEM;
	rd.out = e;
	if (fs->cursor.valid && fs->cursor.dir == dir &&
	    fs->cursor.index <= index) {
		off = fs->cursor.off;
		multi = fs->cursor.multi;
		rd.at = fs->cursor.index;
	}
	r = dir_scan(fs, d.extent, d.size, off, multi, readdir_fn, &rd,
	    &damaged);
	if (r == 1) {
		fs->cursor.valid = true;
		fs->cursor.dir = dir;
		fs->cursor.index = index + 1;
		fs->cursor.off = rd.next & ~(1ull << 63);
		fs->cursor.multi = rd.next >> 63;
		de->type = e->type == FS_MODE_DIRECTORY ? FS_TYPE_DIRECTORY :
		    e->type == FS_MODE_SYMLINK ? FS_TYPE_SYMLINK : FS_TYPE_FILE;
		snprintf(de->name, sizeof(de->name), "%s", e->name);
		r = 0;
	} else if (r == 0)
		r = damaged ? damaged : -ENOENT;	/* the end, or damage */
	free(e);
	return r;
}

/* --- nodes --- */

static struct fs_time
stamp(int64_t t)
{
	struct fs_time f = { t, 0, 0 };

	return f;
}

static int
i_stat(void *ctx, uint64_t id, struct fs_status *st)
{
	struct iso_fs *fs = ctx;
	struct iso_ent e;
	uint64_t n = 0;
	int64_t t;
	int r;

	if ((r = node_get(fs, id, &e)) < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->inode = id;
	st->nlink = e.type == FS_MODE_DIRECTORY ? 2 : 1;
	switch (e.type) {
	case FS_MODE_DIRECTORY:
		st->mode = FS_MODE_DIRECTORY | 0555;
		if ((r = dir_scan(fs, e.extent, e.size, 0, false, count_fn,
		    &n, NULL)) < 0)
			return r;
		st->size = n * sizeof(struct fs_dirent);
		break;
	case FS_MODE_SYMLINK:
		st->mode = FS_MODE_SYMLINK | 0777;
		st->size = e.rr.link_len;
		break;
	default:
		st->mode = FS_MODE_FILE | 0444;
		if ((r = file_size(fs, &e, &st->size)) < 0)
			return r;
		st->blocks = (st->size + 511) / 512;
		break;
	}
	if (e.rr.px) {
		st->mode = e.type | (e.rr.mode & FS_MODE_PERM);
		st->nlink = e.rr.nlink ? e.rr.nlink : 1;
		st->uid = e.rr.uid;
		st->gid = e.rr.gid;
	}
	t = iso_date7(e.rec.date);
	st->mtime = stamp(e.rr.mtime ? e.rr.mtime : t);
	st->atime = stamp(e.rr.atime ? e.rr.atime : t);
	st->ctime = stamp(e.rr.ctime ? e.rr.ctime : t);
	return 0;
}

static long
i_read(void *ctx, uint64_t id, void *buf, size_t len, uint64_t pos)
{
	struct iso_fs *fs = ctx;
	struct iso_ent cur, next;
	uint8_t *p = buf;
	uint64_t at = 0;
	size_t done = 0;
	unsigned k;
	int r;

	if ((r = node_get(fs, id, &cur)) < 0)
		return r;
	if (cur.type == FS_MODE_DIRECTORY)
		return -EISDIR;
	if (cur.type != FS_MODE_FILE)
		return -EINVAL;
	for (k = 1;; k++) {
		const struct iso_rec *rc = &cur.rec;
		uint64_t start = (uint64_t)rc->extent + rc->ext_attr;

		if (rc->unit != 0 || rc->gap != 0)
			return fail(fs, -EIO, "\"%s\": interleaved files are "
			    "not supported", cur.name);
		if (rc->size > 0 && !inside(fs, start, 0, rc->size))
			return fail(fs, -EIO, "directory record \"%s\": extent "
			    "at block %llu (%u bytes) lies outside the image",
			    cur.name, (unsigned long long)start, rc->size);
		/* The part [at, at + size) of the file. */
		if (pos + done < at + rc->size && done < len) {
			uint64_t in = pos + done - at;
			uint64_t n = rc->size - in;

			if (n > len - done)
				n = len - done;
			if (blkdev_read(fs->dev, start * fs->bs + in, p + done,
			    (size_t)n) < 0)
				return fail(fs, -EIO, "\"%s\": cannot read block "
				    "%llu", cur.name, (unsigned long long)start);
			done += (size_t)n;
		}
		at += rc->size;
		if (done == len || !(rc->flags & ISO_F_MULTI))
			break;
		if (k >= MAX_EXTENTS)
			return fail(fs, -EIO, "multi-extent file \"%s\": more "
			    "than %u parts", cur.name, MAX_EXTENTS);
		if ((r = next_part(fs, &cur, &next)) < 0)
			return r;
		snprintf(next.name, sizeof(next.name), "%s", cur.name);
		cur = next;
	}
	return (long)done;
}

static long
i_readlink(void *ctx, uint64_t id, char *buf, size_t cap)
{
	struct iso_fs *fs = ctx;
	struct iso_ent e;
	int r;

	if ((r = node_get(fs, id, &e)) < 0)
		return r;
	if (e.type != FS_MODE_SYMLINK)
		return -EINVAL;
	if (e.rr.link_bad)
		return fail(fs, -EIO, "Rock Ridge: the symlink \"%s\" is longer "
		    "than %u bytes", e.name, ISO_RR_LINK_MAX);
	if (e.rr.link_len > cap)
		return -ENAMETOOLONG;
	memcpy(buf, e.rr.link, e.rr.link_len);
	return (long)e.rr.link_len;
}

static int
i_create(void *ctx, uint64_t dir, const char *name, uint32_t mode,
    uint64_t *node)
{
	return -EROFS;
}

static long
i_write(void *ctx, uint64_t node, const void *buf, size_t len, uint64_t pos)
{
	return -EROFS;
}

static int
i_allocate(void *ctx, uint64_t node, uint32_t flags, uint64_t off,
    uint64_t len)
{
	return -EROFS;
}

static int
i_unlink(void *ctx, uint64_t dir, const char *name)
{
	return -EROFS;
}

static int
i_rename(void *ctx, uint64_t from_dir, const char *from, uint64_t to_dir,
    const char *to)
{
	return -EROFS;
}

static int
i_truncate(void *ctx, uint64_t node, uint64_t size)
{
	return -EROFS;
}

static int
i_symlink(void *ctx, uint64_t node, const char *target, size_t len)
{
	return -EROFS;
}

static int
i_setattr(void *ctx, uint64_t node, const struct fs_control_args *c)
{
	return -EROFS;
}

const struct fs_ops iso_ops = {
	.lookup = i_lookup,
	.create = i_create,
	.stat = i_stat,
	.read = i_read,
	.write = i_write,
	.readdir = i_readdir,
	.unlink = i_unlink,
	.rename = i_rename,
	.truncate = i_truncate,
	.symlink = i_symlink,
	.readlink = i_readlink,
	.setattr = i_setattr,
	.allocate = i_allocate,
};

/* --- mounting --- */

/* Check the chosen descriptor's path table (it is not used otherwise). */
static void
check_path_table(struct iso_fs *fs, const struct iso_vd *vd)
{
	uint8_t *buf;
	char err[160];
	uint32_t n = vd->path_table_size;

	if (n == 0 || n > PT_MAX) {
		fail(fs, 0, "path table of %u bytes: not checked", n);
		return;
	}
	if (!inside(fs, vd->path_table, 0, n)) {
		fail(fs, 0, "path table at block %u (%u bytes) lies outside "
		    "the image: ignored, directories are read from the tree",
		    vd->path_table, n);
		return;
	}
	if ((buf = malloc(n)) == NULL)
		return;
	if (blkdev_read(fs->dev, (uint64_t)vd->path_table * fs->bs, buf, n) < 0)
		fail(fs, 0, "path table at block %u: cannot read it",
		    vd->path_table);
	else if (iso_path_table_check(buf, n, (uint32_t)fs->blocks, err,
	    sizeof(err)) < 0)
		fail(fs, 0, "%s: ignored, directories are read from the tree",
		    err);
	free(buf);
}

/* The volume descriptors: the primary one and a Joliet one, if any. */
static int
read_vds(struct blkdev *dev, struct iso_vd *pvd, struct iso_vd *svd,
    char *err, size_t ecap)
{
	uint8_t sec[ISO_SECTOR];
	struct iso_vd vd;
	unsigned i;
	bool have_p = false;

	svd->joliet = 0;
	for (i = 0; i < ISO_VD_MAX; i++) {
		uint64_t off = (uint64_t)(ISO_VD_FIRST + i) * ISO_SECTOR;

		if (off + ISO_SECTOR > blkdev_size(dev)) {
			snprintf(err, ecap, "volume descriptor %u lies beyond "
			    "the device's end", ISO_VD_FIRST + i);
			return have_p ? 0 : -EINVAL;
		}
		if (blkdev_read(dev, off, sec, sizeof(sec)) < 0) {
			snprintf(err, ecap, "cannot read sector %u",
			    ISO_VD_FIRST + i);
			return -EIO;
		}
		if (iso_vd_parse(sec, &vd, err, ecap) < 0) {
			if (i == 0)
				return -EINVAL;
			break;		/* the set ends without a terminator */
		}
		if (vd.type == ISO_VD_END)
			break;
		if (vd.type == ISO_VD_PRIMARY && !have_p) {
			*pvd = vd;
			have_p = true;
		} else if (vd.type == ISO_VD_SUPPLEMENTARY && vd.joliet &&
		    !svd->joliet)
			*svd = vd;
	}
	if (!have_p) {
		snprintf(err, ecap, "no primary volume descriptor");
		return -EINVAL;
	}
	return 0;
}

static int
set_root(struct iso_fs *fs, const struct iso_vd *vd, char *err, size_t ecap)
{
	struct iso_rec r;

	if (iso_rec_parse(vd->root, ISO_REC_MIN, &r, err, ecap) < 0)
		return -EINVAL;
	if (!(r.flags & ISO_F_DIR) || !inside(fs, r.extent, 0, r.size) ||
	    r.size == 0) {
		snprintf(err, ecap, "root directory record: extent at block %u "
		    "(%u bytes) lies outside the image", r.extent, r.size);
		return -EINVAL;
	}
	memcpy(fs->root_raw, vd->root, ISO_REC_MIN);
	return 0;
}

int
iso_mount(struct blkdev *dev, iso_log_fn log, void *log_ctx,
    struct iso_fs **out, uint64_t *root, char *err, size_t ecap)
{
	struct iso_vd pvd, svd;
	struct iso_ent dot;
	struct iso_fs *fs;
	uint64_t dev_blocks;
	int r;

	memset(&pvd, 0, sizeof(pvd));
	memset(&svd, 0, sizeof(svd));
	if ((r = read_vds(dev, &pvd, &svd, err, ecap)) < 0)
		return r;
	if ((fs = calloc(1, sizeof(*fs))) == NULL)
		return -ENOMEM;
	fs->dev = dev;
	fs->log = log;
	fs->log_ctx = log_ctx;
	fs->bs = pvd.block_size;
	dev_blocks = blkdev_size(dev) / fs->bs;
	fs->blocks = pvd.volume_blocks < dev_blocks ? pvd.volume_blocks :
	    dev_blocks;
	if (pvd.volume_blocks > dev_blocks)
		fail(fs, 0, "the image holds %llu of the volume's %u blocks",
		    (unsigned long long)dev_blocks, pvd.volume_blocks);
	snprintf(fs->volume_id, sizeof(fs->volume_id), "%s", pvd.volume_id);
	if ((r = set_root(fs, &pvd, err, ecap)) < 0)
		goto fail;
	/* Rock Ridge: the root's "." record starts with an SP entry. */
	fs->names = NAMES_PLAIN;
	if (load_rec(fs, (uint64_t)(fs->root_raw[2] | fs->root_raw[3] << 8 |
	    fs->root_raw[4] << 16 | (uint32_t)fs->root_raw[5] << 24) * fs->bs,
	    &dot) == 0 &&
	    load_rr(fs, &dot.rec, 0, &dot.rr, dot.pos) == 0 && dot.rr.sp) {
		fs->names = NAMES_RR;
		fs->skip = dot.rr.skip;
	}
	if (fs->names == NAMES_PLAIN && svd.joliet && svd.block_size == fs->bs &&
	    set_root(fs, &svd, err, ecap) == 0) {
		fs->names = NAMES_JOLIET;
		fs->joliet = svd.joliet;
	}
	check_path_table(fs, fs->names == NAMES_JOLIET ? &svd : &pvd);
	if (fs->names == NAMES_JOLIET)
		snprintf(fs->format, sizeof(fs->format), "Joliet level %u",
		    fs->joliet);
	else
		snprintf(fs->format, sizeof(fs->format), "%s",
		    fs->names == NAMES_RR ? "Rock Ridge" : "ISO 9660");
	*out = fs;
	*root = ISO_ROOT_ID;
	return 0;
fail:
	free(fs);
	return r;
}

void
iso_unmount(struct iso_fs *fs)
{
	free(fs);
}

const char *
iso_format(const struct iso_fs *fs)
{
	return fs->format;
}

const char *
iso_volume_id(const struct iso_fs *fs)
{
	return fs->volume_id;
}

const char *
iso_last_error(const struct iso_fs *fs)
{
	return fs->last_err;
}
