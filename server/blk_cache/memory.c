/*
 * Cache memory: slabs of RAM dataspaces charged to our PD, cut into pages
 * and chunk descriptors; grows by asking the parent for RAM.
 * SPDX-License-Identifier: MIT
 *
 * The cache allocates 4 KiB pages (chunk data, index nodes) and 64-byte
 * descriptors, many per second under load; one RAM dataspace per object
 * would cost an RPC to core each. So memory is taken in slabs of
 * slab_size bytes (one RPC per slab) and a slab is returned only when all
 * its pages are free. Pages are handed out from the lowest-addressed slab
 * with room, which keeps the used pages packed and lets the upper slabs
 * drain. Descriptors live 63 to a page, behind a small header in the
 * page's first 64 bytes (pages are page-aligned, so a descriptor finds its
 * page by masking its address).
 *
 * Growing: when no slab has a free page, a new slab is taken if our quota
 * covers it beyond the reserve. The reserve is MEM_RESERVE, the unspent
 * part of the client's donation (the parent takes it back when the session
 * closes), and the size of the backend session's buffer: that dataspace
 * belongs to the backend's PD, but the pages we write first are charged to
 * our memory cgroup, which core keeps at our quota (plus a little slack).
 * Otherwise the parent is asked for the difference (a resource request);
 * once it refused, or after we yielded memory, it is not asked again and
 * the cache evicts instead. Slab bookkeeping is on the C heap: a few dozen
 * bytes per slab.
 *
 * Yielding (main.c): the highest slabs are marked draining; nothing is
 * allocated from them any more (pages, nor descriptor slots in their
 * descriptor pages), lru_compact() moves what they hold elsewhere, and
 * each goes back to the PD the moment it is empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "blk_cache.h"

#define DSLOTS	(LRU_PAGE_SIZE / LRU_DESC_SIZE - 1)
#define GROW_RETRY_US	50000

struct slab {
	struct cairn_ds ds;
	unsigned char *base;
	unsigned npages, nfree;
	void *free;			/* free pages, linked through them */
	bool draining;			/* to be emptied and returned */
};

/* The header of a page of descriptors (its first LRU_DESC_SIZE bytes). */
struct dpage {
	struct dpage *prev, *next;	/* pages with free slots */
	void *free;			/* free slots, linked through them */
	unsigned used;
};

_Static_assert(sizeof(struct dpage) <= LRU_DESC_SIZE, "header fits a slot");

/* --- slabs --- */

static unsigned
slab_find(const struct mem *mm, const void *p)
{
	const unsigned char *a = p;
	unsigned lo = 0, hi = mm->nslabs, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (a < mm->slabs[mid]->base)
			hi = mid;
		else
			lo = mid;
	}
	return lo;
}

static void
slab_release(struct mem *mm, unsigned i)
{
	struct slab *s = mm->slabs[i];

	if (s->draining)
		mm->draining--;
	mm->held -= s->ds.size;
	cairn_ram_free(mm->m->env, &s->ds);
	free(s);
	memmove(&mm->slabs[i], &mm->slabs[i + 1],
	    (mm->nslabs - i - 1) * sizeof(mm->slabs[0]));
	mm->nslabs--;
	mm->hint = 0;
}

/* Make sure the quota covers one more slab, asking the parent if not. */
static int
quota_for_slab(struct mem *mm)
{
	struct main *m = mm->m;
	uint64_t quota, used, need;

	if (cairn_ram_quota(m->env, &quota, &used) < 0)
		return -EPIPE;
	need = used + mm->slab_size + mm->reserve;
	if (quota >= need)
		return 0;
	if (mm->denied)
		return -EDQUOT;
	if (cairn_resource_request(m->env, need - quota, 1000) < 0) {
		mm->denied = true;
		cairn_log(m->env, "RAM: parent denied %llu more bytes; evicting "
		    "least recently used chunks from now on (cache memory %zu "
		    "bytes)", (unsigned long long)(need - quota), mm->held);
		return -EDQUOT;
	}
	mm->granted += need - quota;
	if (m->verbose)
		cairn_log(m->env, "RAM: parent granted %llu bytes",
		    (unsigned long long)(need - quota));
	return 0;
}

