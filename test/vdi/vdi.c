/*
 * Unit tests of the vmm's VDI library (app/vmm/vdi.c, linked alone), over
 * an in-memory image file: images made by qemu-img, which is also the
 * oracle for images we wrote, and hand-patched corrupt images.
 * SPDX-License-Identifier: MIT
 *
 * The qemu-img cases run in a temporary directory and are skipped where
 * qemu-img is missing (Debian package qemu-utils). No image is committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdi.h"
#include "../test.h"

T_STATE_DEFINE;

#define MiB		(1u << 20)
#define RAW_SIZE	(8 * MiB + 1536)	/* 9 blocks, the last partial */
#define ERRCAP		256

static char dir[256];
static bool have_qemu;
static char err[ERRCAP];

/* --- the image file in memory --- */

struct mem {
	uint8_t *data;
	size_t size, cap;
	unsigned reads, writes;
	unsigned fail_write;	/* this write (1-based) fails with -ENOSPC */
};

static struct mem m;

static int
mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem *f = ctx;

	f->reads++;
	if (off > f->size || len > f->size - off)
		return -EIO;
	memcpy(buf, f->data + off, len);
	return 0;
}

static int
mem_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct mem *f = ctx;
	size_t end = (size_t)off + len;

	if (++f->writes == f->fail_write)
		return -ENOSPC;
	if (end > f->cap) {
		size_t cap = end + end / 2;
		uint8_t *d = realloc(f->data, cap);

		if (d == NULL)
			return -ENOMEM;
		f->data = d;
		f->cap = cap;
	}
	if (off > f->size)
		memset(f->data + f->size, 0, (size_t)off - f->size);
	memcpy(f->data + off, buf, len);
	if (end > f->size)
		f->size = end;
	return 0;
}

static const struct vdi_io mio = { &m, mem_read, mem_write };

static void
mem_reset(void)
{
	free(m.data);
	memset(&m, 0, sizeof(m));
}

static const char *
path(const char *name)
{
	static char p[2][512];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static bool
mem_load(const char *name)
{
	FILE *f = fopen(path(name), "rb");
	struct stat st;

	mem_reset();
	if (f == NULL || fstat(fileno(f), &st) < 0 ||
	    (m.data = malloc((size_t)st.st_size + 1)) == NULL ||
	    fread(m.data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		if (f != NULL)
			fclose(f);
		return false;
	}
	m.size = m.cap = (size_t)st.st_size;
	fclose(f);
	return true;
}

static bool
mem_save(const char *name)
{
	FILE *f = fopen(path(name), "wb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(m.data, 1, m.size, f) == m.size;
	return fclose(f) == 0 && ok;
}

static void
le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t
rd32(size_t off)
{
	const uint8_t *p = m.data + off;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* --- running the tools --- */

static bool
on_path(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(cmd))
		return -1;
	r = system(cmd);
	if (r != 0)
		fprintf(stderr, "command failed (%d): %.300s\n", r, cmd);
	return r;
}

#define NEED_QEMU() do { \
	if (!have_qemu) \
		T_SKIP("qemu-img not installed (Debian package qemu-utils)"); \
} while (0)

/* --- the raw disk the images are made from --- */

static uint8_t *raw;		/* RAW_SIZE bytes: what the disk should hold */
static uint8_t *got;		/* RAW_SIZE bytes read back */

static uint8_t
pat(uint64_t off)
{
	return (uint8_t)((off * 2654435761u) >> 13 | 1);
}

/*
 * Blocks of 1 MiB: 0 full, 1 zero, 2 one sector, 3-4 full, 5-6 zero, 7
 * full, 8 (the partial last one) full.
 */
static void
make_raw(void)
{
	static const uint8_t full[9] = { 1, 0, 0, 1, 1, 0, 0, 1, 1 };

	memset(raw, 0, RAW_SIZE);
	for (uint64_t i = 0; i < RAW_SIZE; i++)
		if (full[i / MiB])
			raw[i] = pat(i);
	for (uint64_t i = 2 * MiB + 4096; i < 2 * MiB + 4608; i++)
		raw[i] = pat(i);
}

static bool
write_file(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path(name), "wb");
	bool ok;

	if (f == NULL)
		return false;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok;
}

/* Whether file name holds exactly n bytes equal to p. */
static bool
file_equals(const char *name, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path(name), "rb");
	uint8_t *b = malloc(n + 1);
	bool ok;

	if (f == NULL || b == NULL) {
		if (f != NULL)
			fclose(f);
		free(b);
		return false;
	}
	ok = fread(b, 1, n + 1, f) == n && memcmp(b, p, n) == 0;
	fclose(f);
	free(b);
	return ok;
}

