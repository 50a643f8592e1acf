/*
 * Unit tests of the vfs's ext2 plugin (server/vfs/ext2*.c) on images that
 * mke2fs makes, held in memory; e2fsck -fn is the oracle after each case.
 * SPDX-License-Identifier: MIT
 *
 * Cases skip when mke2fs or e2fsck are missing. Besides the plugin's own
 * behaviour, ext2-003 shows the libext2fs 1.47 punch bug on block-mapped
 * files that ext2_data.c works around.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ext2.h"
#include "test.h"

T_STATE_DEFINE;

extern char **environ;

struct memdev {
	uint8_t *data;
	uint64_t size;
	uint64_t reads, writes, syncs;
};

static struct memdev md;
static struct ext2_dev dev;
static struct ext2_fs *fs;
static void *cache;
static char img[64];
static char lastlog[256];
static unsigned nlogs;

static int
m_read(void *ctx, uint64_t lba, uint64_t count, void *buf)
{
	if ((lba + count) * 512 > md.size)
		return -EIO;
	memcpy(buf, md.data + lba * 512, count * 512);
	md.reads++;
	return 0;
}

static int
m_write(void *ctx, uint64_t lba, uint64_t count, const void *buf)
{
	if ((lba + count) * 512 > md.size)
		return -EIO;
	memcpy(md.data + lba * 512, buf, count * 512);
	md.writes++;
	return 0;
}

static int
m_drain(void *ctx)
{
	return 0;
}

static int
m_sync(void *ctx)
{
	md.syncs++;
	return 0;
}

static void
log_fn(void *ctx, const char *msg)
{
	snprintf(lastlog, sizeof(lastlog), "%s", msg);
	nlogs++;
}

/* Run a command quietly: its exit status, or -1. */
static int
run(const char *fmt, ...)
{
	char body[512], cmd[560];
	char *argv[] = { "sh", "-c", cmd, NULL };
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "(%s) >/dev/null 2>&1", body);
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static bool
have_tools(void)
{
	return run("PATH=$PATH:/sbin:/usr/sbin command -v mke2fs") == 0 &&
	    run("PATH=$PATH:/sbin:/usr/sbin command -v e2fsck") == 0;
}

/* Make an image with mke2fs options opts and load it. */
static int
mkimg(const char *opts, const char *size)
{
	struct stat sb;
	int fd;

	snprintf(img, sizeof(img), "/tmp/cairn-ext2-test-%d.img", getpid());
	if (run("PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F %s %s %s", opts, img,
	    size) != 0)
		return -1;
	fd = open(img, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) < 0)
		return -1;
	free(md.data);
	memset(&md, 0, sizeof(md));
	md.size = (uint64_t)sb.st_size;
	md.data = malloc(md.size);
	if (md.data == NULL || read(fd, md.data, md.size) != (ssize_t)md.size)
		return -1;
	close(fd);
	return 0;
}

static int
save(void)
{
	int fd = open(img, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, md.data, md.size);
	close(fd);
	return n == (ssize_t)md.size ? 0 : -1;
}

/* e2fsck -fn on the memory image as it is: its exit status. */
static int
fsck(void)
{
	if (save() < 0)
		return -1;
	return run("PATH=$PATH:/sbin:/usr/sbin e2fsck -fn %s", img);
}

static int
mount_cache(size_t cache_bytes, bool ro)
{
	struct ext2_mount_args a;
	char err[200];
	int r;

	dev.block_size = 512;
	dev.block_count = md.size / 512;
	dev.writeable = true;
	dev.read = m_read;
	dev.write = m_write;
	dev.drain = m_drain;
	dev.sync = m_sync;
	free(cache);
	cache = malloc(cache_bytes);
	memset(&a, 0, sizeof(a));
	a.dev = &dev;
	a.cache_mem = cache;
	a.cache_bytes = cache_bytes;
	a.read_only = ro;
	a.log = log_fn;
	lastlog[0] = '\0';
	nlogs = 0;
	r = ext2_mount(&a, &fs, err, sizeof(err));
	if (r < 0)
		snprintf(lastlog, sizeof(lastlog), "%s", err);
	return r;
}

static int
mount(void)
{
	return mount_cache(1 << 20, false);
}

static int
umount(void)
{
	int r = ext2_unmount(fs);

	fs = NULL;
	return r;
}

#define SETUP(opts, size) do { \
	if (!have_tools()) \
		T_SKIP("needs mke2fs and e2fsck"); \
	T_CHECK(mkimg(opts, size) == 0); \
	T_CHECKF(mount() == 0, "%s", lastlog); \
} while (0)

static uint64_t
mk(uint64_t dir, const char *name, uint32_t mode)
{
	uint64_t n = 0;

	return ext2_ops.create(fs, dir, name, mode, &n) == 0 ? n : 0;
}

static struct fs_status
st_of(uint64_t n)
{
	struct fs_status st;

	memset(&st, 0, sizeof(st));
	ext2_ops.stat(fs, n, &st);
	return st;
}

static void
fill(char *buf, size_t len, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + (pos + i) % 23);
}

/* --- cases --- */

