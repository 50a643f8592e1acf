/*
 * Unit tests of blk_cache's chunk index and LRU: hits and misses, LRU
 * order, write-back before eviction, partial chunks, 64-bit block numbers.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

#include "../test.h"

T_STATE_DEFINE;

/*
 * A malloc-backed allocator with a byte budget, counting what it holds.
 * Each live object is recorded with the allocator's `era` at its
 * allocation, so a compaction test can ask which objects are old.
 */
#define LIVE_MAX	4096

struct talloc {
	struct cairn_alloc a;
	size_t limit, used;
	unsigned era;
	int allocs_left;	/* fail when it reaches 0 (-1: never) */
	struct { const void *p; unsigned era; } live[LIVE_MAX];
	unsigned nlive;
};

static void *
t_alloc(struct cairn_alloc *a, size_t size)
{
	struct talloc *t = (struct talloc *)a;
	void *p;

	if (t->used + size > t->limit || t->nlive == LIVE_MAX ||
	    t->allocs_left == 0 || (p = malloc(size)) == NULL)
		return NULL;
	if (t->allocs_left > 0)
		t->allocs_left--;
	t->used += size;
	t->live[t->nlive].p = p;
	t->live[t->nlive++].era = t->era;
	return p;
}

static void
t_free(struct cairn_dealloc *d, void *p, size_t size)
{
	struct talloc *t = (struct talloc *)d;
	unsigned i;

	for (i = 0; i < t->nlive; i++)
		if (t->live[i].p == p) {
			t->live[i] = t->live[--t->nlive];
			break;
		}
	t->used -= size;
	free(p);
}

/* Live objects allocated in `era`. */
static unsigned
t_count_era(const struct talloc *t, unsigned era)
{
	unsigned i, n = 0;

	for (i = 0; i < t->nlive; i++)
		n += t->live[i].era == era;
	return n;
}

/* lru_movable_fn: objects of era 0 move. */
static bool
t_old(void *ctx, const void *p)
{
	const struct talloc *t = ctx;
	unsigned i;

	for (i = 0; i < t->nlive; i++)
		if (t->live[i].p == p)
			return t->live[i].era == 0;
	return false;
}

static size_t
t_consumed(const struct cairn_alloc *a)
{
	return ((const struct talloc *)a)->used;
}

static struct talloc ta;

static struct cairn_alloc *
mem(size_t limit)
{
	ta.a.dealloc.free = t_free;
	ta.a.alloc = t_alloc;
	ta.a.consumed = t_consumed;
	ta.limit = limit;
	ta.used = 0;
	ta.era = 0;
	ta.allocs_left = -1;
	ta.nlive = 0;
	return &ta.a;
}

/* A chunk costs its data page and descriptor; an index level a page. */
#define CHUNK_COST	(LRU_PAGE_SIZE + LRU_DESC_SIZE)

/* Fill buf with a pattern that names the block and a seed. */
static void
pattern(void *buf, uint64_t nr, uint64_t cnt, uint32_t bs, unsigned seed)
{
	unsigned char *p = buf;
	uint64_t i, j;

	for (i = 0; i < cnt; i++)
		for (j = 0; j < bs; j++)
			p[i * bs + j] = (unsigned char)((nr + i) * 31 + j +
			    seed * 7);
}

static bool
is_pattern(const void *buf, uint64_t nr, uint64_t cnt, uint32_t bs,
    unsigned seed)
{
	static unsigned char want[64 * 4096];

	pattern(want, nr, cnt, bs, seed);
	return memcmp(buf, want, cnt * bs) == 0;
}

/* Bring [nr, nr + cnt) in as a device read with pattern seed 0. */
static int
fill(struct lru *c, uint64_t nr, uint64_t cnt, uint32_t bs)
{
	static unsigned char dev[64 * 4096];
	int r;

	if ((r = lru_alloc(c, nr, cnt)) < 0 ||
	    (r = lru_fill_begin(c, nr, cnt)) < 0)
		return r;
	pattern(dev, nr, cnt, bs, 0);
	lru_fill_end(c, nr, cnt, dev);
	return 0;
}

static int
write_blocks(struct lru *c, uint64_t nr, uint64_t cnt, uint32_t bs,
    unsigned seed)
{
	static unsigned char src[64 * 4096];
	int r;

	if ((r = lru_alloc(c, nr, cnt)) < 0)
		return r;
	pattern(src, nr, cnt, bs, seed);
	return lru_write(c, nr, cnt, src);
}

