/*
 * The vfs's ext2 plugin: ext2/3/4 images through libext2fs; types shared
 * by its files (never installed).
 * SPDX-License-Identifier: MIT
 *
 * Layers, bottom up:
 *   struct ext2_dev    a device of fixed-size blocks: a Block session
 *                      (ext2_block.c) or memory (the unit tests, the fuzzer)
 *   struct ext2_io     a write-back block cache over a device, served to
 *                      libext2fs as an I/O manager (ext2_io.c)
 *   struct ext2_fs     the file system: libext2fs plus what it lacks —
 *                      hash-indexed directories (ext2_dir.c), a punch that
 *                      is right for block-mapped files (ext2_data.c), node
 *                      operations for the vfs (ext2.c)
 *   ext2_super_check   the superblock validated from a buffer before
 *                      libext2fs sees it (ext2_super.c)
 * Only ext2_block.c knows about Block sessions, so the rest links into
 * unit tests alone.
 */
#ifndef VFS_EXT2_H
#define VFS_EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include <cairn/fs_server.h>

/* --- the device --- */

/*
 * read: count blocks at lba into buf, synchronously. write: count blocks
 * at lba from buf; may return before they reach the device (the data has
 * been copied), and drain() then waits for every such write and returns
 * the first failure since the last drain. sync: make what was drained
 * durable. All return 0 or -errno.
 */
struct ext2_dev {
	uint32_t block_size;		/* bytes, a power of two */
	uint64_t block_count;
	bool writeable;
	int (*read)(void *ctx, uint64_t lba, uint64_t count, void *buf);
	int (*write)(void *ctx, uint64_t lba, uint64_t count,
	    const void *buf);
	int (*drain)(void *ctx);
	int (*sync)(void *ctx);
	void *ctx;
};

/* --- ext2_io.c: the block cache and libext2fs's I/O manager --- */

struct ext2_io;

/* Counters, for logs, tests and the benchmark. */
struct ext2_io_stats {
	uint64_t hits, misses;
	uint64_t dev_reads, dev_read_bytes;
	uint64_t dev_writes, dev_write_bytes;
	uint64_t writebacks;
	uint32_t units, dirty;
	uint32_t unit;			/* bytes per cache unit */
};

/*
 * A cache of units of `unit` bytes (the file system's block size, a
 * multiple of the device's) over dev, in mem (cap bytes, at least 16
 * units; the caller owns it). Returns 0 and *out, -EINVAL (a unit that
 * does not fit the device), or -ENOMEM.
 */
int ext2_io_create(const struct ext2_dev *dev, uint32_t unit, void *mem,
    size_t cap, struct ext2_io **out) __attribute__((warn_unused_result));
void ext2_io_destroy(struct ext2_io *io);

/* The I/O manager: ext2fs_open2() takes ext2_io_name()'s string for io. */
extern io_manager ext2_io_manager;
void ext2_io_name(const struct ext2_io *io, char *buf, size_t cap);

/* Write every dirty unit to the device and wait; with sync, make it
 * durable too. 0 or -errno (the units stay dirty then). */
int ext2_io_writeback(struct ext2_io *io, bool sync)
    __attribute__((warn_unused_result));
/* Write unit no alone (if dirty) and wait; with sync, make it durable:
 * a barrier for the superblock. 0 or -errno. */
int ext2_io_writeback_unit(struct ext2_io *io, uint64_t no, bool sync)
    __attribute__((warn_unused_result));
bool ext2_io_dirty(const struct ext2_io *io);
/* Whether dirty units fill more than half the cache. */
bool ext2_io_pressure(const struct ext2_io *io);
void ext2_io_stats(const struct ext2_io *io, struct ext2_io_stats *st);

/* --- ext2_super.c --- */

/*
 * Check the primary superblock (the 1024 bytes at byte 1024) against a
 * device of dev_bytes: magic, sizes, counts and features libext2fs relies
 * on. Returns 0, or -EINVAL / -EOPNOTSUPP with a message naming the field
 * and its value in err. *ro is set when the file system may only be read
 * (read-only features we do not know, a journal that needs recovery).
 */
int ext2_super_check(const uint8_t *sb, uint64_t dev_bytes, bool *ro,
    char *err, size_t ecap) __attribute__((warn_unused_result));

/* --- the file system --- */

struct ext2_fs;

/* Log hook: errors found on the image while serving, named by structure. */
typedef void (*ext2_log_fn)(void *ctx, const char *msg);

struct ext2_mount_args {
	const struct ext2_dev *dev;
	void *cache_mem;		/* for the block cache */
	size_t cache_bytes;
	bool read_only;			/* mount read-only in any case */
	ext2_log_fn log;		/* may be NULL */
	/* Called after an operation left changes in the cache (may be
	 * NULL): a server arms its periodic sync with it. */
	void (*changed)(void *ctx);
	void *log_ctx;			/* for log and changed */
};

/*
 * Mount the image on args->dev. Returns 0 and *out, or -errno with a
 * message in err that names the structure at fault ("superblock: ...",
 * "group descriptors: ...", "root inode: ...").
 */
int ext2_mount(const struct ext2_mount_args *args, struct ext2_fs **out,
    char *err, size_t ecap) __attribute__((warn_unused_result));
/* Write everything back (when writeable) and free. 0 or -errno. */
int ext2_unmount(struct ext2_fs *fs);

extern const struct fs_ops ext2_ops;

