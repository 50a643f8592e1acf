/*
 * file_blk's write-behind window (page-cache mode): when to start writeback
 * of the image and when to hold writes back. Pure bookkeeping, no I/O, so
 * that its bounds can be tested on their own (test/file_blk/wb.c); uring.c
 * issues the sync_file_range calls it asks for.
 * SPDX-License-Identifier: MIT
 *
 * Bytes go through three states: pending (a write in flight), dirty
 * (written, not yet in a writeback we started) and under our writeback.
 * Once `after` bytes are dirty and no writeback of ours is under way,
 * wb_start() says to start one (it waits for the previous one's pages and
 * starts writing the dirty ones). Writes are held back while dirty plus
 * pending bytes reach two windows. So the pages reclaim cannot touch
 * (dirty or about to be) stay below 2 * after plus one request, and a
 * writeback covers at most that much; a held write goes again once a
 * write completes or a writeback finishes, which then starts the next.
 */
#ifndef FILE_BLK_WB_H
#define FILE_BLK_WB_H

#include <stdbool.h>
#include <stdint.h>

struct wb {
	uint64_t after;		/* window in bytes; 0: write-behind off */
	uint64_t dirty;		/* written since the last start */
	uint64_t pending;	/* writes in flight */
	bool busy;		/* a writeback of ours is under way */
};

/* May a write go now? */
bool wb_admit(const struct wb *w);
/* A write of `bytes` went to the kernel. */
void wb_submitted(struct wb *w, uint64_t bytes);
/* It completed (failed or not: its pages may be dirty either way). */
void wb_completed(struct wb *w, uint64_t bytes);
/* Start a writeback now? If so, counts it as under way. */
bool wb_start(struct wb *w);
/* Our writeback finished. */
void wb_finished(struct wb *w);

#endif
