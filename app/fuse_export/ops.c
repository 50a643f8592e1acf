/*
 * fuse_export's FUSE operations (libfuse's low-level API): the kernel's
 * node ids onto File_system handles and RPCs.
 * SPDX-License-Identifier: MIT
 *
 * Every directory node may keep a directory handle of the session (at
 * most EXPORT_DIR_HANDLES, least recently used first out), so that an
 * operation on an entry is one RPC by handle and name: FS_LOOKUP for
 * lookups and attributes, FS_CREATE for create, mkdir and symlink (the
 * owner set and the status returned in the same call), FS_UNLINK,
 * FS_MOVE, FS_FILE for open. A handle names the node itself, not its
 * path, so what the kernel knows by a node id stays that node even when
 * another client renames it; a path is needed only to open a directory
 * handle again, and the status then must show the node's inode, or the
 * node is stale.
 *
 * The kernel caches entries and attributes (readdirplus fills both) for
 * main.timeout seconds; another client's change anywhere in the tree
 * signals our FS_WATCH and main.c invalidates everything the kernel got
 * from us. Our own changes need nothing: the kernel updates or drops
 * what it cached for every request it sent. What we answer ourselves
 * without asking the server (a directory's status after our own create
 * or remove, a new name's absence from a directory we made and know
 * every name of) is dropped with the rest on FS_WATCH, and a lookup reads
 * that signal before it answers from the listing.
 *
 * Permissions are the kernel's job: core mounts with default_permissions,
 * so the kernel checks every access against the modes and owners we
 * report, and a new node is given its creator as owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cairn/fs_server.h>

#include "fuse_export.h"

_Static_assert(FS_ALLOC_KEEP_SIZE == FALLOC_FL_KEEP_SIZE &&
    FS_ALLOC_PUNCH_HOLE == FALLOC_FL_PUNCH_HOLE &&
    FS_ALLOC_ZERO_RANGE == FALLOC_FL_ZERO_RANGE,
    "FS_ALLOC_* are Linux's FALLOC_FL_* values");

struct main *
export_main(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

void
export_to_stat(const struct fs_status *s, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = s->inode;
	/* Genode's type bits: FS_MODE_SYMLINK is S_IFCHR's value. */
	switch (s->mode & FS_MODE_TYPE) {
	case FS_MODE_DIRECTORY:	st->st_mode = S_IFDIR; break;
	case FS_MODE_SYMLINK:	st->st_mode = S_IFLNK; break;
	default:		st->st_mode = S_IFREG; break;
	}
	st->st_mode |= s->mode & FS_MODE_PERM;
	st->st_nlink = s->nlink;
	st->st_uid = s->uid;
	st->st_gid = s->gid;
	st->st_size = (off_t)s->size;
	st->st_blocks = (blkcnt_t)s->blocks;
	st->st_blksize = 4096;
	st->st_atim.tv_sec = s->atime.sec;
	st->st_atim.tv_nsec = s->atime.nsec;
	st->st_mtim.tv_sec = s->mtime.sec;
	st->st_mtim.tv_nsec = s->mtime.nsec;
	st->st_ctim.tv_sec = s->ctime.sec;
	st->st_ctim.tv_nsec = s->ctime.nsec;
}

uint32_t
export_type_of(const struct fs_status *s)
{
	uint32_t t = s->mode & FS_MODE_TYPE;

	return t == FS_MODE_DIRECTORY || t == FS_MODE_SYMLINK ? t :
	    FS_MODE_FILE;
}

static void
close_dh(void *ctx, int32_t dh)
{
	struct main *mn = ctx;

	(void)fs_conn_release(&mn->conn, dh);
}

/* Make room among the session's handles: the oldest directory handle. */
static bool
evict_dh(struct main *mn)
{
	struct node *n = node_dh_oldest(&mn->nodes);
	int32_t dh;

	if (n == NULL)
		return false;
	dh = n->dh;
	node_dh_drop(&mn->nodes, n);
	close_dh(mn, dh);
	return true;
}

