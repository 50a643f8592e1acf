/*
 * The fat plugin: nodes, file data and the ops table.
 * SPDX-License-Identifier: MIT
 *
 * Node ids and the table of open nodes are explained in fat_impl.h. Each
 * operation checks its arguments and the state it needs first and changes
 * the volume afterwards, in an order that leaves a consistent volume at
 * every step fsck.fat could see: clusters are allocated (and a new
 * directory's first cluster written) before an entry points to them, and
 * freed after the entry is gone. Bytes past a file's size are never
 * trusted: whenever a file grows, the gap is zeroed. Every operation that
 * changed something ends in fat_finish(), which writes the FSInfo counts and
 * flushes the cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fat_impl.h"

/* --- helpers shared with fat_chain.c and fat_dir.c --- */

int
fat_fail(struct fat_fs *fs, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fs->last_err, sizeof(fs->last_err), fmt, ap);
	va_end(ap);
	if (fs->log)
		fs->log(fs->log_ctx, fs->last_err);
	return err;
}

struct fat_open *
fat_open_find(struct fat_fs *fs, uint64_t id)
{
	unsigned i;

	for (i = 0; i < fs->nopen; i++)
		if (fs->open[i].id == id)
			return &fs->open[i];
	return NULL;
}

uint64_t
fat_file_id(uint64_t pos)
{
	return FAT_FILE_BIT | (pos / FAT_DIRENT_SIZE);
}

uint64_t
fat_dir_id(const struct fat_fs *fs, uint32_t cluster)
{
	if (cluster == 0 || (fs->b.type == FAT32 &&
	    cluster == fs->b.root_cluster))
		return FAT_ROOT_ID;
	return FAT_DIR_BIT | cluster;
}

static uint64_t
id_pos(uint64_t id)
{
	return (id & FAT_ID_MASK) * FAT_DIRENT_SIZE;
}

bool
fat_pos_reserved(struct fat_fs *fs, uint64_t pos)
{
	unsigned i;

	for (i = 0; i < fs->nopen; i++) {
		struct fat_open *o = &fs->open[i];

		if ((o->id & FAT_FILE_BIT) && id_pos(o->id) == pos &&
		    (o->orphan || o->pos != pos))
			return true;
	}
	return false;
}

void
fat_now(uint16_t *date, uint16_t *time, uint8_t *tenth)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		ts.tv_sec = ts.tv_nsec = 0;
	fat_time_encode(ts.tv_sec, (uint32_t)ts.tv_nsec, date, time, tenth);
}

/* The id of the file whose short entry is at pos. */
static uint64_t
file_id_at(struct fat_fs *fs, uint64_t pos)
{
	unsigned i;

	for (i = 0; i < fs->nopen; i++)
		if ((fs->open[i].id & FAT_FILE_BIT) && !fs->open[i].orphan &&
		    fs->open[i].pos == pos)
			return fs->open[i].id;
	return fat_file_id(pos);
}

/* --- nodes --- */

int
fat_node_get(struct fat_fs *fs, uint64_t id, struct fat_node *n)
{
	uint8_t raw[FAT_DIRENT_SIZE];

	memset(n, 0, sizeof(*n));
	n->id = id;
	n->o = fat_open_find(fs, id);
	if (id == FAT_ROOT_ID) {
		n->kind = FAT_K_ROOT;
		n->cluster = fs->b.type == FAT32 ? fs->b.root_cluster : 0;
		return 0;
	}
	if ((id & ~FAT_ID_MASK) == FAT_DIR_BIT) {
		n->kind = FAT_K_DIR;
		n->cluster = (uint32_t)(id & FAT_ID_MASK);
		if ((id & FAT_ID_MASK) > UINT32_MAX ||
		    !fat_cluster_valid(&fs->b, n->cluster))
			return -ENOENT;
		return 0;
	}
	if ((id & ~FAT_ID_MASK) != FAT_FILE_BIT)
		return -ENOENT;
	n->kind = FAT_K_FILE;
	if (n->o != NULL && n->o->orphan) {
		n->de = n->o->de;
		return 0;
	}
	n->pos = n->o != NULL ? n->o->pos : id_pos(id);
	if (n->pos + FAT_DIRENT_SIZE > fs->b.volume_bytes ||
	    blkdev_read(fs->dev, n->pos, raw, sizeof(raw)) < 0)
		return -ENOENT;
	/* A stale id: the slot holds something else now. */
	if (fat_slot_kind(raw) != FAT_SLOT_KIND_ENTRY ||
	    (raw[11] & FAT_ATTR_DIR))
		return -ENOENT;
	fat_dirent_decode(&fs->b, raw, &n->de);
	return 0;
}

