/*
 * Session operations: decode every argument and handle, then invoke.
 * SPDX-License-Identifier: MIT
 *
 * Each fs_do_*() first checks everything a client sent — handles against
 * the session's table and kind, names, the session's write right, a free
 * handle slot — and only then calls the server's operation; a refusal
 * never leaves a half-done change behind. The server's own errors (-errno)
 * become statuses through fs_error_from_errno().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/root.h>

#include "fs_impl.h"

#define PAGE_ROUND(x)	(((x) + 4095) & ~(uint64_t)4095)
#define TX_BUF_MAX	(64ull << 20)

uint64_t
fs_session_cost(uint64_t tx_buf_size)
{
	return PAGE_ROUND(tx_buf_size) + PAGE_ROUND(sizeof(struct fs_session));
}

/* Lookup errors: a missing element, or one that is not a directory. */
static int
walk_status(int err)
{
	if (err == -ENOENT || err == -ENOTDIR)
		return FS_LOOKUP_FAILED;
	return fs_error_from_errno(err);
}

static int
node_type_of(struct fs_server *srv, uint64_t node, uint32_t *type)
{
	struct fs_status st;
	int r;

	memset(&st, 0, sizeof(st));
	r = srv->ops->stat(srv->fs, node, &st);
	if (r < 0)
		return r;
	*type = st.mode & FS_MODE_TYPE;
	return 0;
}

static int
node_type(struct fs_session *s, uint64_t node, uint32_t *type)
{
	return node_type_of(s->srv, node, type);
}

int
fs_session_new(struct fs_server *srv, const char *label, const char *args,
    uint64_t quota, struct fs_session **out, char *detail, size_t dcap)
{
	struct fs_policy p;
	struct fs_session *s;
	uint64_t tx, need, root;
	uint32_t type = 0;
	int r;

	/* Decode: policy, buffer size, quota, root — before any change. */
	r = fs_policy_select(srv->have_config ? &srv->config : NULL, label,
	    &p, detail, dcap);
	if (r == -ENOENT)
		return ROOT_DENIED;
	if (r < 0)
		return ROOT_UNAVAILABLE;
	tx = cairn_arg_u64(args, "tx_buf_size", FS_TX_BUF_DEFAULT);
	if (tx <= pkt_stream_meta_size(FS_PACKET_SLOTS) || tx > TX_BUF_MAX) {
		snprintf(detail, dcap, "tx_buf_size %llu of \"%s\" is out of "
		    "range (%zu < size <= %llu)", (unsigned long long)tx,
		    label, pkt_stream_meta_size(FS_PACKET_SLOTS), TX_BUF_MAX);
		return ROOT_DENIED;
	}
	need = fs_session_cost(tx);
	if (need < FS_SESSION_MIN_QUOTA)
		need = FS_SESSION_MIN_QUOTA;
	if (quota < need) {
		snprintf(detail, dcap, "insufficient ram donation from \"%s\": "
		    "%llu, need %llu (session + tx_buf_size %llu)", label,
		    (unsigned long long)quota, (unsigned long long)need,
		    (unsigned long long)tx);
		return ROOT_QUOTA;
	}
	r = fs_path_walk(srv->ops, srv->fs, srv->root_node, p.root, &root);
	if (r == 0)
		r = node_type_of(srv, root, &type);
	if (r < 0 || type != FS_MODE_DIRECTORY) {
		snprintf(detail, dcap, "root \"%s\" of the policy for \"%s\" "
		    "is not a directory", p.root, label);
		return ROOT_UNAVAILABLE;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(detail, dcap, "out of memory");
		return ROOT_UNAVAILABLE;
	}
	s->srv = srv;
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->root = root;
	snprintf(s->root_path, sizeof(s->root_path), "%s", p.root);
	s->writeable = p.writeable;
	s->quota = quota;
	s->cost = need;
	s->tx_buf_size = (size_t)tx;
	s->tx.fd = -1;
	s->wake = s->wake_wr = -1;
	s->peer = -1;
	s->watch_sig = -1;
	fs_handles_init(&s->handles);
	*out = s;
	return ROOT_OK;
}