static int
grow(struct mem *mm)
{
	struct slab *s, **v;
	unsigned i;
	int r;

	/*
	 * Once the quota is used up, every allocation would ask core again;
	 * wait a little before the next look (quota only comes back with a
	 * yield, a closed session or a raised quantum, all rare).
	 */
	if (mm->no_grow || cairn_now_us() < mm->retry_us)
		return -EDQUOT;
	if ((r = quota_for_slab(mm)) < 0) {
		mm->retry_us = cairn_now_us() + GROW_RETRY_US;
		return r;
	}
	if (mm->nslabs == mm->cap) {
		v = realloc(mm->slabs, (mm->cap * 2 + 8) * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		mm->slabs = v;
		mm->cap = mm->cap * 2 + 8;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	if ((r = cairn_ram_alloc(mm->m->env, mm->slab_size, &s->ds)) < 0) {
		free(s);
		return r;
	}
	s->base = s->ds.addr;
	/*
	 * The free list below touches every page: fault them in with one
	 * call rather than one exception each (an old kernel ignores it).
	 */
	(void)madvise(s->base, s->ds.size, MADV_POPULATE_WRITE);
	s->npages = (unsigned)(s->ds.size / LRU_PAGE_SIZE);
	for (i = s->npages; i-- > 0;) {
		*(void **)(s->base + (size_t)i * LRU_PAGE_SIZE) = s->free;
		s->free = s->base + (size_t)i * LRU_PAGE_SIZE;
	}
	s->nfree = s->npages;
	for (i = mm->nslabs; i > 0 && mm->slabs[i - 1]->base > s->base; i--)
		mm->slabs[i] = mm->slabs[i - 1];
	mm->slabs[i] = s;
	mm->nslabs++;
	mm->hint = 0;
	mm->held += s->ds.size;
	return 0;
}

/* Whether a slab other than slabs[i] has no page in use. */
static bool
other_empty(const struct mem *mm, unsigned i)
{
	unsigned j;

	for (j = 0; j < mm->nslabs; j++)
		if (j != i && mm->slabs[j]->nfree == mm->slabs[j]->npages)
			return true;
	return false;
}

static void *
page_get(struct mem *mm)
{
	struct slab *s;
	void *p;

	for (;;) {
		while (mm->hint < mm->nslabs && (mm->slabs[mm->hint]->nfree == 0 ||
		    mm->slabs[mm->hint]->draining))
			mm->hint++;
		if (mm->hint < mm->nslabs)
			break;
		if (grow(mm) < 0)
			return NULL;
	}
	s = mm->slabs[mm->hint];
	p = s->free;
	s->free = *(void **)p;
	s->nfree--;
	return p;
}

static void
page_put(struct mem *mm, void *p)
{
	unsigned i = slab_find(mm, p);
	struct slab *s = mm->slabs[i];

	*(void **)p = s->free;
	s->free = p;
	s->nfree++;
	if (i < mm->hint)
		mm->hint = i;
	/* Keep one empty slab against alloc/free churn at the boundary. */
	if (s->nfree == s->npages && (s->draining || other_empty(mm, i)))
		slab_release(mm, i);
}

/* --- descriptors --- */

static void
dpage_unlink(struct mem *mm, struct dpage *d)
{
	if (d->prev)
		d->prev->next = d->next;
	else
		mm->dpages = d->next;
	if (d->next)
		d->next->prev = d->prev;
	d->prev = d->next = NULL;
}

static void
dpage_link(struct mem *mm, struct dpage *d)
{
	d->prev = NULL;
	d->next = mm->dpages;
	if (mm->dpages)
		mm->dpages->prev = d;
	mm->dpages = d;
}

/* Whether p lies in a slab being drained. */
static bool
in_draining(const struct mem *mm, const void *p)
{
	const struct slab *s;

	if (mm->draining == 0 || mm->nslabs == 0)
		return false;
	s = mm->slabs[slab_find(mm, p)];
	return s->draining && (const unsigned char *)p >= s->base &&
	    (const unsigned char *)p < s->base + s->ds.size;
}

static void *
desc_get(struct mem *mm)
{
	struct dpage *d = mm->dpages;
	unsigned char *slot;
	unsigned i;

	while (d != NULL && in_draining(mm, d))
		d = d->next;
	if (d == NULL) {
		if ((d = page_get(mm)) == NULL)
			return NULL;
		memset(d, 0, sizeof(*d));
		for (i = DSLOTS; i >= 1; i--) {
			slot = (unsigned char *)d + i * LRU_DESC_SIZE;
			*(void **)slot = d->free;
			d->free = slot;
		}
		dpage_link(mm, d);
	}
	slot = d->free;
	d->free = *(void **)slot;
	if (++d->used == DSLOTS)
		dpage_unlink(mm, d);
	return slot;
}

static void
desc_put(struct mem *mm, void *p)
{
	struct dpage *d = (struct dpage *)((uintptr_t)p &
	    ~(uintptr_t)(LRU_PAGE_SIZE - 1));

	if (d->used == DSLOTS)
		dpage_link(mm, d);
	*(void **)p = d->free;
	d->free = p;
	/* An empty page goes back unless it is the only one with room. */
	if (--d->used == 0 && (d->prev != NULL || d->next != NULL ||
	    in_draining(mm, d))) {
		dpage_unlink(mm, d);
		page_put(mm, d);
	}
}

/* --- the allocator the lru uses --- */

static void *
m_alloc(struct cairn_alloc *a, size_t size)
{
	struct mem *mm = (struct mem *)a;

	if (size <= LRU_DESC_SIZE)
		return desc_get(mm);
	if (size <= LRU_PAGE_SIZE)
		return page_get(mm);
	return NULL;
}

static void
m_free(struct cairn_dealloc *d, void *p, size_t size)
{
	struct mem *mm = (struct mem *)d;

	if (size <= LRU_DESC_SIZE)
		desc_put(mm, p);
	else
		page_put(mm, p);
}

static size_t
m_consumed(const struct cairn_alloc *a)
{
	return ((const struct mem *)a)->held;
}

void
mem_init(struct mem *mm, struct main *m, size_t slab_size)
{
	memset(mm, 0, sizeof(*mm));
	mm->alloc.dealloc.free = m_free;
	mm->alloc.alloc = m_alloc;
	mm->alloc.consumed = m_consumed;
	mm->m = m;
	mm->slab_size = slab_size;
	mm->reserve_base = mm->reserve = MEM_RESERVE;
}

size_t
mem_trim(struct mem *mm)
{
	size_t before = mm->held;
	unsigned i = mm->nslabs;

	while (i-- > 0)
		if (mm->slabs[i]->nfree == mm->slabs[i]->npages)
			slab_release(mm, i);
	return before - mm->held;
}

size_t
mem_drain_begin(struct mem *mm, size_t want)
{
	size_t marked = 0;
	unsigned i = mm->nslabs;

	/* The highest ones: allocation fills from the bottom up. */
	while (i-- > 0 && marked < want) {
		if (mm->slabs[i]->draining)
			continue;
		mm->slabs[i]->draining = true;
		mm->draining++;
		marked += mm->slabs[i]->ds.size;
	}
	return marked;
}

bool
mem_draining(void *ctx, const void *p)
{
	return in_draining(ctx, p);
}

void
mem_drain_counts(const struct mem *mm, size_t *used, size_t *room)
{
	unsigned i;

	*used = *room = 0;
	for (i = 0; i < mm->nslabs; i++)
		if (mm->slabs[i]->draining)
			*used += mm->slabs[i]->npages - mm->slabs[i]->nfree;
		else
			*room += mm->slabs[i]->nfree;
}

void
mem_drain_end(struct mem *mm)
{
	unsigned i;

	for (i = 0; i < mm->nslabs; i++)
		mm->slabs[i]->draining = false;
	mm->draining = 0;
	mm->hint = 0;
}

uint64_t
mem_spare(struct mem *mm)
{
	uint64_t quota, used;

	if (cairn_ram_quota(mm->m->env, &quota, &used) < 0 ||
	    quota < used + mm->reserve)
		return 0;
	return quota - used - mm->reserve;
}
