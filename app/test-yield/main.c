/*
 * test-yield: holds RAM in blocks like a cache and gives blocks back when
 * its parent asks (yield request).
 * SPDX-License-Identifier: MIT
 */
#include <string.h>

#include <cairn/alloc.h>
#include <cairn/env.h>

#define BLOCK	(256 * 1024)
#define NBLOCKS	12

struct main {
	struct cairn_env *env;
	struct cairn_quota_alloc heap;
	void *blocks[NBLOCKS];
	unsigned held;
};

static void
on_yield(void *ctx, uint64_t amount)
{
	struct main *mn = ctx;
	uint64_t freed = 0;

	/* Give back whole blocks, newest first, until the amount is met. */
	while (freed < amount && mn->held > 0) {
		mn->held--;
		cairn_free(cairn_alloc_dealloc(&mn->heap.alloc),
		    mn->blocks[mn->held], BLOCK);
		freed += BLOCK;
	}
	cairn_log(mn->env, "yield: asked for %llu bytes, freed %llu, %u blocks "
	    "left", (unsigned long long)amount, (unsigned long long)freed,
	    mn->held);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	uint64_t quota, used;

	mn.env = env;
	cairn_quota_alloc_init(&mn.heap, env, 0);
	while (mn.held < NBLOCKS) {
		void *p = cairn_alloc(&mn.heap.alloc, BLOCK);

		if (p == NULL)
			break;
		memset(p, 0xab, BLOCK);
		mn.blocks[mn.held++] = p;
	}
	if (cairn_yield_handler(env, on_yield, &mn) < 0)
		cairn_error(env, "cannot register the yield handler");
	(void)cairn_ram_quota(env, &quota, &used);
	cairn_log(env, "holding %u blocks (%llu of %llu bytes)", mn.held,
	    (unsigned long long)used, (unsigned long long)quota);
}