/* Close a handle: the node's listeners hear of changes made through it. */
static void
handle_close(struct fs_session *s, struct fs_handle *hd)
{
	struct fs_server *srv = s->srv;
	uint64_t node = hd->node;
	bool modified = hd->modified;

	fs_handle_free(&s->handles, hd);
	if (srv->ops->close)
		srv->ops->close(srv->fs, node);
	if (modified)
		fs_notify_node(srv, node);
}

void
fs_session_free(struct fs_session *s)
{
	unsigned i;

	for (i = 0; i < FS_MAX_HANDLES; i++)
		if (s->handles.slot[i].used)
			handle_close(s, &s->handles.slot[i]);
	fs_stream_release(s);
	if (s->watch_sig >= 0)
		close(s->watch_sig);
	free(s);
}

/* A name from a fixed-size argument: NUL inside, and valid. */
static int
name_status(const char *name)
{
	if (memchr(name, '\0', FS_MAX_NAME_LEN) == NULL)
		return FS_NAME_TOO_LONG;
	switch (fs_name_check(name)) {
	case 0:			return FS_OK;
	case -ENAMETOOLONG:	return FS_NAME_TOO_LONG;
	default:		return FS_INVALID_NAME;
	}
}

static int
path_status(const char *path)
{
	if (memchr(path, '\0', FS_MAX_PATH_LEN) == NULL)
		return FS_NAME_TOO_LONG;
	return path[0] == '/' ? FS_OK : FS_LOOKUP_FAILED;
}

static struct fs_handle *
handle(struct fs_session *s, int32_t h, unsigned kinds)
{
	return fs_handle_get(&s->handles, h, kinds);
}

static int32_t
handle_new(struct fs_session *s, uint8_t kind, uint8_t mode, uint64_t node)
{
	struct fs_server *srv = s->srv;
	int32_t h = fs_handle_alloc(&s->handles, kind, mode, node);

	if (h >= 0 && srv->ops->open)
		srv->ops->open(srv->fs, node);
	return h;
}

int
fs_do_file(struct fs_session *s, const struct fs_file_args *a, int32_t *h)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *dir = handle(s, a->dir, FS_H_DIR);
	uint32_t type = 0, perm = a->perm & FS_MODE_PERM;
	uint64_t node;
	int st, r;

	*h = FS_HANDLE_INVALID;
	if (dir == NULL)
		return FS_INVALID_HANDLE;
	if ((st = name_status(a->name)) != FS_OK)
		return st;
	if (a->mode > FS_READ_WRITE)
		return FS_INVALID_ARGUMENT;
	if (!s->writeable && (a->create || (a->mode & FS_WRITE_ONLY)))
		return FS_PERMISSION_DENIED;
	if (s->handles.used >= FS_MAX_HANDLES)
		return FS_OUT_OF_NODE_HANDLES;
	if (a->create) {
		r = srv->ops->create(srv->fs, dir->node, a->name,
		    FS_MODE_FILE | (perm ? perm : 0644), &node);
		if (r < 0)
			return fs_error_from_errno(r);
		dir->modified = true;
		fs_changed(srv, s);
	} else {
		r = srv->ops->lookup(srv->fs, dir->node, a->name, &node);
		if (r == 0)
			r = node_type(s, node, &type);
		if (r < 0)
			return walk_status(r);
		if (type != FS_MODE_FILE)
			return FS_LOOKUP_FAILED;
	}
	*h = handle_new(s, FS_H_FILE, (uint8_t)a->mode, node);
	return FS_OK;
}