/* A write-back sink recording what it was handed. */
struct wb_log {
	unsigned n;
	uint64_t nr[16], cnt[16];
	int fail_at;		/* return -EAGAIN at this call (-1: never) */
	unsigned char data[16][4096];
};

static int
wb_record(void *ctx, struct lru *c, uint64_t nr, uint64_t cnt)
{
	struct wb_log *w = ctx;

	if ((int)w->n == w->fail_at || w->n == 16)
		return -EAGAIN;
	w->nr[w->n] = nr;
	w->cnt[w->n] = cnt;
	lru_writeback_begin(c, nr, cnt, w->data[w->n]);
	w->n++;
	return 0;
}

static void
t_geometry(void)
{
	struct lru *c;

	T_CHECK(lru_create(mem(1 << 20), 32, 100, &c) == -EINVAL);
	T_CHECK(lru_create(mem(1 << 20), 8192, 100, &c) == -EINVAL);
	T_CHECK(lru_create(mem(1 << 20), 1000, 100, &c) == -EINVAL);
	T_CHECK(lru_create(mem(1 << 20), 512, 0, &c) == -EINVAL);
	T_CHECK(lru_create(mem(100), 512, 100, &c) == -ENOMEM);
	T_CHECK(lru_create(mem(1 << 20), 512, 100, &c) == 0);
	T_CHECK(lru_chunk_blocks(c) == 8);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
	T_CHECK(lru_create(mem(1 << 20), 4096, 100, &c) == 0);
	T_CHECK(lru_chunk_blocks(c) == 1);
	lru_destroy(c);
	T_CHECK(lru_create(mem(1 << 20), 64, 100, &c) == 0);
	T_CHECK(lru_chunk_blocks(c) == 64);
	lru_destroy(c);
}