static bool
is_dir(const struct fat_node *n)
{
	return n->kind != FAT_K_FILE;
}

static bool
orphan(const struct fat_node *n)
{
	return n->o != NULL && n->o->orphan;
}

/* A directory node that still exists: 0, -ENOTDIR, -ENOENT. */
static int
dir_get(struct fat_fs *fs, uint64_t id, struct fat_node *n)
{
	int r = fat_node_get(fs, id, n);

	if (r < 0)
		return r;
	if (!is_dir(n))
		return -ENOTDIR;
	return orphan(n) ? -ENOENT : 0;
}

int
fat_file_get(struct fat_fs *fs, uint64_t id, struct fat_node *n)
{
	int r = fat_node_get(fs, id, n);

	if (r < 0)
		return r;
	return is_dir(n) ? -EISDIR : 0;
}

/* Write a file's entry back (an orphan keeps it in memory). */
int
fat_node_store(struct fat_fs *fs, struct fat_node *n)
{
	uint8_t raw[FAT_DIRENT_SIZE];

	if (orphan(n)) {
		n->o->de = n->de;
		return 0;
	}
	fat_dirent_encode(&fs->b, &n->de, raw);
	if (blkdev_write(fs->dev, n->pos, raw, sizeof(raw)) < 0)
		return fat_fail(fs, -EIO, "directory: cannot write the entry "
		    "at byte %llu", (unsigned long long)n->pos);
	return 0;
}

static int
write_fsinfo(struct fat_fs *fs)
{
	uint8_t sec[512];
	uint32_t f, nf;
	uint64_t off = (uint64_t)fs->b.fsinfo_sector * fs->b.sector_size;

	fs->fsinfo_dirty = false;
	if (fs->b.type != FAT32 || fs->b.fsinfo_sector == 0 ||
	    !fs->free_known)
		return 0;
	if (blkdev_read(fs->dev, off, sec, sizeof(sec)) < 0)
		return fat_fail(fs, -EIO, "FSInfo: cannot read sector %u",
		    fs->b.fsinfo_sector);
	if (fat_fsinfo_parse(sec, &f, &nf) < 0)
		return 0;	/* not ours to repair */
	fat_fsinfo_encode(sec, fs->free_count, fs->next_free);
	if (blkdev_write(fs->dev, off, sec, sizeof(sec)) < 0)
		return fat_fail(fs, -EIO, "FSInfo: cannot write sector %u",
		    fs->b.fsinfo_sector);
	return 0;
}

/* FSInfo and the cache to the device. */
static int
writeback(struct fat_fs *fs, int r)
{
	int e = fs->fsinfo_dirty ? write_fsinfo(fs) : 0;

	if (blkdev_flush(fs->dev) < 0)
		e = fat_fail(fs, -EIO, "cannot write back to the device");
	return r < 0 ? r : e < 0 ? e : r;
}

/* The end of every operation that changed the volume. */
int
fat_finish(struct fat_fs *fs, int r)
{
	r = writeback(fs, r);
	if (fs->changed)
		fs->changed(fs->changed_ctx);
	return r;
}

uint32_t
fat_chain_limit(const struct fat_fs *fs, uint32_t size)
{
	uint32_t n = fat_clusters_for(fs, size);

	return n ? n : 1;
}

uint32_t
fat_node_limit(const struct fat_fs *fs, const struct fat_node *n,
    uint32_t size)
{
	uint32_t c = fat_clusters_for(fs, size) + (n->o ? n->o->prealloc : 0);

	return c ? c : 1;
}

/* Free a node's clusters (extra: preallocated ones) once nothing refers
 * to it any more. */
static void
release_clusters(struct fat_fs *fs, bool dir, const struct fat_dirent *de,
    uint32_t extra)
{
	if (!fat_cluster_valid(&fs->b, de->cluster))
		return;
	(void)fat_chain_free(fs, de->cluster, dir ? fat_dir_limit(fs) :
	    fat_chain_limit(fs, de->size) + extra);
}

