/*
 * libFuzzer target: the iso9660 plugin on an image the fuzzer controls.
 * SPDX-License-Identifier: MIT
 *
 * The input is the image from sector 16 on (the 32 KiB system area before
 * it is zeros and never read for the file system), padded with zeros to
 * at least IMG_MIN bytes. The target mounts it and walks, stats, reads and
 * follows (readlink) the whole tree: no crash, no hang (directory records,
 * continuation areas and multi-extent files are bounded), reads never
 * longer than asked or than the size, names valid, and no access outside
 * the image (the device callback aborts on one).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso9660.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SYSTEM_AREA	(16u * ISO_SECTOR)
#define IMG_MIN		(128u * 1024)
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

static const struct blkdev_ops mem_ops = { m_read, NULL, NULL };

static uint8_t rbuf[64 * 1024];

static void
walk(struct iso_fs *fs, struct mem *m, uint64_t dir, unsigned depth)
{
	char link[FS_MAX_PATH_LEN];
	struct fs_dirent e;
	struct fs_status st;
	uint64_t i, n;
	long got;

	if (depth > 12)
		return;
	for (i = 0; m->ops < MAX_OPS; i++, m->ops++) {
		if (iso_ops.readdir(fs, dir, i, &e) < 0)
			break;
		CHECK(memchr(e.name, '\0', sizeof(e.name)) != NULL);
		CHECK(e.name[0] != '\0' && strchr(e.name, '/') == NULL);
		CHECK(strcmp(e.name, ".") != 0 && strcmp(e.name, "..") != 0);
		if (iso_ops.lookup(fs, dir, e.name, &n) < 0 ||
		    iso_ops.stat(fs, n, &st) < 0)
			continue;
		/* Two records of one name: the lookup finds the first. */
		switch (st.mode & FS_MODE_TYPE) {
		case FS_MODE_DIRECTORY:
			walk(fs, m, n, depth + 1);
			break;
		case FS_MODE_SYMLINK:
			got = iso_ops.readlink(fs, n, link, sizeof(link));
			CHECK(got < 0 || (size_t)got <= sizeof(link));
			break;
		default:
			got = iso_ops.read(fs, n, rbuf, sizeof(rbuf), 0);
			CHECK(got < 0 || ((uint64_t)got <= st.size &&
			    (size_t)got <= sizeof(rbuf)));
			got = iso_ops.read(fs, n, rbuf, 100, st.size > 50 ?
			    st.size - 50 : 0);
			CHECK(got <= 100);
			break;
		}
		CHECK(iso_ops.write(fs, n, "x", 1, 0) == -EROFS);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m;
	struct blkdev dev;
	struct iso_fs *fs;
	uint64_t root;
	size_t cap;
	char err[200];

	if (size > IMG_MAX)
		return 0;
	cap = SYSTEM_AREA + size;
	if (cap < IMG_MIN)
		cap = IMG_MIN;
	cap = (cap + 511) & ~(size_t)511;
	memset(&m, 0, sizeof(m));
	if ((m.img = calloc(1, cap)) == NULL)
		return 0;
	memcpy(m.img + SYSTEM_AREA, data, size);
	m.blocks = cap / 512;
	if (blkdev_init(&dev, &mem_ops, &m, 512, m.blocks, false, 16 * 1024)
	    == 0) {
		if (iso_mount(&dev, NULL, NULL, &fs, &root, err,
		    sizeof(err)) == 0) {
			walk(fs, &m, root, 0);
			iso_unmount(fs);
		} else
			CHECK(err[0] != '\0');
		blkdev_fini(&dev);
	}
	free(m.img);
	return 0;
}
