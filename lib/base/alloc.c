/*
 * Quota allocator: allocations backed by PD RAM dataspaces.
 * SPDX-License-Identifier: MIT
 */
#include <stdlib.h>
#include <string.h>

#include <cairn/alloc.h>
#include <cairn/env.h>

/* Bookkeeping lives outside the dataspace so a block is exactly its size. */
struct quota_block {
	struct cairn_ds ds;
	struct quota_block *next;
};

static void *
q_alloc(struct cairn_alloc *a, size_t size)
{
	struct cairn_quota_alloc *q = (struct cairn_quota_alloc *)a;
	struct quota_block *b;
	size_t rounded = (size + 4095) & ~(size_t)4095;

	if (size == 0 || rounded < size ||
	    (q->limit && q->used + rounded > q->limit))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	if (cairn_ram_alloc(q->env, rounded, &b->ds) < 0) {
		free(b);
		return NULL;
	}
	b->next = q->blocks;
	q->blocks = b;
	q->used += b->ds.size;
	return b->ds.addr;
}

static void
q_free(struct cairn_dealloc *d, void *p, size_t size)
{
	struct cairn_quota_alloc *q = (struct cairn_quota_alloc *)d;
	struct quota_block **pp, *b;

	(void)size;
	for (pp = &q->blocks; (b = *pp) != NULL; pp = &b->next)
		if (b->ds.addr == p) {
			*pp = b->next;
			q->used -= b->ds.size;
			cairn_ram_free(q->env, &b->ds);
			free(b);
			return;
		}
}

static size_t
q_consumed(const struct cairn_alloc *a)
{
	return ((const struct cairn_quota_alloc *)a)->used;
}

void
cairn_quota_alloc_init(struct cairn_quota_alloc *q, struct cairn_env *env,
    size_t limit)
{
	memset(q, 0, sizeof(*q));
	q->alloc.dealloc.free = q_free;
	q->alloc.alloc = q_alloc;
	q->alloc.consumed = q_consumed;
	q->env = env;
	q->limit = limit;
}

void
cairn_quota_alloc_fini(struct cairn_quota_alloc *q)
{
	while (q->blocks)
		q_free(&q->alloc.dealloc, q->blocks->ds.addr, 0);
}