/*
 * The directory handle of directory node n: the cached one, or one opened
 * by path whose status must still show n's inode (else -ESTALE: the path
 * names another directory now).
 */
int
export_dir_handle(struct main *mn, struct node *n, int32_t *dh)
{
	char path[FS_MAX_PATH_LEN];
	struct fs_status st;
	int r;

	if (n->type != FS_MODE_DIRECTORY)
		return -ENOTDIR;
	if (n->dh >= 0) {
		node_dh_touch(&mn->nodes, n);
		*dh = n->dh;
		return 0;
	}
	if ((r = node_path(n, path, sizeof(path))) < 0)
		return r;
	if (mn->nodes.ndh >= EXPORT_DIR_HANDLES)
		evict_dh(mn);
	r = fs_conn_dir(&mn->conn, path, false, 0, dh);
	if (r == -EMFILE && evict_dh(mn))
		r = fs_conn_dir(&mn->conn, path, false, 0, dh);
	if (r < 0)
		return r;
	if (n != mn->nodes.root &&
	    ((r = fs_conn_status(&mn->conn, *dh, &st)) < 0 ||
	    st.inode != n->ino)) {
		(void)fs_conn_release(&mn->conn, *dh);
		return r < 0 ? r : -ESTALE;
	}
	n->dh = *dh;
	node_dh_touch(&mn->nodes, n);
	return 0;
}

/* The directory handle of node id parent. */
static int
parent_handle(struct main *mn, fuse_ino_t parent, struct node **p,
    int32_t *dh)
{
	*p = node_by_id(&mn->nodes, parent);
	if (*p == NULL)
		return -ESTALE;
	return export_dir_handle(mn, *p, dh);
}

void
export_flush_closes(struct main *mn)
{
	unsigned i;

	if (mn->nclosing == 0)
		return;
	cairn_timer_cancel(mn->close_timer);
	if (fs_conn_release_many(&mn->conn, mn->closing, mn->nclosing) < 0)
		for (i = 0; i < mn->nclosing; i++)
			(void)fs_conn_release(&mn->conn, mn->closing[i]);
	mn->nclosing = 0;
}

/*
 * A file handle the kernel released: closed with others in one RPC a
 * little later. Until then the server keeps the node (a removed file's
 * space) and tells listeners of changes through it at most
 * EXPORT_CLOSE_DELAY_US late.
 */
static void
defer_close(struct main *mn, int32_t h)
{
	if (mn->close_timer == NULL) {
		(void)fs_conn_release(&mn->conn, h);
		return;
	}
	if (mn->nclosing == 0 &&
	    cairn_timer_set(mn->close_timer, EXPORT_CLOSE_DELAY_US, 0) < 0) {
		(void)fs_conn_release(&mn->conn, h);
		return;
	}
	mn->closing[mn->nclosing++] = h;
	if (mn->nclosing == EXPORT_CLOSE_BATCH)
		export_flush_closes(mn);
}

/*
 * A new handle: when the session has none left, the released ones are
 * closed, or a directory's goes.
 */
static int
retry_emfile(struct main *mn, int r)
{
	if (r != -EMFILE)
		return 0;
	if (mn->nclosing > 0) {
		export_flush_closes(mn);
		return 1;
	}
	return evict_dh(mn);
}

/* The status of node n: through an open handle, or by its entry. */
static int
node_status(struct main *mn, struct node *n, struct fs_status *st)
{
	int32_t dh;
	int r;

	if (n->dh >= 0)
		return fs_conn_status(&mn->conn, n->dh, st);
	if (n->opens > 0 && n->fh >= 0)
		return fs_conn_status(&mn->conn, n->fh, st);
	if (n == mn->nodes.root) {
		if ((r = export_dir_handle(mn, n, &dh)) < 0)
			return r;
		return fs_conn_status(&mn->conn, dh, st);
	}
	if (n->name == NULL || n->parent == NULL)
		return -ESTALE;
	if ((r = export_dir_handle(mn, n->parent, &dh)) < 0)
		return r;
	if ((r = fs_conn_lookup(&mn->conn, dh, n->name, st)) < 0)
		return r;
	return st->inode == n->ino ? 0 : -ESTALE;
}

