/*
 * The fat plugin's directories: slots, scans with long-name assembly, and
 * adding and removing entries.
 * SPDX-License-Identifier: MIT
 *
 * A directory is a sequence of 32-byte slots: the fixed root region of
 * FAT12/16, or a cluster chain (at most 65536 slots, fatgen103). A slot
 * whose first byte is 0 ends the directory: it and every later slot are
 * free. A new entry takes a run of free slots (its long-name pieces, then
 * the short entry) and the directory grows by zeroed clusters when no run
 * is long enough; slots after an end marker that a new entry skips are
 * marked deleted, so the end marker never hides the new entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fat_impl.h"

void
fat_dwalk_init(struct fat_fs *fs, struct fat_dwalk *w, uint32_t first)
{
	w->first = first;
	w->idx = 0;
	w->cur = 0;
	w->limit = fat_dir_limit(fs);
}

int
fat_dir_slot(struct fat_fs *fs, struct fat_dwalk *w, uint32_t s,
    uint64_t *off)
{
	uint32_t per = fs->b.cluster_size / FAT_DIRENT_SIZE, ci, next;
	int r;

	if (w->first == 0) {
		if (s >= fs->b.root_entries)
			return 1;
		*off = fs->b.root_offset + (uint64_t)s * FAT_DIRENT_SIZE;
		return 0;
	}
	if (s >= FAT_MAX_DIR_SLOTS) {
		/* The most a directory may hold: its chain must end here
		 * (a loop never does). */
		if ((r = fat_dir_slot(fs, w, FAT_MAX_DIR_SLOTS - 1, off)) != 0)
			return r;
		r = fat_chain_next(fs, w->cur, w->idx, w->idx + 1, &next);
		return r < 0 ? r : 1;
	}
	ci = s / per;
	if (w->cur == 0 || ci < w->idx) {
		if (!fat_cluster_valid(&fs->b, w->first))
			return fat_fail(fs, -EIO, "directory: first cluster "
			    "%u lies outside the volume (2 .. %u)", w->first,
			    fs->b.clusters + 1);
		w->cur = w->first;
		w->idx = 0;
	}
	while (w->idx < ci) {
		r = fat_chain_next(fs, w->cur, w->idx, w->limit, &next);
		if (r != 0)
			return r;
		w->cur = next;
		w->idx++;
	}
	*off = fat_cluster_offset(&fs->b, w->cur) +
	    (uint64_t)(s % per) * FAT_DIRENT_SIZE;
	return 0;
}

static int
read_slot(struct fat_fs *fs, uint64_t off, uint8_t *raw)
{
	if (blkdev_read(fs->dev, off, raw, FAT_DIRENT_SIZE) < 0)
		return fat_fail(fs, -EIO, "directory: cannot read the slot at "
		    "byte %llu", (unsigned long long)off);
	return 0;
}

static int
write_slot(struct fat_fs *fs, uint64_t off, const uint8_t *raw)
{
	if (blkdev_write(fs->dev, off, raw, FAT_DIRENT_SIZE) < 0)
		return fat_fail(fs, -EIO, "directory: cannot write the slot at "
		    "byte %llu", (unsigned long long)off);
	return 0;
}