static void
t_mount(void)
{
	uint64_t root, n;
	struct fs_status st;

	if (!have_tools())
		T_SKIP("needs mke2fs and e2fsck");
	T_CHECK(run("rm -rf /tmp/cairn-ext2-d && mkdir /tmp/cairn-ext2-d && "
	    "echo hello > /tmp/cairn-ext2-d/hello.txt") == 0);
	T_CHECK(mkimg("-t ext2 -d /tmp/cairn-ext2-d", "4M") == 0);
	T_CHECKF(mount() == 0, "%s", lastlog);
	root = ext2_root(fs);
	st = st_of(root);
	T_CHECK((st.mode & FS_MODE_TYPE) == FS_MODE_DIRECTORY);
	T_CHECK(st.size == 2 * sizeof(struct fs_dirent));	/* lost+found */
	T_CHECK(ext2_ops.lookup(fs, root, "hello.txt", &n) == 0);
	st = st_of(n);
	T_CHECKF(st.size == 6 && (st.mode & FS_MODE_TYPE) == FS_MODE_FILE,
	    "size %llu mode %o", (unsigned long long)st.size, st.mode);
	T_CHECK(ext2_ops.lookup(fs, root, "nope", &n) == -ENOENT);
	T_CHECK(ext2_ops.lookup(fs, n, "x", &n) == -ENOTDIR);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

static void
t_files(void)
{
	static char buf[70000], back[70000];
	uint64_t root, f;
	struct fs_status st;

	SETUP("-t ext2 -b 1024 -I 256", "8M");
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0640);
	T_CHECK(f != 0);
	T_CHECK(ext2_ops.create(fs, root, "f", FS_MODE_FILE, &f) == -EEXIST);
	fill(buf, sizeof(buf), 0);
	T_CHECK(ext2_ops.write(fs, f, buf, sizeof(buf), 0) == sizeof(buf));
	memset(back, 0, sizeof(back));
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == sizeof(back));
	T_CHECK(memcmp(buf, back, sizeof(buf)) == 0);
	T_CHECK(ext2_ops.read(fs, f, back, 10, sizeof(buf)) == 0);
	/* Sparse: far out, the hole reads zeros and costs nothing. */
	T_CHECK(ext2_ops.write(fs, f, "end", 3, 5u << 20) == 3);
	st = st_of(f);
	T_CHECK(st.size == (5u << 20) + 3 && st.blocks < 200);
	T_CHECK(ext2_ops.read(fs, f, back, 100, 1u << 20) == 100);
	T_CHECK(back[0] == 0 && back[99] == 0);
	/* Shrink into a block, grow: zeros after the cut. */
	T_CHECK(ext2_ops.truncate(fs, f, 1500) == 0);
	T_CHECK(ext2_ops.truncate(fs, f, 3000) == 0);
	T_CHECK(ext2_ops.read(fs, f, back, 3000, 0) == 3000);
	T_CHECK(memcmp(back, buf, 1500) == 0 && back[1500] == 0 &&
	    back[2999] == 0);
	st = st_of(f);
	T_CHECK(st.size == 3000 && (st.mode & 07777) == 0640);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

/* A 800-block block-mapped file on a 1 KiB ext2, for the punch cases. */
static uint64_t
punch_file(uint64_t root, const char *name, char *content, size_t len)
{
	uint64_t f = mk(root, name, FS_MODE_FILE | 0644);

	fill(content, len, 0);
	if (f == 0 || ext2_ops.write(fs, f, content, len, 0) != (long)len)
		return 0;
	return f;
}

static void
t_punch_bug(void)
{
	static char content[800 * 1024], back[800 * 1024];
	static const uint64_t r[][2] = {
		{ 1, 12 }, { 10, 13 }, { 11, 14 }, { 100, 268 },
		{ 267, 270 }, { 270, 524 }, { 523, 524 }, { 600, 799 },
		{ 0, 799 }, { 5, 5 },
	};
	struct ext2_inode_large in;
	unsigned i, lib_wrong = 0;
	uint64_t root, f;
	blk64_t b, p;
	char name[16];

	SETUP("-t ext2 -b 1024", "16M");
	root = ext2_root(fs);
	/* libext2fs's own ext2fs_punch(), on the same files. */
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		snprintf(name, sizeof(name), "lib%u", i);
		f = punch_file(root, name, content, sizeof(content));
		T_CHECK(f != 0 && ext2_read_inode(fs, (uint32_t)f, &in) == 0);
		T_CHECK(ext2fs_punch(fs->fs, (ext2_ino_t)f,
		    (struct ext2_inode *)&in, NULL, r[i][0], r[i][1]) == 0);
		for (b = 0; b < 800; b++) {
			p = 0;
			ext2fs_bmap2(fs->fs, (ext2_ino_t)f,
			    (struct ext2_inode *)&in, NULL, 0, b, NULL, &p);
			if ((p != 0) != (b < r[i][0] || b > r[i][1])) {
				lib_wrong++;
				break;
			}
		}
		T_CHECK(ext2_ops.unlink(fs, root, name) == 0);
	}
	printf("# libext2fs ext2fs_punch on block-mapped files: %u of %zu "
	    "ranges wrong\n", lib_wrong, sizeof(r) / sizeof(r[0]));
	/* Ours: the right blocks go, the right bytes stay. */
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint64_t off = r[i][0] * 1024, len = (r[i][1] - r[i][0] + 1) *
		    1024;

		snprintf(name, sizeof(name), "ours%u", i);
		f = punch_file(root, name, content, sizeof(content));
		T_CHECK(f != 0);
		T_CHECK(ext2_punch_hole(fs, f, off, len) == 0);
		T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) ==
		    sizeof(back));
		T_CHECKF(memcmp(back, content, off) == 0 &&
		    memcmp(back + off + len, content + off + len,
		    sizeof(back) - off - len) == 0, "range %u", i);
		for (b = off; b < off + len; b++)
			T_CHECKF(back[b] == 0, "range %u byte %llu", i,
			    (unsigned long long)b);
		T_CHECK(ext2_read_inode(fs, (uint32_t)f, &in) == 0);
		for (b = 0; b < 800; b++) {
			p = 0;
			ext2fs_bmap2(fs->fs, (ext2_ino_t)f,
			    (struct ext2_inode *)&in, NULL, 0, b, NULL, &p);
			T_CHECKF((p != 0) == (b < r[i][0] || b > r[i][1]),
			    "range %u block %llu", i, (unsigned long long)b);
		}
	}
	/* Unaligned: partial blocks are zeroed, whole ones freed. */
	f = punch_file(root, "odd", content, sizeof(content));
	T_CHECK(ext2_punch_hole(fs, f, 11 * 1024 + 100, 3000) == 0);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == sizeof(back));
	T_CHECK(memcmp(back, content, 11 * 1024 + 100) == 0);
	T_CHECK(back[11 * 1024 + 100] == 0 && back[11 * 1024 + 3099] == 0);
	T_CHECK(memcmp(back + 11 * 1024 + 3100, content + 11 * 1024 + 3100,
	    sizeof(back) - 11 * 1024 - 3100) == 0);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

