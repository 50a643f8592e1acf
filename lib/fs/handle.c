/*
 * Handle tables: per-session slots, values that go stale when closed.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fs_impl.h"

void
fs_handles_init(struct fs_handles *t)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < FS_MAX_HANDLES; i++) {
		t->slot[i].gen = 1;
		t->slot[i].sigh = -1;
	}
}

int32_t
fs_handle_alloc(struct fs_handles *t, uint8_t kind, uint8_t mode,
    uint64_t node)
{
	unsigned i;

	/* Lowest free slot: handles stay small and readable in logs. */
	for (i = 0; i < FS_MAX_HANDLES; i++) {
		struct fs_handle *hd = &t->slot[i];

		if (hd->used)
			continue;
		hd->used = true;
		hd->modified = false;
		hd->kind = kind;
		hd->mode = mode;
		hd->node = node;
		hd->sigh = -1;
		t->used++;
		return (int32_t)((hd->gen << FS_HANDLE_INDEX_BITS) | i);
	}
	return -EMFILE;
}

struct fs_handle *
fs_handle_get(struct fs_handles *t, int32_t h, unsigned kinds)
{
	struct fs_handle *hd;
	uint32_t v = (uint32_t)h;

	/* A negative value (FS_HANDLE_INVALID) has the top bit set. */
	if (h < 0)
		return NULL;
	hd = &t->slot[v & (FS_MAX_HANDLES - 1)];
	if (!hd->used || hd->gen != v >> FS_HANDLE_INDEX_BITS ||
	    !(hd->kind & kinds))
		return NULL;
	return hd;
}

void
fs_handle_free(struct fs_handles *t, struct fs_handle *hd)
{
	if (!hd->used)
		return;
	if (hd->sigh >= 0)
		close(hd->sigh);
	hd->sigh = -1;
	hd->used = false;
	hd->modified = false;
	/* Wrap to 1, never 0: a value with generation 0 is always forged. */
	hd->gen = hd->gen >= FS_HANDLE_GEN_MAX ? 1 : hd->gen + 1;
	t->used--;
}
