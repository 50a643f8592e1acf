/*
 * libFuzzer target: the fat plugin on an image the fuzzer controls.
 * SPDX-License-Identifier: MIT
 *
 * The input is the start of a volume of at least IMG_MIN bytes (the rest
 * zeros, so the corpus can hold small images without their empty tails).
 * The target mounts it, walks and reads the whole tree, then creates,
 * writes, renames, truncates and removes, and checks what it can: no
 * crash or hang (every walk in the plugin is bounded), reads never return
 * more than asked or past the size, a write that succeeded reads back,
 * and no access leaves the image (the device callbacks abort on one).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMG_MIN		(4u << 20)
#define IMG_MAX		(8u << 20)
#define MAX_OPS		3000

#define CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "invariant failed: %s:%d: %s\n", __FILE__, \
		    __LINE__, #x); \
		abort(); \
	} \
} while (0)

struct mem {
	uint8_t *img;
	uint64_t blocks;
	unsigned ops;
};

static int
m_read(void *ctx, uint64_t block, uint64_t count, void *buf)
{
	struct mem *m = ctx;

	CHECK(block < m->blocks && count <= m->blocks - block);
	memcpy(buf, m->img + block * 512, count * 512);
	return 0;
}

static int
m_write(void *ctx, uint64_t block, uint64_t count, const void *buf)
{
	struct mem *m = ctx;

	CHECK(block < m->blocks && count <= m->blocks - block);
	memcpy(m->img + block * 512, buf, count * 512);
	return 0;
}

static const struct blkdev_ops mem_ops = { m_read, m_write, NULL };

static uint8_t rbuf[64 * 1024];

static void
walk(struct fat_fs *fs, struct mem *m, uint64_t dir, unsigned depth)
{
	struct fs_dirent e;
	struct fs_status st;
	uint64_t i, n;
	long got;

	if (depth > 8)
		return;
	for (i = 0; m->ops < MAX_OPS; i++, m->ops++) {
		if (fat_ops.readdir(fs, dir, i, &e) < 0)
			break;
		CHECK(memchr(e.name, '\0', sizeof(e.name)) != NULL);
		CHECK(e.name[0] != '\0' && strchr(e.name, '/') == NULL);
		if (fat_ops.lookup(fs, dir, e.name, &n) < 0)
			continue;
		if (fat_ops.stat(fs, n, &st) < 0)
			continue;
		/* A damaged directory may hold two entries of one name, so
		 * the lookup may find another node than the listing showed. */
		if ((st.mode & FS_MODE_TYPE) == FS_MODE_DIRECTORY) {
			walk(fs, m, n, depth + 1);
			continue;
		}
		CHECK((st.mode & FS_MODE_TYPE) == FS_MODE_FILE);
		got = fat_ops.read(fs, n, rbuf, sizeof(rbuf), 0);
		CHECK(got < 0 || ((uint64_t)got <= st.size &&
		    (size_t)got <= sizeof(rbuf)));
		got = fat_ops.read(fs, n, rbuf, 100, st.size > 50 ?
		    st.size - 50 : 0);
		CHECK(got <= 100);
	}
}

/* Changes: where one succeeds, what it wrote must read back. */
static void
mutate(struct fat_fs *fs, uint64_t root)
{
	static uint8_t pat[5000], back[5000];
	uint64_t f, d, n;
	long got;
	size_t i;

	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7);
	if (fat_ops.create(fs, root, "fuzz file.txt", FS_MODE_FILE | 0644,
	    &f) < 0)
		return;
	fat_ops.open(fs, f);
	if (fat_ops.write(fs, f, pat, sizeof(pat), 10) == (long)sizeof(pat)) {
		got = fat_ops.read(fs, f, back, sizeof(back), 10);
		CHECK(got == (long)sizeof(pat) || got < 0);
		if (got > 0)
			CHECK(memcmp(back, pat, sizeof(pat)) == 0);
		got = fat_ops.read(fs, f, back, 10, 0);
		if (got == 10)
			CHECK(memcmp(back, "\0\0\0\0\0\0\0\0\0\0", 10) == 0);
	}
	if (fat_ops.create(fs, root, "D", FS_MODE_DIRECTORY | 0755, &d) == 0) {
		(void)fat_ops.rename(fs, root, "fuzz file.txt", d,
		    "A rather long name for a file.text");
		if (fat_ops.lookup(fs, d, "a RATHER long name for a file.text",
		    &n) == 0)
			(void)fat_ops.truncate(fs, n, 3);
		(void)fat_ops.unlink(fs, d,
		    "A rather long name for a file.text");
		(void)fat_ops.unlink(fs, root, "D");
	}
	fat_ops.close(fs, f);
	(void)fat_ops.sync(fs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m;
	struct blkdev dev;
	struct fat_fs *fs;
	uint64_t root;
	size_t cap;
	char err[200];

	if (size > IMG_MAX)
		return 0;
	cap = size < IMG_MIN ? IMG_MIN : (size + 511) & ~(size_t)511;
	memset(&m, 0, sizeof(m));
	if ((m.img = calloc(1, cap)) == NULL)
		return 0;
	memcpy(m.img, data, size);
	m.blocks = cap / 512;
	if (blkdev_init(&dev, &mem_ops, &m, 512, m.blocks, true, 16 * 1024)
	    == 0) {
		if (fat_mount(&dev, true, NULL, NULL, &fs, &root, err,
		    sizeof(err)) == 0) {
			walk(fs, &m, root, 0);
			mutate(fs, root);
			walk(fs, &m, root, 0);
			(void)fat_unmount(fs);
		} else
			CHECK(err[0] != '\0');
		blkdev_fini(&dev);
	}
	free(m.img);
	return 0;
}
