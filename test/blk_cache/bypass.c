/*
 * Unit tests of blk_cache's bypass decision: which requests go to the
 * device directly, and which wait for a bypassed write in flight.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/session/block.h>

#include "bypass.h"

#include "../test.h"

T_STATE_DEFINE;

/* A plain malloc allocator: the cache's memory is not under test here. */
static void *
t_alloc(struct cairn_alloc *a, size_t size)
{
	return malloc(size);
}

static void
t_free(struct cairn_dealloc *d, void *p, size_t size)
{
	free(p);
}

static size_t
t_consumed(const struct cairn_alloc *a)
{
	return 0;
}

static struct cairn_alloc ta = {
	.dealloc.free = t_free, .alloc = t_alloc, .consumed = t_consumed,
};

/* 512-byte blocks: 8 a chunk. */
#define BS	512u
#define BPC	8u

static unsigned char buf[64 * 4096];

static struct lru *
cache(uint64_t blocks)
{
	struct lru *c;

	return lru_create(&ta, BS, blocks, &c) == 0 ? c : NULL;
}

static void
t_eligible(void)
{
	T_CHECK(bypass_eligible(512, BLOCK_OP_READ, 2048));
	T_CHECK(bypass_eligible(512, BLOCK_OP_WRITE, 512));
	T_CHECK(!bypass_eligible(512, BLOCK_OP_READ, 511));
	T_CHECK(!bypass_eligible(512, BLOCK_OP_SYNC, 4096));
	/* min_blocks 0 turns it off. */
	T_CHECK(!bypass_eligible(0, BLOCK_OP_READ, 1u << 20));
}

static void
t_cached(void)
{
	struct lru *c = cache(1u << 20);

	T_CHECK(c != NULL);
	T_CHECK(!bypass_cached(c, 0, 4096));
	/* One block of chunk [8, 16) brings the whole chunk in. */
	T_CHECK(lru_alloc(c, 10, 1) == 0);
	T_CHECK(!bypass_cached(c, 0, 8));
	T_CHECK(bypass_cached(c, 0, 9));
	T_CHECK(bypass_cached(c, 15, 1));
	T_CHECK(bypass_cached(c, 1, 4096));
	T_CHECK(!bypass_cached(c, 16, 4096));
	T_CHECK(!bypass_cached(c, 10, 0));
	lru_destroy(c);
}

static void
t_conflict(void)
{
	struct lru *c = cache(1u << 20);
	struct bypass_range w1 = { 5, 3, NULL }, w2 = { 1000, 2000, NULL };
	struct bypass_range *list = NULL;

	T_CHECK(c != NULL);
	T_CHECK(!bypass_conflict(c, list, 0, 1u << 20));
	bypass_range_add(&list, &w1);
	bypass_range_add(&list, &w2);
	/* Same chunk [0, 8) as blocks 5..7, though not the same blocks. */
	T_CHECK(bypass_conflict(c, list, 2, 1));
	T_CHECK(!bypass_conflict(c, list, 8, 8));
	/* Block 999 shares chunk [992, 1000) with nothing written. */
	T_CHECK(!bypass_conflict(c, list, 992, 8));
	T_CHECK(bypass_conflict(c, list, 992, 9));
	T_CHECK(bypass_conflict(c, list, 2999, 1));
	/* Chunk [3000, 3008) holds no block of w2's. */
	T_CHECK(!bypass_conflict(c, list, 3000, 100));
	bypass_range_remove(&list, &w1);
	T_CHECK(!bypass_conflict(c, list, 2, 1));
	T_CHECK(list == &w2 && w1.next == NULL);
	bypass_range_remove(&list, &w2);
	T_CHECK(list == NULL);
	T_CHECK(!bypass_conflict(c, list, 2999, 1));
	lru_destroy(c);
}

static void
t_way(void)
{
	struct lru *c = cache(1u << 20);
	struct bypass_range w = { 4096, 2048, NULL }, *list = NULL;

	T_CHECK(c != NULL);
	T_CHECK(bypass_way(c, list, 0, 2048, true) == BYPASS_DEVICE);
	T_CHECK(bypass_way(c, list, 0, 2048, false) == BYPASS_CACHE);
	/* A chunk in the cache: the cached path, even when large. */
	T_CHECK(lru_alloc(c, 100, 1) == 0);
	T_CHECK(bypass_way(c, list, 0, 2048, true) == BYPASS_CACHE);
	bypass_range_add(&list, &w);
	/* Small requests wait for a bypassed write to their chunks ... */
	T_CHECK(bypass_way(c, list, 4100, 8, false) == BYPASS_WAIT);
	T_CHECK(bypass_way(c, list, 4096 + 2048, 8, false) == BYPASS_CACHE);
	/* ... so do large ones that find chunks cached there ... */
	T_CHECK(lru_alloc(c, 6200, 1) == 0);
	T_CHECK(bypass_way(c, list, 6000, 2048, true) == BYPASS_WAIT);
	/* ... but one that may bypass goes along with it. */
	T_CHECK(bypass_way(c, list, 5000, 1000, true) == BYPASS_DEVICE);
	lru_destroy(c);
}