int
fat_dir_scan(struct fat_fs *fs, uint32_t first, uint32_t start,
    int (*fn)(void *ctx, struct fat_entry *e), void *ctx)
{
	struct fat_dwalk w;
	struct fat_lfn lfn;
	struct fat_entry e;
	uint8_t raw[FAT_DIRENT_SIZE];
	uint32_t s, lfn_start = start;
	uint64_t off;
	int r;

	fat_dwalk_init(fs, &w, first);
	fat_lfn_reset(&lfn);
	for (s = start;; s++) {
		r = fat_dir_slot(fs, &w, s, &off);
		if (r != 0)
			return r < 0 ? r : 0;
		if ((r = read_slot(fs, off, raw)) < 0)
			return r;
		switch (fat_slot_kind(raw)) {
		case FAT_SLOT_KIND_END:
			return 0;
		case FAT_SLOT_KIND_FREE:
			fat_lfn_reset(&lfn);
			continue;
		case FAT_SLOT_KIND_LFN:
			if (raw[0] & 0x40)
				lfn_start = s;
			fat_lfn_feed(&lfn, raw);
			continue;
		default:
			break;
		}
		memset(&e, 0, sizeof(e));
		e.kind = fat_slot_kind(raw);
		e.slot = s;
		e.pos = off;
		fat_dirent_decode(&fs->b, raw, &e.de);
		fat_short_name(e.de.name, e.de.ntres, e.short_name,
		    sizeof(e.short_name));
		e.first_slot = s;
		if (e.kind == FAT_SLOT_KIND_ENTRY && fat_lfn_take(&lfn,
		    e.de.name, e.name, sizeof(e.name)) > 0)
			e.first_slot = lfn_start;
		else
			memcpy(e.name, e.short_name, sizeof(e.short_name));
		fat_lfn_reset(&lfn);
		if ((r = fn(ctx, &e)) != 0)
			return r;
	}
}

struct find {
	const char *name;
	struct fat_entry *out;
	uint64_t skip_pos;
};

static int
find_fn(void *ctx, struct fat_entry *e)
{
	struct find *f = ctx;

	if (e->kind != FAT_SLOT_KIND_ENTRY || e->pos == f->skip_pos ||
	    e->name[0] == '\0')
		return 0;
	if (!fat_name_equal(f->name, e->name) &&
	    !fat_name_equal(f->name, e->short_name))
		return 0;
	*f->out = *e;
	return 1;
}

static int
find_skip(struct fat_fs *fs, uint32_t first, const char *name,
    uint64_t skip_pos, struct fat_entry *e)
{
	struct find f = { name, e, skip_pos };
	int r = fat_dir_scan(fs, first, 0, find_fn, &f);

	return r == 1 ? 0 : r < 0 ? r : -ENOENT;
}

int
fat_dir_find(struct fat_fs *fs, uint32_t first, const char *name,
    struct fat_entry *e)
{
	return find_skip(fs, first, name, 0, e);
}

static int
used_fn(void *ctx, struct fat_entry *e)
{
	return e->kind == FAT_SLOT_KIND_ENTRY;
}

int
fat_dir_used(struct fat_fs *fs, uint32_t first)
{
	return fat_dir_scan(fs, first, 0, used_fn, NULL);
}

static int
count_fn(void *ctx, struct fat_entry *e)
{
	if (e->kind == FAT_SLOT_KIND_ENTRY && e->name[0] != '\0')
		++*(long *)ctx;
	return 0;
}

long
fat_dir_count(struct fat_fs *fs, uint32_t first)
{
	long n = 0;
	int r = fat_dir_scan(fs, first, 0, count_fn, &n);

	return r < 0 ? r : n;
}

/* --- short names --- */

struct names {
	uint8_t (*v)[11];
	size_t n, cap;
	int err;
};

static int
names_fn(void *ctx, struct fat_entry *e)
{
	struct names *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->v, cap * sizeof(*s->v));

		if (p == NULL) {
			s->err = -ENOMEM;
			return 1;
		}
		s->v = p;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], e->de.name, 11);
	return 0;
}

static int
cmp11(const void *a, const void *b)
{
	return memcmp(a, b, 11);
}

/* A short name for n that no entry of the directory has. */
static int
pick_short(struct fat_fs *fs, uint32_t first, const struct fat_name *n,
    uint8_t out[11])
{
	struct names s = { NULL, 0, 0, 0 };
	unsigned k;
	int r;

	r = fat_dir_scan(fs, first, 0, names_fn, &s);
	if (r == 0 || s.err)
		r = s.err;
	if (r < 0) {
		free(s.v);
		return r;
	}
	if (s.n)
		qsort(s.v, s.n, 11, cmp11);
	r = -ENOSPC;
	if (!n->lossy && (s.n == 0 || bsearch(n->basis, s.v, s.n, 11,
	    cmp11) == NULL)) {
		memcpy(out, n->basis, 11);
		r = 0;
	}
	for (k = 1; r != 0 && k <= 999999; k++) {
		fat_short_tail(n->basis, k, out);
		if (s.n == 0 || bsearch(out, s.v, s.n, 11, cmp11) == NULL)
			r = 0;
	}
	free(s.v);
	return r;
}