static void
t_miss_fill_hit(void)
{
	unsigned char buf[8 * 512];
	struct lru_stats st;
	struct lru *c;
	uint64_t miss = 0;

	T_CHECK(lru_create(mem(1 << 20), 512, 1000, &c) == 0);
	T_CHECK(lru_read(c, 3, 2, buf, &miss) == -ENOENT);
	T_CHECK(miss == 3);
	T_CHECK(lru_state(c, 3) == LRU_ABSENT);
	/* A small read fetches the whole chunk: blocks 0..7. */
	T_CHECK(fill(c, 0, 8, 512) == 0);
	T_CHECK(lru_state(c, 3) == LRU_CLEAN);
	T_CHECK(lru_read(c, 3, 2, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 3, 2, 512, 0));
	T_CHECK(lru_read(c, 0, 8, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 0, 8, 512, 0));
	/* The next chunk is absent: a read across the boundary misses at 8. */
	T_CHECK(lru_read(c, 6, 4, buf, &miss) == -ENOENT);
	T_CHECK(miss == 8);
	lru_stats(c, &st);
	T_CHECK(st.hits == 2 && st.misses == 2);
	T_CHECK(st.chunks == 1 && st.dirty == 0 && st.busy == 0);
	T_CHECK(st.bytes == ta.used);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_range(void)
{
	unsigned char buf[512];
	struct lru *c;
	uint64_t miss;

	T_CHECK(lru_create(mem(1 << 20), 512, 10, &c) == 0);
	T_CHECK(lru_read(c, 10, 1, buf, &miss) == -ERANGE);
	T_CHECK(lru_read(c, 9, 2, buf, &miss) == -ERANGE);
	T_CHECK(lru_read(c, 0, 0, buf, &miss) == -ERANGE);
	T_CHECK(lru_read(c, UINT64_MAX, 2, buf, &miss) == -ERANGE);
	T_CHECK(lru_alloc(c, 5, 6) == -ERANGE);
	T_CHECK(lru_write(c, 9, 2, buf) == -ERANGE);
	T_CHECK(lru_fill_begin(c, 10, 1) == -ERANGE);
	T_CHECK(lru_write(c, 0, 1, buf) == -ENOENT);
	T_CHECK(lru_fill_begin(c, 0, 1) == -ENOENT);
	/* The last chunk holds blocks 8 and 9 only: it is complete then. */
	T_CHECK(fill(c, 8, 2, 512) == 0);
	T_CHECK(lru_state(c, 9) == LRU_CLEAN);
	T_CHECK(fill(c, 0, 4, 512) == 0);
	T_CHECK(lru_state(c, 0) == LRU_INCOMPLETE);
	lru_destroy(c);
}

static void
t_partial_write(void)
{
	unsigned char buf[8 * 512];
	struct lru *c;
	uint64_t miss;

	T_CHECK(lru_create(mem(1 << 20), 512, 64, &c) == 0);
	/* A one-block write into an absent chunk needs no device read. */
	T_CHECK(write_blocks(c, 3, 1, 512, 1) == 0);
	T_CHECK(lru_state(c, 3) == LRU_DIRTY);
	T_CHECK(lru_read(c, 3, 1, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 3, 1, 512, 1));
	T_CHECK(lru_read(c, 2, 2, buf, &miss) == -ENOENT && miss == 2);
	T_CHECK(lru_read(c, 0, 8, buf, &miss) == -ENOENT && miss == 0);
	/* A miss still delivers the blocks before the hole. */
	memset(buf, 0, sizeof(buf));
	T_CHECK(lru_read(c, 3, 3, buf, &miss) == -ENOENT && miss == 4);
	T_CHECK(is_pattern(buf, 3, 1, 512, 1));
	/* Filling the chunk keeps the written block. */
	T_CHECK(fill(c, 0, 8, 512) == 0);
	T_CHECK(lru_read(c, 0, 8, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 0, 3, 512, 0));
	T_CHECK(is_pattern(buf + 3 * 512, 3, 1, 512, 1));
	T_CHECK(is_pattern(buf + 4 * 512, 4, 4, 512, 0));
	T_CHECK(lru_state(c, 0) == LRU_DIRTY);
	lru_destroy(c);
}

static void
t_fill_race(void)
{
	unsigned char dev[8 * 512], buf[8 * 512];
	struct lru *c;
	uint64_t miss;

	T_CHECK(lru_create(mem(1 << 20), 512, 64, &c) == 0);
	/* A write lands while the device read of its chunk is in flight. */
	T_CHECK(lru_alloc(c, 8, 8) == 0);
	T_CHECK(lru_fill_begin(c, 8, 8) == 0);
	T_CHECK(write_blocks(c, 10, 2, 512, 5) == 0);
	pattern(dev, 8, 8, 512, 0);
	lru_fill_end(c, 8, 8, dev);
	T_CHECK(lru_read(c, 8, 8, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 8, 2, 512, 0));
	T_CHECK(is_pattern(buf + 2 * 512, 10, 2, 512, 5));
	T_CHECK(is_pattern(buf + 4 * 512, 12, 4, 512, 0));
	lru_destroy(c);
}

static void
t_fill_failure(void)
{
	unsigned char buf[512];
	struct lru_stats st;
	struct lru *c;
	uint64_t miss;
	size_t base;

	T_CHECK(lru_create(mem(1 << 20), 512, 64, &c) == 0);
	base = ta.used;
	T_CHECK(lru_alloc(c, 0, 16) == 0);
	T_CHECK(lru_fill_begin(c, 0, 16) == 0);
	T_CHECK(write_blocks(c, 9, 1, 512, 2) == 0);
	lru_fill_end(c, 0, 16, NULL);
	/* Not populated: the empty chunk and its index are gone ... */
	T_CHECK(lru_state(c, 0) == LRU_ABSENT);
	T_CHECK(lru_read(c, 0, 1, buf, &miss) == -ENOENT);
	/* ... the one a client wrote stays. */
	T_CHECK(lru_state(c, 9) == LRU_DIRTY);
	T_CHECK(lru_read(c, 9, 1, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 9, 1, 512, 2));
	lru_stats(c, &st);
	T_CHECK(st.chunks == 1 && st.busy == 0);
	T_CHECK(ta.used == base + CHUNK_COST + LRU_PAGE_SIZE);
	lru_destroy(c);
}

static void
t_lru_order(void)
{
	unsigned char buf[512];
	struct lru *c;
	uint64_t miss;
	unsigned i;

	T_CHECK(lru_create(mem(1 << 20), 512, 1024, &c) == 0);
	for (i = 0; i < 4; i++)
		T_CHECK(fill(c, i * 8, 8, 512) == 0);
	/* Use chunk 0 again: chunk 1 is now the least recently used. */
	T_CHECK(lru_read(c, 1, 1, buf, &miss) == 0);
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 8) == LRU_ABSENT);
	T_CHECK(lru_state(c, 0) == LRU_CLEAN);
	/* A write makes chunk 2 the most recent (and dirty). */
	T_CHECK(write_blocks(c, 16, 1, 512, 3) == 0);
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 24) == LRU_ABSENT);
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 0) == LRU_ABSENT);
	/* Without a write-back function a dirty chunk is never freed. */
	T_CHECK(lru_evict(c, 0, NULL, NULL, 8) == 0);
	T_CHECK(lru_state(c, 16) == LRU_DIRTY);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_fill_touches(void)
{
	static unsigned char dev[8 * 512];
	struct lru *c;
	unsigned i;

	T_CHECK(lru_create(mem(1 << 20), 512, 1024, &c) == 0);
	/* Chunks 0..3 allocated in order; their fills complete 3, 2, 1, 0. */
	T_CHECK(lru_alloc(c, 0, 32) == 0);
	for (i = 0; i < 4; i++)
		T_CHECK(lru_fill_begin(c, i * 8, 8) == 0);
	for (i = 4; i-- > 0;)
		lru_fill_end(c, i * 8, 8, dev);
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 24) == LRU_ABSENT);
	/* A failed fill leaves the order alone: chunk 2 goes, then 1. */
	T_CHECK(lru_fill_begin(c, 8, 8) == 0);
	lru_fill_end(c, 8, 8, NULL);
	T_CHECK(lru_state(c, 8) == LRU_CLEAN);
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 16) == LRU_ABSENT);
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 8) == LRU_ABSENT);
	T_CHECK(lru_state(c, 0) == LRU_CLEAN);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_present_missing(void)
{
	unsigned char buf[24 * 512];
	struct lru_stats st;
	struct lru *c;
	uint64_t miss;

	T_CHECK(lru_create(mem(1 << 20), 512, 100, &c) == 0);
	T_CHECK(lru_present(c, 0, 16) == 0);
	T_CHECK(lru_alloc(c, 8, 16) == 0);		/* chunks 1 and 2 */
	T_CHECK(lru_present(c, 8, 24) == 16);
	T_CHECK(lru_present(c, 12, 4) == 4);
	T_CHECK(lru_present(c, 4, 8) == 0);
	T_CHECK(lru_present(c, 96, 4) == 0);		/* chunk 12 absent */
	T_CHECK(lru_present(c, 99, 2) == 0);		/* off the device */
	T_CHECK(fill(c, 8, 16, 512) == 0);
	T_CHECK(write_blocks(c, 24, 3, 512, 1) == 0);	/* chunk 3, part */
	T_CHECK(lru_missing(c, 8, 19, &miss) == 0);
	T_CHECK(lru_missing(c, 8, 20, &miss) == -ENOENT && miss == 27);
	T_CHECK(lru_missing(c, 0, 9, &miss) == -ENOENT && miss == 0);
	T_CHECK(lru_missing(c, 99, 2, &miss) == -ERANGE);
	/* A read across chunks copies everything up to the hole. */
	memset(buf, 0, sizeof(buf));
	T_CHECK(lru_read(c, 10, 20, buf, &miss) == -ENOENT && miss == 27);
	T_CHECK(is_pattern(buf, 10, 14, 512, 0));
	T_CHECK(is_pattern(buf + 14 * 512, 24, 3, 512, 1));
	lru_stats(c, &st);
	T_CHECK(st.hits == 0 && st.misses == 1);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_evict_writes_back(void)
{
	static struct wb_log w;
	unsigned char buf[8 * 512];
	struct lru_stats st;
	struct lru *c;
	uint64_t miss;

	memset(&w, 0, sizeof(w));
	w.fail_at = -1;
	T_CHECK(lru_create(mem(1 << 20), 512, 1024, &c) == 0);
	T_CHECK(write_blocks(c, 0, 8, 512, 4) == 0);	/* chunk 0: dirty */
	T_CHECK(fill(c, 8, 8, 512) == 0);		/* chunk 1: clean */
	T_CHECK(write_blocks(c, 18, 2, 512, 6) == 0);	/* chunk 2: dirty */
	T_CHECK(write_blocks(c, 22, 1, 512, 6) == 0);
	/* The oldest is dirty: written back, not freed; chunk 1 is freed. */
	T_CHECK(lru_evict(c, 1, wb_record, &w, 64) == 1);
	T_CHECK(w.n == 1 && w.nr[0] == 0 && w.cnt[0] == 8);
	T_CHECK(is_pattern(w.data[0], 0, 8, 512, 4));
	T_CHECK(lru_state(c, 8) == LRU_ABSENT);
	T_CHECK(lru_state(c, 0) == LRU_CLEAN);
	lru_stats(c, &st);
	T_CHECK(st.busy == 1 && st.dirty == 1);
	/* Still readable while the write is in flight, but not evictable. */
	T_CHECK(lru_read(c, 0, 8, buf, &miss) == 0);
	T_CHECK(is_pattern(buf, 0, 8, 512, 4));
	/* Chunk 2 has two dirty runs; both are handed out. */
	T_CHECK(lru_evict(c, 0, wb_record, &w, 64) == 0);
	T_CHECK(w.n == 3);
	T_CHECK(w.nr[1] == 18 && w.cnt[1] == 2);
	T_CHECK(w.nr[2] == 22 && w.cnt[2] == 1);
	T_CHECK(lru_evict(c, 0, wb_record, &w, 64) == 0);
	T_CHECK(w.n == 3);
	lru_writeback_end(c, 0, 8, true);
	lru_writeback_end(c, 18, 2, true);
	T_CHECK(lru_evict(c, 0, wb_record, &w, 64) == 1);
	T_CHECK(lru_state(c, 0) == LRU_ABSENT);
	T_CHECK(lru_state(c, 16) == LRU_INCOMPLETE);
	lru_writeback_end(c, 22, 1, true);
	T_CHECK(lru_evict(c, 0, wb_record, &w, 64) == 1);
	lru_stats(c, &st);
	T_CHECK(st.chunks == 0 && st.evictions == 3 && st.writebacks == 3);
	T_CHECK(st.written == 11);
	T_CHECK(st.bytes == LRU_PAGE_SIZE && ta.used == LRU_PAGE_SIZE);
	lru_destroy(c);
}

static void
t_writeback_failure(void)
{
	static struct wb_log w;
	struct lru *c;
	uint64_t nr, cnt;

	memset(&w, 0, sizeof(w));
	w.fail_at = 0;
	T_CHECK(lru_create(mem(1 << 20), 512, 1024, &c) == 0);
	T_CHECK(write_blocks(c, 0, 8, 512, 1) == 0);
	T_CHECK(write_blocks(c, 64, 8, 512, 1) == 0);
	/* The device is busy: nothing freed, no second attempt. */
	T_CHECK(lru_evict(c, 0, wb_record, &w, 64) == 0);
	T_CHECK(w.n == 0);
	T_CHECK(lru_state(c, 0) == LRU_DIRTY && lru_state(c, 64) == LRU_DIRTY);
	/* A write-back that fails leaves its blocks dirty again. */
	w.fail_at = -1;
	T_CHECK(lru_evict(c, 1, wb_record, &w, 64) == 0);
	T_CHECK(w.n == 2);
	lru_writeback_end(c, 0, 8, false);
	T_CHECK(lru_state(c, 0) == LRU_DIRTY);
	T_CHECK(lru_dirty_next(c, 0, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 0 && cnt == 8);
	lru_writeback_end(c, 64, 8, true);
	T_CHECK(lru_state(c, 64) == LRU_CLEAN);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_dirty_runs(void)
{
	unsigned char buf[16 * 512];
	struct lru *c;
	uint64_t nr, cnt;

	T_CHECK(lru_create(mem(1 << 20), 512, 1024, &c) == 0);
	T_CHECK(lru_dirty_next(c, 0, 64, &nr, &cnt) == -ENOENT);
	T_CHECK(write_blocks(c, 4, 16, 512, 1) == 0);	/* chunks 0..2 */
	T_CHECK(write_blocks(c, 100, 1, 512, 1) == 0);
	T_CHECK(lru_dirty_next(c, 0, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 4 && cnt == 16);
	T_CHECK(lru_dirty_next(c, 0, 5, &nr, &cnt) == 0);
	T_CHECK(nr == 4 && cnt == 5);
	T_CHECK(lru_dirty_next(c, 10, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 10 && cnt == 10);
	T_CHECK(lru_dirty_next(c, 20, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 100 && cnt == 1);
	T_CHECK(lru_dirty_next(c, 101, 64, &nr, &cnt) == -ENOENT);
	/* Blocks under write-back split the run and are skipped. */
	lru_writeback_begin(c, 8, 8, buf);
	T_CHECK(lru_dirty_next(c, 0, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 4 && cnt == 4);
	T_CHECK(lru_dirty_next(c, 8, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 16 && cnt == 4);
	/* Rewritten during its write-back: dirty again, still skipped. */
	T_CHECK(write_blocks(c, 9, 1, 512, 2) == 0);
	T_CHECK(lru_dirty_next(c, 8, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 16);
	lru_writeback_end(c, 8, 8, true);
	T_CHECK(lru_dirty_next(c, 8, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 9 && cnt == 1);
	T_CHECK(lru_state(c, 8) == LRU_DIRTY);
	lru_destroy(c);
}

static void
t_alloc_limit(void)
{
	struct lru_stats st;
	struct lru *c;
	unsigned i;
	int r = 0;

	/* Room for the cache, a 2-level index and 4 chunks. */
	T_CHECK(lru_create(mem(LRU_PAGE_SIZE * 3 + 4 * CHUNK_COST), 512,
	    1 << 20, &c) == 0);
	for (i = 0; i < 4; i++)
		T_CHECK(fill(c, i * 8, 8, 512) == 0);
	T_CHECK(lru_alloc(c, 32, 1) == -ENOMEM);
	/* A range of two chunks fails halfway: nothing leaks. */
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_alloc(c, 36, 8) == -ENOMEM);
	lru_stats(c, &st);
	T_CHECK(st.chunks == 4 && st.bytes == ta.used);
	for (i = 0; i < 8 && (r = lru_alloc(c, 36, 8)) == -ENOMEM; i++)
		T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(r == 0);
	T_CHECK(lru_state(c, 36) == LRU_INCOMPLETE);
	T_CHECK(lru_state(c, 40) == LRU_INCOMPLETE);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_index_64bit(void)
{
	static const uint64_t at[] = {
		0, 7, 1ull << 32, (1ull << 63) + 5, UINT64_MAX - 2,
		(1ull << 40) + 3,
	};
	unsigned char buf[512];
	struct lru_stats st;
	struct lru *c;
	uint64_t nr, cnt, miss;
	unsigned i;

	/* The largest device there can be: UINT64_MAX blocks. */
	T_CHECK(lru_create(mem(1 << 22), 512, UINT64_MAX, &c) == 0);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		T_CHECK(write_blocks(c, at[i], 1, 512, i) == 0);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		T_CHECKF(lru_read(c, at[i], 1, buf, &miss) == 0, "%u", i);
		T_CHECKF(is_pattern(buf, at[i], 1, 512, i), "%u", i);
		T_CHECK(lru_state(c, at[i]) == LRU_DIRTY);
	}
	T_CHECK(lru_state(c, 1ull << 33) == LRU_ABSENT);
	T_CHECK(lru_state(c, (1ull << 63) + 8) == LRU_ABSENT);
	T_CHECK(lru_read(c, UINT64_MAX - 2, 2, buf, &miss) == -ENOENT);
	T_CHECK(miss == UINT64_MAX - 1);
	/* The last chunk has 7 blocks (UINT64_MAX is not a block). */
	T_CHECK(fill(c, UINT64_MAX - 7, 7, 512) == 0);
	T_CHECK(lru_state(c, UINT64_MAX - 1) == LRU_DIRTY);
	/* Dirty runs come in block order; 0 and 7 share a chunk. */
	T_CHECK(lru_dirty_next(c, 0, 64, &nr, &cnt) == 0);
	T_CHECK(nr == 0 && cnt == 1);
	T_CHECK(lru_dirty_next(c, 1, 64, &nr, &cnt) == 0 && nr == 7);
	T_CHECK(lru_dirty_next(c, 8, 64, &nr, &cnt) == 0 &&
	    nr == 1ull << 32);
	T_CHECK(lru_dirty_next(c, nr + 1, 64, &nr, &cnt) == 0 &&
	    nr == (1ull << 40) + 3);
	T_CHECK(lru_dirty_next(c, nr + 1, 64, &nr, &cnt) == 0 &&
	    nr == (1ull << 63) + 5);
	T_CHECK(lru_dirty_next(c, nr + 1, 64, &nr, &cnt) == 0 &&
	    nr == UINT64_MAX - 2 && cnt == 1);
	T_CHECK(lru_dirty_next(c, nr + 1, 64, &nr, &cnt) == -ENOENT);
	/* Write everything back and evict: the index is freed entirely. */
	while (lru_dirty_next(c, 0, 64, &nr, &cnt) == 0) {
		lru_writeback_begin(c, nr, cnt, buf);
		lru_writeback_end(c, nr, cnt, true);
	}
	T_CHECK(lru_evict(c, 0, NULL, NULL, 64) == 5);
	lru_stats(c, &st);
	T_CHECK(st.chunks == 0 && st.dirty == 0 && st.busy == 0);
	T_CHECK(st.bytes == LRU_PAGE_SIZE && ta.used == LRU_PAGE_SIZE);
	/* And grows again from scratch. */
	T_CHECK(write_blocks(c, 1ull << 50, 1, 512, 9) == 0);
	T_CHECK(lru_read(c, 1ull << 50, 1, buf, &miss) == 0);
	lru_destroy(c);
	T_CHECK(ta.used == 0);
}

static void
t_block_sizes(void)
{
	static unsigned char buf[64 * 4096];
	struct lru *c;
	uint64_t miss, nr, cnt;

	/* 64-byte blocks: all 64 bits of a chunk's bitmaps. */
	T_CHECK(lru_create(mem(1 << 20), 64, 1000, &c) == 0);
	T_CHECK(fill(c, 0, 128, 64) == 0);
	T_CHECK(lru_state(c, 63) == LRU_CLEAN);
	T_CHECK(write_blocks(c, 60, 10, 64, 3) == 0);
	T_CHECK(lru_dirty_next(c, 0, 1000, &nr, &cnt) == 0);
	T_CHECK(nr == 60 && cnt == 10);
	T_CHECK(lru_read(c, 0, 128, buf, &miss) == 0);
	T_CHECK(is_pattern(buf + 60 * 64, 60, 10, 64, 3));
	lru_destroy(c);
	/* 4 KiB blocks: a chunk per block. */
	T_CHECK(lru_create(mem(1 << 20), 4096, 1000, &c) == 0);
	T_CHECK(write_blocks(c, 10, 3, 4096, 1) == 0);
	T_CHECK(lru_dirty_next(c, 0, 1000, &nr, &cnt) == 0);
	T_CHECK(nr == 10 && cnt == 3);
	T_CHECK(lru_read(c, 9, 2, buf, &miss) == -ENOENT && miss == 9);
	lru_destroy(c);
}

/*
 * Compaction moves every old object (data, descriptors, index nodes, the
 * cache itself) and keeps contents, dirt, pins, LRU order and counters;
 * running out of memory half way leaves a consistent cache.
 */
static void
t_compact(void)
{
	unsigned char buf[8 * 512], dev[8 * 512];
	struct lru_stats before, after;
	struct wb_log w = { .fail_at = -1 };
	struct lru *c, *old;
	uint64_t miss, i, far = (1ull << 40) + 16;
	size_t moved;

	T_CHECK(lru_create(mem(1 << 22), 512, 1ull << 41, &c) == 0);
	/* Clean chunks 0..39, a far chunk (a deeper index), dirty blocks. */
	for (i = 0; i < 40; i++)
		T_CHECK(fill(c, i * 8, 8, 512) == 0);
	T_CHECK(fill(c, far, 8, 512) == 0);
	T_CHECK(write_blocks(c, 17, 5, 512, 2) == 0);
	/* A fill in flight on chunk 50, a write-back in flight from 17. */
	T_CHECK(lru_alloc(c, 400, 8) == 0 && lru_fill_begin(c, 400, 8) == 0);
	T_CHECK(lru_dirty_next(c, 0, 1000, &i, &miss) == 0);
	T_CHECK(wb_record(&w, c, i, miss) == 0 && w.nr[0] == 17 &&
	    w.cnt[0] == 5);
	T_CHECK(write_blocks(c, 100, 3, 512, 4) == 0);
	lru_stats(c, &before);
	/* Everything so far is era 0; move all of it. */
	ta.era = 1;
	old = c;
	T_CHECK(lru_compact(&c, t_old, &ta, &moved) == 0);
	T_CHECKF(t_count_era(&ta, 0) == 0, "%u objects left behind",
	    t_count_era(&ta, 0));
	T_CHECK(c != old && moved > 80);
	lru_stats(c, &after);
	T_CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	/* Contents and state. */
	T_CHECK(lru_read(c, 0, 8, buf, &miss) == 0 &&
	    is_pattern(buf, 0, 8, 512, 0));
	T_CHECK(lru_read(c, 16, 1, buf, &miss) == 0 &&
	    is_pattern(buf, 16, 1, 512, 0));
	T_CHECK(lru_read(c, 17, 5, buf, &miss) == 0 &&
	    is_pattern(buf, 17, 5, 512, 2));
	T_CHECK(lru_read(c, far, 8, buf, &miss) == 0 &&
	    is_pattern(buf, far, 8, 512, 0));
	T_CHECK(lru_state(c, 100) == LRU_DIRTY);
	T_CHECK(lru_dirty_next(c, 0, 1000, &i, &miss) == 0 && i == 100 &&
	    miss == 3);
	/* The fill in flight completes into the moved chunk. */
	pattern(dev, 400, 8, 512, 0);
	lru_fill_end(c, 400, 8, dev);
	T_CHECK(lru_read(c, 400, 8, buf, &miss) == 0 &&
	    is_pattern(buf, 400, 8, 512, 0));
	lru_writeback_end(c, 17, 5, true);
	/* LRU order survived: chunk 1 is now the least recently used. */
	T_CHECK(lru_evict(c, 1, NULL, NULL, 8) == 1);
	T_CHECK(lru_state(c, 8) == LRU_ABSENT && lru_state(c, 0) == LRU_CLEAN);
	/* Out of memory half way: some moved, all still readable. */
	ta.era = 0;
	for (i = 0; i < 8; i++)
		T_CHECK(write_blocks(c, 600 + i * 8, 8, 512, 5) == 0);
	ta.era = 2;
	ta.allocs_left = 5;
	T_CHECK(lru_compact(&c, t_old, &ta, &moved) == -ENOMEM);
	T_CHECK(moved == 5 && t_count_era(&ta, 0) == 16 - 5);
	ta.allocs_left = -1;
	for (i = 0; i < 8; i++)
		T_CHECK(lru_read(c, 600 + i * 8, 8, buf, &miss) == 0 &&
		    is_pattern(buf, 600 + i * 8, 8, 512, 5));
	T_CHECK(lru_read(c, 16, 8, buf, &miss) == 0 &&
	    is_pattern(buf, 16, 1, 512, 0) && is_pattern(buf + 512, 17, 5,
	    512, 2));
	lru_stats(c, &after);
	T_CHECK(after.bytes == ta.used);
	lru_destroy(c);
	T_CHECK(ta.used == 0 && ta.nlive == 0);
}

int
main(void)
{
	T_RUN("lru-001", "bad geometry is refused, good one accepted",
	    t_geometry);
	T_RUN("lru-002", "a miss names the first missing block; after a fill "
	    "the chunk hits", t_miss_fill_hit);
	T_RUN("lru-003", "ranges past the device end are refused; the last "
	    "partial chunk completes", t_range);
	T_RUN("lru-004", "a partial-chunk write needs no read; a fill keeps "
	    "it", t_partial_write);
	T_RUN("lru-005", "a fill never overwrites a write made while it was "
	    "in flight", t_fill_race);
	T_RUN("lru-006", "a failed fill populates nothing and frees empty "
	    "chunks", t_fill_failure);
	T_RUN("lru-007", "eviction takes the least recently used chunk",
	    t_lru_order);
	T_RUN("lru-008", "eviction writes dirty chunks back before freeing "
	    "them", t_evict_writes_back);
	T_RUN("lru-009", "a busy device stops write-backs; a failed one "
	    "leaves blocks dirty", t_writeback_failure);
	T_RUN("lru-010", "dirty runs merge across chunks and skip blocks "
	    "under write-back", t_dirty_runs);
	T_RUN("lru-011", "allocation failure leaks nothing; eviction makes "
	    "room", t_alloc_limit);
	T_RUN("lru-012", "the index covers 64-bit block numbers and shrinks "
	    "to nothing", t_index_64bit);
	T_RUN("lru-013", "64-byte and 4 KiB blocks", t_block_sizes);
	T_RUN("lru-014", "a completed fill makes its chunks the most recently "
	    "used", t_fill_touches);
	T_RUN("lru-015", "present chunks and missing blocks; a miss copies "
	    "what precedes it", t_present_missing);
	T_RUN("lru-016", "compaction moves every marked object and keeps "
	    "contents, state, order and counters", t_compact);
	return t_done();
}