/* --- ops: lookup and metadata --- */

static int
entry_id(struct fat_fs *fs, const struct fat_entry *e, uint64_t *id)
{
	if (!(e->de.attr & FAT_ATTR_DIR)) {
		*id = file_id_at(fs, e->pos);
		return 0;
	}
	if (!fat_cluster_valid(&fs->b, e->de.cluster))
		return fat_fail(fs, -EIO, "directory entry \"%s\": cluster %u "
		    "lies outside the volume (2 .. %u)", e->name,
		    e->de.cluster, fs->b.clusters + 1);
	if (fat_dir_id(fs, e->de.cluster) == FAT_ROOT_ID)
		return fat_fail(fs, -EIO, "directory entry \"%s\" points to "
		    "the root directory (a loop)", e->name);
	*id = fat_dir_id(fs, e->de.cluster);
	return 0;
}

static int
f_lookup(void *ctx, uint64_t dir, const char *name, uint64_t *node)
{
	struct fat_fs *fs = ctx;
	struct fat_node d;
	struct fat_entry e;
	int r;

	if ((r = dir_get(fs, dir, &d)) < 0)
		return r;
	if ((r = fat_dir_find(fs, d.cluster, name, &e)) < 0)
		return r;
	return entry_id(fs, &e, node);
}

static struct fs_time
ftime(uint16_t date, uint16_t time, unsigned tenth)
{
	struct fs_time t = { 0, 0, 0 };

	t.sec = fat_time_decode(date, time, 0);
	if (tenth < 200) {
		t.sec += tenth / 100;
		t.nsec = (tenth % 100) * 10000000u;
	}
	return t;
}

static int
f_stat(void *ctx, uint64_t id, struct fs_status *st)
{
	struct fat_fs *fs = ctx;
	struct fat_node n;
	uint8_t raw[FAT_DIRENT_SIZE];
	struct fat_dirent dot;
	long cnt = 0;
	int r;

	if ((r = fat_node_get(fs, id, &n)) < 0)
		return r;
	memset(st, 0, sizeof(*st));
	st->inode = id;
	if (is_dir(&n)) {
		st->mode = FS_MODE_DIRECTORY | 0755;
		st->nlink = 2;
		if (!orphan(&n) && (cnt = fat_dir_count(fs, n.cluster)) < 0)
			return (int)cnt;
		st->size = (uint64_t)cnt * sizeof(struct fs_dirent);
		if (n.kind == FAT_K_DIR && !orphan(&n) &&
		    blkdev_read(fs->dev, fat_cluster_offset(&fs->b, n.cluster),
		    raw, sizeof(raw)) == 0) {
			fat_dirent_decode(&fs->b, raw, &dot);
			st->mtime = ftime(dot.mdate, dot.mtime, 0);
			st->atime = ftime(dot.adate, 0, 0);
			st->ctime = st->mtime;
		}
		st->blocks = 0;
		return 0;
	}
	st->mode = FS_MODE_FILE | (n.de.attr & FAT_ATTR_RO ? 0444 : 0644);
	st->nlink = orphan(&n) ? 0 : 1;
	st->size = n.de.size;
	st->blocks = ((uint64_t)fat_clusters_for(fs, n.de.size) +
	    (n.o ? n.o->prealloc : 0)) * (fs->b.cluster_size / 512);
	st->mtime = ftime(n.de.mdate, n.de.mtime, 0);
	st->atime = ftime(n.de.adate, 0, 0);
	st->ctime = st->mtime;
	return 0;
}

struct rd {
	uint64_t want, at;
	struct fat_entry *out;
};

static int
readdir_fn(void *ctx, struct fat_entry *e)
{
	struct rd *rd = ctx;

	if (e->kind != FAT_SLOT_KIND_ENTRY || e->name[0] == '\0')
		return 0;
	if (rd->at++ < rd->want)
		return 0;
	*rd->out = *e;
	return 1;
}