static void
t_fallocate_one(const char *opts)
{
	static char content[64 * 1024], back[200 * 1024];
	struct fs_status st;
	uint64_t root, f;

	T_CHECK(mkimg(opts, "16M") == 0);
	T_CHECKF(mount() == 0, "%s", lastlog);
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	fill(content, sizeof(content), 0);
	T_CHECK(ext2_ops.write(fs, f, content, sizeof(content), 0) ==
	    sizeof(content));
	T_CHECK(ext2_ops.write(fs, f, content, 1024, 150 * 1024) == 1024);
	/*
	 * Over data, a hole and past the end, keeping the size: extents
	 * keep unwritten blocks past the end; a block map cannot (e2fsck
	 * would call its size wrong), so it refuses and changes nothing,
	 * and allocates up to the end.
	 */
	if (strstr(opts, "ext4") == NULL) {
		uint64_t before = st_of(f).blocks;

		T_CHECK(ext2_fallocate(fs, f, 32 * 1024, 160 * 1024, true) ==
		    -EOPNOTSUPP);
		T_CHECK(st_of(f).blocks == before);
		T_CHECK(ext2_fallocate(fs, f, 32 * 1024, 119 * 1024, true) ==
		    0);
	} else {
		T_CHECK(ext2_fallocate(fs, f, 32 * 1024, 160 * 1024, true) ==
		    0);
	}
	st = st_of(f);
	T_CHECK(st.size == 151 * 1024);
	T_CHECKF(st.blocks >= 2 * 151, "%s: %llu blocks", opts,
	    (unsigned long long)st.blocks);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == 151 * 1024);
	T_CHECK(memcmp(back, content, sizeof(content)) == 0);
	T_CHECK(back[64 * 1024] == 0 && back[150 * 1024 - 1] == 0);
	T_CHECK(memcmp(back + 150 * 1024, content, 1024) == 0);
	/* Growing the size: the new part reads zeros. */
	T_CHECK(ext2_fallocate(fs, f, 190 * 1024, 10 * 1024, false) == 0);
	st = st_of(f);
	T_CHECK(st.size == 200 * 1024);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == 200 * 1024);
	T_CHECK(back[151 * 1024] == 0 && back[200 * 1024 - 1] == 0);
	/* Then punched: zeros, fewer blocks. */
	T_CHECKF(ext2_punch_hole(fs, f, 0, 200 * 1024) == 0, "%s", lastlog);
	T_CHECK(st_of(f).blocks < st.blocks);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == 200 * 1024);
	T_CHECK(back[0] == 0 && back[100000] == 0);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

/*
 * FS_ALLOCATE through the ops table on a block-mapped file: a punch
 * across the direct/indirect boundary, a zeroed range, keep-size within
 * the size and refused past it; read-only mounts refuse all of it.
 */
