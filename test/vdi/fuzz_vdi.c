/*
 * libFuzzer target: the input is a VDI image; open it, read every block
 * of the disk, write into it and open the result again.
 * SPDX-License-Identifier: MIT
 *
 * Besides "no crash and no hang", it checks that a refusal says why in
 * one line and leaves no image; that opening is deterministic and a read
 * error during it is passed on; that every read of an accepted image
 * returns what the input's own map says (zeros or the bytes of the named
 * data block, computed here independently); that ranges past the disk
 * are refused; that written bytes read back; and that the file left by
 * the writes opens again, also when the file refused to grow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "invariant failed: %s:%d: %s\n", __FILE__, \
		    __LINE__, #x); \
		abort(); \
	} \
} while (0)

#define GROWTH		(2u << 20)	/* the file may grow this much */
#define PIECE		64u		/* bytes read from each block */
#define SHADOW_MAX	(256u << 10)	/* small disks are compared whole */

struct img {
	uint8_t *data;
	size_t size, cap;
	unsigned reads;
	unsigned fail_at;	/* this read (1-based) fails with -EIO */
};

static int
img_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct img *f = ctx;

	CHECK(len > 0);
	if (++f->reads == f->fail_at)
		return -EIO;
	if (off > f->size || len > f->size - off)
		return -EIO;
	memcpy(buf, f->data + off, len);
	return 0;
}

static int
img_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct img *f = ctx;

	CHECK(len > 0);
	if (off > f->cap || len > f->cap - off)
		return -ENOSPC;
	if (off > f->size)
		memset(f->data + f->size, 0, (size_t)off - f->size);
	memcpy(f->data + off, buf, len);
	if (off + len > f->size)
		f->size = (size_t)(off + len);
	return 0;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
open_img(struct img *f, bool writeable, struct vdi **v, char *err,
    size_t cap)
{
	struct vdi_io io = { f, img_read, img_write };
	int r;

	memset(err, 0x7f, cap);
	r = vdi_open(v, &io, writeable, err, cap);
	if (r != 0) {
		CHECK(*v == NULL);
		CHECK(r == -EINVAL || r == -ENOTSUP || r == -EIO ||
		    r == -ENOMEM);
		CHECK(memchr(err, '\0', cap) != NULL);
		CHECK(strncmp(err, "vdi: ", 5) == 0 && strlen(err) > 5);
		CHECK(strchr(err, '\n') == NULL);
	} else {
		CHECK(*v != NULL);
	}
	return r;
}

/*
 * A piece of every block reads as the input's own map says; ranges past
 * the end are refused.
 */
static void
check_reads(struct vdi *v, const uint8_t *d, size_t size)
{
	uint64_t disk = vdi_disk_size(v), pos, inner, n;
	uint32_t bs = vdi_block_size(v), off_map, off_data, e;
	uint8_t buf[PIECE], want[PIECE];

	off_map = le32(d + 0x154);
	off_data = le32(d + 0x158);
	CHECK(bs == le32(d + 0x178));
	for (uint64_t i = 0; i * bs < disk; i++) {
		CHECK(off_map + 4 * i + 4 <= size);
		inner = (i * 131) % bs;
		pos = i * bs + inner;
		if (pos >= disk)
			pos = i * bs, inner = 0;
		n = disk - pos < PIECE ? disk - pos : PIECE;
		if (n > bs - inner)
			n = bs - inner;
		e = le32(d + off_map + 4 * i);
		if (e >= VDI_BLOCK_ZERO) {
			memset(want, 0, (size_t)n);
		} else {
			uint64_t at = off_data + (uint64_t)e * bs + inner;

			CHECK(at + n <= size);
			memcpy(want, d + at, (size_t)n);
		}
		memset(buf, 0xa5, sizeof(buf));
		CHECK(vdi_read(v, pos, buf, (size_t)n) == 0);
		CHECK(memcmp(buf, want, (size_t)n) == 0);
	}
	CHECK(vdi_read(v, disk, buf, 0) == 0);
	CHECK(vdi_read(v, disk, buf, 1) == -EINVAL);
	CHECK(vdi_read(v, UINT64_MAX, buf, 2) == -EINVAL);
	CHECK(vdi_write(v, disk, buf, 1) == -EINVAL);
}