void
export_fill_entry(struct main *mn, struct node *n, const struct fs_status *st,
    struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->id;
	e->generation = 1;
	export_to_stat(st, &e->attr);
	e->attr_timeout = mn->timeout;
	e->entry_timeout = mn->timeout;
}

/* Say once, until it has room again, that the node table is full. */
void
export_node_table_full(struct main *mn)
{
	if (mn->nodes.max == 0 || mn->nodes.count < mn->nodes.max ||
	    mn->nodes.full_said)
		return;
	mn->nodes.full_said = true;
	cairn_warn(mn->env, "node table full: the kernel holds %llu nodes, "
	    "all our RAM quota pays for; lookups fail with ENOMEM until it "
	    "forgets some (raise 'quantum' of this component)",
	    (unsigned long long)mn->nodes.count);
}

/* Reply to an entry-making request with the node for parent/name. */
static void
reply_node(fuse_req_t req, struct node *parent, const char *name,
    const struct fs_status *st, struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct fuse_entry_param e;
	struct node *n;

	n = node_enter(&mn->nodes, parent, name, st->inode, export_type_of(st));
	if (n == NULL) {
		export_node_table_full(mn);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n->nlink = st->nlink;
	export_fill_entry(mn, n, st, &e);
	if (fi == NULL) {
		if (fuse_reply_entry(req, &e) != 0)
			node_forget(&mn->nodes, n, 1, close_dh, mn);
		return;
	}
	n->opens++;
	n->fh = (int32_t)fi->fh;
	if (fuse_reply_create(req, &e, fi) != 0) {
		n->opens--;
		(void)fs_conn_release(&mn->conn, (int32_t)fi->fh);
		node_forget(&mn->nodes, n, 1, close_dh, mn);
	}
}

static void
x_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct main *mn = export_main(req);
	struct fs_status st;
	struct node *p;
	int32_t dh;
	int r;

	/*
	 * A directory we made and know every name of: a new name is not
	 * there, unless another client changed the tree (checked first).
	 */
	p = node_by_id(&mn->nodes, parent);
	if (p != NULL && p->names != NULL && !export_changed(mn) &&
	    p->names != NULL && !nameset_has(p->names, name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((r = parent_handle(mn, parent, &p, &dh)) < 0 ||
	    (r = fs_conn_lookup(&mn->conn, dh, name, &st)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	reply_node(req, p, name, &st, NULL);
}

/* Keep directory p's listing complete: name is in it now (or not). */
static void
names_add(struct main *mn, struct node *p, const char *name)
{
	if (p->names != NULL && nameset_add(&mn->nodes, p->names, name) < 0)
		export_names_drop(mn, p);
}

static void
names_del(struct main *mn, struct node *p, const char *name)
{
	if (p->names != NULL)
		nameset_del(&mn->nodes, p->names, name);
}

/* After forgets: say when a full table has a tenth of its room again. */
static void
node_table_room(struct main *mn)
{
	if (!mn->nodes.full_said ||
	    mn->nodes.count > mn->nodes.max - mn->nodes.max / 10)
		return;
	mn->nodes.full_said = false;
	cairn_log(mn->env, "node table has room again (%llu of %llu nodes)",
	    (unsigned long long)mn->nodes.count,
	    (unsigned long long)mn->nodes.max);
}

static void
x_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);

	if (n != NULL)
		node_forget(&mn->nodes, n, nlookup, close_dh, mn);
	node_table_room(mn);
	fuse_reply_none(req);
}

static void
x_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	struct main *mn = export_main(req);
	struct node *n;
	size_t i;

	for (i = 0; i < count; i++)
		if ((n = node_by_id(&mn->nodes, f[i].ino)) != NULL)
			node_forget(&mn->nodes, n, f[i].nlookup, close_dh, mn);
	node_table_room(mn);
	fuse_reply_none(req);
}

static void
reply_attr(fuse_req_t req, const struct fs_status *st)
{
	struct stat s;

	export_to_stat(st, &s);
	fuse_reply_attr(req, &s, export_main(req)->timeout);
}

static void
x_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);
	struct fs_status st;
	int r;

	if (n != NULL && n->fresh) {
		reply_attr(req, &n->st);
		return;
	}
	if (fi != NULL)
		r = fs_conn_status(&mn->conn, (int32_t)fi->fh, &st);
	else
		r = n ? node_status(mn, n, &st) : -ESTALE;
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if (n != NULL && n->type == FS_MODE_DIRECTORY) {
		n->st = st;
		n->fresh = true;
	}
	reply_attr(req, &st);
}

