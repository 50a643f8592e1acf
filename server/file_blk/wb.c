/*
 * file_blk's write-behind window; see wb.h.
 * SPDX-License-Identifier: MIT
 */
#include "wb.h"

void
wb_written(struct wb *w, uint64_t bytes)
{
	w->dirty += bytes;
}

bool
wb_start(struct wb *w)
{
	if (w->after == 0 || w->busy || w->dirty < w->after)
		return false;
	w->busy = true;
	w->dirty = 0;
	return true;
}

void
wb_finished(struct wb *w)
{
	w->busy = false;
}
