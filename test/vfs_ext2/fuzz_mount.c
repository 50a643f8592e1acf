/*
 * libFuzzer target: the ext2 plugin's mount path and a bounded walk and
 * change of whatever it mounted, on a corrupt image in memory.
 * SPDX-License-Identifier: MIT
 *
 * The input is the image (padded to whole 512-byte blocks). A refused
 * mount must say which structure is at fault ("superblock: ...", "group
 * descriptors: ...", "root inode: ..."); a mounted one is walked from the
 * root (every node looked up, stated, read) and changed (create, write,
 * rename, remove, sync) with bounds on depth and count, so a directory
 * loop in the image cannot keep the walk going. Nothing may crash or
 * hang; libFuzzer's timeout catches the latter.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_IMAGE	(4u << 20)
#define CACHE_BYTES	(2u << 20)
#define MAX_DEPTH	6
#define MAX_NODES	400
#define MAX_ENTRIES	100

#define CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "invariant failed: %s:%d: %s\n", __FILE__, \
		    __LINE__, #x); \
		abort(); \
	} \
} while (0)

struct img {
	uint8_t *data;
	uint64_t size;
};

static int
f_read(void *ctx, uint64_t lba, uint64_t count, void *buf)
{
	struct img *m = ctx;

	if (lba > m->size / 512 || count > m->size / 512 - lba)
		return -EIO;
	memcpy(buf, m->data + lba * 512, count * 512);
	return 0;
}

static int
f_write(void *ctx, uint64_t lba, uint64_t count, const void *buf)
{
	struct img *m = ctx;

	if (lba > m->size / 512 || count > m->size / 512 - lba)
		return -EIO;
	memcpy(m->data + lba * 512, buf, count * 512);
	return 0;
}

static int
f_none(void *ctx)
{
	return 0;
}

static void
f_log(void *ctx, const char *msg)
{
	CHECK(msg[0] != '\0');
	if (getenv("EXT2_FUZZ_VERBOSE"))
		fprintf(stderr, "log: %s\n", msg);
}

struct walk {
	struct ext2_fs *fs;
	unsigned nodes;
	uint64_t first_dir;
	char buf[8192];
};

static void
walk(struct walk *w, uint64_t dir, unsigned depth)
{
	struct fs_dirent e;
	struct fs_status st;
	uint64_t i, n;

	for (i = 0; i < MAX_ENTRIES && w->nodes < MAX_NODES; i++) {
		if (ext2_ops.readdir(w->fs, dir, i, &e) < 0)
			break;
		CHECK(memchr(e.name, '\0', sizeof(e.name)) != NULL);
		w->nodes++;
		if (ext2_ops.lookup(w->fs, dir, e.name, &n) < 0)
			continue;
		if (ext2_ops.stat(w->fs, n, &st) < 0)
			continue;
		switch (st.mode & FS_MODE_TYPE) {
		case FS_MODE_DIRECTORY:
			if (w->first_dir == 0)
				w->first_dir = n;
			if (depth < MAX_DEPTH)
				walk(w, n, depth + 1);
			break;
		case FS_MODE_SYMLINK:
			CHECK(ext2_ops.readlink(w->fs, n, w->buf,
			    sizeof(w->buf)) <= (long)sizeof(w->buf));
			break;
		default:
			(void)ext2_ops.read(w->fs, n, w->buf, sizeof(w->buf),
			    0);
			if (st.size > sizeof(w->buf))
				(void)ext2_ops.read(w->fs, n, w->buf, 100,
				    st.size - 100);
		}
	}
}

static void
change(struct walk *w, uint64_t root)
{
	struct ext2_fs *fs = w->fs;
	uint64_t f = 0, d = 0;

	memset(w->buf, 'z', sizeof(w->buf));
	if (ext2_ops.create(fs, root, "fz-file", FS_MODE_FILE | 0644, &f) == 0)
		(void)ext2_ops.write(fs, f, w->buf, sizeof(w->buf), 5000);
	(void)ext2_ops.create(fs, root, "fz-dir", FS_MODE_DIRECTORY | 0755,
	    &d);
	if (w->first_dir) {
		(void)ext2_ops.rename(fs, root, "fz-file", w->first_dir,
		    "fz-moved");
		/* Into its own subtree: refused, however the ".." go. */
		(void)ext2_ops.rename(fs, root, "fz-dir", w->first_dir,
		    "fz-dir2");
		(void)ext2_ops.unlink(fs, w->first_dir, "fz-moved");
	}
	(void)ext2_ops.unlink(fs, root, "fz-file");
	(void)ext2_ops.unlink(fs, root, "fz-dir");
	(void)ext2_ops.sync(fs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ext2_mount_args a;
	struct ext2_dev dev;
	struct walk w;
	struct img m;
	char err[256] = "";
	void *cache;

	if (size < 2048 || size > MAX_IMAGE)
		return 0;
	m.size = (size + 511) & ~(uint64_t)511;
	m.data = calloc(1, m.size);
	cache = malloc(CACHE_BYTES);
	CHECK(m.data != NULL && cache != NULL);
	memcpy(m.data, data, size);
	memset(&dev, 0, sizeof(dev));
	dev.block_size = 512;
	dev.block_count = m.size / 512;
	dev.writeable = true;
	dev.read = f_read;
	dev.write = f_write;
	dev.drain = f_none;
	dev.sync = f_none;
	dev.ctx = &m;
	memset(&a, 0, sizeof(a));
	a.dev = &dev;
	a.cache_mem = cache;
	a.cache_bytes = CACHE_BYTES;
	a.log = f_log;
	memset(&w, 0, sizeof(w));
	if (ext2_mount(&a, &w.fs, err, sizeof(err)) < 0) {
		/* The refusal names the structure at fault. */
		CHECK(strstr(err, ": ") != NULL);
		if (getenv("EXT2_FUZZ_VERBOSE"))
			fprintf(stderr, "refused: %s\n", err);
	} else {
		walk(&w, ext2_root(w.fs), 0);
		if (!ext2_read_only(w.fs))
			change(&w, ext2_root(w.fs));
		if (getenv("EXT2_FUZZ_VERBOSE"))
			fprintf(stderr, "mounted: %u nodes walked\n", w.nodes);
		(void)ext2_unmount(w.fs);
	}
	free(cache);
	free(m.data);
	return 0;
}