static void
t_allocate_ops(void)
{
	static char content[64 * 1024], back[64 * 1024];
	const uint32_t ph = FS_ALLOC_PUNCH_HOLE | FS_ALLOC_KEEP_SIZE;
	struct fs_status st, st2;
	uint64_t root, f;
	unsigned i;

	SETUP("-t ext2 -b 1024", "16M");
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	fill(content, sizeof(content), 0);
	T_CHECK(ext2_ops.write(fs, f, content, sizeof(content), 0) ==
	    sizeof(content));
	st = st_of(f);
	/* Blocks 10..13: direct 10, 11, indirect 12, 13 (1 KiB blocks). */
	T_CHECK(ext2_ops.allocate(fs, f, ph, 10 * 1024, 4 * 1024) == 0);
	st2 = st_of(f);
	T_CHECK(st2.size == st.size && st2.blocks == st.blocks - 8);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == sizeof(back));
	for (i = 0; i < sizeof(back); i++)
		T_CHECKF(back[i] == (i >= 10 * 1024 && i < 14 * 1024 ? 0 :
		    content[i]), "byte %u", i);
	/* Zero range over data and the hole: zeros, allocated again. */
	T_CHECK(ext2_ops.allocate(fs, f, FS_ALLOC_ZERO_RANGE |
	    FS_ALLOC_KEEP_SIZE, 9 * 1024 + 5, 10 * 1024) == 0);
	T_CHECK(st_of(f).blocks == st.blocks);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == sizeof(back));
	T_CHECK(back[9 * 1024 + 4] == content[9 * 1024 + 4]);
	for (i = 9 * 1024 + 5; i < 19 * 1024 + 5; i++)
		T_CHECKF(back[i] == 0, "byte %u", i);
	T_CHECK(back[19 * 1024 + 5] == content[19 * 1024 + 5]);
	/* Keep-size: within the size fine, past its last block refused. */
	T_CHECK(ext2_ops.allocate(fs, f, FS_ALLOC_KEEP_SIZE, 0,
	    sizeof(content)) == 0);
	T_CHECK(ext2_ops.allocate(fs, f, FS_ALLOC_KEEP_SIZE, 0,
	    sizeof(content) + 1024) == -EOPNOTSUPP);
	T_CHECK(st_of(f).blocks == st.blocks);
	/* Growing: zeros past the old end. */
	T_CHECK(ext2_ops.allocate(fs, f, 0, sizeof(content), 4096) == 0);
	T_CHECK(st_of(f).size == sizeof(content) + 4096);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
	T_CHECK(mount_cache(1 << 20, true) == 0);
	T_CHECK(ext2_ops.allocate(fs, f, ph, 0, 1024) == -EROFS);
	T_CHECK(ext2_ops.allocate(fs, f, 0, 0, 1 << 20) == -EROFS);
	T_CHECK(umount() == 0);
}

/*
 * Writes over holes, over data and into unwritten extents, aligned to
 * blocks and not; the bytes survive a remount and e2fsck is content.
 */
static void
t_write_blocks_one(const char *opts)
{
	static char content[96 * 1024], back[2 * 1024 * 1024];
	uint64_t root, f;
	size_t i;

	T_CHECK(mkimg(opts, "16M") == 0);
	T_CHECKF(mount() == 0, "%s", lastlog);
	root = ext2_root(fs);
	f = mk(root, "w", FS_MODE_FILE | 0644);
	fill(content, sizeof(content), 7);
	/* Unwritten extents (ext4) or zeroed blocks (block map) first. */
	T_CHECK(ext2_ops.allocate(fs, f, 0, 0, 64 * 1024) == 0);
	T_CHECK(ext2_ops.write(fs, f, content, 16 * 1024, 8 * 1024) ==
	    16 * 1024);
	/* Aligned, over a hole far out; unaligned across blocks. */
	T_CHECK(ext2_ops.write(fs, f, content, sizeof(content), 1 << 20) ==
	    sizeof(content));
	T_CHECK(ext2_ops.write(fs, f, content, 10000, 30000) == 10000);
	T_CHECK(st_of(f).size == (1 << 20) + sizeof(content));
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) ==
	    (1 << 20) + (long)sizeof(content));
	for (i = 0; i < 8 * 1024; i++)
		T_CHECKF(back[i] == 0, "%s: byte %zu", opts, i);
	T_CHECK(memcmp(back + 8 * 1024, content, 16 * 1024) == 0);
	T_CHECK(back[24 * 1024] == 0 && back[29999] == 0);
	T_CHECK(memcmp(back + 30000, content, 10000) == 0);
	T_CHECK(back[40000] == 0 && back[(1 << 20) - 1] == 0);
	T_CHECK(memcmp(back + (1 << 20), content, sizeof(content)) == 0);
	T_CHECK(st_of(f).blocks < 2 * 200 * (strstr(opts, "4096") ? 4 : 1));
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
	/* Remounted, the same bytes. */
	T_CHECKF(mount() == 0, "%s", lastlog);
	memset(back, 1, sizeof(back));
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) ==
	    (1 << 20) + (long)sizeof(content));
	T_CHECK(memcmp(back + (1 << 20), content, sizeof(content)) == 0 &&
	    memcmp(back + 8 * 1024, content, 16 * 1024) == 0 && back[0] == 0);
	T_CHECK(umount() == 0);
}

static void
t_write_blocks(void)
{
	if (!have_tools())
		T_SKIP("needs mke2fs and e2fsck");
	t_write_blocks_one("-t ext2 -b 1024");
	if (t_state.failed_case)
		return;
	t_write_blocks_one("-t ext4 -O ^has_journal -b 4096");
}

static void
t_fallocate(void)
{
	if (!have_tools())
		T_SKIP("needs mke2fs and e2fsck");
	t_fallocate_one("-t ext2 -b 1024");
	if (t_state.failed_case)
		return;
	t_fallocate_one("-t ext4 -O ^has_journal -b 4096");
}

