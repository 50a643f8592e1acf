/*
 * The File_system service: root, RPC wrappers, notification, accounting.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/root.h>

#include "fs_impl.h"

static struct fs_session *
session_of(struct rpc_msg *m)
{
	return rpc_obj_priv(m->obj);
}

static int
reply_handle(struct rpc_msg *m, int st, int32_t h)
{
	struct fs_handle_res *r = m->res;

	r->handle = h;
	m->res_size = sizeof(*r);
	return st;
}

static int
h_tx(struct rpc_msg *m)
{
	struct fs_tx_res *r = m->res;
	int ds, wake, st;

	if (m->nfds != 1)
		return FS_INVALID_ARGUMENT;
	memset(r, 0, sizeof(*r));
	st = fs_stream_create(session_of(m), m->fds[0], &ds, &wake, r);
	m->fds[0] = -1;		/* taken in any case */
	if (st != FS_OK)
		return st;
	m->res_size = sizeof(*r);
	m->res_fds[0] = ds;
	m->res_fds[1] = wake;
	m->res_nfds = 2;
	return FS_OK;
}

static int
h_file(struct rpc_msg *m)
{
	int32_t h;
	int st = fs_do_file(session_of(m), m->args, &h);

	return reply_handle(m, st, h);
}

static int
h_symlink(struct rpc_msg *m)
{
	int32_t h;
	int st = fs_do_symlink(session_of(m), m->args, &h);

	return reply_handle(m, st, h);
}

static int
h_dir(struct rpc_msg *m)
{
	int32_t h;
	int st = fs_do_dir(session_of(m), m->args, &h);

	return reply_handle(m, st, h);
}

static int
h_node(struct rpc_msg *m)
{
	int32_t h;
	int st = fs_do_node(session_of(m), m->args, &h);

	return reply_handle(m, st, h);
}

static int
h_close(struct rpc_msg *m)
{
	const struct fs_handle_args *a = m->args;

	return fs_do_close(session_of(m), a->handle);
}

static int
h_status(struct rpc_msg *m)
{
	const struct fs_handle_args *a = m->args;
	struct fs_status st;
	int r = fs_do_status(session_of(m), a->handle, &st);

	memcpy(m->res, &st, sizeof(st));
	m->res_size = sizeof(st);
	return r;
}

static int
h_control(struct rpc_msg *m)
{
	return fs_do_control(session_of(m), m->args);
}

static int
h_unlink(struct rpc_msg *m)
{
	return fs_do_unlink(session_of(m), m->args);
}

static int
h_truncate(struct rpc_msg *m)
{
	return fs_do_truncate(session_of(m), m->args);
}

static int
h_move(struct rpc_msg *m)
{
	return fs_do_move(session_of(m), m->args);
}

static int
h_sigh(struct rpc_msg *m)
{
	const struct fs_handle_args *a = m->args;
	int st = fs_do_sigh(session_of(m), a->handle,
	    m->nfds ? m->fds[0] : -1);

	if (st == FS_OK && m->nfds)
		m->fds[0] = -1;		/* kept by the handle */
	return st;
}

static int
h_sync(struct rpc_msg *m)
{
	return fs_do_sync(session_of(m));
}

static int
h_link(struct rpc_msg *m)
{
	return fs_do_link(session_of(m), m->args);
}

static int
h_allocate(struct rpc_msg *m)
{
	return fs_do_allocate(session_of(m), m->args);
}

static int
h_lookup(struct rpc_msg *m)
{
	struct fs_status st;
	int r = fs_do_lookup(session_of(m), m->args, &st);

	memcpy(m->res, &st, sizeof(st));
	m->res_size = sizeof(st);
	return r;
}

static int
h_create(struct rpc_msg *m)
{
	struct fs_create_res res;
	int r = fs_do_create(session_of(m), m->args, &res);

	memcpy(m->res, &res, sizeof(res));
	m->res_size = sizeof(res);
	return r;
}

static int
h_close_many(struct rpc_msg *m)
{
	return fs_do_close_many(session_of(m), m->args);
}

static int
h_remove(struct rpc_msg *m)
{
	struct fs_status st;
	int r = fs_do_remove(session_of(m), m->args, &st);

	memcpy(m->res, &st, sizeof(st));
	m->res_size = sizeof(st);
	return r;
}

static int
h_watch(struct rpc_msg *m)
{
	int sig = -1;

	if (m->nfds && (sig = cairn_sig_cap_take(&m->fds[0])) < 0)
		return FS_INVALID_ARGUMENT;
	return fs_do_watch(session_of(m), sig);
}