/*
 * A fill in flight pins its chunks: no request over them bypasses, so
 * none can overtake it on the device. A failed fill frees them again.
 */
static void
t_fill_in_flight(void)
{
	struct lru *c = cache(1u << 20);

	T_CHECK(c != NULL);
	T_CHECK(lru_alloc(c, 2048, 64) == 0);
	T_CHECK(lru_fill_begin(c, 2048, 64) == 0);
	T_CHECK(bypass_way(c, NULL, 0, 4096, true) == BYPASS_CACHE);
	T_CHECK(lru_evict(c, 0, NULL, NULL, 64) == 0);
	T_CHECK(bypass_way(c, NULL, 0, 4096, true) == BYPASS_CACHE);
	lru_fill_end(c, 2048, 64, NULL);
	T_CHECK(bypass_way(c, NULL, 0, 4096, true) == BYPASS_DEVICE);
	lru_destroy(c);
}

static int
wb_refuse(void *ctx, struct lru *c, uint64_t nr, uint64_t cnt)
{
	return -EAGAIN;
}

/*
 * A dirty chunk, and one under write-back, stay in the cache until the
 * device has the data: large requests over them take the cached path.
 * Once clean and evicted, they bypass.
 */
static void
t_dirty(void)
{
	struct lru *c = cache(1u << 20);

	T_CHECK(c != NULL);
	memset(buf, 0xab, sizeof(buf));
	T_CHECK(lru_alloc(c, 300, 3) == 0);
	T_CHECK(lru_write(c, 300, 3, buf) == 0);
	T_CHECK(lru_evict(c, 0, wb_refuse, NULL, 64) == 0);
	T_CHECK(bypass_way(c, NULL, 0, 2048, true) == BYPASS_CACHE);
	lru_writeback_begin(c, 300, 3, buf);
	T_CHECK(lru_evict(c, 0, NULL, NULL, 64) == 0);
	T_CHECK(bypass_way(c, NULL, 0, 2048, true) == BYPASS_CACHE);
	lru_writeback_end(c, 300, 3, true);
	T_CHECK(bypass_way(c, NULL, 0, 2048, true) == BYPASS_CACHE);
	T_CHECK(lru_evict(c, 0, NULL, NULL, 64) == 1);
	T_CHECK(bypass_way(c, NULL, 0, 2048, true) == BYPASS_DEVICE);
	lru_destroy(c);
}

/* 64-bit block numbers: the last chunks of a 2^40-block device. */
static void
t_far(void)
{
	uint64_t n = 1ull << 40;
	struct lru *c = cache(n);
	struct bypass_range w = { n - 3, 3, NULL };

	T_CHECK(c != NULL);
	T_CHECK(bypass_way(c, NULL, n - 4096, 4096, true) == BYPASS_DEVICE);
	T_CHECK(lru_alloc(c, n - 1, 1) == 0);
	T_CHECK(bypass_way(c, NULL, n - 4096, 4096, true) == BYPASS_CACHE);
	T_CHECK(bypass_way(c, NULL, n - 4096, 4088, true) == BYPASS_DEVICE);
	T_CHECK(bypass_way(c, &w, n - BPC, 1, false) == BYPASS_WAIT);
	T_CHECK(bypass_way(c, &w, n - 2 * BPC, BPC, false) == BYPASS_CACHE);
	lru_destroy(c);
}

int
main(void)
{
	T_RUN("bypass-001", "only READ and WRITE of at least min_blocks "
	    "bypass; min_blocks 0 turns it off", t_eligible);
	T_RUN("bypass-002", "a range is cached when any chunk touching it "
	    "exists", t_cached);
	T_RUN("bypass-003", "a bypassed write conflicts with requests over "
	    "the same chunks, until removed", t_conflict);
	T_RUN("bypass-004", "device only when eligible and nothing cached; "
	    "the cached path waits for bypassed writes", t_way);
	T_RUN("bypass-005", "a fill in flight keeps large requests on the "
	    "cached path; a failed one frees its chunks", t_fill_in_flight);
	T_RUN("bypass-006", "dirty chunks and write-backs in flight keep large "
	    "requests cached until evicted clean", t_dirty);
	T_RUN("bypass-007", "64-bit block numbers at the device's end", t_far);
	return t_done();
}