/* --- adding and removing --- */

/* Grow directory `first` by n zeroed clusters. */
static int
grow(struct fat_fs *fs, uint32_t first, uint32_t n)
{
	uint32_t last = first, idx = 0, next, got;
	int r;

	for (;;) {
		r = fat_chain_next(fs, last, idx, fat_dir_limit(fs), &next);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		last = next;
		idx++;
	}
	if (idx + 1 + n > fat_dir_limit(fs))
		return -ENOSPC;
	return fat_chain_alloc(fs, last, n, true, &got);
}

/*
 * A run of n free slots whose last one (the short entry) is not reserved:
 * its first slot in *at. The directory grows when needed; *end_at gets the
 * first end-marker slot before the run (or UINT32_MAX).
 */
static int
free_run(struct fat_fs *fs, uint32_t first, uint32_t n, uint32_t *at,
    uint32_t *end_at)
{
	struct fat_dwalk w;
	uint8_t raw[FAT_DIRENT_SIZE];
	uint32_t s, run = 0, start = 0, per, need;
	uint64_t off;
	int r;

	*end_at = UINT32_MAX;
	fat_dwalk_init(fs, &w, first);
	for (s = 0;; s++) {
		r = fat_dir_slot(fs, &w, s, &off);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		if ((r = read_slot(fs, off, raw)) < 0)
			return r;
		if (raw[0] == FAT_SLOT_END && *end_at == UINT32_MAX)
			*end_at = s;
		if ((raw[0] == FAT_SLOT_END || raw[0] == FAT_SLOT_FREE) &&
		    !(run + 1 == n && fat_pos_reserved(fs, off))) {
			if (run++ == 0)
				start = s;
			if (run == n) {
				*at = start;
				return 0;
			}
		} else
			run = 0;
	}
	/* Past the last slot: grow, unless this is the fixed root. */
	if (first == 0 || s >= FAT_MAX_DIR_SLOTS)
		return -ENOSPC;
	if (run == 0)
		start = s;
	per = fs->b.cluster_size / FAT_DIRENT_SIZE;
	need = (n - run + per - 1) / per;
	/* A reserved slot in the new clusters cannot be: they were free. */
	if ((r = grow(fs, first, need)) < 0)
		return r;
	*at = start;
	if (*end_at == UINT32_MAX)
		*end_at = s;
	return 0;
}

int
fat_dir_add(struct fat_fs *fs, uint32_t first, const char *name,
    struct fat_dirent *de, uint64_t skip_pos, uint64_t *pos)
{
	struct fat_name *n;
	struct fat_entry e;
	struct fat_dwalk w;
	uint8_t raw[FAT_DIRENT_SIZE], csum;
	uint32_t at, end_at, s, k, nl, v;
	uint64_t off = 0;
	int r;