/* Make name (dynamic, or fixed with static=on) from the raw disk. */
static bool
qemu_image(const char *name, bool fixed)
{
	return write_file("raw", raw, RAW_SIZE) &&
	    sh("qemu-img convert -f raw -O vdi %s '%s' '%s'",
	    fixed ? "-o static=on" : "", path("raw"), path(name)) == 0;
}

/* Whether qemu-img finds name clean and converts it back to exactly p. */
static bool
qemu_agrees(const char *name, const uint8_t *p, size_t n)
{
	return sh("qemu-img check -q -f vdi '%s'", path(name)) == 0 &&
	    sh("qemu-img convert -f vdi -O raw '%s' '%s'", path(name),
	    path("back")) == 0 && file_equals("back", p, n);
}

/* Read the whole disk in pieces of `step` bytes and compare with raw. */
static bool
reads_raw(struct vdi *v, size_t step, size_t size)
{
	memset(got, 0xa5, size);
	for (size_t off = 0; off < size; off += step)
		if (vdi_read(v, off, got + off, off + step <= size ? step :
		    size - off) != 0)
			return false;
	return memcmp(got, raw, size) == 0;
}

/* --- images made by qemu-img --- */

static void
check_qemu_image(bool fixed)
{
	struct vdi *v;

	NEED_QEMU();
	make_raw();
	T_CHECK(qemu_image("a.vdi", fixed));
	T_CHECK(mem_load("a.vdi"));
	T_CHECKF(vdi_open(&v, &mio, false, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(vdi_disk_size(v) == RAW_SIZE && vdi_fixed(v) == fixed &&
	    vdi_block_size(v) == MiB);
	/* Header 384, map at 512: what this check relies on. */
	T_CHECK(rd32(0x184) == (fixed ? 9u : 6u));
	if (!fixed)
		T_CHECK(rd32(0x200 + 4) == VDI_BLOCK_FREE);
	T_CHECK(reads_raw(v, RAW_SIZE, RAW_SIZE));
	T_CHECK(reads_raw(v, 4096, RAW_SIZE));
	T_CHECK(reads_raw(v, 1000003, RAW_SIZE));
	T_CHECK(reads_raw(v, 512, RAW_SIZE));
	vdi_close(v);
}

static void
t_qemu_dynamic(void)
{
	check_qemu_image(false);
}

static void
t_qemu_fixed(void)
{
	check_qemu_image(true);
}

/* Writes into free, allocated and the partial last block. */
static bool
write_some(struct vdi *v, uint8_t *expect)
{
	static const struct { uint64_t off; size_t len; } w[] = {
		{ 1 * MiB + 100, 3 },		/* inside free block 1 */
		{ 2 * MiB - 10, 20 },		/* 1 into allocated 2 */
		{ 4 * MiB + 512, 3 * MiB },	/* 4, 5, 6 into 7 */
		{ 8 * MiB + 1000, 536 },	/* the end of the disk */
		{ 0, 1 },			/* allocated 0 */
		{ 5 * MiB + 7, 5 },		/* 5 again */
	};
	uint8_t *buf = malloc(3 * MiB);

	if (buf == NULL)
		return false;
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		for (size_t k = 0; k < w[i].len; k++)
			buf[k] = (uint8_t)(pat(w[i].off + k) ^ 0x5a ^ i);
		if (vdi_write(v, w[i].off, buf, w[i].len) != 0) {
			free(buf);
			return false;
		}
		memcpy(expect + w[i].off, buf, w[i].len);
	}
	free(buf);
	return true;
}

static void
check_qemu_write(bool fixed)
{
	struct vdi *v;

	NEED_QEMU();
	make_raw();
	T_CHECK(qemu_image("w.vdi", fixed));
	T_CHECK(mem_load("w.vdi"));
	T_CHECKF(vdi_open(&v, &mio, true, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(write_some(v, raw));
	T_CHECK(reads_raw(v, 65536, RAW_SIZE));
	T_CHECK(vdi_flush(v) == 0);
	vdi_close(v);
	/* Blocks 1, 5 and 6 were allocated, in the order written. */
	T_CHECK(rd32(0x184) == 9);
	if (!fixed)
		T_CHECK(rd32(0x200 + 4 * 1) == 6 && rd32(0x200 + 4 * 5) == 7 &&
		    rd32(0x200 + 4 * 6) == 8);
	T_CHECK(mem_save("w.vdi"));
	T_CHECK(qemu_agrees("w.vdi", raw, RAW_SIZE));
	T_CHECKF(vdi_open(&v, &mio, false, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(reads_raw(v, RAW_SIZE, RAW_SIZE));
	vdi_close(v);
}

static void
t_qemu_write_dynamic(void)
{
	check_qemu_write(false);
}

static void
t_qemu_write_fixed(void)
{
	check_qemu_write(true);
}

static void
check_create(bool fixed)
{
	struct vdi *v;

	NEED_QEMU();
	mem_reset();
	T_CHECKF(vdi_create(&mio, RAW_SIZE, MiB, fixed, NULL, err,
	    sizeof(err)) == 0, "%s", err);
	T_CHECKF(vdi_open(&v, &mio, true, err, sizeof(err)) == 0, "%s", err);
	memset(raw, 0, RAW_SIZE);
	T_CHECK(reads_raw(v, MiB, RAW_SIZE));
	T_CHECK(write_some(v, raw));
	T_CHECK(reads_raw(v, RAW_SIZE, RAW_SIZE));
	vdi_close(v);
	T_CHECK(mem_save("c.vdi"));
	T_CHECK(qemu_agrees("c.vdi", raw, RAW_SIZE));
	T_CHECK(sh("qemu-img info '%s' | grep -q 'virtual size: .*(%u "
	    "bytes)'", path("c.vdi"), RAW_SIZE) == 0);
}

static void
t_create_dynamic(void)
{
	check_create(false);
}

static void
t_create_fixed(void)
{
	check_create(true);
}

static void
t_qemu_create(void)
{
	struct vdi *v;

	NEED_QEMU();
	T_CHECK(sh("qemu-img create -q -f vdi '%s' 3G", path("e.vdi")) == 0);
	T_CHECK(mem_load("e.vdi"));
	T_CHECKF(vdi_open(&v, &mio, false, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(vdi_disk_size(v) == 3ull << 30);
	memset(got, 0xa5, MiB);
	T_CHECK(vdi_read(v, (3ull << 30) - MiB, got, MiB) == 0);
	T_CHECK(got[0] == 0 && memcmp(got, got + 1, MiB - 1) == 0);
	vdi_close(v);
}

/* --- small images in memory --- */

#define BS	512u
#define BLOCKS	8u

/* A fresh dynamic image: 8 blocks of 512, map at 512, data at 1024. */
static void
small(bool fixed)
{
	mem_reset();
	if (vdi_create(&mio, BLOCKS * BS, BS, fixed, NULL, err,
	    sizeof(err)) != 0)
		abort();
}

static void
patch32(size_t off, uint32_t v)
{
	le32(m.data + off, v);
}

/* Open must fail with r and exactly the message msg. */
static bool
refused(int r, const char *msg)
{
	static struct vdi *const sentinel = (struct vdi *)&m;
	struct vdi *v = sentinel;
	int got_r;

	err[0] = '\0';
	got_r = vdi_open(&v, &mio, true, err, sizeof(err));
	if (got_r == 0)
		vdi_close(v);
	if (got_r != r || strcmp(err, msg) != 0 || (got_r != 0 && v != NULL)) {
		fprintf(stderr, "open: %d \"%s\", expected %d \"%s\"\n",
		    got_r, err, r, msg);
		return false;
	}
	return true;
}

static void
t_header_fields(void)
{
	small(false);
	T_CHECK(refused(0, ""));
	patch32(0x40, 0x12345678);
	T_CHECK(refused(-EINVAL, "vdi: header: signature 0x12345678 is not "
	    "0xbeda107f"));
	small(false);
	patch32(0x44, 0x00010000);
	T_CHECK(refused(-ENOTSUP, "vdi: header: version 0x00010000 is not "
	    "1.1 (0x00010001)"));
	small(false);
	patch32(0x48, 383);
	T_CHECK(refused(-EINVAL, "vdi: header: header size 383 is below 384"));
	small(false);
	patch32(0x4c, 4);
	T_CHECK(refused(-ENOTSUP, "vdi: header: image type 4 (differencing) "
	    "is not supported"));
	small(false);
	patch32(0x4c, 7);
	T_CHECK(refused(-EINVAL, "vdi: header: image type 7 is not dynamic "
	    "(1) or fixed (2)"));
	small(false);
	m.data[0x1b8 + 15] = 1;
	T_CHECK(refused(-ENOTSUP, "vdi: header: parent UUID is set: "
	    "differencing images are not supported"));
	small(false);
	patch32(0x178, 3);
	T_CHECK(refused(-EINVAL, "vdi: header: block size 3 is not a power "
	    "of two"));
	patch32(0x178, 0);
	T_CHECK(refused(-EINVAL, "vdi: header: block size 0 is not a power "
	    "of two"));
	patch32(0x178, 256);
	T_CHECK(refused(-EINVAL, "vdi: header: block size 256 is out of range "
	    "(512 to 268435456)"));
	patch32(0x178, 1u << 31);
	T_CHECK(refused(-EINVAL, "vdi: header: block size 2147483648 is out "
	    "of range (512 to 268435456)"));
	small(false);
	patch32(0x17c, 512);
	T_CHECK(refused(-ENOTSUP, "vdi: header: block extra 512 is not "
	    "supported (only 0)"));
}

static void
t_header_sizes(void)
{
	small(false);
	patch32(0x180, 0xffffffff);
	T_CHECK(refused(-EINVAL, "vdi: header: blocks 4294967295 exceed the "
	    "limit of 67108864"));
	patch32(0x180, (64u << 20) + 1);
	T_CHECK(refused(-EINVAL, "vdi: header: blocks 67108865 exceed the "
	    "limit of 67108864"));
	small(false);
	patch32(0x184, 9);
	T_CHECK(refused(-EINVAL, "vdi: header: blocks allocated 9 exceed "
	    "blocks 8"));
	small(false);
	patch32(0x170, 4097);
	T_CHECK(refused(-EINVAL, "vdi: header: disk size 4097 exceeds blocks "
	    "8 * block size 512 = 4096"));
	patch32(0x170, 0);
	patch32(0x174, 1);
	T_CHECK(refused(-EINVAL, "vdi: header: disk size 4294967296 exceeds "
	    "blocks 8 * block size 512 = 4096"));
	/* A smaller disk than the map could hold is fine. */
	patch32(0x174, 0);
	patch32(0x170, 1);
	T_CHECK(refused(0, ""));
}

static void
t_header_offsets(void)
{
	small(false);
	patch32(0x154, 0x1d7);
	T_CHECK(refused(-EINVAL, "vdi: header: block map offset 471 overlaps "
	    "the header (0 to 472)"));
	/* With a 384-byte header the map may start right after it. */
	patch32(0x48, 384);
	patch32(0x154, 0x1c8);
	memset(m.data + 0x1c8, 0xff, 4 * BLOCKS);
	T_CHECK(refused(0, ""));
	patch32(0x48, 0xffffffff);
	T_CHECK(refused(-EINVAL, "vdi: header: block map offset 456 overlaps "
	    "the header (0 to 4294967367)"));
	small(false);
	patch32(0x158, 543);
	T_CHECK(refused(-EINVAL, "vdi: header: data offset 543 overlaps the "
	    "block map (512 to 544)"));
	patch32(0x158, 544);
	T_CHECK(refused(0, ""));
	small(false);
	patch32(0x154, 0xfffffff0);
	patch32(0x158, 0xffffffff);
	T_CHECK(refused(-EINVAL, "vdi: header: data offset 4294967295 "
	    "overlaps the block map (4294967280 to 4294967312)"));
}

static void
t_truncated(void)
{
	small(false);
	m.size = 100;
	T_CHECK(refused(-EIO, "vdi: header: cannot read the first 456 bytes "
	    "(Input/output error)"));
	small(false);
	m.size = 512 + 31;
	T_CHECK(refused(-EIO, "vdi: block map: cannot read 8 entries at "
	    "offset 512 (Input/output error)"));
	small(true);
	m.size--;
	T_CHECK(refused(-EIO, "vdi: data: cannot read data block 7 ending at "
	    "offset 5120 (Input/output error)"));
	m.size++;
	T_CHECK(refused(0, ""));
}

static void
t_map_entries(void)
{
	small(true);
	patch32(512 + 4 * 3, 8);
	T_CHECK(refused(-EINVAL, "vdi: block map: entry 3 is 8, not below "
	    "blocks allocated 8"));
	patch32(512 + 4 * 3, 1);
	T_CHECK(refused(-EINVAL, "vdi: block map: entries 1 and 3 both name "
	    "data block 1"));
	patch32(512 + 4 * 3, VDI_BLOCK_FREE);
	T_CHECK(refused(-EINVAL, "vdi: block map: entry 3 of a fixed image "
	    "is 0xffffffff, not a data block"));
	patch32(512 + 4 * 3, VDI_BLOCK_ZERO);
	T_CHECK(refused(-EINVAL, "vdi: block map: entry 3 of a fixed image "
	    "is 0xfffffffe, not a data block"));
	patch32(512 + 4 * 3, 3);
	T_CHECK(refused(0, ""));
	small(false);
	patch32(512 + 4 * 6, 0);
	T_CHECK(refused(-EINVAL, "vdi: block map: entry 6 is 0, not below "
	    "blocks allocated 0"));
	patch32(512 + 4 * 6, 0x80000000);
	T_CHECK(refused(-EINVAL, "vdi: block map: entry 6 is 2147483648, not "
	    "below blocks allocated 0"));
}

static void
t_callbacks(void)
{
	struct vdi_io io = { &m, NULL, mem_write };
	struct vdi *v;

	small(false);
	T_CHECK(vdi_open(&v, &io, false, err, sizeof(err)) == -EINVAL &&
	    v == NULL && strcmp(err, "vdi: no read callback") == 0);
	io.read = mem_read;
	io.write = NULL;
	T_CHECK(vdi_open(&v, &io, true, err, sizeof(err)) == -EINVAL &&
	    strcmp(err, "vdi: no write callback") == 0);
	/* Read-only needs no write callback, and refuses writes. */
	T_CHECK(vdi_open(&v, &io, false, NULL, 0) == 0);
	T_CHECK(vdi_write(v, 0, "x", 1) == -EROFS);
	vdi_close(v);
	T_CHECK(vdi_create(&io, 4096, 512, false, NULL, err,
	    sizeof(err)) == -EINVAL && strcmp(err, "vdi: no write callback")
	    == 0);
	T_CHECK(vdi_create(&mio, 4096, 1000, false, NULL, err,
	    sizeof(err)) == -EINVAL && strcmp(err, "vdi: create: block size "
	    "1000 is not a power of two from 512 to 268435456") == 0);
	T_CHECK(vdi_create(&mio, (64ull << 20) * 512 + 1, 512, false, NULL,
	    err, sizeof(err)) == -EINVAL && strcmp(err, "vdi: create: disk "
	    "size 34359738369 needs 67108865 blocks, more than 67108864") == 0);
	/* A tiny err buffer still ends in NUL. */
	small(false);
	patch32(0x40, 0);
	memset(err, 'x', 8);
	T_CHECK(vdi_open(&v, &mio, false, err, 8) == -EINVAL &&
	    strcmp(err, "vdi: he") == 0);
}

static void
t_ranges(void)
{
	uint8_t b[16];
	struct vdi *v;

	small(false);
	patch32(0x170, 4000);
	T_CHECK(vdi_open(&v, &mio, true, NULL, 0) == 0);
	T_CHECK(vdi_disk_size(v) == 4000);
	T_CHECK(vdi_read(v, 3990, b, 10) == 0);
	T_CHECK(vdi_read(v, 3990, b, 11) == -EINVAL);
	T_CHECK(vdi_read(v, 4000, b, 0) == 0);
	T_CHECK(vdi_read(v, 4001, b, 0) == -EINVAL);
	T_CHECK(vdi_read(v, UINT64_MAX - 1, b, 4) == -EINVAL);
	T_CHECK(vdi_read(v, 8, b, SIZE_MAX) == -EINVAL);
	T_CHECK(vdi_write(v, 3999, b, 2) == -EINVAL);
	T_CHECK(vdi_write(v, UINT64_MAX, b, 1) == -EINVAL);
	T_CHECK(vdi_write(v, 3999, b, 1) == 0);
	vdi_close(v);
}

static void
t_allocate(void)
{
	uint8_t b[3 * BS];
	size_t data = 1024;
	struct vdi *v;

	small(false);
	T_CHECK(m.size == data);
	T_CHECK(vdi_open(&v, &mio, true, NULL, 0) == 0);
	/* Three bytes in the middle of block 5: a whole zero-filled block. */
	T_CHECK(vdi_write(v, 5 * BS + 100, "abc", 3) == 0);
	T_CHECK(m.size == data + BS);
	T_CHECK(rd32(0x184) == 1 && rd32(512 + 4 * 5) == 0);
	T_CHECK(memcmp(m.data + data + 100, "abc", 3) == 0);
	for (size_t i = 0; i < BS; i++)
		T_CHECK((i >= 100 && i < 103) || m.data[data + i] == 0);
	/* Blocks 1 and 2 in one write: data blocks 1 and 2. */
	memset(b, 'q', sizeof(b));
	T_CHECK(vdi_write(v, BS - 1, b, BS + 2) == 0);
	T_CHECK(rd32(0x184) == 4 && rd32(512) == 1 && rd32(512 + 4) == 2 &&
	    rd32(512 + 8) == 3 && rd32(512 + 12) == VDI_BLOCK_FREE);
	T_CHECK(m.size == data + 4 * BS);
	T_CHECK(vdi_read(v, 5 * BS + 99, b, 5) == 0);
	T_CHECK(memcmp(b, "\0abc\0", 5) == 0);
	T_CHECK(vdi_read(v, 0, b, 3 * BS) == 0);
	T_CHECK(b[BS - 2] == 0 && b[BS - 1] == 'q' && b[2 * BS] == 'q' &&
	    b[2 * BS + 1] == 0);
	/* Writing an allocated block allocates nothing. */
	T_CHECK(vdi_write(v, 5 * BS, "Z", 1) == 0);
	T_CHECK(rd32(0x184) == 4 && m.size == data + 4 * BS &&
	    m.data[data] == 'Z');
	vdi_close(v);
}

static void
t_zero_entry(void)
{
	uint8_t b[BS];
	struct vdi *v;

	small(false);
	patch32(512 + 4 * 2, VDI_BLOCK_ZERO);
	T_CHECK(vdi_open(&v, &mio, true, NULL, 0) == 0);
	memset(b, 1, sizeof(b));
	T_CHECK(vdi_read(v, 2 * BS, b, BS) == 0);
	T_CHECK(b[0] == 0 && memcmp(b, b + 1, BS - 1) == 0);
	T_CHECK(vdi_write(v, 2 * BS + 1, "y", 1) == 0);
	T_CHECK(rd32(512 + 8) == 0 && rd32(0x184) == 1);
	T_CHECK(vdi_read(v, 2 * BS, b, 2) == 0 && b[0] == 0 && b[1] == 'y');
	vdi_close(v);
}

/* Reads of blocks lying one after the other take one callback. */
static void
t_coalesce(void)
{
	uint8_t b[BLOCKS * BS];
	struct vdi *v;

	small(true);
	T_CHECK(vdi_open(&v, &mio, false, NULL, 0) == 0);
	m.reads = 0;
	T_CHECK(vdi_read(v, 10, b, sizeof(b) - 20) == 0 && m.reads == 1);
	vdi_close(v);
	/* Swapping two entries splits the run into five pieces. */
	patch32(512 + 4 * 2, 5);
	patch32(512 + 4 * 5, 2);
	for (unsigned i = 0; i < BLOCKS; i++)
		memset(m.data + 1024 + i * BS, 'a' + (int)i, BS);
	T_CHECK(vdi_open(&v, &mio, false, NULL, 0) == 0);
	m.reads = 0;
	T_CHECK(vdi_read(v, 0, b, sizeof(b)) == 0 && m.reads == 5);
	T_CHECK(b[0] == 'a' && b[2 * BS] == 'f' && b[3 * BS] == 'd' &&
	    b[5 * BS] == 'c' && b[6 * BS] == 'g');
	vdi_close(v);
	/* Runs of unallocated blocks read no file at all. */
	small(false);
	T_CHECK(vdi_open(&v, &mio, false, NULL, 0) == 0);
	m.reads = 0;
	T_CHECK(vdi_read(v, 0, b, sizeof(b)) == 0 && m.reads == 0);
	vdi_close(v);
}

/* A data block no entry names (a crash before the map entry) is reused. */
static void
t_unused_block(void)
{
	struct vdi *v;

	small(false);
	T_CHECK(vdi_open(&v, &mio, true, NULL, 0) == 0);
	T_CHECK(vdi_write(v, 0, "A", 1) == 0 && vdi_write(v, BS, "B", 1) == 0 &&
	    vdi_write(v, 2 * BS, "C", 1) == 0);
	vdi_close(v);
	patch32(512 + 4, VDI_BLOCK_FREE);	/* data block 1 orphaned */
	T_CHECK(vdi_open(&v, &mio, true, err, sizeof(err)) == 0);
	T_CHECK(vdi_write(v, 7 * BS, "H", 1) == 0);
	T_CHECK(rd32(0x184) == 3 && rd32(512 + 4 * 7) == 1 &&
	    m.size == 1024 + 3 * BS);
	/* Now every data block is named: the next one is appended. */
	T_CHECK(vdi_write(v, 6 * BS, "G", 1) == 0);
	T_CHECK(rd32(0x184) == 4 && rd32(512 + 4 * 6) == 3);
	vdi_close(v);
}

/* A failed write leaves metadata for vdi_flush(), never a bad image. */
static void
t_write_errors(void)
{
	uint8_t b[2];
	struct vdi *v, *v2;

	small(false);
	T_CHECK(vdi_open(&v, &mio, true, NULL, 0) == 0);
	/* Writes at 0: the byte, the tail fill, the count, the map entry. */
	m.fail_write = m.writes + 1;
	T_CHECK(vdi_write(v, 0, "a", 1) == -ENOSPC);
	T_CHECK(rd32(0x184) == 0 && rd32(512) == VDI_BLOCK_FREE);
	T_CHECK(vdi_read(v, 0, b, 1) == 0 && b[0] == 0);
	/* At 1: head fill, byte, tail fill, count (failing), entry. */
	m.fail_write = m.writes + 4;
	T_CHECK(vdi_write(v, 1, "b", 1) == -ENOSPC);
	T_CHECK(rd32(0x184) == 0 && rd32(512) == VDI_BLOCK_FREE);
	T_CHECK(vdi_read(v, 0, b, 2) == 0 && b[0] == 0 && b[1] == 'b');
	m.fail_write = m.writes + 1;
	T_CHECK(vdi_flush(v) == -ENOSPC);
	T_CHECK(rd32(0x184) == 0 && rd32(512) == VDI_BLOCK_FREE);
	T_CHECK(vdi_flush(v) == 0);
	T_CHECK(rd32(0x184) == 1 && rd32(512) == 0);
	T_CHECK(vdi_flush(v) == 0);
	/* The map entry failing: the file has one unused data block. */
	m.fail_write = m.writes + 5;
	T_CHECK(vdi_write(v, 3 * BS + 1, "d", 1) == -ENOSPC);
	T_CHECK(rd32(0x184) == 2 && rd32(512 + 12) == VDI_BLOCK_FREE);
	T_CHECK(vdi_read(v, 3 * BS, b, 2) == 0 && b[1] == 'd');
	T_CHECKF(vdi_open(&v2, &mio, false, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(vdi_read(v2, 3 * BS, b, 2) == 0 && b[1] == 0);
	vdi_close(v2);
	T_CHECK(vdi_flush(v) == 0 && rd32(512 + 12) == 1);
	vdi_close(v);
	T_CHECK(vdi_open(&v, &mio, false, NULL, 0) == 0);
	T_CHECK(vdi_read(v, 3 * BS, b, 2) == 0 && b[1] == 'd');
	T_CHECK(vdi_read(v, 0, b, 2) == 0 && b[0] == 0 && b[1] == 'b');
	vdi_close(v);
}

/* A read callback's error reaches the caller. */
static void
t_read_error(void)
{
	uint8_t b[4];
	struct vdi *v;

	small(true);
	T_CHECK(vdi_open(&v, &mio, false, NULL, 0) == 0);
	m.size = 1024 + BS;
	T_CHECK(vdi_read(v, 0, b, 4) == 0);
	T_CHECK(vdi_read(v, BS, b, 4) == -EIO);
	vdi_close(v);
}

static void
t_create_layout(void)
{
	static const uint8_t uuid[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	    11, 12, 13, 14, 15, 16 };
	struct vdi *v;

	mem_reset();
	T_CHECK(vdi_create(&mio, 3 * MiB + 1, MiB, false, uuid, NULL, 0) == 0);
	T_CHECK(m.size == MiB && rd32(0x154) == 512 && rd32(0x158) == MiB &&
	    rd32(0x180) == 4 && rd32(0x184) == 0 && rd32(0x48) == 400 &&
	    memcmp(m.data + 0x188, uuid, 16) == 0);
	mem_reset();
	T_CHECK(vdi_create(&mio, 3 * 4096, 4096, true, NULL, NULL, 0) == 0);
	T_CHECK(m.size == 4096 + 3 * 4096 && rd32(0x158) == 4096 &&
	    rd32(0x184) == 3 && rd32(512 + 8) == 2);
	/* An empty disk. */
	mem_reset();
	T_CHECK(vdi_create(&mio, 0, 512, false, NULL, NULL, 0) == 0);
	T_CHECK(vdi_open(&v, &mio, true, NULL, 0) == 0);
	T_CHECK(vdi_disk_size(v) == 0 && vdi_read(v, 0, NULL, 0) == 0 &&
	    vdi_write(v, 0, "", 1) == -EINVAL);
	vdi_close(v);
}

static void
cleanup(void)
{
	if (dir[0] != '\0')
		sh("rm -rf '%s'", dir);
	mem_reset();
	free(raw);
	free(got);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/vdi.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 2;
	}
	atexit(cleanup);
	raw = malloc(RAW_SIZE);
	got = malloc(RAW_SIZE);
	if (raw == NULL || got == NULL)
		return 2;
	have_qemu = on_path("qemu-img");

	T_RUN("vdi-001", "qemu-img dynamic image reads as the raw disk",
	    t_qemu_dynamic);
	T_RUN("vdi-002", "qemu-img fixed image reads as the raw disk",
	    t_qemu_fixed);
	T_RUN("vdi-003", "writes into a qemu-img dynamic image: qemu-img "
	    "check is clean, convert gives the bytes", t_qemu_write_dynamic);
	T_RUN("vdi-004", "writes into a qemu-img fixed image: qemu-img "
	    "check is clean, convert gives the bytes", t_qemu_write_fixed);
	T_RUN("vdi-005", "vdi_create dynamic, written: qemu-img agrees",
	    t_create_dynamic);
	T_RUN("vdi-006", "vdi_create fixed, written: qemu-img agrees",
	    t_create_fixed);
	T_RUN("vdi-007", "empty 3 GiB image from qemu-img create reads zeros",
	    t_qemu_create);
	T_RUN("vdi-010", "header: signature, version, size, type, parent, "
	    "block size, block extra", t_header_fields);
	T_RUN("vdi-011", "header: blocks, blocks allocated, disk size",
	    t_header_sizes);
	T_RUN("vdi-012", "header: map and data offsets", t_header_offsets);
	T_RUN("vdi-013", "truncated header, map and data area", t_truncated);
	T_RUN("vdi-014", "block map: entries past the count, duplicates, "
	    "holes in a fixed image", t_map_entries);
	T_RUN("vdi-015", "missing callbacks, bad create arguments, short err",
	    t_callbacks);
	T_RUN("vdi-016", "ranges past the disk's end or overflowing: -EINVAL",
	    t_ranges);
	T_RUN("vdi-020", "allocation appends zero-filled blocks, updates "
	    "count and map", t_allocate);
	T_RUN("vdi-021", "a zero entry reads zeros and is allocated on write",
	    t_zero_entry);
	T_RUN("vdi-022", "contiguous data blocks are read in one callback",
	    t_coalesce);
	T_RUN("vdi-023", "an orphaned data block is allocated again",
	    t_unused_block);
	T_RUN("vdi-024", "failed writes: nothing named half-written, "
	    "vdi_flush writes the rest", t_write_errors);
	T_RUN("vdi-025", "a read callback's error is returned", t_read_error);
	T_RUN("vdi-026", "vdi_create layout: offsets, count, map, UUID",
	    t_create_layout);
	return t_done();
}
