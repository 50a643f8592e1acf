/*
 * Root helper: session creation and destruction for servers.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/root.h>
#include <cairn/session/root.h>

struct root_session {
	uint64_t id;
	struct rpc_obj *obj;
	struct root_session *next;
};

struct cairn_root {
	struct cairn_env *env;
	const struct cairn_root_ops *ops;
	void *ctx;
	char service[CAIRN_SERVICE_NAME_MAX];
	struct rpc_obj *obj;
	struct root_session *sessions;
	uint64_t next_id;
	unsigned count;
};

static int
h_session(struct rpc_msg *m)
{
	struct cairn_root *r = rpc_obj_priv(m->obj);
	struct root_session_args a;
	struct root_session_res *res = m->res;
	struct root_session *s;
	char label[CAIRN_LABEL_MAX];
	uint64_t quota;
	int st, cap;

	memcpy(&a, m->args, sizeof(a));
	a.args[sizeof(a.args) - 1] = '\0';
	memset(res, 0, sizeof(*res));
	m->res_size = sizeof(*res);
	if (cairn_arg_str(a.args, "label", label, sizeof(label)) < 0)
		snprintf(label, sizeof(label), "<undefined>");
	quota = cairn_arg_u64(a.args, "ram_quota", 0);
	if (quota < r->ops->min_quota) {
		snprintf(res->detail, sizeof(res->detail), "insufficient ram "
		    "donation from \"%s\": %llu, need %llu", label,
		    (unsigned long long)quota,
		    (unsigned long long)r->ops->min_quota);
		return ROOT_QUOTA;	/* the parent logs it, once */
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ROOT_UNAVAILABLE;
	st = r->ops->create(r->ctx, label, a.args, quota, &s->obj, res->detail,
	    sizeof(res->detail));
	if (st != ROOT_OK) {
		free(s);
		return st;	/* the parent logs the refusal, once */
	}
	cap = rpc_obj_cap(s->obj);
	if (cap < 0) {
		r->ops->destroy(r->ctx, s->obj);
		free(s);
		return ROOT_UNAVAILABLE;
	}
	s->id = ++r->next_id;
	s->next = r->sessions;
	r->sessions = s;
	r->count++;
	res->id = s->id;
	m->res_fds[0] = cap;
	m->res_nfds = 1;
	return ROOT_OK;
}

static struct root_session *
take(struct cairn_root *r, uint64_t id)
{
	struct root_session **pp, *s;

	for (pp = &r->sessions; (s = *pp) != NULL; pp = &s->next)
		if (s->id == id) {
			*pp = s->next;
			r->count--;
			return s;
		}
	return NULL;
}

static int
h_close(struct rpc_msg *m)
{
	struct cairn_root *r = rpc_obj_priv(m->obj);
	const struct root_close_args *a = m->args;
	struct root_session *s = take(r, a->id);

	if (s == NULL)
		return ROOT_DENIED;
	r->ops->destroy(r->ctx, s->obj);
	free(s);
	return ROOT_OK;
}

static int
h_upgrade(struct rpc_msg *m)
{
	struct cairn_root *r = rpc_obj_priv(m->obj);
	const struct root_upgrade_args *a = m->args;
	struct root_session *s;

	for (s = r->sessions; s != NULL; s = s->next)
		if (s->id == a->id) {
			if (r->ops->upgrade)
				r->ops->upgrade(r->ctx, s->obj, a->ram_quota);
			return ROOT_OK;
		}
	return ROOT_DENIED;
}

static const struct rpc_op root_ops[ROOT_N_OPS] = {
	[ROOT_SESSION] = { "session", sizeof(struct root_session_args), 0,
	    h_session },
	[ROOT_UPGRADE] = { "upgrade", sizeof(struct root_upgrade_args), 0,
	    h_upgrade },
	[ROOT_CLOSE] = { "close", sizeof(struct root_close_args), 0, h_close },
};

static const struct rpc_iface root_iface = { "Root", root_ops, ROOT_N_OPS,
    NULL, true };

struct cairn_root *
cairn_root_announce(struct cairn_env *env, const char *service,
    const struct cairn_root_ops *ops, void *ctx)
{
	struct cairn_root *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->env = env;
	r->ops = ops;
	r->ctx = ctx;
	snprintf(r->service, sizeof(r->service), "%s", service);
	r->obj = rpc_obj_create(env->ep, &root_iface, r);
	if (r->obj == NULL || cairn_announce(env, service, r->obj) < 0) {
		rpc_obj_destroy(r->obj);
		free(r);
		return NULL;
	}
	return r;
}

unsigned
cairn_root_sessions(const struct cairn_root *r)
{
	return r->count;
}
