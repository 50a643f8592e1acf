/*
 * Component environment: startup, sessions through the parent, RAM, exit.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/session/log.h>
#include <cairn/session/parent.h>
#include <cairn/session/pd.h>

#include "base_impl.h"

/* Map a parent status to the errno users of cairn_session() see. */
static int
parent_errno(int status)
{
	switch (status) {
	case PARENT_DENIED:	return -EACCES;
	case PARENT_QUOTA:	return -EDQUOT;
	case PARENT_UNAVAILABLE: return -EAGAIN;
	case RPC_E_DEAD:	return -EPIPE;
	default:		return -EINVAL;
	}
}

int
cairn_session(struct cairn_env *env, const char *service, const char *args,
    uint64_t *id, char *detail, size_t detail_cap)
{
	struct parent_session_args a;
	struct parent_session_res res;
	int fd = -1;
	unsigned nfds = 1;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	if (strlen(service) >= sizeof(a.service) ||
	    strlen(args) >= sizeof(a.args))
		return -EINVAL;
	strcpy(a.service, service);
	strcpy(a.args, args);
	r = rpc_call(env->parent, PARENT_SESSION, &a, sizeof(a), NULL, 0, &res,
	    sizeof(res), NULL, &fd, &nfds);
	res.detail[sizeof(res.detail) - 1] = '\0';
	if (detail && detail_cap)
		snprintf(detail, detail_cap, "%s", res.detail);
	if (r != RPC_OK) {
		if (nfds == 1)
			close(fd);
		return parent_errno(r);
	}
	if (nfds != 1)
		return -EPROTO;
	if (id)
		*id = res.id;
	return fd;
}

int
cairn_session_upgrade(struct cairn_env *env, uint64_t id, uint64_t amount)
{
	struct parent_upgrade_args a = { .id = id, .ram_quota = amount };
	int r = rpc_call_simple(env->parent, PARENT_UPGRADE, &a, sizeof(a),
	    NULL, 0);

	return r == RPC_OK ? 0 : parent_errno(r);
}

void
cairn_session_close(struct cairn_env *env, uint64_t id, int cap)
{
	struct parent_close_args a = { .id = id };

	if (cap >= 0)
		close(cap);
	(void)rpc_call_simple(env->parent, PARENT_CLOSE, &a, sizeof(a), NULL,
	    0);
}

int
cairn_announce(struct cairn_env *env, const char *service,
    struct rpc_obj *root)
{
	struct parent_announce_args a;
	int cap, r;

	memset(&a, 0, sizeof(a));
	if (strlen(service) >= sizeof(a.service))
		return -EINVAL;
	strcpy(a.service, service);
	cap = rpc_obj_cap(root);
	if (cap < 0)
		return cap;
	r = rpc_call(env->parent, PARENT_ANNOUNCE, &a, sizeof(a), &cap, 1,
	    NULL, 0, NULL, NULL, NULL);
	close(cap);
	return r == RPC_OK ? 0 : parent_errno(r);
}

__attribute__((noreturn)) void
cairn_exit(struct cairn_env *env, int value)
{
	struct parent_exit_args a = { .value = value };

	(void)rpc_call_simple(env->parent, PARENT_EXIT, &a, sizeof(a), NULL, 0);
	_exit(value);
}

/* --- RAM --- */

int
cairn_ram_alloc(struct cairn_env *env, size_t size, struct cairn_ds *ds)
{
	struct pd_ram_alloc_args a = { .size = size };
	struct pd_error_res err;
	unsigned nfds = 1;
	int fd = -1, r;

	memset(&err, 0, sizeof(err));
	memset(ds, 0, sizeof(*ds));
	ds->fd = -1;
	r = rpc_call(env->pd, PD_RAM_ALLOC, &a, sizeof(a), NULL, 0, &err,
	    sizeof(err), NULL, &fd, &nfds);
	if (r != RPC_OK) {
		if (nfds == 1)
			close(fd);
		if (r == PD_QUOTA_EXCEEDED)
			cairn_warn(env, "RAM quota exceeded: %zu bytes needed, "
			    "%llu available (raise 'quantum' of <start name=\"%s\">)",
			    size, (unsigned long long)err.available, env->name);
		return r == PD_QUOTA_EXCEEDED ? -EDQUOT :
		    r == RPC_E_DEAD ? -EPIPE : -EINVAL;
	}
	if (nfds != 1)
		return -EPROTO;
	r = cairn_ds_from_fd(ds, fd);
	if (r == 0)
		r = cairn_ds_attach(ds, true);
	if (r < 0) {
		close(fd);
		ds->fd = -1;
	}
	return r;
}

