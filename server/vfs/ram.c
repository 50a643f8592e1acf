/*
 * The ram plugin: nodes, directories by hash, sparse files in page tables.
 * SPDX-License-Identifier: MIT
 *
 * Nodes are found by id through a chained hash (ids come from a counter
 * and are never reused, so a stale id finds nothing). Directory entries
 * ("links") live in a second chained hash keyed by (directory, name), for
 * lookups in constant time, and in a per-directory array, which readdir
 * indexes; removing an entry moves the array's last entry into its place.
 * A node is freed when it has no link and no open handle (POSIX: an open
 * file outlives its last name).
 *
 * File content is a three-level table of 512 pointers per level over 4 KiB
 * pages: holes have no page and read as zeros, so sparse files cost only
 * what was written. Shrinking zeroes the tail of the last page so that a
 * later growth reads zeros there too.
 *
 * Every change allocates first and changes afterwards, so -ENOSPC never
 * leaves a half-done operation (a write stops at the first page that
 * cannot be had and reports what it wrote; an allocation gives back the
 * pages it took). fallocate reserves zeroed pages, also past the end of
 * the file, where they stay until a truncate or a punch takes them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ram.h"

#define FANOUT		512u
#define LEVELS		3
#define ROOT_ID		1

struct ram_link;

struct ram_node {
	uint64_t id;
	uint32_t mode;		/* FS_MODE_* type | permissions */
	uint32_t nlink;
	uint32_t uid, gid;
	uint32_t opens;		/* handles referring to it */
	struct fs_time atime, mtime, ctime;
	struct ram_node *hnext;	/* id hash chain */
	union {
		struct {
			uint64_t size;
			uint64_t pages;	/* allocated data pages */
			void **table;	/* top level, NULL when empty */
		} file;
		struct {
			struct ram_link **ent;
			uint32_t count, cap;
			struct ram_node *parent;
		} dir;
		struct {
			char *target;
			uint32_t len;
		} link;
	} u;
};

struct ram_link {
	struct ram_node *dir;
	struct ram_node *node;
	uint32_t hash;
	uint32_t index;		/* in dir->u.dir.ent */
	struct ram_link *hnext;
	size_t size;		/* bytes allocated, name included */
	char name[];
};

struct ram_fs {
	struct cairn_alloc *a;
	struct ram_node **nodes;	/* id hash */
	uint32_t nodes_cap;		/* power of two */
	uint64_t nnodes;
	struct ram_link **links;	/* (dir, name) hash */
	uint32_t links_cap;
	uint64_t nlinks;
	uint64_t next_id;
	uint64_t pages;			/* data and table pages */
};