/*
 * A handle for a change to node n's attributes: fi's, the directory's,
 * or one opened for it by its entry (*tmp then says to close it).
 */
static int
attr_handle(struct main *mn, struct node *n, struct fuse_file_info *fi,
    bool write, int32_t *h, bool *tmp)
{
	int32_t dh;
	int r;

	*tmp = false;
	if (fi != NULL) {
		*h = (int32_t)fi->fh;
		return 0;
	}
	if (n->type == FS_MODE_DIRECTORY)
		return export_dir_handle(mn, n, h);
	if (n->name == NULL || n->parent == NULL)
		return -ESTALE;
	if ((r = export_dir_handle(mn, n->parent, &dh)) < 0)
		return r;
	do {
		if (n->type == FS_MODE_SYMLINK)
			r = fs_conn_symlink(&mn->conn, dh, n->name, false, h);
		else
			r = fs_conn_file(&mn->conn, dh, n->name, write ?
			    FS_WRITE_ONLY : FS_STAT_ONLY, false, 0, h);
	} while (retry_emfile(mn, r));
	if (r < 0)
		return r == -ENOENT ? -ESTALE : r;
	*tmp = true;
	return 0;
}

static void
x_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
    struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);
	struct fs_control_args a;
	struct fs_status st;
	bool tmp = false;
	int32_t h;
	int r;

	if (n == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	n->fresh = false;
	memset(&a, 0, sizeof(a));
	if (to_set & FUSE_SET_ATTR_MODE) {
		a.valid |= FS_CONTROL_MODE;
		a.mode = attr->st_mode & FS_MODE_PERM;
	}
	if (to_set & FUSE_SET_ATTR_UID) {
		a.valid |= FS_CONTROL_UID;
		a.uid = attr->st_uid;
	}
	if (to_set & FUSE_SET_ATTR_GID) {
		a.valid |= FS_CONTROL_GID;
		a.gid = attr->st_gid;
	}
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		a.valid |= FS_CONTROL_ATIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME) {
		a.valid |= FS_CONTROL_ATIME;
		a.atime.sec = attr->st_atim.tv_sec;
		a.atime.nsec = (uint32_t)attr->st_atim.tv_nsec;
	}
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		a.valid |= FS_CONTROL_MTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME) {
		a.valid |= FS_CONTROL_MTIME;
		a.mtime.sec = attr->st_mtim.tv_sec;
		a.mtime.nsec = (uint32_t)attr->st_mtim.tv_nsec;
	}
	r = attr_handle(mn, n, fi, (to_set & FUSE_SET_ATTR_SIZE) != 0, &h,
	    &tmp);
	if (r == 0 && (to_set & FUSE_SET_ATTR_SIZE))
		r = attr->st_size < 0 ? -EINVAL :
		    fs_conn_truncate(&mn->conn, h, (uint64_t)attr->st_size);
	if (r == 0 && a.valid) {
		a.handle = h;
		r = fs_conn_control(&mn->conn, &a);
	}
	if (r == 0)
		r = fs_conn_status(&mn->conn, h, &st);
	if (tmp)
		(void)fs_conn_release(&mn->conn, h);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		reply_attr(req, &st);
}