static void
t_dir_index(void)
{
	struct ext2_inode_large in;
	struct ext2_io_stats a, b;
	struct fs_dirent e;
	uint64_t root, d, n, i, count = 0;
	char name[64];

	SETUP("-t ext2 -b 1024", "16M");
	root = ext2_root(fs);
	d = mk(root, "big", FS_MODE_DIRECTORY | 0755);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-%05llu",
		    (unsigned long long)i);
		T_CHECKF(mk(d, name, FS_MODE_FILE | 0644) != 0, "%s", name);
	}
	T_CHECK(ext2_read_inode(fs, (uint32_t)d, &in) == 0);
	T_CHECK(in.i_flags & EXT2_INDEX_FL);
	/* A lookup reads the root, one leaf and the inode: not ~130 blocks. */
	ext2_io_stats(ext2_io_of(fs), &a);
	T_CHECK(ext2_ops.lookup(fs, d, "a-rather-long-file-name-01234",
	    &n) == 0);
	T_CHECK(ext2_ops.lookup(fs, d, "a-rather-long-file-name-99999",
	    &n) == -ENOENT);
	ext2_io_stats(ext2_io_of(fs), &b);
	T_CHECKF(b.hits + b.misses - a.hits - a.misses < 16, "%llu blocks",
	    (unsigned long long)(b.hits + b.misses - a.hits - a.misses));
	for (i = 0; ext2_ops.readdir(fs, d, i, &e) == 0; i++)
		count++;
	T_CHECK(count == 3000 && st_of(d).size == 3000 * sizeof(e));
	for (i = 0; i < 3000; i += 3) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-%05llu",
		    (unsigned long long)i);
		T_CHECK(ext2_ops.unlink(fs, d, name) == 0);
		T_CHECK(ext2_ops.lookup(fs, d, name, &n) == -ENOENT);
	}
	T_CHECK(st_of(d).size == 2000 * sizeof(e));
	T_CHECK(ext2_ops.rename(fs, d, "a-rather-long-file-name-00001", d,
	    "a-rather-long-file-name-00002") == 0);
	T_CHECK(ext2_ops.lookup(fs, d, "a-rather-long-file-name-00002",
	    &n) == 0);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);		/* e2fsck checks the htree too */
	T_CHECK(run("PATH=$PATH:/sbin:/usr/sbin debugfs -R 'htree_dump /big' "
	    "%s | grep -q 'Root node dump'", img) == 0);
}

static void
t_damaged_index(void)
{
	struct ext2_inode_large in;
	uint64_t root, d, n, i;
	blk64_t p = 0;
	uint8_t blk[1024];
	char name[32];

	SETUP("-t ext2 -b 1024", "16M");
	root = ext2_root(fs);
	d = mk(root, "big", FS_MODE_DIRECTORY | 0755);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "name-%03llu",
		    (unsigned long long)i);
		T_CHECK(mk(d, name, FS_MODE_FILE | 0644) != 0);
	}
	T_CHECK(ext2_read_inode(fs, (uint32_t)d, &in) == 0);
	T_CHECK(in.i_flags & EXT2_INDEX_FL);
	/* Break the root's limit: lookups fall back to a scan. */
	T_CHECK(ext2fs_bmap2(fs->fs, (ext2_ino_t)d, (struct ext2_inode *)&in,
	    NULL, 0, 0, NULL, &p) == 0 && p != 0);
	T_CHECK(io_channel_read_blk64(fs->fs->io, p, 1, blk) == 0);
	blk[32] = 0x55;
	T_CHECK(io_channel_write_blk64(fs->fs->io, p, 1, blk) == 0);
	nlogs = 0;
	T_CHECK(ext2_ops.lookup(fs, d, "name-123", &n) == 0);
	T_CHECKF(nlogs > 0 && strstr(lastlog, "htree"), "%s", lastlog);
	T_CHECK(umount() == 0);
}

