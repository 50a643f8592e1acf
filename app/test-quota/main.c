/*
 * test-quota: RAM quota enforcement, resource requests, and a component
 * that touches more memory than it was given.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/alloc.h>
#include <cairn/env.h>

void
construct(struct cairn_env *env)
{
	struct cairn_ds ds;
	uint64_t quota, used;
	int r;

	if (cairn_ram_quota(env, &quota, &used) < 0)
		cairn_exit(env, 1);
	cairn_log(env, "quota %llu", (unsigned long long)quota);

	/* The quota allocator: a limit of its own, frees return quota. */
	{
		struct cairn_quota_alloc qa;
		struct cairn_dealloc *d;
		uint64_t before, after, q2;
		void *p1, *p2;

		cairn_quota_alloc_init(&qa, env, 64 * 1024);
		d = cairn_alloc_dealloc(&qa.alloc);
		(void)cairn_ram_quota(env, &q2, &before);
		p1 = cairn_alloc(&qa.alloc, 40000);
		p2 = cairn_alloc(&qa.alloc, 40000);
		if (p1)
			memset(p1, 7, 40000);
		cairn_free(d, p1, 40000);
		(void)cairn_ram_quota(env, &q2, &after);
		cairn_log(env, "quota allocator: %s, %s",
		    p1 && !p2 ? "limit enforced" : "LIMIT BROKEN",
		    after == before ? "memory returned" : "MEMORY KEPT");
		cairn_quota_alloc_fini(&qa);
	}

	/* A dataspace larger than the quota is refused, not fatal. */
	r = cairn_ram_alloc(env, (size_t)quota + 4096, &ds);
	cairn_log(env, "allocating beyond the quota: %s",
	    r == -EDQUOT ? "refused" : "ALLOWED");

	/* The parent grants a request within the configured limit ... */
	r = cairn_resource_request(env, 1 << 20, 1000);
	cairn_log(env, "request for 1 MiB: %s", r == 0 ? "granted" : "denied");
	if (r == 0 && cairn_ram_alloc(env, (size_t)quota + 4096, &ds) == 0) {
		memset(ds.addr, 1, ds.size);
		cairn_log(env, "allocation after the grant succeeded");
		cairn_ram_free(env, &ds);
	}
	/* ... and denies one beyond it. */
	r = cairn_resource_request(env, 64 << 20, 1000);
	cairn_log(env, "request for 64 MiB: %s", r == 0 ? "granted" : "denied");

	/* Now touch heap memory until the memory cgroup stops us. */
	cairn_log(env, "touching memory beyond the quota");
	for (;;) {
		char *p = malloc(1 << 20);

		if (p == NULL)
			break;
		memset(p, 0x5a, 1 << 20);
		/* Keep the compiler from dropping memory nobody reads. */
		__asm__ volatile("" : : "r"(p) : "memory");
	}
	cairn_error(env, "malloc failed before the quota was enforced");
	cairn_exit(env, 1);
}