static void *
zalloc(struct ram_fs *fs, size_t size)
{
	void *p = cairn_alloc(fs->a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

static void
zfree(struct ram_fs *fs, void *p, size_t size)
{
	if (p)
		cairn_free(&fs->a->dealloc, p, size);
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

static uint32_t
hash_name(uint64_t dir, const char *name)
{
	uint64_t h = 1469598103934665603ull ^ dir;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 1099511628211ull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t
hash_id(uint64_t id)
{
	id *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(id >> 32);
}

static bool
is_type(const struct ram_node *n, uint32_t type)
{
	return (n->mode & FS_MODE_TYPE) == type;
}

/* --- hashes --- */

/*
 * Double a chained hash's bucket array once it holds as many entries as
 * buckets. A table that cannot grow still works, only slower.
 */
static int
grow_nodes(struct ram_fs *fs)
{
	uint32_t ncap = fs->nodes_cap ? fs->nodes_cap * 2 : 64, i;
	struct ram_node **nb, *n;

	if (fs->nnodes < fs->nodes_cap)
		return 0;
	nb = zalloc(fs, ncap * sizeof(*nb));
	if (nb == NULL)
		return fs->nodes_cap ? 0 : -ENOSPC;
	for (i = 0; i < fs->nodes_cap; i++)
		while ((n = fs->nodes[i]) != NULL) {
			uint32_t b = hash_id(n->id) & (ncap - 1);

			fs->nodes[i] = n->hnext;
			n->hnext = nb[b];
			nb[b] = n;
		}
	zfree(fs, fs->nodes, fs->nodes_cap * sizeof(*nb));
	fs->nodes = nb;
	fs->nodes_cap = ncap;
	return 0;
}

static int
grow_links(struct ram_fs *fs)
{
	uint32_t ncap = fs->links_cap ? fs->links_cap * 2 : 64, i;
	struct ram_link **nb, *l;

	if (fs->nlinks < fs->links_cap)
		return 0;
	nb = zalloc(fs, ncap * sizeof(*nb));
	if (nb == NULL)
		return fs->links_cap ? 0 : -ENOSPC;
	for (i = 0; i < fs->links_cap; i++)
		while ((l = fs->links[i]) != NULL) {
			uint32_t b = l->hash & (ncap - 1);

			fs->links[i] = l->hnext;
			l->hnext = nb[b];
			nb[b] = l;
		}
	zfree(fs, fs->links, fs->links_cap * sizeof(*nb));
	fs->links = nb;
	fs->links_cap = ncap;
	return 0;
}

static struct ram_node *
node_get(struct ram_fs *fs, uint64_t id)
{
	struct ram_node *n;

	if (fs->nodes_cap == 0)
		return NULL;
	for (n = fs->nodes[hash_id(id) & (fs->nodes_cap - 1)]; n; n = n->hnext)
		if (n->id == id)
			return n;
	return NULL;
}

static struct ram_link *
link_find(struct ram_fs *fs, struct ram_node *dir, const char *name)
{
	uint32_t h = hash_name(dir->id, name);
	struct ram_link *l;

	if (fs->links_cap == 0)
		return NULL;
	for (l = fs->links[h & (fs->links_cap - 1)]; l; l = l->hnext)
		if (l->hash == h && l->dir == dir && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* --- file pages --- */

static void **
slot_of(struct ram_fs *fs, struct ram_node *n, uint64_t page, bool create)
{
	void ***tp = (void ***)&n->u.file.table;
	unsigned level;

	for (level = LEVELS - 1; ; level--) {
		unsigned shift = 9 * level, idx;

		if (*tp == NULL) {
			if (!create)
				return NULL;
			*tp = zalloc(fs, RAM_PAGE);
			if (*tp == NULL)
				return NULL;
			fs->pages++;
		}
		idx = (unsigned)(page >> shift) & (FANOUT - 1);
		if (level == 0)
			return &(*tp)[idx];
		tp = (void ***)&(*tp)[idx];
	}
}

/*
 * Data pages ram_allocate() made in the call under way carry this bit in
 * their table slot until the call ends (pages are at least 16-byte
 * aligned), so that a failure can give back exactly those.
 */
#define NEW_TAG		((uintptr_t)1)

static void *
untagged(void *p)
{
	return (void *)((uintptr_t)p & ~NEW_TAG);
}

/*
 * Free the data pages [from, to) under table t (at level; its first page
 * is base), with `tagged` only those that carry NEW_TAG; frees t itself
 * when it ends up empty. Returns whether t was freed.
 */
static bool
free_range(struct ram_fs *fs, struct ram_node *n, void **t, unsigned level,
    uint64_t base, uint64_t from, uint64_t to, bool tagged)
{
	uint64_t span = (uint64_t)1 << (9 * level);
	bool empty = true;
	unsigned i;

	for (i = 0; i < FANOUT; i++) {
		uint64_t first = base + i * span;

		if (t[i] == NULL)
			continue;
		if (first + span <= from || first >= to) {
			empty = false;
			continue;
		}
		if (level == 0) {
			if (tagged && !((uintptr_t)t[i] & NEW_TAG)) {
				empty = false;
				continue;
			}
			zfree(fs, untagged(t[i]), RAM_PAGE);
			fs->pages--;
			n->u.file.pages--;
			t[i] = NULL;
		} else if (free_range(fs, n, t[i], level - 1, first, from, to,
		    tagged)) {
			t[i] = NULL;
		} else {
			empty = false;
		}
	}
	if (empty) {
		zfree(fs, t, RAM_PAGE);
		fs->pages--;
	}
	return empty;
}

/* Pages [from, to) of file n, see free_range. */
static void
file_free(struct ram_fs *fs, struct ram_node *n, uint64_t from, uint64_t to,
    bool tagged)
{
	if (n->u.file.table && from < to && free_range(fs, n,
	    n->u.file.table, LEVELS - 1, 0, from, to, tagged))
		n->u.file.table = NULL;
}

static void
file_shrink(struct ram_fs *fs, struct ram_node *n, uint64_t size)
{
	uint64_t keep = (size + RAM_PAGE - 1) / RAM_PAGE;
	void **slot;

	file_free(fs, n, keep, UINT64_MAX, false);
	/* The rest of the last page must read as zeros after a growth. */
	if (size % RAM_PAGE) {
		slot = slot_of(fs, n, size / RAM_PAGE, false);
		if (slot && *slot)
			memset((char *)*slot + size % RAM_PAGE, 0,
			    RAM_PAGE - size % RAM_PAGE);
	}
}

/* --- nodes and links --- */

static struct ram_node *
node_new(struct ram_fs *fs, uint32_t mode)
{
	struct ram_node *n;
	uint32_t b;

	if (grow_nodes(fs) < 0)
		return NULL;
	n = zalloc(fs, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->id = ++fs->next_id;
	n->mode = mode;
	n->atime = n->mtime = n->ctime = now();
	b = hash_id(n->id) & (fs->nodes_cap - 1);
	n->hnext = fs->nodes[b];
	fs->nodes[b] = n;
	fs->nnodes++;
	return n;
}

static void
node_free(struct ram_fs *fs, struct ram_node *n)
{
	struct ram_node **pp;

	for (pp = &fs->nodes[hash_id(n->id) & (fs->nodes_cap - 1)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == n) {
			*pp = n->hnext;
			break;
		}
	fs->nnodes--;
	if (is_type(n, FS_MODE_FILE))
		file_shrink(fs, n, 0);
	else if (is_type(n, FS_MODE_DIRECTORY))
		zfree(fs, n->u.dir.ent, n->u.dir.cap * sizeof(void *));
	else
		zfree(fs, n->u.link.target, n->u.link.len + 1);
	zfree(fs, n, sizeof(*n));
}

/* Free n if nothing refers to it any more. */
static void
node_check(struct ram_fs *fs, struct ram_node *n)
{
	if (n->nlink == 0 && n->opens == 0 && n->id != ROOT_ID)
		node_free(fs, n);
}

/* Room for one more entry in dir and one more link in the hash. */
static int
reserve_entry(struct ram_fs *fs, struct ram_node *dir)
{
	uint32_t cap = dir->u.dir.cap, ncap;
	struct ram_link **ne;

	if (grow_links(fs) < 0)
		return -ENOSPC;
	if (dir->u.dir.count < cap)
		return 0;
	ncap = cap ? cap * 2 : 8;
	ne = zalloc(fs, ncap * sizeof(*ne));
	if (ne == NULL)
		return -ENOSPC;
	if (cap)
		memcpy(ne, dir->u.dir.ent, cap * sizeof(*ne));
	zfree(fs, dir->u.dir.ent, cap * sizeof(*ne));
	dir->u.dir.ent = ne;
	dir->u.dir.cap = ncap;
	return 0;
}

static struct ram_link *
link_alloc(struct ram_fs *fs, const char *name)
{
	size_t len = strlen(name), size = sizeof(struct ram_link) + len + 1;
	struct ram_link *l = zalloc(fs, size);

	if (l) {
		l->size = size;
		memcpy(l->name, name, len + 1);
	}
	return l;
}

/* Enter l (allocated, room reserved) as an entry of dir for node. */
static void
link_insert(struct ram_fs *fs, struct ram_link *l, struct ram_node *dir,
    struct ram_node *node)
{
	uint32_t b;

	l->dir = dir;
	l->node = node;
	l->hash = hash_name(dir->id, l->name);
	b = l->hash & (fs->links_cap - 1);
	l->hnext = fs->links[b];
	fs->links[b] = l;
	fs->nlinks++;
	l->index = dir->u.dir.count;
	dir->u.dir.ent[dir->u.dir.count++] = l;
	node->nlink++;
	if (is_type(node, FS_MODE_DIRECTORY)) {
		node->u.dir.parent = dir;
		dir->nlink++;
	}
	dir->mtime = dir->ctime = now();
}

/* Take l out of its directory and the hash, and free it; the node stays. */
static void
link_remove(struct ram_fs *fs, struct ram_link *l)
{
	struct ram_node *dir = l->dir, *node = l->node;
	struct ram_link **pp, *last;

	for (pp = &fs->links[l->hash & (fs->links_cap - 1)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == l) {
			*pp = l->hnext;
			break;
		}
	fs->nlinks--;
	last = dir->u.dir.ent[--dir->u.dir.count];
	dir->u.dir.ent[l->index] = last;
	last->index = l->index;
	node->nlink--;
	if (is_type(node, FS_MODE_DIRECTORY)) {
		dir->nlink--;
		/* An empty directory loses its "." link with its name. */
		node->nlink--;
	}
	node->ctime = now();
	dir->mtime = dir->ctime = node->ctime;
	zfree(fs, l, l->size);
}

static int
dir_of(struct ram_fs *fs, uint64_t id, struct ram_node **dir)
{
	*dir = node_get(fs, id);
	if (*dir == NULL)
		return -ENOENT;
	return is_type(*dir, FS_MODE_DIRECTORY) ? 0 : -ENOTDIR;
}

/* --- operations --- */

static int
ram_lookup(void *ctx, uint64_t dir, const char *name, uint64_t *node)
{
	struct ram_fs *fs = ctx;
	struct ram_node *d;
	struct ram_link *l;
	int r;

	if ((r = dir_of(fs, dir, &d)) < 0)
		return r;
	l = link_find(fs, d, name);
	if (l == NULL)
		return -ENOENT;
	*node = l->node->id;
	return 0;
}

static int
ram_create_node(void *ctx, uint64_t dir, const char *name, uint32_t mode,
    uint64_t *out)
{
	struct ram_fs *fs = ctx;
	struct ram_node *d, *n;
	struct ram_link *l;
	uint32_t type = mode & FS_MODE_TYPE;
	int r;

	if ((r = dir_of(fs, dir, &d)) < 0)
		return r;
	if (d->nlink == 0)
		return -ENOENT;		/* removed while open */
	if (type != FS_MODE_FILE && type != FS_MODE_DIRECTORY &&
	    type != FS_MODE_SYMLINK)
		return -EINVAL;
	if (link_find(fs, d, name))
		return -EEXIST;
	if (reserve_entry(fs, d) < 0 || (l = link_alloc(fs, name)) == NULL)
		return -ENOSPC;
	n = node_new(fs, mode);
	if (n == NULL) {
		zfree(fs, l, l->size);
		return -ENOSPC;
	}
	/* New nodes belong to the directory's owner; callers chown. */
	n->uid = d->uid;
	n->gid = d->gid;
	if (type == FS_MODE_DIRECTORY)
		n->nlink = 1;	/* its "." */
	link_insert(fs, l, d, n);
	*out = n->id;
	return 0;
}

static int
ram_stat(void *ctx, uint64_t id, struct fs_status *st)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n = node_get(fs, id);

	if (n == NULL)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->mode = n->mode;
	st->nlink = n->nlink;
	st->inode = n->id;
	st->uid = n->uid;
	st->gid = n->gid;
	st->atime = n->atime;
	st->mtime = n->mtime;
	st->ctime = n->ctime;
	if (is_type(n, FS_MODE_FILE)) {
		st->size = n->u.file.size;
		st->blocks = n->u.file.pages * (RAM_PAGE / 512);
	} else if (is_type(n, FS_MODE_DIRECTORY)) {
		st->size = (uint64_t)n->u.dir.count * sizeof(struct fs_dirent);
	} else {
		st->size = n->u.link.len;
	}
	return 0;
}

static int
file_of(struct ram_fs *fs, uint64_t id, struct ram_node **n)
{
	*n = node_get(fs, id);
	if (*n == NULL)
		return -ENOENT;
	if (is_type(*n, FS_MODE_DIRECTORY))
		return -EISDIR;
	return is_type(*n, FS_MODE_FILE) ? 0 : -EINVAL;
}

static long
ram_read(void *ctx, uint64_t id, void *buf, size_t len, uint64_t pos)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n;
	size_t done = 0;
	int r;

	if ((r = file_of(fs, id, &n)) < 0)
		return r;
	if (pos >= n->u.file.size)
		return 0;
	if (len > n->u.file.size - pos)
		len = (size_t)(n->u.file.size - pos);
	while (done < len) {
		uint64_t p = pos + done, off = p % RAM_PAGE;
		size_t chunk = RAM_PAGE - off;
		void **slot = slot_of(fs, n, p / RAM_PAGE, false);

		if (chunk > len - done)
			chunk = len - done;
		if (slot && *slot)
			memcpy((char *)buf + done, (char *)*slot + off, chunk);
		else
			memset((char *)buf + done, 0, chunk);
		done += chunk;
	}
	return (long)done;
}

static long
ram_write(void *ctx, uint64_t id, const void *buf, size_t len, uint64_t pos)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n;
	size_t done = 0;
	int r;

	if ((r = file_of(fs, id, &n)) < 0)
		return r;
	if (pos >= RAM_MAX_FILE || len > RAM_MAX_FILE - pos)
		return -EFBIG;
	while (done < len) {
		uint64_t p = pos + done, off = p % RAM_PAGE;
		size_t chunk = RAM_PAGE - off;
		void **slot = slot_of(fs, n, p / RAM_PAGE, true);

		if (chunk > len - done)
			chunk = len - done;
		if (slot && *slot == NULL) {
			*slot = zalloc(fs, RAM_PAGE);
			if (*slot) {
				fs->pages++;
				n->u.file.pages++;
			}
		}
		if (slot == NULL || *slot == NULL)
			break;
		memcpy((char *)*slot + off, (const char *)buf + done, chunk);
		done += chunk;
	}
	if (done == 0 && len > 0)
		return -ENOSPC;
	if (pos + done > n->u.file.size)
		n->u.file.size = pos + done;
	n->mtime = n->ctime = now();
	return (long)done;
}

static int
ram_readdir(void *ctx, uint64_t dir, uint64_t index, struct fs_dirent *e)
{
	struct ram_fs *fs = ctx;
	struct ram_node *d, *n;
	int r;

	if ((r = dir_of(fs, dir, &d)) < 0)
		return r;
	if (index >= d->u.dir.count)
		return -ENOENT;
	n = d->u.dir.ent[index]->node;
	e->type = is_type(n, FS_MODE_DIRECTORY) ? FS_TYPE_DIRECTORY :
	    is_type(n, FS_MODE_SYMLINK) ? FS_TYPE_SYMLINK : FS_TYPE_FILE;
	snprintf(e->name, sizeof(e->name), "%s", d->u.dir.ent[index]->name);
	return 0;
}

static int
ram_unlink(void *ctx, uint64_t dir, const char *name)
{
	struct ram_fs *fs = ctx;
	struct ram_node *d, *n;
	struct ram_link *l;
	int r;

	if ((r = dir_of(fs, dir, &d)) < 0)
		return r;
	l = link_find(fs, d, name);
	if (l == NULL)
		return -ENOENT;
	n = l->node;
	if (is_type(n, FS_MODE_DIRECTORY) && n->u.dir.count > 0)
		return -ENOTEMPTY;
	link_remove(fs, l);
	node_check(fs, n);
	return 0;
}

/* Whether node a is dir b or one of its ancestors. */
static bool
is_ancestor(const struct ram_node *a, const struct ram_node *b)
{
	for (;;) {
		if (a == b)
			return true;
		if (b->id == ROOT_ID || b->u.dir.parent == NULL)
			return false;
		b = b->u.dir.parent;
	}
}

static int
ram_rename(void *ctx, uint64_t from_dir, const char *from, uint64_t to_dir,
    const char *to)
{
	struct ram_fs *fs = ctx;
	struct ram_node *fd, *td, *src, *dst = NULL;
	struct ram_link *sl, *dl, *nl;
	int r;

	if ((r = dir_of(fs, from_dir, &fd)) < 0 ||
	    (r = dir_of(fs, to_dir, &td)) < 0)
		return r;
	sl = link_find(fs, fd, from);
	if (sl == NULL)
		return -ENOENT;
	src = sl->node;
	dl = link_find(fs, td, to);
	if (dl)
		dst = dl->node;
	if (dst == src)
		return 0;	/* POSIX: same file, nothing happens */
	/* Parent pointers are only followed from a directory in the tree. */
	if (td->nlink == 0)
		return -ENOENT;
	if (is_type(src, FS_MODE_DIRECTORY) && is_ancestor(src, td))
		return -EINVAL;
	if (dst) {
		if (is_type(src, FS_MODE_DIRECTORY) &&
		    !is_type(dst, FS_MODE_DIRECTORY))
			return -ENOTDIR;
		if (!is_type(src, FS_MODE_DIRECTORY) &&
		    is_type(dst, FS_MODE_DIRECTORY))
			return -EISDIR;
		if (is_type(dst, FS_MODE_DIRECTORY) && dst->u.dir.count > 0)
			return -ENOTEMPTY;
	}
	/* Allocate before changing anything. */
	if (reserve_entry(fs, td) < 0 || (nl = link_alloc(fs, to)) == NULL)
		return -ENOSPC;
	src->nlink++;		/* keep it while it has no name */
	link_remove(fs, sl);
	if (is_type(src, FS_MODE_DIRECTORY))
		src->nlink++;	/* link_remove took its "." as well */
	if (dst) {
		link_remove(fs, dl);
		node_check(fs, dst);
	}
	link_insert(fs, nl, td, src);
	src->nlink--;
	src->ctime = now();
	return 0;
}

static int
ram_truncate(void *ctx, uint64_t id, uint64_t size)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n;
	int r;

	if ((r = file_of(fs, id, &n)) < 0)
		return r;
	if (size > RAM_MAX_FILE)
		return -EFBIG;
	if (size < n->u.file.size)
		file_shrink(fs, n, size);
	n->u.file.size = size;
	n->mtime = n->ctime = now();
	return 0;
}

/* Zero bytes [from, to) of file n where it has pages (holes are zeros). */
static void
zero_bytes(struct ram_fs *fs, struct ram_node *n, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t off = from % RAM_PAGE, chunk = RAM_PAGE - off;
		void **slot = slot_of(fs, n, from / RAM_PAGE, false);

		if (chunk > to - from)
			chunk = to - from;
		if (slot && *slot)
			memset((char *)untagged(*slot) + off, 0, (size_t)chunk);
		from += chunk;
	}
}

/*
 * Pages for [first, last] of file n, zeroed: all of them, or -ENOSPC and
 * none of those this call made (nor the tables it made for them).
 */
static int
file_reserve(struct ram_fs *fs, struct ram_node *n, uint64_t first,
    uint64_t last)
{
	uint64_t p;
	void **slot;

	for (p = first; p <= last; p++) {
		slot = slot_of(fs, n, p, true);
		if (slot && *slot)
			continue;
		if (slot == NULL || (*slot = zalloc(fs, RAM_PAGE)) == NULL) {
			file_free(fs, n, first, p + 1, true);
			return -ENOSPC;
		}
		*slot = (void *)((uintptr_t)*slot | NEW_TAG);
		fs->pages++;
		n->u.file.pages++;
	}
	for (p = first; p <= last; p++) {
		slot = slot_of(fs, n, p, false);
		*slot = untagged(*slot);
	}
	return 0;
}

/*
 * fallocate(2): reserve pages (zeroed), punch whole pages out (the rest
 * of the range zeroed in place), or both for a zeroed range. Pages past
 * the size stay until a truncate or a punch takes them.
 */
static int
ram_allocate(void *ctx, uint64_t id, uint32_t flags, uint64_t off,
    uint64_t len)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n;
	uint64_t end = off + len, from, to;
	int r;

	if ((r = file_of(fs, id, &n)) < 0)
		return r;
	if (end > RAM_MAX_FILE)
		return -EFBIG;
	if (flags & FS_ALLOC_PUNCH_HOLE) {
		from = (off + RAM_PAGE - 1) / RAM_PAGE;
		to = end / RAM_PAGE;
		if (from < to) {
			file_free(fs, n, from, to, false);
			zero_bytes(fs, n, off, from * RAM_PAGE);
			zero_bytes(fs, n, to * RAM_PAGE, end);
		} else {
			zero_bytes(fs, n, off, end);
		}
	} else {
		if ((r = file_reserve(fs, n, off / RAM_PAGE,
		    (end - 1) / RAM_PAGE)) < 0)
			return r;
		if (flags & FS_ALLOC_ZERO_RANGE)
			zero_bytes(fs, n, off, end);
		if (!(flags & FS_ALLOC_KEEP_SIZE) && end > n->u.file.size)
			n->u.file.size = end;
	}
	n->mtime = n->ctime = now();
	return 0;
}

static int
ram_symlink(void *ctx, uint64_t id, const char *target, size_t len)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n = node_get(fs, id);
	char *t;

	if (n == NULL)
		return -ENOENT;
	if (!is_type(n, FS_MODE_SYMLINK))
		return -EINVAL;
	if (len >= FS_MAX_PATH_LEN || memchr(target, '\0', len))
		return -EINVAL;
	t = zalloc(fs, len + 1);
	if (t == NULL)
		return -ENOSPC;
	memcpy(t, target, len);
	zfree(fs, n->u.link.target, n->u.link.len + 1);
	n->u.link.target = t;
	n->u.link.len = (uint32_t)len;
	n->mtime = n->ctime = now();
	return 0;
}

static long
ram_readlink(void *ctx, uint64_t id, char *buf, size_t cap)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n = node_get(fs, id);
	size_t len;

	if (n == NULL)
		return -ENOENT;
	if (!is_type(n, FS_MODE_SYMLINK))
		return -EINVAL;
	len = n->u.link.len < cap ? n->u.link.len : cap;
	if (len)
		memcpy(buf, n->u.link.target, len);
	return (long)len;
}

static int
ram_link(void *ctx, uint64_t id, uint64_t dir, const char *name)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n = node_get(fs, id), *d;
	struct ram_link *l;
	int r;

	if (n == NULL)
		return -ENOENT;
	if (is_type(n, FS_MODE_DIRECTORY))
		return -EPERM;
	if ((r = dir_of(fs, dir, &d)) < 0)
		return r;
	if (n->nlink == 0 || d->nlink == 0)
		return -ENOENT;
	if (link_find(fs, d, name))
		return -EEXIST;
	if (reserve_entry(fs, d) < 0 || (l = link_alloc(fs, name)) == NULL)
		return -ENOSPC;
	link_insert(fs, l, d, n);
	n->ctime = now();
	return 0;
}