static int
f_readdir(void *ctx, uint64_t dir, uint64_t index, struct fs_dirent *de)
{
	struct fat_fs *fs = ctx;
	struct fat_node d;
	struct fat_entry e;
	struct rd rd = { index, 0, &e };
	uint32_t start = 0;
	int r;

	if ((r = dir_get(fs, dir, &d)) < 0)
		return r;
	if (fs->cursor.valid && fs->cursor.dir == dir &&
	    fs->cursor.index <= index) {
		start = fs->cursor.slot;
		rd.at = fs->cursor.index;
	}
	r = fat_dir_scan(fs, d.cluster, start, readdir_fn, &rd);
	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	fs->cursor.valid = true;
	fs->cursor.dir = dir;
	fs->cursor.index = index + 1;
	fs->cursor.slot = e.slot + 1;
	de->type = e.de.attr & FAT_ATTR_DIR ? FS_TYPE_DIRECTORY : FS_TYPE_FILE;
	snprintf(de->name, sizeof(de->name), "%s", e.name);
	return 0;
}

static int
f_setattr(void *ctx, uint64_t id, const struct fs_control_args *c)
{
	struct fat_fs *fs = ctx;
	struct fat_node n;
	uint16_t date, time;
	uint8_t raw[FAT_DIRENT_SIZE];
	uint64_t off = 0;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = fat_node_get(fs, id, &n)) < 0)
		return r;
	/* FAT keeps no owners: only root's may be "set". */
	if (((c->valid & FS_CONTROL_UID) && c->uid != 0) ||
	    ((c->valid & FS_CONTROL_GID) && c->gid != 0))
		return -EPERM;
	if (n.kind == FAT_K_ROOT || (n.kind == FAT_K_DIR && orphan(&n)))
		return 0;
	if (n.kind == FAT_K_DIR) {
		/* A directory's times live in its "." entry. */
		off = fat_cluster_offset(&fs->b, n.cluster);
		if (blkdev_read(fs->dev, off, raw, sizeof(raw)) < 0)
			return fat_fail(fs, -EIO, "directory at cluster %u: "
			    "cannot read \".\"", n.cluster);
		fat_dirent_decode(&fs->b, raw, &n.de);
	}
	if (c->valid & FS_CONTROL_MODE && n.kind == FAT_K_FILE)
		n.de.attr = (uint8_t)((n.de.attr & ~FAT_ATTR_RO) |
		    (c->mode & 0200 ? 0 : FAT_ATTR_RO));
	if (c->valid & FS_CONTROL_MTIME_NOW)
		fat_now(&n.de.mdate, &n.de.mtime, NULL);
	else if (c->valid & FS_CONTROL_MTIME)
		fat_time_encode(c->mtime.sec, c->mtime.nsec, &n.de.mdate,
		    &n.de.mtime, NULL);
	if (c->valid & (FS_CONTROL_ATIME | FS_CONTROL_ATIME_NOW)) {
		if (c->valid & FS_CONTROL_ATIME_NOW)
			fat_now(&date, &time, NULL);
		else
			fat_time_encode(c->atime.sec, 0, &date, &time, NULL);
		n.de.adate = date;
	}
	if (n.kind == FAT_K_DIR) {
		fat_dirent_encode(&fs->b, &n.de, raw);
		r = blkdev_write(fs->dev, off, raw, sizeof(raw)) < 0 ?
		    fat_fail(fs, -EIO, "directory at cluster %u: cannot "
		    "write \".\"", n.cluster) : 0;
	} else
		r = fat_node_store(fs, &n);
	return fat_finish(fs, r);
}

/* --- ops: the namespace --- */

static int
f_create(void *ctx, uint64_t dir, const char *name, uint32_t mode,
    uint64_t *node)
{
	struct fat_fs *fs = ctx;
	struct fat_node d;
	struct fat_dirent de;
	struct fat_entry e;
	struct fat_name *nm;
	uint32_t type = mode & FS_MODE_TYPE, cl = 0;
	uint64_t pos;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = dir_get(fs, dir, &d)) < 0)
		return r;
	if (type != FS_MODE_FILE && type != FS_MODE_DIRECTORY)
		return -EOPNOTSUPP;	/* no symlinks on FAT */
	/* Decode the name and look for a clash before allocating. */
	if ((nm = malloc(sizeof(*nm))) == NULL)
		return -ENOMEM;
	r = fat_name_make(name, nm);
	free(nm);
	if (r < 0)
		return r;
	r = fat_dir_find(fs, d.cluster, name, &e);
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;
	r = 0;
	memset(&de, 0, sizeof(de));
	fat_now(&de.cdate, &de.ctime, &de.ctime_tenth);
	de.mdate = de.adate = de.cdate;
	de.mtime = de.ctime;
	de.attr = type == FS_MODE_DIRECTORY ? FAT_ATTR_DIR : FAT_ATTR_ARCHIVE;
	if (type == FS_MODE_FILE && !(mode & 0200))
		de.attr |= FAT_ATTR_RO;
	if (type == FS_MODE_DIRECTORY) {
		if ((r = fat_chain_alloc(fs, 0, 1, true, &cl)) < 0)
			return fat_finish(fs, r);
		r = fat_dir_init(fs, cl, d.kind == FAT_K_ROOT ? 0 : d.cluster,
		    &de);
		de.cluster = cl;
	}
	if (r == 0)
		r = fat_dir_add(fs, d.cluster, name, &de, 0, &pos);
	if (r < 0 && cl != 0)
		(void)fat_chain_free(fs, cl, 1);
	if (r == 0)
		*node = cl ? fat_dir_id(fs, cl) : fat_file_id(pos);
	fs->cursor.valid = false;
	return fat_finish(fs, r);
}