static void
x_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);
	char target[FS_MAX_PATH_LEN];
	bool tmp = false;
	int32_t h;
	long len;
	int r;

	if (n == NULL || n->type != FS_MODE_SYMLINK) {
		fuse_reply_err(req, n ? EINVAL : ESTALE);
		return;
	}
	if ((r = attr_handle(mn, n, NULL, false, &h, &tmp)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	len = fs_conn_read(&mn->conn, h, target, sizeof(target) - 1, 0);
	if (tmp)
		(void)fs_conn_release(&mn->conn, h);
	if (len < 0) {
		fuse_reply_err(req, (int)-len);
		return;
	}
	target[len] = '\0';
	fuse_reply_readlink(req, target);
}

/* FS_CREATE in node id parent, owned by the caller; handle in *h. */
static int
create(fuse_req_t req, fuse_ino_t parent, const char *name, uint32_t type,
    enum fs_mode mode, mode_t perm, struct node **p, int32_t *h,
    struct fs_status *st)
{
	struct main *mn = export_main(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct fs_create_args a;
	struct fs_status dst;
	int32_t dh;
	int r;

	if ((r = parent_handle(mn, parent, p, &dh)) < 0)
		return r;
	if (strlen(name) >= sizeof(a.name))
		return -ENAMETOOLONG;
	memset(&a, 0, sizeof(a));
	a.dir = dh;
	a.type = type;
	a.mode = mode;
	a.perm = perm & FS_MODE_PERM;
	a.valid = FS_CONTROL_UID | FS_CONTROL_GID;
	a.uid = ctx->uid;
	a.gid = ctx->gid;
	strcpy(a.name, name);
	do
		r = fs_conn_create(&mn->conn, &a, h, st, &dst);
	while (retry_emfile(mn, r));
	/* The kernel asks for the directory's attributes next. */
	if (r == 0) {
		(*p)->st = dst;
		(*p)->fresh = true;
		names_add(mn, *p, name);
	}
	return r;
}

static void
x_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct main *mn = export_main(req);
	struct fs_status st;
	struct node *p, *n;
	int32_t h;
	int r;

	r = create(req, parent, name, FS_TYPE_DIRECTORY, FS_READ_ONLY, mode,
	    &p, &h, &st);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	reply_node(req, p, name, &st, NULL);
	/* Keep the new directory's handle: files go into it next. */
	n = node_by_name(&mn->nodes, p, name);
	if (n != NULL && n->ino == st.inode && n->dh < 0) {
		if (mn->nodes.ndh >= EXPORT_DIR_HANDLES)
			evict_dh(mn);
		n->dh = h;
		node_dh_touch(&mn->nodes, n);
		/* Empty, and we see every change to it from now on. */
		if (n->names == NULL && st.size == 0)
			n->names = nameset_new(&mn->nodes);
	} else {
		(void)fs_conn_release(&mn->conn, h);
	}
}

static void
x_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
    const char *name)
{
	struct main *mn = export_main(req);
	size_t len = strlen(link);
	struct fs_status st;
	struct node *p;
	int32_t h, dh;
	long n;
	int r;

	if (len >= FS_MAX_PATH_LEN) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	r = create(req, parent, name, FS_TYPE_SYMLINK, FS_READ_WRITE, 0777,
	    &p, &h, &st);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	n = fs_conn_write(&mn->conn, h, link, len, 0);
	(void)fs_conn_release(&mn->conn, h);
	if (n < 0) {
		if (export_dir_handle(mn, p, &dh) == 0)
			(void)fs_conn_unlink(&mn->conn, dh, name);
		fuse_reply_err(req, (int)-n);
		return;
	}
	st.size = len;
	reply_node(req, p, name, &st, NULL);
}

