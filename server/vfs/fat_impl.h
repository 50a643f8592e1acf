/*
 * The fat plugin's internals, shared by fat.c (nodes, the namespace and
 * the ops table), fat_file.c (file data), fat_chain.c (the FAT and
 * cluster chains) and fat_dir.c (directories); never installed.
 * SPDX-License-Identifier: MIT
 *
 * Node ids: FAT has no inodes, so ids come from where a node lives.
 *  - the root directory is FAT_ROOT_ID;
 *  - a directory is its first cluster (FAT_DIR_BIT | cluster), which stays
 *    the same when it is renamed or moved;
 *  - a file is the slot of its short entry on the volume
 *    (FAT_FILE_BIT | byte offset / 32). A rename moves the entry; a file
 *    that is open then keeps its id through the table of open nodes, which
 *    records where it went, and its old slot is reserved so that no new
 *    entry takes the id while it is in use. A file or directory removed
 *    while open lives on in that table ("orphan") until its last close,
 *    when its clusters are freed (POSIX: an open file outlives its name).
 * All ids fit the 56 bits the vfs leaves to an instance.
 */
#ifndef VFS_FAT_IMPL_H
#define VFS_FAT_IMPL_H

#include <stdarg.h>

#include "fat.h"

#define FAT_ROOT_ID	1ull
#define FAT_DIR_BIT	(1ull << 48)
#define FAT_FILE_BIT	(1ull << 49)
#define FAT_ID_MASK	((1ull << 48) - 1)

#define FAT_CHAIN_CACHE	8

enum fat_kind {
	FAT_K_ROOT,
	FAT_K_DIR,
	FAT_K_FILE,
};

/* A node some handle refers to. */
struct fat_open {
	uint64_t id;
	unsigned opens;
	uint64_t pos;		/* files: where the short entry is now */
	bool orphan;		/* removed: no entry any more */
	uint32_t prealloc;	/* files: clusters past what the size needs
				 * (FS_ALLOCATE with KEEP_SIZE), given back
				 * at the last close */
	struct fat_dirent de;	/* orphans: the entry's last state */
};

struct fat_fs {
	struct blkdev *dev;
	struct fat_bpb b;
	bool ro;
	fat_log_fn log;
	void *log_ctx;
	void (*changed)(void *ctx);	/* after each change */
	void *changed_ctx;
	char last_err[200];
	/* Free clusters: counted once, then kept up to date. */
	bool free_known;
	uint32_t free_count;
	uint32_t next_free;		/* where the search starts */
	bool fsinfo_dirty;
	/* Open nodes. */
	struct fat_open *open;
	unsigned nopen, open_cap;
	/* readdir's place: entry `index` of dir `dir` starts at `slot`. */
	struct {
		bool valid;
		uint64_t dir;
		uint64_t index;
		uint32_t slot;
	} cursor;
	/* Recent positions in file chains: cluster `idx` of chain `first`. */
	struct {
		uint32_t first, idx, cl;
	} cc[FAT_CHAIN_CACHE];
	unsigned cc_next;
};

/* A node as an operation sees it. */
struct fat_node {
	uint64_t id;
	enum fat_kind kind;
	uint32_t cluster;	/* directories: first cluster (0: fixed root) */
	uint64_t pos;		/* files: the short entry */
	struct fat_dirent de;	/* files: the entry */
	struct fat_open *o;	/* NULL unless open */
};

/* An entry met while scanning a directory. */
struct fat_entry {
	uint32_t first_slot;	/* its first slot (a long-name piece) */
	uint32_t slot;		/* its short entry */
	uint64_t pos;		/* byte offset of the short entry */
	enum fat_slot kind;	/* ENTRY, DOT or VOLUME */
	struct fat_dirent de;
	char name[FS_MAX_NAME_LEN];	/* long name, else the short one */
	char short_name[16];
};

/* Walking a directory's slots in order (see fat_dir_slot). */
struct fat_dwalk {
	uint32_t first;		/* first cluster, 0: the fixed root */
	uint32_t idx;		/* cluster index of cur */
	uint32_t cur;		/* 0: not started */
	uint32_t limit;		/* most clusters the directory may have */
};

/* fat.c */
/* The node of id: 0, -ENOENT (gone or never ours). */
int fat_node_get(struct fat_fs *fs, uint64_t id, struct fat_node *n);
/* The same for a file: -EISDIR for a directory. */
int fat_file_get(struct fat_fs *fs, uint64_t id, struct fat_node *n);
/* Write a file's entry back (an orphan keeps it in memory). */
int fat_node_store(struct fat_fs *fs, struct fat_node *n);
/* The end of every changing operation: FSInfo, flush, the changed hook.
 * Returns r, or the first error of writing back. */
int fat_finish(struct fat_fs *fs, int r);
/* Most clusters the chain of a file of size bytes may have (at least 1). */
uint32_t fat_chain_limit(const struct fat_fs *fs, uint32_t size);
/* The same for open file n at size bytes, its preallocation included. */
uint32_t fat_node_limit(const struct fat_fs *fs, const struct fat_node *n,
    uint32_t size);