static int
ram_setattr(void *ctx, uint64_t id, const struct fs_control_args *c)
{
	struct ram_fs *fs = ctx;
	struct ram_node *n = node_get(fs, id);
	struct fs_time t = now();

	if (n == NULL)
		return -ENOENT;
	if (c->valid & FS_CONTROL_MODE)
		n->mode = (n->mode & FS_MODE_TYPE) | (c->mode & FS_MODE_PERM);
	if (c->valid & FS_CONTROL_UID)
		n->uid = c->uid;
	if (c->valid & FS_CONTROL_GID)
		n->gid = c->gid;
	if (c->valid & FS_CONTROL_ATIME)
		n->atime = c->atime;
	if (c->valid & FS_CONTROL_MTIME)
		n->mtime = c->mtime;
	if (c->valid & FS_CONTROL_ATIME_NOW)
		n->atime = t;
	if (c->valid & FS_CONTROL_MTIME_NOW)
		n->mtime = t;
	n->ctime = t;
	return 0;
}

static void
ram_open(void *ctx, uint64_t id)
{
	struct ram_node *n = node_get(ctx, id);

	if (n)
		n->opens++;
}

static void
ram_close(void *ctx, uint64_t id)
{
	struct ram_node *n = node_get(ctx, id);

	if (n && n->opens > 0) {
		n->opens--;
		node_check(ctx, n);
	}
}

