/*
 * The cache proper: an index of 4 KiB chunks over 64-bit block numbers,
 * per-block state and a least-recently-used list.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic: no I/O, no sessions. Memory comes from the allocator handed
 * to lru_create(), in objects of LRU_PAGE_SIZE bytes (chunk data, index
 * nodes, the cache itself) and of sizeof a chunk descriptor (at most
 * LRU_DESC_SIZE bytes), so that a slab allocator of two size classes
 * serves it.
 *
 * A chunk covers LRU_CHUNK_SIZE / block_size consecutive blocks (at most
 * 64) and keeps three bitmaps over them: `valid` (the block holds data),
 * `dirty` (newer than the device) and `wb` (a write-back of it is in
 * flight). A chunk is
 *   dirty       when a block is dirty (it may be incomplete as well: a
 *               client wrote part of it and the rest was never read);
 *   incomplete  otherwise, when a block of it is not valid;
 *   clean       otherwise.
 * Dirty blocks are always valid. A fill from the device only writes blocks
 * that are not valid, so it never overwrites what a client wrote since the
 * read was issued.
 *
 * A chunk with I/O in flight (a fill or a write-back) is pinned: eviction
 * skips it. At most one write-back per block is in flight (lru_dirty_next
 * skips blocks under write-back), so writes to the device never overtake
 * each other.
 */
#ifndef BLK_CACHE_LRU_H
#define BLK_CACHE_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/alloc.h>

#define LRU_CHUNK_SIZE	4096u	/* bytes of a cache chunk */
#define LRU_PAGE_SIZE	4096u	/* chunk data and index nodes */
#define LRU_DESC_SIZE	64u	/* a chunk descriptor fits this */
#define LRU_MIN_BLOCK	64u	/* smallest block size: 64 blocks a chunk */

struct lru;

enum lru_state {
	LRU_ABSENT,		/* not in the cache */
	LRU_INCOMPLETE,		/* some block not valid, none dirty */
	LRU_CLEAN,		/* every block valid, none dirty */
	LRU_DIRTY,		/* some block newer than the device */
};

struct lru_stats {
	uint64_t hits;		/* lru_read calls served from the cache */
	uint64_t misses;	/* lru_read calls that found a block missing */
	uint64_t evictions;	/* chunks freed by lru_evict */
	uint64_t writebacks;	/* runs started with lru_writeback_begin */
	uint64_t written;	/* blocks in those runs */
	size_t chunks;		/* chunks held */
	size_t dirty;		/* chunks with dirty blocks */
	size_t busy;		/* chunks with a fill or write-back in flight */
	size_t bytes;		/* memory held: chunks, descriptors, index */
};

/*
 * Create an empty cache for a device of block_count blocks of block_size
 * bytes, taking all its memory from `a`. block_size must be a power of two
 * from LRU_MIN_BLOCK to LRU_CHUNK_SIZE. Returns 0 and *out, -EINVAL for a
 * bad geometry, or -ENOMEM.
 */
int lru_create(struct cairn_alloc *a, uint32_t block_size,
    uint64_t block_count, struct lru **out)
    __attribute__((warn_unused_result));

/* Free every chunk, dirty or not, and the cache itself. */
void lru_destroy(struct lru *c);

/* Blocks per chunk. */
unsigned lru_chunk_blocks(const struct lru *c);

/*
 * Copy blocks [nr, nr + cnt) into dst when every one of them is valid (a
 * hit: returns 0), else return -ENOENT with *missing = the first block that
 * is not valid, after copying the blocks before it (so a caller can
 * continue from there). The chunks copied from become the most recently
 * used. Counts the hit or miss. -ERANGE when the range leaves the device
 * (dst is then untouched and nothing is counted).
 */
int lru_read(struct lru *c, uint64_t nr, uint64_t cnt, void *dst,
    uint64_t *missing) __attribute__((warn_unused_result));

/*
 * Like lru_read without copying, counting or touching: 0 when every block
 * of [nr, nr + cnt) is valid, else -ENOENT and *missing; -ERANGE.
 */
int lru_missing(const struct lru *c, uint64_t nr, uint64_t cnt,
    uint64_t *missing) __attribute__((warn_unused_result));

/*
 * The number of blocks from nr (at most cnt) whose chunks exist, up to the
 * first chunk that does not: what lru_alloc got before it failed. 0 for a
 * range off the device.
 */
uint64_t lru_present(const struct lru *c, uint64_t nr, uint64_t cnt);

/*
 * Make sure every chunk touching [nr, nr + cnt) exists; new ones are empty
 * (no valid block) and most recently used. Returns 0, -ERANGE, or -ENOMEM
 * when the allocator refused: chunks allocated before stay (empty, so the
 * next eviction frees them).
 */