static void
x_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct main *mn = export_main(req);
	struct fs_status st;
	struct node *p, *n;
	int32_t dh;
	int r;

	if ((r = parent_handle(mn, parent, &p, &dh)) < 0 ||
	    (r = fs_conn_remove(&mn->conn, dh, name, &st)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* The kernel asks for the directory's attributes next. */
	p->st = st;
	p->fresh = true;
	names_del(mn, p, name);
	if ((n = node_by_name(&mn->nodes, p, name)) != NULL) {
		if (n->type != FS_MODE_DIRECTORY && n->nlink > 1)
			export_invalidate_links(mn, n);
		if (n->dh >= 0) {
			int32_t h = n->dh;

			node_dh_drop(&mn->nodes, n);
			close_dh(mn, h);
		}
		node_unname(&mn->nodes, n);
	}
	fuse_reply_err(req, 0);
}

static void
x_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
    fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	struct main *mn = export_main(req);
	struct node *p, *np, *n, *old;
	struct fs_status st;
	int32_t dh, ndh;
	int r;

	if (flags & ~(unsigned)RENAME_NOREPLACE) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((r = parent_handle(mn, parent, &p, &dh)) < 0 ||
	    (r = parent_handle(mn, newparent, &np, &ndh)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/* The first may have been evicted for the second: ask again. */
	if ((r = export_dir_handle(mn, p, &dh)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if ((flags & RENAME_NOREPLACE) &&
	    fs_conn_lookup(&mn->conn, ndh, newname, &st) == 0) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	p->fresh = np->fresh = false;
	if ((r = fs_conn_move(&mn->conn, dh, name, ndh, newname)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	names_del(mn, p, name);
	names_add(mn, np, newname);
	n = node_by_name(&mn->nodes, p, name);
	old = node_by_name(&mn->nodes, np, newname);
	if (old != NULL && old != n) {
		if (old->dh >= 0) {
			int32_t h = old->dh;

			node_dh_drop(&mn->nodes, old);
			close_dh(mn, h);
		}
		node_unname(&mn->nodes, old);
	}
	if (n != NULL && node_rename(&mn->nodes, n, np, newname) < 0)
		node_unname(&mn->nodes, n);
	fuse_reply_err(req, 0);
}

static void
x_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
    const char *newname)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino), *np;
	struct fuse_entry_param e;
	struct fs_status st;
	bool tmp = false;
	int32_t h, ndh;
	int r;

	if (n == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((r = attr_handle(mn, n, NULL, false, &h, &tmp)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if ((r = parent_handle(mn, newparent, &np, &ndh)) == 0) {
		np->fresh = false;
		if ((r = fs_conn_link(&mn->conn, h, ndh, newname)) == 0) {
			names_add(mn, np, newname);
			r = fs_conn_lookup(&mn->conn, ndh, newname, &st);
		}
	}
	if (tmp)
		(void)fs_conn_release(&mn->conn, h);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	/*
	 * The kernel wants the linked inode back under its node id (it
	 * refreshes that inode's link count from the reply); the new name
	 * gets a node of its own when it is looked up.
	 */
	export_fill_entry(mn, n, &st, &e);
	n->nlookup++;
	n->nlink = st.nlink;
	export_invalidate_links(mn, n);
	if (fuse_reply_entry(req, &e) != 0)
		node_forget(&mn->nodes, n, 1, close_dh, mn);
}

static enum fs_mode
access_mode(int flags)
{
	switch (flags & O_ACCMODE) {
	case O_WRONLY:	return FS_WRITE_ONLY;
	case O_RDWR:	return FS_READ_WRITE;
	default:	return FS_READ_ONLY;
	}
}

static void
x_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);
	int32_t dh, h;
	int r;

	if (n == NULL || n->name == NULL || n->parent == NULL) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if ((r = export_dir_handle(mn, n->parent, &dh)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	do
		r = fs_conn_file(&mn->conn, dh, n->name,
		    access_mode(fi->flags), false, 0, &h);
	while (retry_emfile(mn, r));
	if (r < 0) {
		fuse_reply_err(req, r == -ENOENT ? ESTALE : -r);
		return;
	}
	fi->fh = (uint64_t)h;
	n->opens++;
	n->fh = h;
	if (fuse_reply_open(req, fi) != 0) {
		n->opens--;
		(void)fs_conn_release(&mn->conn, h);
	}
}

static void
x_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
    struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct fs_status st;
	struct node *p;
	int32_t h, dh;
	int r;

	r = create(req, parent, name, FS_TYPE_FILE, access_mode(fi->flags),
	    mode, &p, &h, &st);
	/* Without O_EXCL an existing file (made by someone else since the
	 * kernel looked) is opened. */
	if (r == -EEXIST && !(fi->flags & O_EXCL) &&
	    (r = export_dir_handle(mn, p, &dh)) == 0 &&
	    (r = fs_conn_file(&mn->conn, dh, name, access_mode(fi->flags),
	    false, 0, &h)) == 0 &&
	    (r = fs_conn_status(&mn->conn, h, &st)) < 0)
		(void)fs_conn_release(&mn->conn, h);
	if (r < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)h;
	reply_node(req, p, name, &st, fi);
}

static void
x_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	long n;

	if (size > EXPORT_MAX_IO)
		size = EXPORT_MAX_IO;
	n = fs_conn_read(&mn->conn, (int32_t)fi->fh, mn->io, size,
	    (uint64_t)off);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, mn->io, (size_t)n);
}

static void
x_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
    off_t off, struct fuse_file_info *fi)
{
	long n = fs_conn_write(&export_main(req)->conn, (int32_t)fi->fh, buf,
	    size, (uint64_t)off);

	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void
x_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);

	defer_close(mn, (int32_t)fi->fh);
	if (n != NULL && n->opens > 0) {
		n->opens--;
		if (n->fh == (int32_t)fi->fh)
			n->fh = FS_HANDLE_INVALID;
		node_forget(&mn->nodes, n, 0, close_dh, mn);
	}
	fuse_reply_err(req, 0);
}

static void
x_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
    struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);

	export_flush_closes(mn);
	fuse_reply_err(req, -fs_conn_sync(&mn->conn));
}