static void
t_names_links(void)
{
	char target[300], back[300];
	uint64_t root, a, b, f, s, n;
	char name[300];

	SETUP("-t ext2 -b 1024", "8M");
	root = ext2_root(fs);
	memset(name, 'n', 255);
	name[255] = '\0';
	T_CHECK(mk(root, name, FS_MODE_FILE | 0644) != 0);
	name[255] = 'n';
	name[256] = '\0';
	T_CHECK(ext2_ops.create(fs, root, name, FS_MODE_FILE, &n) ==
	    -ENAMETOOLONG);
	a = mk(root, "a", FS_MODE_DIRECTORY | 0755);
	b = mk(a, "b", FS_MODE_DIRECTORY | 0755);
	f = mk(a, "f", FS_MODE_FILE | 0644);
	T_CHECK(a && b && f);
	T_CHECK(st_of(a).nlink == 3);
	T_CHECK(ext2_ops.rename(fs, root, "a", b, "a") == -EINVAL);
	T_CHECK(ext2_ops.rename(fs, a, "f", root, "a") == -EISDIR);
	T_CHECK(ext2_ops.rename(fs, a, "b", a, "f") == -ENOTDIR);
	T_CHECK(ext2_ops.rename(fs, root, "a", root, "a") == 0);
	T_CHECK(ext2_ops.unlink(fs, root, "a") == -ENOTEMPTY);
	/* A directory moves: ".." and both link counts follow. */
	T_CHECK(ext2_ops.rename(fs, a, "b", root, "b") == 0);
	T_CHECK(st_of(a).nlink == 2 && st_of(root).nlink == 5);
	T_CHECK(ext2_ops.lookup(fs, b, "..", &n) == 0 && n == root);
	/* Hard links. */
	T_CHECK(ext2_ops.link(fs, f, root, "hard") == 0);
	T_CHECK(st_of(f).nlink == 2);
	T_CHECK(ext2_ops.link(fs, a, root, "dirlink") == -EPERM);
	/* POSIX: a rename onto another name of the same file does nothing. */
	T_CHECK(ext2_ops.rename(fs, root, "hard", a, "f") == 0);
	T_CHECK(st_of(f).nlink == 2 && ext2_ops.lookup(fs, root, "hard",
	    &n) == 0);
	T_CHECK(ext2_ops.unlink(fs, root, "hard") == 0);
	T_CHECK(st_of(f).nlink == 1);
	/* Symlinks, fast and slow. */
	s = mk(root, "fast", FS_MODE_SYMLINK | 0777);
	T_CHECK(ext2_ops.symlink(fs, s, "a/f", 3) == 0);
	T_CHECK(ext2_ops.readlink(fs, s, back, sizeof(back)) == 3);
	memset(target, 'x', 299);
	s = mk(root, "slow", FS_MODE_SYMLINK | 0777);
	T_CHECK(ext2_ops.symlink(fs, s, target, 299) == 0);
	T_CHECK(ext2_ops.readlink(fs, s, back, sizeof(back)) == 299);
	T_CHECK(memcmp(back, target, 299) == 0);
	T_CHECK(ext2_ops.symlink(fs, s, "short", 5) == 0);
	T_CHECK(ext2_ops.readlink(fs, s, back, sizeof(back)) == 5);
	T_CHECK(ext2_ops.symlink(fs, s, target, 299) == 0);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

static void
t_open_unlinked(void)
{
	uint64_t root, f, g;
	char buf[8];

	SETUP("-t ext2", "8M");
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	T_CHECK(ext2_ops.write(fs, f, "still", 5, 0) == 5);
	ext2_ops.open(fs, f);
	T_CHECK(ext2_ops.unlink(fs, root, "f") == 0);
	T_CHECK(ext2_ops.lookup(fs, root, "f", &g) == -ENOENT);
	T_CHECK(ext2_ops.read(fs, f, buf, 5, 0) == 5);
	T_CHECK(memcmp(buf, "still", 5) == 0);
	g = mk(root, "g", FS_MODE_FILE | 0644);
	T_CHECK(g != f);		/* its inode is not reused yet */
	ext2_ops.close(fs, f);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

static void
t_times(void)
{
	struct fs_control_args c;
	struct fs_status st;
	uint64_t root, f;

	SETUP("-t ext2 -I 256", "8M");
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	memset(&c, 0, sizeof(c));
	c.valid = FS_CONTROL_MTIME | FS_CONTROL_ATIME | FS_CONTROL_UID |
	    FS_CONTROL_GID | FS_CONTROL_MODE;
	c.mtime.sec = 5000000000ll;	/* beyond 2038: the epoch bits */
	c.mtime.nsec = 123456789;
	c.atime.sec = 1;
	c.atime.nsec = 999999999;
	c.uid = 70000;
	c.gid = 70001;
	c.mode = 06755;
	T_CHECK(ext2_ops.setattr(fs, f, &c) == 0);
	st = st_of(f);
	T_CHECK(st.mtime.sec == 5000000000ll && st.mtime.nsec == 123456789);
	T_CHECK(st.atime.sec == 1 && st.atime.nsec == 999999999);
	T_CHECK(st.uid == 70000 && st.gid == 70001);
	T_CHECK((st.mode & 07777) == 06755);
	T_CHECK(st.ctime.nsec != 0 || st.ctime.sec != 0);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
	/* 128-byte inodes have no room for nanoseconds. */
	T_CHECK(mkimg("-t ext2 -I 128", "8M") == 0);
	T_CHECK(mount() == 0);
	f = mk(ext2_root(fs), "f", FS_MODE_FILE | 0644);
	c.valid = FS_CONTROL_MTIME;
	c.mtime.sec = 1000;
	T_CHECK(ext2_ops.setattr(fs, f, &c) == 0);
	st = st_of(f);
	T_CHECK(st.mtime.sec == 1000 && st.mtime.nsec == 0);
	T_CHECK(umount() == 0);
}

static void
t_limits(void)
{
	struct ext2_inode_large in;
	uint64_t root, f, max;

	SETUP("-t ext2 -b 1024", "8M");
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	T_CHECK(ext2_read_inode(fs, (uint32_t)f, &in) == 0);
	max = ext2_max_size(fs, &in);
	/* Linux's ext2_max_size() for 1 KiB blocks: 16 GiB + 64 MiB + ... */
	T_CHECKF(max == 17247252480ull, "%llu", (unsigned long long)max);
	T_CHECK(ext2_ops.truncate(fs, f, max + 1) == -EFBIG);
	T_CHECK(ext2_ops.truncate(fs, f, max) == 0);
	T_CHECK(ext2_ops.write(fs, f, "x", 1, max) == -EFBIG);
	T_CHECK(ext2_ops.truncate(fs, f, 1ull << 62) == -EFBIG);
	T_CHECK(ext2_ops.truncate(fs, f, 0) == 0);
	/* The device fills up: ENOSPC, and the image stays whole. */
	{
		static char buf[65536];
		uint64_t pos = 0;
		long n;

		while ((n = ext2_ops.write(fs, f, buf, sizeof(buf), pos)) > 0)
			pos += (uint64_t)n;
		T_CHECK(n == -ENOSPC && pos > (6u << 20));
	}
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

static void
t_ext4(void)
{
	static char buf[300000], back[300000];
	uint64_t root, d, f, i;
	long n;
	char name[32];

	SETUP("-t ext4 -O ^has_journal", "32M");
	root = ext2_root(fs);
	d = mk(root, "d", FS_MODE_DIRECTORY | 0755);
	fill(buf, sizeof(buf), 7);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "f%03llu", (unsigned long long)i);
		f = mk(d, name, FS_MODE_FILE | 0644);
		T_CHECK(f != 0);
		n = ext2_ops.write(fs, f, buf, 1000 + i * 97, 0);
		T_CHECKF(n == (long)(1000 + i * 97), "%llu: %ld %s",
		    (unsigned long long)i, n, lastlog);
	}
	T_CHECK(ext2_ops.lookup(fs, d, "f123", &f) == 0);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) ==
	    1000 + 123 * 97);
	T_CHECK(memcmp(back, buf, 1000 + 123 * 97) == 0);
	T_CHECK(ext2_ops.truncate(fs, f, 5000) == 0);
	T_CHECK(ext2_punch_hole(fs, f, 100, 4000) == 0);
	T_CHECK(ext2_ops.read(fs, f, back, sizeof(back), 0) == 5000);
	T_CHECK(back[100] == 0 && back[4099] == 0 && back[4100] == buf[4100]);
	for (i = 0; i < 300; i += 2) {
		snprintf(name, sizeof(name), "f%03llu", (unsigned long long)i);
		T_CHECK(ext2_ops.unlink(fs, d, name) == 0);
	}
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

