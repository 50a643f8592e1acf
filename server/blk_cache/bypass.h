/*
 * blk_cache's bypass decision: which client requests go to the device
 * directly rather than through the cache, and which must wait for a
 * bypassed write.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic over the chunk index (lru.h) and the list of bypassed writes
 * in flight; the session that carries bypassed requests is cache.c's.
 *
 * Coherence rests on two rules:
 *   - a request bypasses only when no chunk touching its range exists in
 *     the cache. Fills and write-backs pin the chunks they touch, so no
 *     cache I/O is in flight there either, and the cache holds nothing a
 *     bypassed write could make stale or a bypassed read could miss;
 *   - a request on the cached path waits while a bypassed write touching
 *     the chunks of what is left of it is in flight, so no fill can read
 *     the device before that write landed (and cache stale data), and no
 *     write-back can race it to the device.
 */
#ifndef BLK_CACHE_BYPASS_H
#define BLK_CACHE_BYPASS_H

#include <stdbool.h>
#include <stdint.h>

#include "lru.h"

/* A bypassed write in flight: blocks [nr, nr + cnt). */
struct bypass_range {
	uint64_t nr, cnt;
	struct bypass_range *next;
};

enum bypass_way {
	BYPASS_CACHE,		/* the cached path */
	BYPASS_DEVICE,		/* straight to the device */
	BYPASS_WAIT,		/* the cached path, once a bypassed write to
				 * its chunks completed */
};

/*
 * Whether a request of op over cnt blocks is large enough to bypass:
 * READ or WRITE of at least min_blocks blocks (min_blocks 0: never).
 */
bool bypass_eligible(uint64_t min_blocks, uint32_t op, uint64_t cnt);

/* Whether a chunk touching blocks [nr, nr + cnt) exists in c. */
bool bypass_cached(const struct lru *c, uint64_t nr, uint64_t cnt);

/*
 * Whether a write of `writes` touches a chunk of c that blocks
 * [nr, nr + cnt) touch.
 */
bool bypass_conflict(const struct lru *c, const struct bypass_range *writes,
    uint64_t nr, uint64_t cnt);

/*
 * The way for blocks [nr, nr + cnt) of a request (what is left of it):
 * BYPASS_DEVICE when `eligible` and bypass_cached() is false, else
 * BYPASS_WAIT on a bypass_conflict(), else BYPASS_CACHE.
 */
enum bypass_way bypass_way(const struct lru *c,
    const struct bypass_range *writes, uint64_t nr, uint64_t cnt,
    bool eligible);

/* Add r to *list, or take it out. */
void bypass_range_add(struct bypass_range **list, struct bypass_range *r);
void bypass_range_remove(struct bypass_range **list, struct bypass_range *r);

#endif