int fat_fail(struct fat_fs *fs, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct fat_open *fat_open_find(struct fat_fs *fs, uint64_t id);
/* Is the slot at pos taken by the id of an open node that moved away? */
bool fat_pos_reserved(struct fat_fs *fs, uint64_t pos);
void fat_now(uint16_t *date, uint16_t *time, uint8_t *tenth);
uint64_t fat_file_id(uint64_t pos);
uint64_t fat_dir_id(const struct fat_fs *fs, uint32_t cluster);

/* fat_file.c: the data operations of fat_ops. */
long fat_read(void *ctx, uint64_t id, void *buf, size_t len, uint64_t pos);
long fat_write(void *ctx, uint64_t id, const void *buf, size_t len,
    uint64_t pos);
int fat_truncate(void *ctx, uint64_t id, uint64_t size);
int fat_allocate(void *ctx, uint64_t id, uint32_t flags, uint64_t off,
    uint64_t len);
/* Give back open node o's preallocated clusters (its last close). */
int fat_trim(struct fat_fs *fs, struct fat_open *o);

/* fat_chain.c */
int fat_get(struct fat_fs *fs, uint32_t c, uint32_t *v);
int fat_set(struct fat_fs *fs, uint32_t c, uint32_t v);
/* Successor of c, the step'th cluster of a chain of at most limit:
 * 0 and *next, 1 at the end, or -EIO (reported). */
int fat_chain_next(struct fat_fs *fs, uint32_t c, uint32_t step,
    uint32_t limit, uint32_t *next);
/* Cluster idx of chain first (at most limit clusters): 0, 1 (the chain
 * ends before), -EIO. Uses and updates the chain cache. */
int fat_chain_at(struct fat_fs *fs, uint32_t first, uint32_t limit,
    uint32_t idx, uint32_t *cl);
/* Forget cached positions in chain first. */
void fat_chain_forget(struct fat_fs *fs, uint32_t first);
/*
 * Allocate n clusters (zeroed when zero is true) as a chain appended to
 * `last` (0: a new chain); *first gets its first cluster. All or nothing:
 * -ENOSPC leaves the FAT as it was.
 */
int fat_chain_alloc(struct fat_fs *fs, uint32_t last, uint32_t n, bool zero,
    uint32_t *first);
/* Free chain from c on (at most limit clusters). */
int fat_chain_free(struct fat_fs *fs, uint32_t c, uint32_t limit);
int fat_count_free(struct fat_fs *fs);
/* Most clusters a file of size bytes / a directory may have. */
uint32_t fat_clusters_for(const struct fat_fs *fs, uint64_t size);
uint32_t fat_dir_limit(const struct fat_fs *fs);

/* fat_dir.c */
void fat_dwalk_init(struct fat_fs *fs, struct fat_dwalk *w, uint32_t first);
/* Byte offset of slot s: 0, 1 past the directory's end, -EIO. */
int fat_dir_slot(struct fat_fs *fs, struct fat_dwalk *w, uint32_t s,
    uint64_t *off);
/*
 * Call fn for each entry (ENTRY, DOT, VOLUME kinds) of directory `first`
 * from slot `start` on, until fn returns non-zero (returned) or the end
 * (0); -EIO on damage.
 */
int fat_dir_scan(struct fat_fs *fs, uint32_t first, uint32_t start,
    int (*fn)(void *ctx, struct fat_entry *e), void *ctx);
/* Entry `name` of directory `first`: 0 and *e, -ENOENT, -EIO. */
int fat_dir_find(struct fat_fs *fs, uint32_t first, const char *name,
    struct fat_entry *e);
/* Entries other than "." and ".." and the label? 0 empty, 1 not, <0. */
int fat_dir_used(struct fat_fs *fs, uint32_t first);
/* Visible entries (for the status size). */
long fat_dir_count(struct fat_fs *fs, uint32_t first);
/*
 * Add entry `name` with *de (its name bytes are filled in) to directory
 * `first`: 0 and the short entry's offset in *pos; -EEXIST, -EINVAL,
 * -ENAMETOOLONG, -ENOSPC, -EIO. skip_pos (non-zero) is an entry that
 * does not count as a clash (a rename that changes only the case).
 */
int fat_dir_add(struct fat_fs *fs, uint32_t first, const char *name,
    struct fat_dirent *de, uint64_t skip_pos, uint64_t *pos);
/* Mark the slots of e deleted. */
int fat_dir_remove(struct fat_fs *fs, uint32_t first,
    const struct fat_entry *e);
/* Make a new directory's first cluster: "." and "..". */
int fat_dir_init(struct fat_fs *fs, uint32_t cl, uint32_t parent,
    const struct fat_dirent *proto);
/* The parent cluster a directory's ".." names (0: the root). */
int fat_dir_parent(struct fat_fs *fs, uint32_t cl, uint32_t *parent);
int fat_dir_set_parent(struct fat_fs *fs, uint32_t cl, uint32_t parent);

#endif