/* Write-back under pressure leaves a consistent image marked "not clean";
 * a sync marks it clean. */
static void
t_writeback(void)
{
	static char buf[65536];
	struct ext2_io_stats st;
	uint64_t root, f;
	unsigned i;

	if (!have_tools())
		T_SKIP("needs mke2fs and e2fsck");
	T_CHECK(mkimg("-t ext2 -b 4096", "32M") == 0);
	T_CHECKF(mount_cache(64 * 4096, false) == 0, "%s", lastlog);
	root = ext2_root(fs);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	for (i = 0; i < 64; i++)
		T_CHECK(ext2_ops.write(fs, f, buf, sizeof(buf),
		    (uint64_t)i * sizeof(buf)) == sizeof(buf));
	ext2_io_stats(ext2_io_of(fs), &st);
	T_CHECK(st.writebacks > 0);
	T_CHECK(fsck() == 0);		/* mid-way, as a crash would leave it */
	T_CHECK(run("PATH=$PATH:/sbin:/usr/sbin dumpe2fs -h %s | grep -q "
	    "'state:.*not clean'", img) == 0);
	T_CHECK(ext2_ops.sync(fs) == 0);
	T_CHECK(md.syncs > 0);
	T_CHECK(save() == 0);
	T_CHECK(run("PATH=$PATH:/sbin:/usr/sbin dumpe2fs -h %s | grep -q "
	    "'state: *clean$'", img) == 0);
	T_CHECK(umount() == 0);
	T_CHECK(fsck() == 0);
}

static void
t_loop(void)
{
	uint64_t root, a, b;

	SETUP("-t ext2", "8M");
	root = ext2_root(fs);
	a = mk(root, "a", FS_MODE_DIRECTORY | 0755);
	b = mk(a, "b", FS_MODE_DIRECTORY | 0755);
	T_CHECK(a && b);
	/* Damage: b's ".." names b itself. */
	T_CHECK(ext2_dir_retarget(fs, (uint32_t)b, "..", (uint32_t)b,
	    EXT2_FT_DIR) == 0);
	nlogs = 0;
	T_CHECK(ext2_ops.rename(fs, root, "a", b, "x") == -EIO);
	T_CHECKF(strstr(lastlog, "loop") != NULL, "%s", lastlog);
	T_CHECK(umount() == 0);
}

static void
t_corrupt_mount(void)
{
	static const struct {
		unsigned off, len;
		uint32_t val;
		const char *want;
	} bad[] = {
		{ 56, 2, 0x1234, "magic" },
		{ 24, 4, 9, "s_log_block_size" },
		{ 4, 4, 0x7fffffff, "s_blocks_count" },
		{ 0, 4, 12345, "s_inodes_count" },
		{ 32, 4, 0, "s_blocks_per_group" },
		{ 40, 4, 0, "s_inodes_per_group" },
		{ 88, 2, 100, "s_inode_size" },
	};
	uint8_t sb[1024];
	unsigned i;

	if (!have_tools())
		T_SKIP("needs mke2fs and e2fsck");
	T_CHECK(mkimg("-t ext2", "4M") == 0);
	memcpy(sb, md.data + 1024, sizeof(sb));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(md.data + 1024, sb, sizeof(sb));
		memcpy(md.data + 1024 + bad[i].off, &bad[i].val, bad[i].len);
		T_CHECKF(mount() < 0, "%s", bad[i].want);
		T_CHECKF(strncmp(lastlog, "superblock: ", 12) == 0 &&
		    strstr(lastlog, bad[i].want), "%s: %s", bad[i].want,
		    lastlog);
	}
	/* The root inode made a file. */
	memcpy(md.data + 1024, sb, sizeof(sb));
	T_CHECK(mount() == 0);
	{
		struct ext2_inode_large in;

		T_CHECK(ext2_read_inode(fs, EXT2_ROOT_INO, &in) == 0);
		in.i_mode = LINUX_S_IFREG | 0644;
		T_CHECK(ext2_write_inode(fs, EXT2_ROOT_INO, &in) == 0);
		T_CHECK(ext2_io_writeback(ext2_io_of(fs), false) == 0);
		fs->ro = true;		/* no flush of the superblock */
		(void)umount();
	}
	T_CHECK(mount() < 0);
	T_CHECKF(strstr(lastlog, "root inode") != NULL, "%s", lastlog);
}

