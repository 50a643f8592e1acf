/*
 * File_system client, several sessions: a mount table by path prefix and
 * POSIX-like calls with client-side path and symlink resolution.
 * SPDX-License-Identifier: MIT
 *
 * Every call first tries the normalized path as it is; only when that
 * fails with -ENOENT does it resolve symlinks element by element (one
 * node + status per element) and try again, so the common case costs no
 * extra round trips. Resolution is lexical and clamped at "/", like
 * normalization, which keeps every target inside the client's view.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <cairn/fs_client.h>

void
fs_client_init(struct fs_client *fc)
{
	memset(fc, 0, sizeof(*fc));
}

int
fs_client_normalize(const char *path, char *out, size_t cap)
{
	const char *p = path, *e;
	size_t len, o = 0;

	if (cap < 2)
		return -ENAMETOOLONG;
	out[0] = '\0';
	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 1 && p[0] == '.') {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* Up one, but never above "/". */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o] = '\0';
		} else {
			if (o + 1 + len + 1 > cap)
				return -ENAMETOOLONG;
			out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
			out[o] = '\0';
		}
		p += len;
	}
	if (o == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return 0;
}

int
fs_client_mount(struct fs_client *fc, const char *prefix,
    struct fs_conn *conn)
{
	unsigned i = fc->nmounts;

	if (i >= FS_CLIENT_MOUNTS)
		return -ENOSPC;
	if (fs_client_normalize(prefix, fc->mount[i].prefix,
	    sizeof(fc->mount[i].prefix)) < 0)
		return -ENAMETOOLONG;
	fc->mount[i].conn = conn;
	fc->nmounts++;
	return 0;
}