static const struct rpc_op fs_rpc_ops[FS_N_OPS] = {
	[FS_TX] = { "tx", 0, 1, h_tx },
	[FS_FILE] = { "file", sizeof(struct fs_file_args), 0, h_file },
	[FS_SYMLINK] = { "symlink", sizeof(struct fs_symlink_args), 0,
	    h_symlink },
	[FS_DIR] = { "dir", sizeof(struct fs_dir_args), 0, h_dir },
	[FS_NODE] = { "node", sizeof(struct fs_node_args), 0, h_node },
	[FS_CLOSE] = { "close", sizeof(struct fs_handle_args), 0, h_close },
	[FS_STATUS] = { "status", sizeof(struct fs_handle_args), 0,
	    h_status },
	[FS_CONTROL] = { "control", sizeof(struct fs_control_args), 0,
	    h_control },
	[FS_UNLINK] = { "unlink", sizeof(struct fs_unlink_args), 0,
	    h_unlink },
	[FS_TRUNCATE] = { "truncate", sizeof(struct fs_truncate_args), 0,
	    h_truncate },
	[FS_MOVE] = { "move", sizeof(struct fs_move_args), 0, h_move },
	[FS_SIGH] = { "sigh", sizeof(struct fs_handle_args), 1, h_sigh },
	[FS_SYNC] = { "sync", 0, 0, h_sync },
	[FS_LINK] = { "link", sizeof(struct fs_link_args), 0, h_link },
	[FS_ALLOCATE] = { "allocate", sizeof(struct fs_allocate_args), 0,
	    h_allocate },
	[FS_LOOKUP] = { "lookup", sizeof(struct fs_lookup_args), 0,
	    h_lookup },
	[FS_CREATE] = { "create", sizeof(struct fs_create_args), 0,
	    h_create },
	[FS_WATCH] = { "watch", 0, 1, h_watch },
	[FS_REMOVE] = { "remove", sizeof(struct fs_unlink_args), 0,
	    h_remove },
	[FS_CLOSE_MANY] = { "close_many", sizeof(struct fs_close_many_args), 0,
	    h_close_many },
};

/*
 * The client's last connection closed (it exited or dropped the
 * capability): close its handles now, so that listeners in other sessions
 * hear of its changes without waiting for the parent's close.
 */
static void
released(struct rpc_obj *obj)
{
	struct fs_session *s = rpc_obj_priv(obj);
	unsigned i;

	for (i = 0; i < FS_MAX_HANDLES; i++)
		if (s->handles.slot[i].used)
			(void)fs_do_close(s, (int32_t)((s->handles.slot[i].gen
			    << FS_HANDLE_INDEX_BITS) | i));
}

static const struct rpc_iface fs_iface = { FS_SERVICE, fs_rpc_ops, FS_N_OPS,
    released, false };

static int
create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	struct fs_server *srv = ctx;
	struct fs_session *s;
	int st;

	st = fs_session_new(srv, label, args, quota, &s, detail, dcap);
	if (st != ROOT_OK) {
		if (srv->verbose)
			cairn_log(srv->env, "refused \"%s\": %s", label,
			    detail);
		return st;
	}
	s->obj = rpc_obj_create(srv->env->ep, &fs_iface, s);
	if (s->obj == NULL) {
		fs_session_free(s);
		snprintf(detail, dcap, "out of memory");
		return ROOT_UNAVAILABLE;
	}
	s->next = srv->sessions;
	srv->sessions = s;
	if (srv->verbose)
		cairn_log(srv->env, "session for \"%s\": root \"%s\", %s, "
		    "quota %llu", label, s->root_path,
		    s->writeable ? "writeable" : "read-only",
		    (unsigned long long)quota);
	*obj = s->obj;
	return ROOT_OK;
}

static void
destroy(void *ctx, struct rpc_obj *obj)
{
	struct fs_server *srv = ctx;
	struct fs_session *s = rpc_obj_priv(obj), **pp;

	for (pp = &srv->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (srv->verbose)
		cairn_log(srv->env, "closed session of \"%s\"", s->label);
	rpc_obj_destroy(obj);
	s->obj = NULL;
	fs_session_free(s);
}

static void
upgrade(void *ctx, struct rpc_obj *obj, uint64_t ram_quota)
{
	struct fs_session *s = rpc_obj_priv(obj);

	s->quota += ram_quota;
}

static const struct cairn_root_ops root_ops = {
	.create = create,
	.destroy = destroy,
	.upgrade = upgrade,
	.min_quota = FS_SESSION_MIN_QUOTA,
};

struct fs_server *
fs_server_create(struct cairn_env *env, const struct fs_ops *ops, void *fs,
    uint64_t root_node, const struct xml_node *config)
{
	struct fs_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->env = env;
	srv->ops = ops;
	srv->fs = fs;
	srv->root_node = root_node;
	fs_server_config(srv, config);
	return srv;
}

int
fs_server_announce(struct fs_server *srv)
{
	if (srv->env == NULL)
		return -EINVAL;
	srv->root = cairn_root_announce(srv->env, FS_SERVICE, &root_ops, srv);
	return srv->root ? 0 : -EPIPE;
}

void
fs_server_config(struct fs_server *srv, const struct xml_node *config)
{
	srv->have_config = config != NULL;
	if (config)
		srv->config = *config;
}

void
fs_server_verbose(struct fs_server *srv, bool verbose)
{
	srv->verbose = verbose;
}

uint64_t
fs_server_spare_quota(const struct fs_server *srv)
{
	const struct fs_session *s;
	uint64_t spare = 0;

	for (s = srv->sessions; s != NULL; s = s->next)
		if (s->quota > s->cost)
			spare += s->quota - s->cost;
	return spare;
}

void
fs_notify_node(struct fs_server *srv, uint64_t node)
{
	struct fs_session *s;
	unsigned i;

	for (s = srv->sessions; s != NULL; s = s->next)
		for (i = 0; i < FS_MAX_HANDLES; i++) {
			struct fs_handle *hd = &s->handles.slot[i];

			if (hd->used && hd->node == node && hd->sigh >= 0)
				cairn_sig_submit(hd->sigh);
		}
}

void
fs_changed(struct fs_server *srv, struct fs_session *s)
{
	struct fs_session *t;

	for (t = srv->sessions; t != NULL; t = t->next)
		if (t != s && t->watch_sig >= 0)
			cairn_sig_submit(t->watch_sig);
}

void
fs_server_notify(struct fs_server *srv, uint64_t node)
{
	fs_notify_node(srv, node);
	fs_changed(srv, NULL);
}
