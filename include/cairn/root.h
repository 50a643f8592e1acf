/*
 * Root helper: the server side of session creation, for every service.
 * SPDX-License-Identifier: MIT
 *
 * A server fills in a struct cairn_root_ops (create and destroy a session
 * object) and announces it; the helper serves the root interface, numbers
 * sessions, checks that the donated quota covers the session's declared
 * cost, and destroys sessions on close or when their client vanished.
 */
#ifndef CAIRN_ROOT_H
#define CAIRN_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include <cairn/env.h>

struct cairn_root;

struct cairn_root_ops {
	/*
	 * Create a session for `label` with session args `args` and the
	 * donated ram_quota. Return 0 and *obj (an object of the server's
	 * session interface), or a root status (ROOT_DENIED, ROOT_QUOTA,
	 * ROOT_UNAVAILABLE) with an explanation in detail.
	 */
	int (*create)(void *ctx, const char *label, const char *args,
	    uint64_t ram_quota, struct rpc_obj **obj, char *detail,
	    size_t detail_cap);
	/* Destroy a session's object (and everything it holds). */
	void (*destroy)(void *ctx, struct rpc_obj *obj);
	/* Optional: more quota donated to a session. */
	void (*upgrade)(void *ctx, struct rpc_obj *obj, uint64_t ram_quota);
	/* Least quota a session must bring (checked before create). */
	uint64_t min_quota;
};

/* Serve `service` with ops and announce it to the parent. NULL on error. */
struct cairn_root *cairn_root_announce(struct cairn_env *env,
    const char *service, const struct cairn_root_ops *ops, void *ctx);

/* Number of live sessions. */
unsigned cairn_root_sessions(const struct cairn_root *root);

#endif