/* A removed node: freed now, or when its last handle goes. */
static void
drop(struct fat_fs *fs, const struct fat_entry *e, uint64_t id)
{
	struct fat_open *o = fat_open_find(fs, id);
	bool dir = e->de.attr & FAT_ATTR_DIR;

	if (o != NULL) {
		o->orphan = true;
		o->de = e->de;
		return;
	}
	release_clusters(fs, dir, &e->de, 0);
}

static int
f_unlink(void *ctx, uint64_t dir, const char *name)
{
	struct fat_fs *fs = ctx;
	struct fat_node d;
	struct fat_entry e;
	uint64_t id;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = dir_get(fs, dir, &d)) < 0)
		return r;
	if ((r = fat_dir_find(fs, d.cluster, name, &e)) < 0)
		return r;
	if ((r = entry_id(fs, &e, &id)) < 0)
		return r;
	if (e.de.attr & FAT_ATTR_DIR &&
	    (r = fat_dir_used(fs, e.de.cluster)) != 0)
		return r < 0 ? r : -ENOTEMPTY;
	fs->cursor.valid = false;
	if ((r = fat_dir_remove(fs, d.cluster, &e)) < 0)
		return fat_finish(fs, r);
	drop(fs, &e, id);
	return fat_finish(fs, 0);
}

/* Is directory cluster `anc` the directory `cl` or one above it? */
static int
inside(struct fat_fs *fs, uint32_t cl, uint32_t anc)
{
	unsigned depth;
	int r;

	for (depth = 0; cl != 0 && fat_dir_id(fs, cl) != FAT_ROOT_ID;
	    depth++) {
		if (cl == anc)
			return 1;
		if (depth > FAT_MAX_DIR_SLOTS)
			return fat_fail(fs, -EIO, "directory at cluster %u: "
			    "the \"..\" entries above it form a loop", cl);
		if ((r = fat_dir_parent(fs, cl, &cl)) < 0)
			return r;
	}
	return 0;
}

/* The raw slots of an entry, to put back if a rename cannot finish. */
struct saved {
	unsigned n;
	uint64_t off[FAT_LFN_MAX_ENTRIES + 1];
	uint8_t raw[FAT_LFN_MAX_ENTRIES + 1][FAT_DIRENT_SIZE];
};

static int
save(struct fat_fs *fs, uint32_t first, const struct fat_entry *e,
    struct saved *sv)
{
	struct fat_dwalk w;
	uint32_t s;
	int r;

	fat_dwalk_init(fs, &w, first);
	sv->n = 0;
	for (s = e->first_slot; s <= e->slot && sv->n <= FAT_LFN_MAX_ENTRIES;
	    s++, sv->n++) {
		if ((r = fat_dir_slot(fs, &w, s, &sv->off[sv->n])) != 0)
			return r < 0 ? r : -EIO;
		if (blkdev_read(fs->dev, sv->off[sv->n], sv->raw[sv->n],
		    FAT_DIRENT_SIZE) < 0)
			return -EIO;
	}
	return 0;
}

static void
restore(struct fat_fs *fs, const struct saved *sv)
{
	unsigned i;

	for (i = 0; i < sv->n; i++)
		if (blkdev_write(fs->dev, sv->off[i], sv->raw[i],
		    FAT_DIRENT_SIZE) < 0)
			(void)fat_fail(fs, -EIO, "rename: cannot put back the "
			    "entry at byte %llu", (unsigned long long)sv->off[i]);
}