static void
t_cache(void)
{
	static uint8_t dev_mem[1 << 20], buf[3 * 4096];
	struct ext2_io_stats st;
	struct ext2_io *io;
	char name[64];
	io_channel ch;
	unsigned i;

	memset(&md, 0, sizeof(md));
	md.data = dev_mem;
	md.size = sizeof(dev_mem);
	for (i = 0; i < sizeof(dev_mem); i++)
		dev_mem[i] = (uint8_t)(i / 4096);
	dev.block_size = 512;
	dev.block_count = md.size / 512;
	dev.writeable = true;
	dev.read = m_read;
	dev.write = m_write;
	dev.drain = m_drain;
	dev.sync = m_sync;
	T_CHECK(ext2_io_create(&dev, 1000, buf, sizeof(buf), &io) == -EINVAL);
	cache = realloc(cache, 64 * 4096);
	T_CHECK(ext2_io_create(&dev, 4096, cache, 64 * 4096, &io) == 0);
	ext2_io_name(io, name, sizeof(name));
	T_CHECK(ext2_io_manager->open(name, IO_FLAG_RW, &ch) == 0);
	T_CHECK(io_channel_set_blksize(ch, 4096) == 0);
	/* Sequential reads come in growing runs. */
	for (i = 0; i < 64; i++) {
		T_CHECK(io_channel_read_blk64(ch, i, 1, buf) == 0);
		T_CHECK(buf[0] == i && buf[4095] == i);
	}
	ext2_io_stats(io, &st);
	T_CHECKF(st.dev_reads < 16, "%llu reads",
	    (unsigned long long)st.dev_reads);
	/* A 1 KiB write into a unit: read-modify-write, at the next
	 * write-back only, in one run with its neighbours. */
	memset(buf, 0xee, 1024);
	T_CHECK(io_channel_set_blksize(ch, 1024) == 0);
	T_CHECK(io_channel_write_blk64(ch, 4 * 100 + 1, 1, buf) == 0);
	T_CHECK(io_channel_set_blksize(ch, 4096) == 0);
	memset(buf, 0xdd, 2 * 4096);
	T_CHECK(io_channel_write_blk64(ch, 101, 2, buf) == 0);
	T_CHECK(dev_mem[100 * 4096 + 1024] == 100);
	md.writes = 0;
	T_CHECK(ext2_io_writeback(io, true) == 0);
	T_CHECK(md.writes == 1 && md.syncs == 1);
	T_CHECK(dev_mem[100 * 4096] == 100 && dev_mem[100 * 4096 + 1024] ==
	    0xee && dev_mem[100 * 4096 + 2048] == 100);
	T_CHECK(dev_mem[101 * 4096] == 0xdd && dev_mem[103 * 4096 - 1] ==
	    0xdd);
	/* Beyond the device. */
	T_CHECK(io_channel_read_blk64(ch, 256, 1, buf) != 0);
	T_CHECK(io_channel_close(ch) == 0);
	ext2_io_destroy(io);
	md.data = NULL;
}

int
main(void)
{
	T_RUN("ext2-001", "mount an mke2fs image, look up its files", t_mount);
	T_RUN("ext2-002", "write, read, sparse files, truncate", t_files);
	T_RUN("ext2-003", "punch holes in block-mapped files (libext2fs bug "
	    "worked around)", t_punch_bug);
	T_RUN("ext2-004", "fallocate and punch, block-mapped and extents",
	    t_fallocate);
	T_RUN("ext2-005", "large directories get a hash index, looked up "
	    "by hash", t_dir_index);
	T_RUN("ext2-006", "a damaged index: lookups scan, with a report",
	    t_damaged_index);
	T_RUN("ext2-007", "names, rename rules, hard links, symlinks",
	    t_names_links);
	T_RUN("ext2-008", "a removed file lives on while open",
	    t_open_unlinked);
	T_RUN("ext2-009", "nanosecond times, 32-bit ids, mode bits", t_times);
	T_RUN("ext2-010", "EFBIG beyond ext2's maximum size, ENOSPC",
	    t_limits);
	T_RUN("ext2-011", "ext4 (extents, checksums, 64bit)", t_ext4);
	T_RUN("ext2-012", "write-back: consistent, marked clean on sync only",
	    t_writeback);
	T_RUN("ext2-013", "a \"..\" loop is reported, not followed", t_loop);
	T_RUN("ext2-014", "corrupt superblock and root: refused by name",
	    t_corrupt_mount);
	T_RUN("ext2-015", "block cache: read-ahead, partial writes, runs",
	    t_cache);
	T_RUN("ext2-016", "FS_ALLOCATE through the ops table: punch across "
	    "the indirect boundary, zero range, keep-size", t_allocate_ops);
	T_RUN("ext2-017", "writes over holes, unwritten extents and data, "
	    "aligned and not, survive a remount", t_write_blocks);
	if (img[0] && !getenv("KEEP"))
		unlink(img);
	return t_done();
}