/* The session for normalized path and the path within it. */
static int
route(struct fs_client *fc, const char *path, struct fs_conn **conn,
    char *local, size_t cap)
{
	size_t best = 0, plen;
	unsigned i, found = FS_CLIENT_MOUNTS;

	for (i = 0; i < fc->nmounts; i++) {
		const char *pre = fc->mount[i].prefix;

		plen = strcmp(pre, "/") == 0 ? 0 : strlen(pre);
		if (strncmp(path, pre, plen) != 0 ||
		    (path[plen] != '/' && path[plen] != '\0'))
			continue;
		if (found == FS_CLIENT_MOUNTS || plen >= best) {
			best = plen;
			found = i;
		}
	}
	if (found == FS_CLIENT_MOUNTS)
		return -ENOENT;
	*conn = fc->mount[found].conn;
	if (snprintf(local, cap, "%s", path[best] ? path + best : "/") >=
	    (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

static int
split(const char *local, char *parent, size_t pcap, char *name, size_t ncap)
{
	const char *slash = strrchr(local, '/');
	size_t plen = slash == local ? 1 : (size_t)(slash - local);

	if (slash == NULL || slash[1] == '\0')
		return -EINVAL;		/* "/" has no parent */
	if (plen >= pcap || strlen(slash + 1) >= ncap)
		return -ENAMETOOLONG;
	memcpy(parent, local, plen);
	parent[plen] = '\0';
	strcpy(name, slash + 1);
	return 0;
}

/* Open the parent directory of local; its last element in name. */
static int
parent_dir(struct fs_conn *c, const char *local, int32_t *dh, char *name)
{
	char parent[FS_MAX_PATH_LEN];
	int r = split(local, parent, sizeof(parent), name, FS_MAX_NAME_LEN);

	if (r < 0)
		return r == -EINVAL ? -EBUSY : r;
	return fs_conn_dir(c, parent, false, 0, dh);
}

static long
conn_readlink(struct fs_conn *c, const char *local, char *buf, size_t cap)
{
	char name[FS_MAX_NAME_LEN];
	int32_t dh, lh;
	long r;

	if ((r = parent_dir(c, local, &dh, name)) < 0)
		return r;
	r = fs_conn_symlink(c, dh, name, false, &lh);
	fs_conn_release(c, dh);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	r = fs_conn_read(c, lh, buf, cap - 1, 0);
	fs_conn_release(c, lh);
	if (r >= 0)
		buf[r] = '\0';
	return r;
}

static int
conn_lstat(struct fs_conn *c, const char *local, struct fs_status *st)
{
	int32_t h;
	int r = fs_conn_node(c, local, &h);

	if (r < 0)
		return r;
	r = fs_conn_status(c, h, st);
	fs_conn_release(c, h);
	return r;
}

/*
 * Resolve the symlinks of normalized path `in` into `out`: every element,
 * the last one only if follow_last. Elements that do not exist end the
 * walk (the operation will then fail on them itself).
 */
static int
resolve(struct fs_client *fc, const char *in, bool follow_last, char *out,
    size_t cap)
{
	char cur[FS_MAX_PATH_LEN], pre[FS_MAX_PATH_LEN], local[FS_MAX_PATH_LEN];
	char target[FS_MAX_PATH_LEN], next[2 * FS_MAX_PATH_LEN];
	unsigned hops = 0;
	struct fs_status st;
	struct fs_conn *c;
	const char *p, *e;
	size_t len;

	snprintf(cur, sizeof(cur), "%s", in);
restart:
	pre[0] = '\0';
	for (p = cur + 1; *p; p = e ? e + 1 : p + len) {
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (e == NULL && !follow_last)
			break;
		snprintf(pre + strlen(pre), sizeof(pre) - strlen(pre), "/%.*s",
		    (int)len, p);
		if (route(fc, pre, &c, local, sizeof(local)) < 0 ||
		    conn_lstat(c, local, &st) < 0)
			break;
		if ((st.mode & FS_MODE_TYPE) != FS_MODE_SYMLINK)
			continue;
		if (++hops > FS_CLIENT_MAX_LINKS)
			return -ELOOP;
		if (conn_readlink(c, local, target, sizeof(target)) < 0)
			break;
		/* A relative target starts at the link's directory. */
		if (target[0] == '/')
			snprintf(next, sizeof(next), "%s/%s", target,
			    e ? e + 1 : "");
		else
			snprintf(next, sizeof(next), "%s/../%s/%s", pre,
			    target, e ? e + 1 : "");
		if (fs_client_normalize(next, cur, sizeof(cur)) < 0)
			return -ENAMETOOLONG;
		goto restart;
	}
	if (snprintf(out, cap, "%s", cur) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

typedef int (*path_fn)(struct fs_client *fc, struct fs_conn *c,
    const char *local, void *ctx);

/* Run fn on path; on -ENOENT resolve symlinks and run it once more. */
static int
with_path(struct fs_client *fc, const char *path, bool follow_last,
    path_fn fn, void *ctx)
{
	char norm[FS_MAX_PATH_LEN], res[FS_MAX_PATH_LEN];
	char local[FS_MAX_PATH_LEN];
	struct fs_conn *c;
	int r;

	if ((r = fs_client_normalize(path, norm, sizeof(norm))) < 0)
		return r;
	if ((r = route(fc, norm, &c, local, sizeof(local))) < 0)
		return r;
	r = fn(fc, c, local, ctx);
	if (r != -ENOENT)
		return r;
	if (resolve(fc, norm, follow_last, res, sizeof(res)) < 0 ||
	    strcmp(res, norm) == 0)
		return r;
	if (route(fc, res, &c, local, sizeof(local)) < 0)
		return r;
	return fn(fc, c, local, ctx);
}

struct open_ctx {
	int flags;
	uint32_t perm;
	struct fs_file *f;
};

static int
do_open(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	struct open_ctx *o = ctx;
	char name[FS_MAX_NAME_LEN];
	enum fs_mode mode;
	int32_t dh, h;
	int r;

	switch (o->flags & O_ACCMODE) {
	case O_WRONLY:	mode = FS_WRITE_ONLY; break;
	case O_RDWR:	mode = FS_READ_WRITE; break;
	default:	mode = FS_READ_ONLY; break;
	}
	if ((r = parent_dir(c, local, &dh, name)) < 0)
		return r == -EBUSY ? -EISDIR : r;
	if ((o->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		r = fs_conn_file(c, dh, name, mode, true, o->perm, &h);
	} else {
		r = fs_conn_file(c, dh, name, mode, false, 0, &h);
		if (r == -ENOENT && (o->flags & O_CREAT)) {
			r = fs_conn_file(c, dh, name, mode, true, o->perm, &h);
			/* There, but not a file: maybe a symlink to one. */
			if (r == -EEXIST)
				r = -ENOENT;
		}
	}
	fs_conn_release(c, dh);
	if (r < 0)
		return r;
	if ((o->flags & O_TRUNC) && mode != FS_READ_ONLY &&
	    (r = fs_conn_truncate(c, h, 0)) < 0) {
		fs_conn_release(c, h);
		return r;
	}
	o->f->conn = c;
	o->f->handle = h;
	o->f->pos = 0;
	o->f->append = (o->flags & O_APPEND) != 0;
	return 0;
}

int
fs_client_open(struct fs_client *fc, const char *path, int flags,
    uint32_t perm, struct fs_file *f)
{
	struct open_ctx o = { flags, perm, f };

	f->conn = NULL;
	f->handle = FS_HANDLE_INVALID;
	return with_path(fc, path, true, do_open, &o);
}

long
fs_client_read(struct fs_file *f, void *buf, size_t len)
{
	long n = fs_conn_read(f->conn, f->handle, buf, len, f->pos);

	if (n > 0)
		f->pos += (uint64_t)n;
	return n;
}

long
fs_client_write(struct fs_file *f, const void *buf, size_t len)
{
	long n = fs_conn_write(f->conn, f->handle, buf, len,
	    f->append ? FS_SEEK_TAIL : f->pos);

	if (n > 0)
		f->pos += (uint64_t)n;
	return n;
}

int
fs_client_fallocate(struct fs_file *f, uint32_t flags, uint64_t off,
    uint64_t len)
{
	if (f->conn == NULL)
		return -EBADF;
	return fs_conn_allocate(f->conn, f->handle, flags, off, len);
}

int
fs_client_close(struct fs_file *f)
{
	int r = 0;

	if (f->conn)
		r = fs_conn_release(f->conn, f->handle);
	f->conn = NULL;
	f->handle = FS_HANDLE_INVALID;
	return r;
}

static int
do_stat(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	return conn_lstat(c, local, ctx);
}

int
fs_client_stat(struct fs_client *fc, const char *path, struct fs_status *st)
{
	return with_path(fc, path, false, do_stat, st);
}

struct readdir_ctx {
	int (*fn)(void *ctx, const struct fs_dirent *e);
	void *ctx;
};

static int
do_readdir(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	struct readdir_ctx *rc = ctx;
	struct fs_dirent e;
	uint64_t i;
	int32_t dh;
	int r;

	if ((r = fs_conn_dir(c, local, false, 0, &dh)) < 0)
		return r;
	for (i = 0; (r = fs_conn_readdir(c, dh, i, &e)) == 1; i++)
		if ((r = rc->fn(rc->ctx, &e)) != 0)
			break;
	fs_conn_release(c, dh);
	return r;
}

int
fs_client_readdir(struct fs_client *fc, const char *path,
    int (*fn)(void *ctx, const struct fs_dirent *e), void *ctx)
{
	struct readdir_ctx rc = { fn, ctx };

	return with_path(fc, path, true, do_readdir, &rc);
}

static int
do_mkdir(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	int32_t dh;
	int r = fs_conn_dir(c, local, true, *(uint32_t *)ctx, &dh);

	if (r == 0)
		fs_conn_release(c, dh);
	return r;
}

int
fs_client_mkdir(struct fs_client *fc, const char *path, uint32_t perm)
{
	return with_path(fc, path, false, do_mkdir, &perm);
}

static int
do_unlink(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	char name[FS_MAX_NAME_LEN];
	int32_t dh;
	int r;

	if ((r = parent_dir(c, local, &dh, name)) < 0)
		return r;
	r = fs_conn_unlink(c, dh, name);
	fs_conn_release(c, dh);
	return r;
}

int
fs_client_unlink(struct fs_client *fc, const char *path)
{
	return with_path(fc, path, false, do_unlink, NULL);
}

int
fs_client_rename(struct fs_client *fc, const char *from, const char *to)
{
	char nf[FS_MAX_PATH_LEN], nt[FS_MAX_PATH_LEN];
	char lf[FS_MAX_PATH_LEN], lt[FS_MAX_PATH_LEN];
	char fname[FS_MAX_NAME_LEN], tname[FS_MAX_NAME_LEN];
	struct fs_conn *cf, *ct;
	int32_t fd, td;
	int r;

	if ((r = fs_client_normalize(from, nf, sizeof(nf))) < 0 ||
	    (r = fs_client_normalize(to, nt, sizeof(nt))) < 0 ||
	    (r = route(fc, nf, &cf, lf, sizeof(lf))) < 0 ||
	    (r = route(fc, nt, &ct, lt, sizeof(lt))) < 0)
		return r;
	if (cf != ct)
		return -EXDEV;
	if ((r = parent_dir(cf, lf, &fd, fname)) < 0)
		return r;
	if ((r = parent_dir(cf, lt, &td, tname)) < 0) {
		fs_conn_release(cf, fd);
		return r;
	}
	r = fs_conn_move(cf, fd, fname, td, tname);
	fs_conn_release(cf, fd);
	fs_conn_release(cf, td);
	return r;
}

static int
do_symlink(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	const char *target = ctx;
	char name[FS_MAX_NAME_LEN];
	int32_t dh, lh;
	long n;
	int r;

	if ((r = parent_dir(c, local, &dh, name)) < 0)
		return r;
	r = fs_conn_symlink(c, dh, name, true, &lh);
	fs_conn_release(c, dh);
	if (r < 0)
		return r;
	n = fs_conn_write(c, lh, target, strlen(target), 0);
	fs_conn_release(c, lh);
	return n < 0 ? (int)n : 0;
}

int
fs_client_symlink(struct fs_client *fc, const char *target, const char *path)
{
	if (strlen(target) >= FS_MAX_PATH_LEN)
		return -ENAMETOOLONG;
	return with_path(fc, path, false, do_symlink, (void *)target);
}

struct readlink_ctx {
	char *buf;
	size_t cap;
	long len;
};

static int
do_readlink(struct fs_client *fc, struct fs_conn *c, const char *local,
    void *ctx)
{
	struct readlink_ctx *rc = ctx;

	rc->len = conn_readlink(c, local, rc->buf, rc->cap);
	return rc->len < 0 ? (int)rc->len : 0;
}

long
fs_client_readlink(struct fs_client *fc, const char *path, char *buf,
    size_t cap)
{
	struct readlink_ctx rc = { buf, cap, 0 };
	int r;

	if (cap == 0)
		return -EINVAL;
	r = with_path(fc, path, false, do_readlink, &rc);
	return r < 0 ? r : rc.len;
}

int
fs_client_truncate(struct fs_client *fc, const char *path, uint64_t size)
{
	struct fs_file f;
	int r = fs_client_open(fc, path, O_WRONLY, 0, &f);

	if (r < 0)
		return r;
	r = fs_conn_truncate(f.conn, f.handle, size);
	fs_client_close(&f);
	return r;
}
