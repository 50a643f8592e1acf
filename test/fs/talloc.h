/*
 * A heap allocator with a limit, for tests of code that takes a
 * struct cairn_alloc: counts what is held, refuses beyond the limit.
 * SPDX-License-Identifier: MIT
 */
#ifndef TEST_FS_TALLOC_H
#define TEST_FS_TALLOC_H

#include <stdlib.h>

#include <cairn/alloc.h>

struct talloc {
	struct cairn_alloc alloc;
	size_t used, limit;
	unsigned long count;		/* blocks held */
	unsigned long refused;
};

static void *
talloc_alloc(struct cairn_alloc *a, size_t size)
{
	struct talloc *t = (struct talloc *)a;

	if (t->limit && t->used + size > t->limit) {
		t->refused++;
		return NULL;
	}
	t->used += size;
	t->count++;
	return malloc(size);
}

static void
talloc_free(struct cairn_dealloc *d, void *p, size_t size)
{
	struct talloc *t = (struct talloc *)d;

	t->used -= size;
	t->count--;
	free(p);
}

static size_t
talloc_consumed(const struct cairn_alloc *a)
{
	return ((const struct talloc *)a)->used;
}

static inline void
talloc_init(struct talloc *t, size_t limit)
{
	t->alloc.dealloc.free = talloc_free;
	t->alloc.alloc = talloc_alloc;
	t->alloc.consumed = talloc_consumed;
	t->used = 0;
	t->limit = limit;
	t->count = 0;
	t->refused = 0;
}

#endif