static int
f_rename(void *ctx, uint64_t from_dir, const char *from, uint64_t to_dir,
    const char *to)
{
	struct fat_fs *fs = ctx;
	struct fat_node fd, td;
	struct fat_entry se, xe;
	struct fat_dirent nde;
	struct fat_open *o;
	struct saved *sv = NULL;
	struct fat_name *nm;
	uint64_t sid, xid = 0, npos;
	bool sdir, same = false, have_x = false;
	uint32_t parent;
	int r;

	if (fs->ro)
		return -EROFS;
	if ((r = dir_get(fs, from_dir, &fd)) < 0 ||
	    (r = dir_get(fs, to_dir, &td)) < 0)
		return r;
	if ((r = fat_dir_find(fs, fd.cluster, from, &se)) < 0)
		return r;
	if ((r = entry_id(fs, &se, &sid)) < 0)
		return r;
	sdir = se.de.attr & FAT_ATTR_DIR;
	if (sdir && (r = inside(fs, td.cluster, se.de.cluster)) != 0)
		return r < 0 ? r : -EINVAL;
	r = fat_dir_find(fs, td.cluster, to, &xe);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == 0 && xe.pos == se.pos) {
		if (strcmp(from, to) == 0)
			return 0;
		same = true;		/* only the case changes */
	} else if (r == 0) {
		bool xdir = xe.de.attr & FAT_ATTR_DIR;

		if ((r = entry_id(fs, &xe, &xid)) < 0)
			return r;
		if (sdir && !xdir)
			return -ENOTDIR;
		if (!sdir && xdir)
			return -EISDIR;
		if (xdir && (r = fat_dir_used(fs, xe.de.cluster)) != 0)
			return r < 0 ? r : -ENOTEMPTY;
		have_x = true;
	}
	if ((nm = malloc(sizeof(*nm))) == NULL)
		return -ENOMEM;
	r = fat_name_make(to, nm);
	free(nm);
	if (r < 0)
		return r;
	fs->cursor.valid = false;
	if (have_x) {
		if ((sv = malloc(sizeof(*sv))) == NULL)
			return -ENOMEM;
		if ((r = save(fs, td.cluster, &xe, sv)) < 0 ||
		    (r = fat_dir_remove(fs, td.cluster, &xe)) < 0)
			goto out;
	}
	nde = se.de;
	r = fat_dir_add(fs, td.cluster, to, &nde, same ? se.pos : 0, &npos);
	if (r < 0) {
		if (have_x)
			restore(fs, sv);
		goto out;
	}
	if ((r = fat_dir_remove(fs, fd.cluster, &se)) < 0)
		goto out;
	if (sdir && fd.cluster != td.cluster) {
		parent = td.kind == FAT_K_ROOT ? 0 : td.cluster;
		if ((r = fat_dir_set_parent(fs, se.de.cluster, parent)) < 0)
			goto out;
	}
	if (!sdir && (o = fat_open_find(fs, sid)) != NULL)
		o->pos = npos;
	if (have_x)
		drop(fs, &xe, xid);
out:
	free(sv);
	return fat_finish(fs, r);
}

static int
f_symlink(void *ctx, uint64_t node, const char *target, size_t len)
{
	return -EOPNOTSUPP;
}

static long
f_readlink(void *ctx, uint64_t node, char *buf, size_t cap)
{
	return -EINVAL;
}

static int
f_sync(void *ctx)
{
	struct fat_fs *fs = ctx;
	int r = writeback(fs, 0);

	if (r == 0 && blkdev_sync(fs->dev) < 0)
		r = fat_fail(fs, -EIO, "the device could not sync");
	return r;
}

static void
f_open(void *ctx, uint64_t id)
{
	struct fat_fs *fs = ctx;
	struct fat_open *o = fat_open_find(fs, id);

	if (o != NULL) {
		o->opens++;
		return;
	}
	if (fs->nopen == fs->open_cap) {
		unsigned cap = fs->open_cap ? fs->open_cap * 2 : 16;
		void *p = realloc(fs->open, cap * sizeof(*fs->open));

		if (p == NULL)
			return;	/* untracked: a rename then changes its id */
		fs->open = p;
		fs->open_cap = cap;
	}
	o = &fs->open[fs->nopen++];
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->opens = 1;
	o->pos = id & FAT_FILE_BIT ? id_pos(id) : 0;
}