static void
x_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	/* The session tells no sizes; report room and the name limit. */
	memset(&st, 0, sizeof(st));
	st.f_bsize = st.f_frsize = 4096;
	st.f_blocks = st.f_bfree = st.f_bavail = 1u << 20;
	st.f_files = st.f_ffree = st.f_favail = 1u << 20;
	st.f_namemax = FS_MAX_NAME_LEN - 1;
	fuse_reply_statfs(req, &st);
}

static void
x_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
    struct fuse_file_info *fi)
{
	int r;

	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((unsigned)mode & ~FS_ALLOC_ALL) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	r = fs_conn_allocate(&export_main(req)->conn, (int32_t)fi->fh,
	    (uint32_t)mode, (uint64_t)off, (uint64_t)len);
	/*
	 * The kernel sends fallocate only on a file open for writing, which
	 * a read-only session never opens: a refusal here is the file
	 * system's (iso9660, an ext2 mounted read-only).
	 */
	fuse_reply_err(req, r == -EACCES ? EROFS : -r);
}

static void
x_init(void *userdata, struct fuse_conn_info *ci)
{
	/* splice(2) is outside the sandbox's system calls. */
	ci->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
	    FUSE_CAP_SPLICE_MOVE);
	if (ci->capable & FUSE_CAP_READDIRPLUS)
		ci->want |= FUSE_CAP_READDIRPLUS;
	/* Plus always: ls -l and rm -r want the statuses anyway. */
	ci->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
	ci->max_write = EXPORT_MAX_IO;
	ci->max_readahead = EXPORT_MAX_IO;
	ci->time_gran = 1;
}

/*
 * No flush: every write went to the server already, and the ENOSYS that
 * libfuse answers makes the kernel stop sending FLUSH at all.
 */
const struct fuse_lowlevel_ops export_ops = {
	.init = x_init,
	.lookup = x_lookup,
	.forget = x_forget,
	.forget_multi = x_forget_multi,
	.getattr = x_getattr,
	.setattr = x_setattr,
	.readlink = x_readlink,
	.mkdir = x_mkdir,
	.unlink = x_unlink,
	.rmdir = x_unlink,
	.symlink = x_symlink,
	.rename = x_rename,
	.link = x_link,
	.open = x_open,
	.read = x_read,
	.write = x_write,
	.release = x_release,
	.fsync = x_fsync,
	.opendir = x_opendir,
	.readdir = x_readdir,
	.readdirplus = x_readdirplus,
	.releasedir = x_releasedir,
	.statfs = x_statfs,
	.create = x_create,
	.fallocate = x_fallocate,
};