int
fs_do_symlink(struct fs_session *s, const struct fs_symlink_args *a,
    int32_t *h)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *dir = handle(s, a->dir, FS_H_DIR);
	uint32_t type = 0;
	uint64_t node;
	int st, r;

	*h = FS_HANDLE_INVALID;
	if (dir == NULL)
		return FS_INVALID_HANDLE;
	if ((st = name_status(a->name)) != FS_OK)
		return st;
	if (a->create && !s->writeable)
		return FS_PERMISSION_DENIED;
	if (s->handles.used >= FS_MAX_HANDLES)
		return FS_OUT_OF_NODE_HANDLES;
	if (a->create) {
		r = srv->ops->create(srv->fs, dir->node, a->name,
		    FS_MODE_SYMLINK | 0777, &node);
		if (r < 0)
			return fs_error_from_errno(r);
		dir->modified = true;
		fs_changed(srv, s);
	} else {
		r = srv->ops->lookup(srv->fs, dir->node, a->name, &node);
		if (r == 0)
			r = node_type(s, node, &type);
		if (r < 0)
			return walk_status(r);
		if (type != FS_MODE_SYMLINK)
			return FS_LOOKUP_FAILED;
	}
	*h = handle_new(s, FS_H_SYMLINK, s->writeable ? FS_READ_WRITE :
	    FS_READ_ONLY, node);
	return FS_OK;
}

int
fs_do_dir(struct fs_session *s, const struct fs_dir_args *a, int32_t *h)
{
	struct fs_server *srv = s->srv;
	char parent[FS_MAX_PATH_LEN], name[FS_MAX_NAME_LEN];
	uint32_t type = 0, perm = a->perm & FS_MODE_PERM;
	uint64_t node, pnode;
	int st, r;

	*h = FS_HANDLE_INVALID;
	if ((st = path_status(a->path)) != FS_OK)
		return st;
	if (a->create && !s->writeable)
		return FS_PERMISSION_DENIED;
	if (s->handles.used >= FS_MAX_HANDLES)
		return FS_OUT_OF_NODE_HANDLES;
	if (a->create) {
		/* Only the last element is made; "/" always exists. */
		r = fs_path_split(a->path, parent, sizeof(parent), name,
		    sizeof(name));
		if (r == -ENOENT && strspn(a->path, "/") == strlen(a->path))
			return FS_NODE_ALREADY_EXISTS;
		if (r < 0)
			return r == -ENAMETOOLONG ? FS_NAME_TOO_LONG :
			    FS_LOOKUP_FAILED;
		if ((st = name_status(name)) != FS_OK)
			return st == FS_INVALID_NAME ? FS_LOOKUP_FAILED : st;
		r = fs_path_walk(srv->ops, srv->fs, s->root, parent, &pnode);
		if (r < 0)
			return walk_status(r);
		r = srv->ops->create(srv->fs, pnode, name,
		    FS_MODE_DIRECTORY | (perm ? perm : 0755), &node);
		if (r < 0)
			return r == -ENOTDIR ? FS_LOOKUP_FAILED :
			    fs_error_from_errno(r);
		fs_notify_node(srv, pnode);
		fs_changed(srv, s);
	} else {
		r = fs_path_walk(srv->ops, srv->fs, s->root, a->path, &node);
		if (r == 0)
			r = node_type(s, node, &type);
		if (r < 0)
			return walk_status(r);
		if (type != FS_MODE_DIRECTORY)
			return FS_LOOKUP_FAILED;
	}
	*h = handle_new(s, FS_H_DIR, FS_READ_ONLY, node);
	return FS_OK;
}

int
fs_do_node(struct fs_session *s, const struct fs_node_args *a, int32_t *h)
{
	struct fs_server *srv = s->srv;
	uint64_t node;
	int st, r;

	*h = FS_HANDLE_INVALID;
	if ((st = path_status(a->path)) != FS_OK)
		return st;
	if (s->handles.used >= FS_MAX_HANDLES)
		return FS_OUT_OF_NODE_HANDLES;
	r = fs_path_walk(srv->ops, srv->fs, s->root, a->path, &node);
	if (r < 0)
		return walk_status(r);
	*h = handle_new(s, FS_H_NODE, FS_STAT_ONLY, node);
	return FS_OK;
}

int
fs_do_close(struct fs_session *s, int32_t h)
{
	struct fs_handle *hd = handle(s, h, FS_H_ANY);

	if (hd == NULL)
		return FS_INVALID_HANDLE;
	handle_close(s, hd);
	return FS_OK;
}