/* Node id of the root directory. */
uint64_t ext2_root(const struct ext2_fs *fs);
bool ext2_read_only(const struct ext2_fs *fs);
struct ext2_io *ext2_io_of(struct ext2_fs *fs);

/*
 * What ext2_ops.allocate (FS_ALLOCATE) does: allocate [off, off + len) of
 * a file (keep_size: without growing it), or punch a hole there (the
 * bytes read as zeros afterwards, whole blocks are freed). 0 or -errno
 * (-ENOSPC, -EFBIG, -EISDIR, -EINVAL, -EROFS). A block-mapped file
 * (ext2, ext3) cannot hold blocks past the one its size ends in (e2fsck
 * calls that a wrong i_size), so keep_size past there is -EOPNOTSUPP and
 * changes nothing; extents keep unwritten blocks past the end.
 */
int ext2_fallocate(struct ext2_fs *fs, uint64_t node, uint64_t off,
    uint64_t len, bool keep_size) __attribute__((warn_unused_result));
int ext2_punch_hole(struct ext2_fs *fs, uint64_t node, uint64_t off,
    uint64_t len) __attribute__((warn_unused_result));

/* ext2_block.c: the vfs plugin's constructor (struct vfs_plugin.create). */
struct vfs_pool;
int ext2_plugin_create(struct vfs_pool *pool, const struct xml_node *node,
    const struct fs_ops **ops, void **fs, uint64_t *root, char *err,
    size_t ecap);

/* --- private to the plugin's files --- */

#define EXT2_NAME_MAX	255

struct ext2_dirinfo;

struct ext2_fs {
	ext2_filsys fs;
	struct ext2_io *io;
	bool ro;
	uint32_t bs;			/* block size */
	ext2_log_fn log;
	void (*changed)(void *ctx);
	void *log_ctx;
	bool disk_valid;		/* the superblock on disk says clean */
	/* Open counts of nodes with handles, and deferred deletions. */
	struct ext2_open **opens;	/* chained hash by inode */
	uint32_t opens_cap;
	/* Directory entry counts and listings (ext2_dir.c). */
	struct ext2_dirinfo *dirs;	/* EXT2_DIRINFO_MAX */
	uint64_t dir_clock;
	uint8_t *dirbuf;		/* EXT2_SCRATCH_BLOCKS blocks */
	bool htree_warned;
};

#define EXT2_DIRINFO_MAX	16

/*
 * Scratch blocks in dirbuf: 0-2 index nodes, 3 a directory leaf, 5 a data
 * block, 6-7 libext2fs's bmap scratch, 8 an indirect block being checked.
 */
#define EXT2_SCRATCH_BLOCKS	9

/* ext2.c */
int ext2_err(struct ext2_fs *e, errcode_t code, const char *what,
    uint32_t ino);
void ext2_logf(struct ext2_fs *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ext2_read_inode(struct ext2_fs *e, uint32_t ino,
    struct ext2_inode_large *in);
int ext2_write_inode(struct ext2_fs *e, uint32_t ino,
    struct ext2_inode_large *in);
void ext2_touch(struct ext2_fs *e, struct ext2_inode_large *in,
    bool mtime, bool ctime);

/* ext2_dir.c: names in directories */
int ext2_dir_lookup(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t *ino, int *ftype);
int ext2_dir_add(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t ino, int ftype);
int ext2_dir_remove(struct ext2_fs *e, uint32_t dir, const char *name);
/*
 * Remove name from dir if it names anything but a directory, with one
 * walk of the index for finding and removing it: 0 with *ino and *in
 * (the inode as read, before any change), 1 when it names a directory or
 * dir keeps inline data (nothing changed: look it up and use
 * ext2_dir_remove()), or -errno. *wrote says whether the directory block
 * was written (so a failure may have changed it).
 */
int ext2_dir_remove_file(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t *ino, struct ext2_inode_large *in, bool *wrote);
int ext2_dir_retarget(struct ext2_fs *e, uint32_t dir, const char *name,
    uint32_t ino, int ftype);
int ext2_dir_count(struct ext2_fs *e, uint32_t dir, uint64_t *count);
int ext2_dir_entry(struct ext2_fs *e, uint32_t dir, uint64_t index,
    struct fs_dirent *out);
void ext2_dir_changed(struct ext2_fs *e, uint32_t dir, int delta);
/* The counts and listings: set up at mount (0 or -ENOMEM), freed. */
int ext2_dir_setup(struct ext2_fs *e);
void ext2_dir_teardown(struct ext2_fs *e);

/* ext2_data.c: file content */
uint64_t ext2_max_size(struct ext2_fs *e, const struct ext2_inode_large *in);
long ext2_data_read(struct ext2_fs *e, uint32_t ino, void *buf, size_t len,
    uint64_t pos);
long ext2_data_write(struct ext2_fs *e, uint32_t ino, const void *buf,
    size_t len, uint64_t pos);
int ext2_data_truncate(struct ext2_fs *e, uint32_t ino, uint64_t size);
int ext2_data_free_all(struct ext2_fs *e, uint32_t ino,
    struct ext2_inode_large *in);
int ext2_punch_blocks(struct ext2_fs *e, uint32_t ino,
    struct ext2_inode_large *in, uint64_t first, uint64_t last);
int ext2_symlink_set(struct ext2_fs *e, uint32_t ino, const char *target,
    size_t len);
long ext2_symlink_get(struct ext2_fs *e, uint32_t ino, char *buf,
    size_t cap);

#endif
