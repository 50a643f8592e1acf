/*
 * file_blk's write-behind window (page-cache mode): when to start writeback
 * of the image. Pure bookkeeping, no I/O, so that it can be tested on its
 * own (test/file_blk/wb.c); uring.c issues the sync_file_range calls it
 * asks for.
 * SPDX-License-Identifier: MIT
 *
 * Once `after` bytes were written since the last start and no writeback of
 * ours is being started, wb_start() says to start one: a sync_file_range
 * that begins writing out every dirty page of the image. When it returns,
 * wb_finished(); a window filled meanwhile starts the next at once. So at
 * any moment the image's dirty pages not yet under writeback are at most
 * one window plus what was written since the running call began (a
 * request in flight dirties its pages as it goes), and memory reclaim,
 * which can wait for pages under writeback but cannot write dirty ones,
 * always has something to wait for. Writes are never held back: where the
 * pages are charged to us, reclaim's waiting paces the writer.
 */
#ifndef FILE_BLK_WB_H
#define FILE_BLK_WB_H

#include <stdbool.h>
#include <stdint.h>

struct wb {
	uint64_t after;		/* window in bytes; 0: write-behind off */
	uint64_t dirty;		/* written since the last start */
	bool busy;		/* a writeback of ours is being started */
};

/* A write of `bytes` completed (failed or not: its pages may be dirty). */
void wb_written(struct wb *w, uint64_t bytes);
/* Start a writeback now? If so, counts it as under way. */
bool wb_start(struct wb *w);
/* Our sync_file_range returned. */
void wb_finished(struct wb *w);

#endif
