/*
 * Allocator interfaces: allocate and free split, as in Genode 14.02.
 * SPDX-License-Identifier: MIT
 *
 * Code that only releases memory gets a struct cairn_dealloc and so cannot
 * allocate; code that allocates gets a struct cairn_alloc, which embeds
 * the deallocator. Every allocator is charged to some quota: the quota
 * heap below takes its backing store from the component's PD (RAM
 * dataspaces, charged by core) and refuses what the quota does not cover.
 */
#ifndef CAIRN_ALLOC_H
#define CAIRN_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct cairn_dealloc {
	void (*free)(struct cairn_dealloc *d, void *p, size_t size);
};

struct cairn_alloc {
	struct cairn_dealloc dealloc;	/* first: an alloc is a dealloc */
	/* Returns memory of `size` bytes or NULL (quota exhausted). */
	void *(*alloc)(struct cairn_alloc *a, size_t size);
	/* Bytes currently allocated, for accounting and reports. */
	size_t (*consumed)(const struct cairn_alloc *a);
};

static inline void *
cairn_alloc(struct cairn_alloc *a, size_t size)
{
	return a->alloc(a, size);
}

static inline void
cairn_free(struct cairn_dealloc *d, void *p, size_t size)
{
	d->free(d, p, size);
}

/* The deallocator half of an allocator, to hand to free-only code. */
static inline struct cairn_dealloc *
cairn_alloc_dealloc(struct cairn_alloc *a)
{
	return &a->dealloc;
}

struct cairn_env;

/*
 * A quota-bounded allocator: every allocation is backed by its own RAM
 * dataspace from the PD (rounded up to pages), so freeing returns the
 * quota at once. Meant for large, long-lived objects (caches, buffers);
 * small objects belong in the component's struct main. `limit` caps what
 * this allocator may hold in total (0 = the PD quota alone decides).
 */
struct cairn_quota_alloc {
	struct cairn_alloc alloc;
	struct cairn_env *env;
	size_t limit;
	size_t used;
	struct quota_block *blocks;
};

void cairn_quota_alloc_init(struct cairn_quota_alloc *q, struct cairn_env *env,
    size_t limit);
/* Free every block (e.g. when the owner is destroyed). */
void cairn_quota_alloc_fini(struct cairn_quota_alloc *q);

#endif
