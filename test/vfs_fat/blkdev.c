/*
 * Unit tests of server/vfs/blkdev.c, the plugins' block cache: random
 * reads, writes and zeroing against a shadow copy, with a cache small
 * enough to evict, on devices whose last unit is short.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev.h"
#include "test.h"

T_STATE_DEFINE;

struct mem {
	uint8_t *d;
	uint32_t bs;
	uint64_t blocks;
	unsigned reads, writes;
	bool fail;
};

static int
m_read(void *ctx, uint64_t b, uint64_t n, void *buf)
{
	struct mem *m = ctx;

	if (m->fail || b + n > m->blocks)
		return -EIO;
	m->reads++;
	memcpy(buf, m->d + b * m->bs, n * m->bs);
	return 0;
}

static int
m_write(void *ctx, uint64_t b, uint64_t n, const void *buf)
{
	struct mem *m = ctx;

	if (m->fail || b + n > m->blocks)
		return -EIO;
	m->writes++;
	memcpy(m->d + b * m->bs, buf, n * m->bs);
	return 0;
}

static const struct blkdev_ops ops = { m_read, m_write, NULL };

static uint64_t seed = 88172645463325252ull;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Random traffic on a device of `blocks` blocks of bs bytes. */
static int
traffic(uint32_t bs, uint64_t blocks)
{
	struct mem m = { NULL, bs, blocks, 0, 0, false };
	size_t size = (size_t)(bs * blocks);
	uint8_t *shadow = calloc(1, size), *buf = malloc(size);
	struct blkdev d;
	int i, bad = 0;

	m.d = calloc(1, size);
	if (shadow == NULL || buf == NULL || m.d == NULL ||
	    blkdev_init(&d, &ops, &m, bs, blocks, true, 0) != 0)
		return -1;
	for (i = 0; i < 4000 && !bad; i++) {
		uint64_t off = rnd() % size, len = rnd() % 3 ?
		    rnd() % 700 : rnd() % 40000;
		int op = (int)(rnd() % 4);
		uint64_t k;

		if (len > size - off)
			len = size - off;
		if (op == 0) {
			for (k = 0; k < len; k++)
				buf[k] = (uint8_t)rnd();
			bad |= blkdev_write(&d, off, buf, (size_t)len) != 0;
			memcpy(shadow + off, buf, (size_t)len);
		} else if (op == 1) {
			bad |= blkdev_zero(&d, off, len) != 0;
			memset(shadow + off, 0, (size_t)len);
		} else if (op == 2) {
			bad |= blkdev_read(&d, off, buf, (size_t)len) != 0;
			bad |= memcmp(buf, shadow + off, (size_t)len) != 0;
		} else if (rnd() % 8 == 0)
			bad |= blkdev_flush(&d) != 0;
	}
	bad |= blkdev_read(&d, size - 1, buf, 2) != -ERANGE;
	bad |= blkdev_flush(&d) != 0;
	bad |= memcmp(m.d, shadow, size) != 0;
	blkdev_fini(&d);
	free(shadow);
	free(buf);
	free(m.d);
	return bad ? -1 : 0;
}

static void
t_512(void)
{
	T_CHECK(traffic(512, 1001) == 0);
}

static void
t_2048(void)
{
	T_CHECK(traffic(2048, 333) == 0);
}

static void
t_8192(void)
{
	T_CHECK(traffic(8192, 70) == 0);
}

static void
t_errors(void)
{
	struct mem m = { NULL, 512, 64, 0, 0, false };
	struct blkdev d;
	uint8_t b[600];

	m.d = calloc(64, 512);
	T_CHECK(m.d != NULL);
	T_CHECK(blkdev_init(&d, &ops, &m, 500, 64, true, 0) == -EINVAL);
	T_CHECK(blkdev_init(&d, &ops, &m, 512, 64, false, 0) == 0);
	T_CHECK(blkdev_write(&d, 0, b, 10) == -EROFS);
	T_CHECK(blkdev_read(&d, 64 * 512 - 5, b, 10) == -ERANGE);
	m.fail = true;
	T_CHECK(blkdev_read(&d, 100, b, 600) == -EIO);
	m.fail = false;
	T_CHECK(blkdev_read(&d, 100, b, 600) == 0);
	/* Cached now: the device is not asked again. */
	m.reads = 0;
	T_CHECK(blkdev_read(&d, 120, b, 100) == 0 && m.reads == 0);
	blkdev_drop_clean(&d);
	T_CHECK(blkdev_read(&d, 120, b, 100) == 0 && m.reads == 1);
	blkdev_fini(&d);
	free(m.d);
}

int
main(void)
{
	T_RUN("vfs-blkdev-001", "random traffic on 512-byte blocks with a "
	    "short last unit keeps the shadow copy", t_512);
	T_RUN("vfs-blkdev-002", "the same on 2048-byte blocks", t_2048);
	T_RUN("vfs-blkdev-003", "the same on blocks larger than a unit",
	    t_8192);
	T_RUN("vfs-blkdev-004", "bad geometry, read-only, ranges, device "
	    "errors, cache hits", t_errors);
	return t_done();
}