int
fs_do_close_many(struct fs_session *s, const struct fs_close_many_args *a)
{
	struct fs_handle *hd[FS_CLOSE_MANY_MAX];
	uint32_t i, j;

	/* Decode: every handle open and named once, before any closes. */
	if (a->count == 0 || a->count > FS_CLOSE_MANY_MAX)
		return FS_INVALID_ARGUMENT;
	for (i = 0; i < a->count; i++) {
		if ((hd[i] = handle(s, a->handle[i], FS_H_ANY)) == NULL)
			return FS_INVALID_HANDLE;
		for (j = 0; j < i; j++)
			if (hd[j] == hd[i])
				return FS_INVALID_ARGUMENT;
	}
	for (i = 0; i < a->count; i++)
		handle_close(s, hd[i]);
	return FS_OK;
}

int
fs_do_status(struct fs_session *s, int32_t h, struct fs_status *st)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *hd = handle(s, h, FS_H_ANY);
	int r;

	memset(st, 0, sizeof(*st));
	if (hd == NULL)
		return FS_INVALID_HANDLE;
	r = srv->ops->stat(srv->fs, hd->node, st);
	return r < 0 ? fs_error_from_errno(r) : FS_OK;
}

int
fs_do_control(struct fs_session *s, const struct fs_control_args *a)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *hd = handle(s, a->handle, FS_H_ANY);
	int r;

	if (hd == NULL)
		return FS_INVALID_HANDLE;
	if (a->valid & ~FS_CONTROL_ALL || a->atime.nsec >= 1000000000u ||
	    a->mtime.nsec >= 1000000000u)
		return FS_INVALID_ARGUMENT;
	if (!s->writeable)
		return FS_PERMISSION_DENIED;
	if (srv->ops->setattr == NULL)
		return FS_UNSUPPORTED;
	if (a->valid == 0)
		return FS_OK;
	r = srv->ops->setattr(srv->fs, hd->node, a);
	if (r < 0)
		return fs_error_from_errno(r);
	hd->modified = true;
	fs_changed(srv, s);
	return FS_OK;
}

int
fs_do_unlink(struct fs_session *s, const struct fs_unlink_args *a)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *dir = handle(s, a->dir, FS_H_DIR);
	int st, r;

	if (dir == NULL)
		return FS_INVALID_HANDLE;
	if ((st = name_status(a->name)) != FS_OK)
		return st;
	if (!s->writeable)
		return FS_PERMISSION_DENIED;
	r = srv->ops->unlink(srv->fs, dir->node, a->name);
	if (r < 0)
		return fs_error_from_errno(r);
	dir->modified = true;
	fs_changed(srv, s);
	return FS_OK;
}

int
fs_do_remove(struct fs_session *s, const struct fs_unlink_args *a,
    struct fs_status *st)
{
	struct fs_server *srv = s->srv;
	int r = fs_do_unlink(s, a);

	memset(st, 0, sizeof(*st));
	if (r != FS_OK)
		return r;
	/* The handle was checked by fs_do_unlink. */
	r = srv->ops->stat(srv->fs, handle(s, a->dir, FS_H_DIR)->node, st);
	return r < 0 ? fs_error_from_errno(r) : FS_OK;
}

int
fs_do_truncate(struct fs_session *s, const struct fs_truncate_args *a)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *hd = handle(s, a->file, FS_H_FILE);
	int r;

	if (hd == NULL)
		return FS_INVALID_HANDLE;
	if (!s->writeable || !(hd->mode & FS_WRITE_ONLY))
		return FS_PERMISSION_DENIED;
	r = srv->ops->truncate(srv->fs, hd->node, a->size);
	if (r < 0)
		return fs_error_from_errno(r);
	hd->modified = true;
	fs_changed(srv, s);
	return FS_OK;
}