/*
 * Write three ranges (start, middle, end of the disk) into a copy, with
 * room to grow by GROWTH, read them back and open the result again.
 */
static void
check_writes(const uint8_t *data, size_t size, uint8_t seed)
{
	struct img f = { 0 };
	struct vdi *v;
	uint64_t disk, off[3], len[3];
	uint8_t *shadow = NULL, *buf, *back;
	char err[160];
	bool failed = false;

	f.cap = size + GROWTH;
	f.data = malloc(f.cap);
	buf = malloc(1024);
	back = malloc(1024);
	CHECK(f.data != NULL && buf != NULL && back != NULL);
	memcpy(f.data, data, size);
	f.size = size;
	if (open_img(&f, true, &v, err, sizeof(err)) != 0)
		goto out;
	disk = vdi_disk_size(v);
	if (disk <= SHADOW_MAX) {
		CHECK((shadow = malloc((size_t)disk + 1)) != NULL);
		CHECK(vdi_read(v, 0, shadow, (size_t)disk) == 0);
	}
	off[0] = 0;
	len[0] = disk < 100 ? disk : 100;
	off[1] = disk / 2;
	len[1] = disk - off[1] < 700 ? disk - off[1] : 700;
	len[2] = disk < 50 ? disk : 50;
	off[2] = disk - len[2];
	for (int w = 0; w < 3; w++) {
		for (uint64_t k = 0; k < len[w]; k++)
			buf[k] = (uint8_t)(seed + 31 * w + k);
		if (vdi_write(v, off[w], buf, (size_t)len[w]) != 0) {
			failed = true;
			break;
		}
		if (shadow != NULL)
			memcpy(shadow + off[w], buf, (size_t)len[w]);
		CHECK(vdi_read(v, off[w], back, (size_t)len[w]) == 0);
		CHECK(memcmp(back, buf, (size_t)len[w]) == 0);
	}
	if (!failed)
		CHECK(vdi_flush(v) == 0);
	vdi_close(v);

	/* What the writes left opens again and holds them. */
	CHECK(open_img(&f, false, &v, err, sizeof(err)) == 0);
	if (!failed && shadow != NULL) {
		uint8_t *all = malloc((size_t)disk + 1);

		CHECK(all != NULL);
		CHECK(vdi_read(v, 0, all, (size_t)disk) == 0);
		CHECK(memcmp(all, shadow, (size_t)disk) == 0);
		free(all);
	}
	vdi_close(v);
out:
	free(shadow);
	free(back);
	free(buf);
	free(f.data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img f = { (uint8_t *)data, size, 0, 0, 0 };
	char err1[160], err2[160];
	struct vdi *v1, *v2;
	unsigned reads;
	int r1, r2;

	/* Read-only: the callbacks never write, so data stays const. */
	r1 = open_img(&f, false, &v1, err1, sizeof(err1));
	reads = f.reads;
	f.reads = 0;
	r2 = open_img(&f, false, &v2, err2, sizeof(err2));
	CHECK(r1 == r2 && f.reads == reads);
	CHECK(r1 == 0 || strcmp(err1, err2) == 0);
	if (r2 == 0)
		vdi_close(v2);
	if (reads > 0) {
		f.reads = 0;
		f.fail_at = 1 + (unsigned)(size % reads);
		r2 = open_img(&f, false, &v2, err2, sizeof(err2));
		/* Every read of an open is needed: failing one fails it. */
		CHECK(r2 == -EIO);
		if (r2 == 0)
			vdi_close(v2);
	}
	if (r1 != 0)
		return 0;
	check_reads(v1, data, size);
	vdi_close(v1);
	check_writes(data, size, (uint8_t)size);
	return 0;
}