int lru_alloc(struct lru *c, uint64_t nr, uint64_t cnt)
    __attribute__((warn_unused_result));

/*
 * A client write: copy src into blocks [nr, nr + cnt), marking them valid
 * and dirty, and make the chunks the most recently used. Returns 0, or
 * -ERANGE / -ENOENT (a chunk is missing: call lru_alloc first) without
 * changing anything.
 */
int lru_write(struct lru *c, uint64_t nr, uint64_t cnt, const void *src)
    __attribute__((warn_unused_result));

/*
 * A device read of [nr, nr + cnt) is being issued: pin its chunks, which
 * must exist (lru_alloc). Returns 0, -ERANGE or -ENOENT (nothing pinned).
 */
int lru_fill_begin(struct lru *c, uint64_t nr, uint64_t cnt)
    __attribute__((warn_unused_result));

/*
 * The device read of lru_fill_begin completed. With src (success), blocks
 * that are not valid yet are copied from src and become valid, and the
 * chunks become the most recently used (the reads waiting for them run
 * next); without (failure) nothing is populated, and chunks left without a
 * valid block and without other I/O are freed. Unpins the chunks either
 * way.
 */
void lru_fill_end(struct lru *c, uint64_t nr, uint64_t cnt, const void *src);

/*
 * Find the first run of blocks at or after block `from` that are dirty and
 * not under write-back, extended over following blocks of the same kind
 * (across chunk boundaries) up to max blocks (max >= 1). Returns 0 with
 * *nr and *cnt, or -ENOENT when there is none.
 */
int lru_dirty_next(const struct lru *c, uint64_t from, uint64_t max,
    uint64_t *nr, uint64_t *cnt) __attribute__((warn_unused_result));

/*
 * Start writing back a run found by lru_dirty_next: copy its blocks to dst,
 * mark them clean and under write-back (which pins their chunks).
 */
void lru_writeback_begin(struct lru *c, uint64_t nr, uint64_t cnt,
    void *dst);

/*
 * The write-back of [nr, nr + cnt) completed. On failure its blocks are
 * dirty again, to be retried. Unpins the chunks.
 */
void lru_writeback_end(struct lru *c, uint64_t nr, uint64_t cnt, bool ok);

/*
 * Called by lru_evict for a dirty run it wants written back. It must call
 * lru_writeback_begin(c, nr, cnt, payload) and submit the write, returning
 * 0, or return a negative value when the device cannot take a write now;
 * lru_evict then attempts no further write-backs.
 */
typedef int (*lru_wb_fn)(void *ctx, struct lru *c, uint64_t nr,
    uint64_t cnt);

/*
 * Free up to `want` chunks (0: as many as possible), least recently used
 * first. Chunks with I/O in flight are skipped. Other chunks without dirty
 * blocks are freed at once (with the index nodes that became empty); for a
 * dirty chunk wb (when not NULL) is asked to write back its dirty runs, of
 * at most max_run blocks each, and the chunk is freed by a later call once
 * the write-back completed. Once wb refused (or without wb) the walk ends
 * 4 * want + LRU_EVICT_HORIZON chunks from the least recently used one.
 * Returns the number of chunks freed.
 */
#define LRU_EVICT_HORIZON	256
size_t lru_evict(struct lru *c, size_t want, lru_wb_fn wb, void *ctx,
    uint64_t max_run);

/*
 * Whether the object at p (chunk data, a chunk descriptor, an index node
 * or the cache itself, all from the allocator) should move elsewhere.
 */
typedef bool (*lru_movable_fn)(void *ctx, const void *p);

/*
 * Compaction, so that memory can be given back without dropping what it
 * holds: move every object for which movable() says so into memory fresh
 * from the allocator (which must not hand out what movable() marks),
 * copying it and fixing every pointer to it, then free the old one. Data,
 * state, LRU order and I/O in flight are unaffected (I/O reaches chunk
 * data through the cache, never through a pointer of its own). The cache
 * itself may move: *cp is updated. *moved counts the objects moved.
 * Returns 0, or -ENOMEM when the allocator ran out: what moved stays
 * moved, and the cache is consistent (evict, then compact again).
 */
int lru_compact(struct lru **cp, lru_movable_fn movable, void *ctx,
    size_t *moved) __attribute__((warn_unused_result));

/* The state of the chunk holding block nr. */
enum lru_state lru_state(const struct lru *c, uint64_t nr);

/* Whether the chunk holding block nr has a device read in flight. */
bool lru_filling(const struct lru *c, uint64_t nr);

/* Counters and sizes. */
void lru_stats(const struct lru *c, struct lru_stats *st);

#endif
