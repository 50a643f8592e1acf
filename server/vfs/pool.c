/*
 * The ram file systems' memory: pages in PD slabs, charged to a budget.
 * SPDX-License-Identifier: MIT
 *
 * Pages come from RAM dataspaces of 64 pages each, so that a file system
 * of many pages needs few dataspaces (each is a descriptor); a slab whose
 * pages are all free goes back to the PD at once. Other sizes (nodes,
 * names, tables) come from the heap. Every allocation is first checked
 * against the budget: the quota the open sessions donated beyond their
 * own cost (fs_server_spare_quota). A refusal is logged once, with what
 * to raise, until an allocation succeeds again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ram.h"
#include "vfs.h"

#define SLAB_PAGES	64

struct pool_slab {
	struct cairn_ds ds;
	uint64_t map;		/* bit i: page i in use */
	struct pool_slab *next;
};

/* Heap blocks carry their charge in front. */
struct heap_hdr {
	size_t size;
	size_t pad;
};

static size_t
charge_of(size_t size)
{
	return size == RAM_PAGE ? RAM_PAGE : size + sizeof(struct heap_hdr);
}

static void
refuse(struct vfs_pool *p, size_t size, uint64_t budget)
{
	if (p->warned)
		return;
	p->warned = true;
	cairn_warn(p->env, "ram: full: %zu bytes stored, %llu donated by the "
	    "open sessions, %zu more needed (raise the ram_quota of the "
	    "File_system sessions)", p->used, (unsigned long long)budget,
	    size);
}

static void *
page_alloc(struct vfs_pool *p)
{
	struct pool_slab *s;
	unsigned i;

	for (s = p->slabs; s != NULL; s = s->next)
		if (s->map != ~0ull)
			break;
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return NULL;
		if (cairn_ram_alloc(p->env, SLAB_PAGES * RAM_PAGE,
		    &s->ds) < 0) {
			free(s);
			return NULL;
		}
		s->next = p->slabs;
		p->slabs = s;
	}
	i = (unsigned)__builtin_ctzll(~s->map);
	s->map |= 1ull << i;
	return (char *)s->ds.addr + (size_t)i * RAM_PAGE;
}

static void
page_free(struct vfs_pool *p, void *page)
{
	struct pool_slab **pp, *s;

	for (pp = &p->slabs; (s = *pp) != NULL; pp = &s->next) {
		char *base = s->ds.addr;

		if ((char *)page < base ||
		    (char *)page >= base + SLAB_PAGES * RAM_PAGE)
			continue;
		s->map &= ~(1ull << (((char *)page - base) / RAM_PAGE));
		if (s->map == 0) {
			*pp = s->next;
			cairn_ram_free(p->env, &s->ds);
			free(s);
		}
		return;
	}
}

static void *
pool_alloc(struct cairn_alloc *a, size_t size)
{
	struct vfs_pool *p = (struct vfs_pool *)a;
	uint64_t budget = p->budget(p->ctx);
	size_t charge = charge_of(size);
	struct heap_hdr *h;
	void *r;

	if (size == 0)
		return NULL;
	if (p->used + charge > budget) {
		refuse(p, charge, budget);
		return NULL;
	}
	if (size == RAM_PAGE) {
		r = page_alloc(p);
	} else {
		h = malloc(sizeof(*h) + size);
		if (h)
			h->size = size;
		r = h ? h + 1 : NULL;
	}
	if (r == NULL) {
		refuse(p, charge, budget);
		return NULL;
	}
	p->used += charge;
	p->warned = false;
	return r;
}

static void
pool_free(struct cairn_dealloc *d, void *ptr, size_t size)
{
	struct vfs_pool *p = (struct vfs_pool *)d;

	if (ptr == NULL)
		return;
	if (size == RAM_PAGE) {
		page_free(p, ptr);
	} else {
		struct heap_hdr *h = (struct heap_hdr *)ptr - 1;

		size = h->size;
		free(h);
	}
	p->used -= charge_of(size);
}

static size_t
pool_consumed(const struct cairn_alloc *a)
{
	return ((const struct vfs_pool *)a)->used;
}

void
vfs_pool_init(struct vfs_pool *p, struct cairn_env *env,
    uint64_t (*budget)(void *ctx), void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->alloc.dealloc.free = pool_free;
	p->alloc.alloc = pool_alloc;
	p->alloc.consumed = pool_consumed;
	p->env = env;
	p->budget = budget;
	p->ctx = ctx;
}