static void
f_close(void *ctx, uint64_t id)
{
	struct fat_fs *fs = ctx;
	struct fat_open *o = fat_open_find(fs, id);
	struct fat_open gone;

	if (o == NULL || --o->opens > 0)
		return;
	/* Linux's vfat gives preallocated clusters back at eviction. */
	if (!o->orphan && o->prealloc && !fs->ro)
		(void)fat_finish(fs, fat_trim(fs, o));
	gone = *o;
	*o = fs->open[--fs->nopen];
	if (gone.orphan) {
		release_clusters(fs, !(gone.id & FAT_FILE_BIT), &gone.de,
		    gone.prealloc);
		(void)fat_finish(fs, 0);
	}
}

const struct fs_ops fat_ops = {
	.lookup = f_lookup,
	.create = f_create,
	.stat = f_stat,
	.read = fat_read,
	.write = fat_write,
	.readdir = f_readdir,
	.unlink = f_unlink,
	.rename = f_rename,
	.truncate = fat_truncate,
	.allocate = fat_allocate,
	.symlink = f_symlink,
	.readlink = f_readlink,
	.setattr = f_setattr,
	.sync = f_sync,
	.open = f_open,
	.close = f_close,
};

/* --- mounting --- */

int
fat_mount(struct blkdev *dev, bool writeable, fat_log_fn log, void *log_ctx,
    struct fat_fs **out, uint64_t *root, char *err, size_t ecap)
{
	struct fat_fs *fs;
	uint8_t *sec;
	uint32_t f, nf;
	int r;

	if ((sec = malloc(4096)) == NULL)
		return -ENOMEM;
	if (blkdev_size(dev) < 512 || blkdev_read(dev, 0, sec, 512) < 0) {
		free(sec);
		snprintf(err, ecap, "cannot read the boot sector");
		return -EIO;
	}
	if ((fs = calloc(1, sizeof(*fs))) == NULL) {
		free(sec);
		return -ENOMEM;
	}
	r = fat_bpb_parse(sec, 512, blkdev_size(dev), &fs->b, err, ecap);
	if (r < 0)
		goto fail;
	fs->dev = dev;
	fs->ro = !writeable || !dev->writeable;
	fs->log = log;
	fs->log_ctx = log_ctx;
	fs->next_free = 2;
	if (fs->b.type == FAT32 && fs->b.fsinfo_sector != 0 &&
	    blkdev_read(dev, (uint64_t)fs->b.fsinfo_sector *
	    fs->b.sector_size, sec, 512) == 0 &&
	    fat_fsinfo_parse(sec, &f, &nf) == 0) {
		if (fat_cluster_valid(&fs->b, nf))
			fs->next_free = nf;
		/* Trust the count only where counting would be slow. */
		if (f <= fs->b.clusters && fs->b.fat_bytes > (16u << 20)) {
			fs->free_count = f;
			fs->free_known = true;
		}
	}
	if (!fs->ro && (r = fat_count_free(fs)) < 0) {
		snprintf(err, ecap, "%s", fs->last_err[0] ? fs->last_err :
		    "cannot count the free clusters");
		goto fail;
	}
	free(sec);
	*out = fs;
	*root = FAT_ROOT_ID;
	return 0;
fail:
	free(sec);
	free(fs);
	return r;
}

int
fat_unmount(struct fat_fs *fs)
{
	unsigned i;
	int r;

	for (i = 0; i < fs->nopen && !fs->ro; i++)
		if (!fs->open[i].orphan && fs->open[i].prealloc)
			(void)fat_trim(fs, &fs->open[i]);
	r = fs->ro ? 0 : f_sync(fs);
	free(fs->open);
	free(fs);
	return r;
}

void
fat_set_changed(struct fat_fs *fs, void (*fn)(void *ctx), void *ctx)
{
	fs->changed = fn;
	fs->changed_ctx = ctx;
}

const struct fat_bpb *
fat_bpb(const struct fat_fs *fs)
{
	return &fs->b;
}

long long
fat_free_clusters(struct fat_fs *fs)
{
	int r = fat_count_free(fs);

	return r < 0 ? (long long)r : (long long)fs->free_count;
}

const char *
fat_last_error(const struct fat_fs *fs)
{
	return fs->last_err;
}