void
cairn_ram_free(struct cairn_env *env, struct cairn_ds *ds)
{
	if (ds->fd < 0)
		return;
	cairn_ds_detach(ds);
	(void)rpc_call(env->pd, PD_RAM_FREE, NULL, 0, &ds->fd, 1, NULL, 0,
	    NULL, NULL, NULL);
	cairn_ds_release(ds);
}

int
cairn_ram_quota(struct cairn_env *env, uint64_t *quota, uint64_t *used)
{
	struct pd_quota_res q;
	int r = rpc_call_simple(env->pd, PD_QUOTA, NULL, 0, &q, sizeof(q));

	if (r != RPC_OK)
		return -EPIPE;
	*quota = q.quota;
	*used = q.used;
	return 0;
}

int
cairn_resource_request(struct cairn_env *env, uint64_t amount, int timeout_ms)
{
	struct parent_resource_args a = { .ram_quota = amount };
	int r;

	/* Our parents decide at once; the timeout is kept for parents that
	 * forward the request further up. */
	(void)timeout_ms;
	r = rpc_call_simple(env->parent, PARENT_RESOURCE_REQUEST, &a,
	    sizeof(a), NULL, 0);
	return r == RPC_OK ? 0 : -EDQUOT;
}

struct yield_state {
	struct cairn_env *env;
	void (*fn)(void *ctx, uint64_t amount);
	void *ctx;
	struct cairn_sig *sig;
};

static void
yield_signal(void *ctx, uint64_t count)
{
	struct yield_state *y = ctx;
	struct parent_yield_res res;

	if (rpc_call_simple(y->env->parent, PARENT_YIELD_REQUEST, NULL, 0,
	    &res, sizeof(res)) != RPC_OK)
		return;
	y->fn(y->ctx, res.ram_quota);
	(void)rpc_call_simple(y->env->parent, PARENT_YIELD_RESPONSE, NULL, 0,
	    NULL, 0);
}

int
cairn_yield_handler(struct cairn_env *env,
    void (*fn)(void *ctx, uint64_t amount), void *ctx)
{
	struct yield_state *y = calloc(1, sizeof(*y));
	int cap, r;

	if (y == NULL)
		return -ENOMEM;
	y->env = env;
	y->fn = fn;
	y->ctx = ctx;
	y->sig = cairn_sig_create(env->ep, yield_signal, y);
	if (y->sig == NULL) {
		free(y);
		return -ENOMEM;
	}
	cap = cairn_sig_cap(y->sig);
	if (cap < 0)
		return cap;
	r = rpc_call(env->parent, PARENT_YIELD_SIGH, NULL, 0, &cap, 1, NULL, 0,
	    NULL, NULL, NULL);
	close(cap);
	return r == RPC_OK ? 0 : -EPIPE;
}

/* --- host resources: CAIRN_HOST="name=fd,name2=fd2" set by core --- */

int
cairn_host_fd(struct cairn_env *env, const char *name)
{
	const char *list = getenv("CAIRN_HOST");
	size_t len = strlen(name);

	(void)env;
	while (list && *list) {
		const char *eq = strchr(list, '=');

		if (eq == NULL)
			break;
		if ((size_t)(eq - list) == len && strncmp(list, name, len) == 0)
			return atoi(eq + 1);
		list = strchr(eq, ',');
		if (list)
			list++;
	}
	return -ENOENT;
}

/* --- logging --- */

void
cairn_vlog(struct cairn_env *env, const char *prefix, const char *fmt,
    va_list ap)
{
	char buf[1024];
	const char *p;
	int n;

	n = snprintf(buf, sizeof(buf), "%s", prefix ? prefix : "");
	if (n >= 0 && (size_t)n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	/* One LOG call per line; long lines are split. */
	for (p = buf; *p; ) {
		struct log_write_args a;
		size_t l = strcspn(p, "\n");

		if (l > LOG_LINE_MAX)
			l = LOG_LINE_MAX;
		memset(&a, 0, sizeof(a));
		a.len = (uint32_t)l;
		memcpy(a.text, p, l);
		if (env == NULL || env->log < 0 ||
		    rpc_call_simple(env->log, LOG_WRITE, &a, sizeof(a), NULL,
		    0) != RPC_OK) {
			/* No LOG session (yet): core collects stderr. */
			dprintf(2, "%.*s\n", (int)l, p);
		}
		p += l;
		if (*p == '\n')
			p++;
	}
}

void
cairn_log(struct cairn_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_vlog(env, NULL, fmt, ap);
	va_end(ap);
}

void
cairn_warn(struct cairn_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_vlog(env, "Warning: ", fmt, ap);
	va_end(ap);
}

void
cairn_error(struct cairn_env *env, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_vlog(env, "Error: ", fmt, ap);
	va_end(ap);
}
