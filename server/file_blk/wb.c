/*
 * file_blk's write-behind window; see wb.h.
 * SPDX-License-Identifier: MIT
 */
#include "wb.h"

bool
wb_admit(const struct wb *w)
{
	return w->after == 0 || w->dirty + w->pending < 2 * w->after;
}

void
wb_submitted(struct wb *w, uint64_t bytes)
{
	w->pending += bytes;
}

void
wb_completed(struct wb *w, uint64_t bytes)
{
	w->pending -= bytes < w->pending ? bytes : w->pending;
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