int
fs_do_move(struct fs_session *s, const struct fs_move_args *a)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *from = handle(s, a->from_dir, FS_H_DIR);
	struct fs_handle *to = handle(s, a->to_dir, FS_H_DIR);
	uint64_t node;
	int st, r;

	if (from == NULL || to == NULL)
		return FS_INVALID_HANDLE;
	if ((st = name_status(a->from_name)) != FS_OK)
		return st == FS_INVALID_NAME ? FS_LOOKUP_FAILED : st;
	if ((st = name_status(a->to_name)) != FS_OK)
		return st;
	if (!s->writeable)
		return FS_PERMISSION_DENIED;
	r = srv->ops->lookup(srv->fs, from->node, a->from_name, &node);
	if (r < 0)
		return walk_status(r);
	r = srv->ops->rename(srv->fs, from->node, a->from_name, to->node,
	    a->to_name);
	if (r < 0)
		return fs_error_from_errno(r);
	/* spec: a move signals both directories and the node at once. */
	fs_notify_node(srv, from->node);
	if (to->node != from->node)
		fs_notify_node(srv, to->node);
	fs_notify_node(srv, node);
	fs_changed(srv, s);
	return FS_OK;
}

int
fs_do_link(struct fs_session *s, const struct fs_link_args *a)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *hd = handle(s, a->node, FS_H_ANY & ~FS_H_DIR);
	struct fs_handle *dir = handle(s, a->dir, FS_H_DIR);
	int st, r;

	if (hd == NULL || dir == NULL)
		return FS_INVALID_HANDLE;
	if ((st = name_status(a->name)) != FS_OK)
		return st;
	if (!s->writeable)
		return FS_PERMISSION_DENIED;
	if (srv->ops->link == NULL)
		return FS_UNSUPPORTED;
	r = srv->ops->link(srv->fs, hd->node, dir->node, a->name);
	if (r < 0)
		return fs_error_from_errno(r);
	dir->modified = true;
	fs_changed(srv, s);
	return FS_OK;
}

int
fs_do_allocate(struct fs_session *s, const struct fs_allocate_args *a)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *hd = handle(s, a->file, FS_H_FILE);
	uint32_t f = a->flags;
	int r;

	if (hd == NULL)
		return FS_INVALID_HANDLE;
	if (!s->writeable || !(hd->mode & FS_WRITE_ONLY))
		return FS_PERMISSION_DENIED;
	if (f & ~FS_ALLOC_ALL || a->length == 0 ||
	    ((f & FS_ALLOC_PUNCH_HOLE) && (f & FS_ALLOC_ZERO_RANGE)))
		return FS_INVALID_ARGUMENT;
	/* Linux: a hole never changes the size, so it must say so. */
	if ((f & FS_ALLOC_PUNCH_HOLE) && !(f & FS_ALLOC_KEEP_SIZE))
		return FS_UNSUPPORTED;
	if (a->offset > INT64_MAX || a->length > INT64_MAX - a->offset)
		return FS_SIZE_LIMIT_REACHED;
	if (srv->ops->allocate == NULL)
		return FS_UNSUPPORTED;
	r = srv->ops->allocate(srv->fs, hd->node, f, a->offset, a->length);
	if (r < 0)
		return fs_error_from_errno(r);
	hd->modified = true;
	fs_changed(srv, s);
	return FS_OK;
}

int
fs_do_lookup(struct fs_session *s, const struct fs_lookup_args *a,
    struct fs_status *st)
{
	struct fs_server *srv = s->srv;
	struct fs_handle *dir = handle(s, a->dir, FS_H_DIR);
	uint64_t node;
	int r;

	memset(st, 0, sizeof(*st));
	if (dir == NULL)
		return FS_INVALID_HANDLE;
	if ((r = name_status(a->name)) != FS_OK)
		return r;
	r = srv->ops->lookup(srv->fs, dir->node, a->name, &node);
	if (r == 0)
		r = srv->ops->stat(srv->fs, node, st);
	if (r < 0) {
		memset(st, 0, sizeof(*st));
		return walk_status(r);
	}
	return FS_OK;
}