const struct fs_ops ram_ops = {
	.lookup = ram_lookup,
	.create = ram_create_node,
	.stat = ram_stat,
	.read = ram_read,
	.write = ram_write,
	.readdir = ram_readdir,
	.unlink = ram_unlink,
	.rename = ram_rename,
	.truncate = ram_truncate,
	.symlink = ram_symlink,
	.readlink = ram_readlink,
	.link = ram_link,
	.setattr = ram_setattr,
	.allocate = ram_allocate,
	.open = ram_open,
	.close = ram_close,
};

int
ram_create(struct cairn_alloc *a, struct ram_fs **out, uint64_t *root)
{
	struct ram_fs *fs = cairn_alloc(a, sizeof(*fs));
	struct ram_node *n;

	if (fs == NULL)
		return -ENOSPC;
	memset(fs, 0, sizeof(*fs));
	fs->a = a;
	n = node_new(fs, FS_MODE_DIRECTORY | 0755);
	if (n == NULL) {
		ram_destroy(fs);
		return -ENOSPC;
	}
	n->nlink = 2;
	n->u.dir.parent = n;
	*out = fs;
	*root = n->id;
	return 0;
}

void
ram_destroy(struct ram_fs *fs)
{
	uint32_t i;

	for (i = 0; i < fs->links_cap; i++)
		while (fs->links[i]) {
			struct ram_link *l = fs->links[i];

			fs->links[i] = l->hnext;
			zfree(fs, l, l->size);
		}
	for (i = 0; i < fs->nodes_cap; i++)
		while (fs->nodes[i]) {
			struct ram_node *n = fs->nodes[i];

			/* Not node_free: it would search this very chain. */
			fs->nodes[i] = n->hnext;
			fs->nnodes--;
			if (is_type(n, FS_MODE_FILE))
				file_shrink(fs, n, 0);
			else if (is_type(n, FS_MODE_DIRECTORY))
				zfree(fs, n->u.dir.ent,
				    n->u.dir.cap * sizeof(void *));
			else
				zfree(fs, n->u.link.target,
				    n->u.link.len + 1);
			zfree(fs, n, sizeof(*n));
		}
	zfree(fs, fs->links, fs->links_cap * sizeof(void *));
	zfree(fs, fs->nodes, fs->nodes_cap * sizeof(void *));
	zfree(fs, fs, sizeof(*fs));
}

uint64_t
ram_pages(const struct ram_fs *fs)
{
	return fs->pages;
}

uint64_t
ram_nodes(const struct ram_fs *fs)
{
	return fs->nnodes;
}