	n = malloc(sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	if ((r = fat_name_make(name, n)) < 0)
		goto out;
	r = find_skip(fs, first, name, skip_pos, &e);
	if (r == 0)
		r = -EEXIST;
	if (r != -ENOENT)
		goto out;
	r = 0;
	if (n->need_lfn) {
		if ((r = pick_short(fs, first, n, de->name)) < 0)
			goto out;
		de->ntres = 0;
	} else {
		memcpy(de->name, n->basis, 11);
		de->ntres = n->ntres;
	}
	/* A directory whose first cluster the FAT calls free would have it
	 * handed out as file data: refuse to write into it. */
	if (first != 0 && (r = fat_get(fs, first, &v)) == 0 && v == 0)
		r = fat_fail(fs, -EIO, "directory at cluster %u is marked free "
		    "in the FAT", first);
	if (r < 0)
		goto out;
	nl = fat_lfn_entries(n);
	if ((r = free_run(fs, first, nl + 1, &at, &end_at)) < 0)
		goto out;
	fat_dwalk_init(fs, &w, first);
	/* End markers the new entry would sit behind become deleted slots. */
	for (s = end_at; s < at; s++) {
		if ((r = fat_dir_slot(fs, &w, s, &off)) != 0 ||
		    (r = read_slot(fs, off, raw)) < 0)
			goto out_io;
		if (raw[0] == FAT_SLOT_END) {
			raw[0] = FAT_SLOT_FREE;
			if ((r = write_slot(fs, off, raw)) < 0)
				goto out;
		}
	}
	csum = fat_lfn_checksum(de->name);
	for (k = 0; k <= nl; k++) {
		if ((r = fat_dir_slot(fs, &w, at + k, &off)) != 0)
			goto out_io;
		if (k < nl)
			fat_lfn_encode(n, nl - k, k == 0, csum, raw);
		else
			fat_dirent_encode(&fs->b, de, raw);
		if ((r = write_slot(fs, off, raw)) < 0)
			goto out;
	}
	*pos = off;
	r = 0;
	goto out;
out_io:
	if (r > 0)
		r = fat_fail(fs, -EIO, "directory: a free slot vanished");
out:
	free(n);
	return r;
}

int
fat_dir_remove(struct fat_fs *fs, uint32_t first, const struct fat_entry *e)
{
	struct fat_dwalk w;
	uint8_t raw[FAT_DIRENT_SIZE];
	uint64_t off;
	uint32_t s;
	int r;

	fat_dwalk_init(fs, &w, first);
	for (s = e->first_slot; s <= e->slot; s++) {
		if ((r = fat_dir_slot(fs, &w, s, &off)) != 0)
			return r < 0 ? r : -EIO;
		if ((r = read_slot(fs, off, raw)) < 0)
			return r;
		raw[0] = FAT_SLOT_FREE;
		if ((r = write_slot(fs, off, raw)) < 0)
			return r;
	}
	return 0;
}

int
fat_dir_init(struct fat_fs *fs, uint32_t cl, uint32_t parent,
    const struct fat_dirent *proto)
{
	struct fat_dirent d = *proto;
	uint8_t raw[2 * FAT_DIRENT_SIZE];
	uint64_t off = fat_cluster_offset(&fs->b, cl);

	memcpy(d.name, ".          ", 11);
	d.attr = FAT_ATTR_DIR;
	d.ntres = 0;
	d.cluster = cl;
	d.size = 0;
	fat_dirent_encode(&fs->b, &d, raw);
	memcpy(d.name, "..         ", 11);
	d.cluster = parent;
	fat_dirent_encode(&fs->b, &d, raw + FAT_DIRENT_SIZE);
	if (blkdev_write(fs->dev, off, raw, sizeof(raw)) < 0)
		return fat_fail(fs, -EIO, "directory: cannot write cluster %u",
		    cl);
	return 0;
}

int
fat_dir_parent(struct fat_fs *fs, uint32_t cl, uint32_t *parent)
{
	uint8_t raw[FAT_DIRENT_SIZE];
	struct fat_dirent d;
	int r;

	if (!fat_cluster_valid(&fs->b, cl))
		return fat_fail(fs, -EIO, "directory: cluster %u lies outside "
		    "the volume", cl);
	r = read_slot(fs, fat_cluster_offset(&fs->b, cl) + FAT_DIRENT_SIZE,
	    raw);
	if (r < 0)
		return r;
	if (memcmp(raw, "..         ", 11) != 0)
		return fat_fail(fs, -EIO, "directory at cluster %u: its second "
		    "entry is not \"..\"", cl);
	fat_dirent_decode(&fs->b, raw, &d);
	*parent = d.cluster == fs->b.root_cluster ? 0 : d.cluster;
	return 0;
}

int
fat_dir_set_parent(struct fat_fs *fs, uint32_t cl, uint32_t parent)
{
	uint8_t raw[FAT_DIRENT_SIZE];
	uint64_t off = fat_cluster_offset(&fs->b, cl) + FAT_DIRENT_SIZE;
	struct fat_dirent d;
	int r;

	if ((r = read_slot(fs, off, raw)) < 0)
		return r;
	fat_dirent_decode(&fs->b, raw, &d);
	d.cluster = parent;
	fat_dirent_encode(&fs->b, &d, raw);
	return write_slot(fs, off, raw);
}