int
fs_do_create(struct fs_session *s, const struct fs_create_args *a,
    struct fs_create_res *res)
{
	static const uint32_t type_mode[] = { FS_MODE_FILE,
	    FS_MODE_DIRECTORY, FS_MODE_SYMLINK };
	static const uint32_t perm_default[] = { 0644, 0755, 0777 };
	static const uint8_t kind[] = { FS_H_FILE, FS_H_DIR, FS_H_SYMLINK };
	struct fs_server *srv = s->srv;
	struct fs_handle *dir = handle(s, a->dir, FS_H_DIR);
	uint32_t perm = a->perm & FS_MODE_PERM;
	struct fs_control_args c;
	uint8_t mode;
	uint64_t node;
	int st, r;

	memset(res, 0, sizeof(*res));
	res->handle = FS_HANDLE_INVALID;
	/* Decode: everything a client sent, before anything is made. */
	if (dir == NULL)
		return FS_INVALID_HANDLE;
	if ((st = name_status(a->name)) != FS_OK)
		return st;
	if (a->type > FS_TYPE_SYMLINK || a->mode > FS_READ_WRITE ||
	    a->valid & ~(FS_CONTROL_UID | FS_CONTROL_GID))
		return FS_INVALID_ARGUMENT;
	if (!s->writeable)
		return FS_PERMISSION_DENIED;
	if (a->valid && srv->ops->setattr == NULL)
		return FS_UNSUPPORTED;
	if (s->handles.used >= FS_MAX_HANDLES)
		return FS_OUT_OF_NODE_HANDLES;
	/* Invoke: make it, own it (or take it back), open it. */
	r = srv->ops->create(srv->fs, dir->node, a->name,
	    type_mode[a->type] | (perm ? perm : perm_default[a->type]), &node);
	if (r < 0)
		return fs_error_from_errno(r);
	if (a->valid) {
		memset(&c, 0, sizeof(c));
		c.valid = a->valid;
		c.uid = a->uid;
		c.gid = a->gid;
		if ((r = srv->ops->setattr(srv->fs, node, &c)) < 0) {
			(void)srv->ops->unlink(srv->fs, dir->node, a->name);
			return fs_error_from_errno(r);
		}
	}
	dir->modified = true;
	fs_changed(srv, s);
	if (a->type == FS_TYPE_DIRECTORY)
		fs_notify_node(srv, dir->node);
	mode = a->type == FS_TYPE_FILE ? (uint8_t)a->mode :
	    a->type == FS_TYPE_DIRECTORY ? FS_READ_ONLY : FS_READ_WRITE;
	res->handle = handle_new(s, kind[a->type], mode, node);
	if ((r = srv->ops->stat(srv->fs, node, &res->st)) < 0 ||
	    (r = srv->ops->stat(srv->fs, dir->node, &res->dir)) < 0) {
		(void)fs_do_close(s, res->handle);
		res->handle = FS_HANDLE_INVALID;
		return fs_error_from_errno(r);
	}
	return FS_OK;
}

int
fs_do_watch(struct fs_session *s, int sig)
{
	if (s->watch_sig >= 0)
		close(s->watch_sig);
	s->watch_sig = sig;
	return FS_OK;
}

int
fs_do_sigh(struct fs_session *s, int32_t h, int sig_cap)
{
	struct fs_handle *hd = handle(s, h, FS_H_ANY);
	unsigned i, n = 0;

	if (hd == NULL)
		return FS_INVALID_HANDLE;
	/* Each signal is a descriptor of ours: a client holds few. */
	for (i = 0; i < FS_MAX_HANDLES; i++)
		n += s->handles.slot[i].used && s->handles.slot[i].sigh >= 0;
	if (sig_cap >= 0 && hd->sigh < 0 && n >= FS_MAX_SIGNALS)
		return FS_NO_SPACE;
	if (hd->sigh >= 0)
		close(hd->sigh);
	hd->sigh = sig_cap;
	return FS_OK;
}

int
fs_do_sync(struct fs_session *s)
{
	struct fs_server *srv = s->srv;
	int r = srv->ops->sync ? srv->ops->sync(srv->fs) : 0;

	return r < 0 ? fs_error_from_errno(r) : FS_OK;
}
