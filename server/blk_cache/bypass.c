/*
 * blk_cache's bypass decision (see bypass.h).
 * SPDX-License-Identifier: MIT
 */
#include <cairn/session/block.h>

#include "bypass.h"

bool
bypass_eligible(uint64_t min_blocks, uint32_t op, uint64_t cnt)
{
	return min_blocks != 0 && cnt >= min_blocks &&
	    (op == BLOCK_OP_READ || op == BLOCK_OP_WRITE);
}

bool
bypass_cached(const struct lru *c, uint64_t nr, uint64_t cnt)
{
	uint64_t bpc = lru_chunk_blocks(c), b, end = nr + cnt;

	if (cnt == 0 || end < nr)
		return false;
	/* One look per chunk: lru_state is ABSENT for a missing chunk. */
	for (b = nr - nr % bpc; b < end; b += bpc)
		if (lru_state(c, b) != LRU_ABSENT)
			return true;
	return false;
}

bool
bypass_conflict(const struct lru *c, const struct bypass_range *writes,
    uint64_t nr, uint64_t cnt)
{
	uint64_t bpc = lru_chunk_blocks(c), from, end, wfrom, wend;

	if (cnt == 0)
		return false;
	/* Whole chunks: a fill reads them, beyond the request's blocks. */
	from = nr - nr % bpc;
	end = nr + cnt;
	end += (bpc - end % bpc) % bpc;
	for (; writes != NULL; writes = writes->next) {
		wfrom = writes->nr - writes->nr % bpc;
		wend = writes->nr + writes->cnt;
		wend += (bpc - wend % bpc) % bpc;
		if (wfrom < end && from < wend)
			return true;
	}
	return false;
}

enum bypass_way
bypass_way(const struct lru *c, const struct bypass_range *writes,
    uint64_t nr, uint64_t cnt, bool eligible)
{
	if (eligible && !bypass_cached(c, nr, cnt))
		return BYPASS_DEVICE;
	if (bypass_conflict(c, writes, nr, cnt))
		return BYPASS_WAIT;
	return BYPASS_CACHE;
}

void
bypass_range_add(struct bypass_range **list, struct bypass_range *r)
{
	r->next = *list;
	*list = r;
}

void
bypass_range_remove(struct bypass_range **list, struct bypass_range *r)
{
	for (; *list != NULL; list = &(*list)->next)
		if (*list == r) {
			*list = r->next;
			break;
		}
	r->next = NULL;
}
