/*
 * fuse_export's FUSE operations: paths from the kernel onto File_system
 * RPCs and packets.
 * SPDX-License-Identifier: MIT
 *
 * libfuse's high-level API hands us absolute paths (it keeps the node ids
 * the kernel uses); every operation opens what it needs from the session
 * by path and closes it again, except open files and directories, whose
 * handles live in fi->fh between open and release.
 *
 * Permissions are the kernel's job: core mounts with default_permissions,
 * so the kernel checks every access against the modes and owners we
 * report, and we record the caller as owner of what it creates. Errors
 * arrive as -errno already (fs_error_to_errno), as FUSE wants them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cairn/fs_server.h>

#include "fuse_export.h"

static struct fs_conn *
conn(void)
{
	return &((struct main *)fuse_get_context()->private_data)->conn;
}

/* The parent directory of path, opened; its last element in name. */
static int
parent(struct fs_conn *c, const char *path, int32_t *dh, char *name)
{
	char dir[FS_MAX_PATH_LEN];
	int r = fs_path_split(path, dir, sizeof(dir), name, FS_MAX_NAME_LEN);

	if (r < 0)
		return r == -ENAMETOOLONG ? r : -EINVAL;
	return fs_conn_dir(c, dir, false, 0, dh);
}

static void
to_stat(const struct fs_status *s, struct stat *st)
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

/* Call fn with a handle: fi's when open, else a node handle for path. */
static int
with_node(const char *path, struct fuse_file_info *fi,
    int (*fn)(struct fs_conn *c, int32_t h, void *ctx), void *ctx)
{
	struct fs_conn *c = conn();
	int32_t h;
	int r;

	if (fi)
		return fn(c, (int32_t)fi->fh, ctx);
	if ((r = fs_conn_node(c, path, &h)) < 0)
		return r;
	r = fn(c, h, ctx);
	fs_conn_release(c, h);
	return r;
}

static int
do_getattr(struct fs_conn *c, int32_t h, void *ctx)
{
	struct fs_status s;
	int r = fs_conn_status(c, h, &s);

	if (r == 0)
		to_stat(&s, ctx);
	return r;
}

static int
x_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	return with_node(path, fi, do_getattr, st);
}

static int
control(struct fs_conn *c, int32_t h, void *ctx)
{
	struct fs_control_args *a = ctx;

	a->handle = h;
	return fs_conn_control(c, a);
}

/* Make the caller the owner of what it just created (handle h). */
static void
own(struct fs_conn *c, int32_t h)
{
	struct fuse_context *fc = fuse_get_context();
	struct fs_control_args a;

	memset(&a, 0, sizeof(a));
	a.valid = FS_CONTROL_UID | FS_CONTROL_GID;
	a.uid = fc->uid;
	a.gid = fc->gid;
	(void)control(c, h, &a);
}

static int
x_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs_control_args a;

	memset(&a, 0, sizeof(a));
	a.valid = FS_CONTROL_MODE;
	a.mode = mode & FS_MODE_PERM;
	return with_node(path, fi, control, &a);
}

static int
x_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	struct fs_control_args a;

	memset(&a, 0, sizeof(a));
	if (uid != (uid_t)-1) {
		a.valid |= FS_CONTROL_UID;
		a.uid = uid;
	}
	if (gid != (gid_t)-1) {
		a.valid |= FS_CONTROL_GID;
		a.gid = gid;
	}
	return with_node(path, fi, control, &a);
}

static int
x_utimens(const char *path, const struct timespec tv[2],
    struct fuse_file_info *fi)
{
	struct fs_control_args a;

	memset(&a, 0, sizeof(a));
	if (tv[0].tv_nsec == UTIME_NOW)
		a.valid |= FS_CONTROL_ATIME_NOW;
	else if (tv[0].tv_nsec != UTIME_OMIT) {
		a.valid |= FS_CONTROL_ATIME;
		a.atime.sec = tv[0].tv_sec;
		a.atime.nsec = (uint32_t)tv[0].tv_nsec;
	}
	if (tv[1].tv_nsec == UTIME_NOW)
		a.valid |= FS_CONTROL_MTIME_NOW;
	else if (tv[1].tv_nsec != UTIME_OMIT) {
		a.valid |= FS_CONTROL_MTIME;
		a.mtime.sec = tv[1].tv_sec;
		a.mtime.nsec = (uint32_t)tv[1].tv_nsec;
	}
	return with_node(path, fi, control, &a);
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

static int
open_file(const char *path, int flags, bool create, mode_t mode,
    struct fuse_file_info *fi)
{
	struct fs_conn *c = conn();
	char name[FS_MAX_NAME_LEN];
	int32_t dh, h;
	int r;

	if ((r = parent(c, path, &dh, name)) < 0)
		return r;
	r = fs_conn_file(c, dh, name, access_mode(flags), create,
	    mode & FS_MODE_PERM, &h);
	fs_conn_release(c, dh);
	if (r < 0)
		return r;
	if (create)
		own(c, h);
	fi->fh = (uint64_t)h;
	return 0;
}

static int
x_open(const char *path, struct fuse_file_info *fi)
{
	return open_file(path, fi->flags, false, 0, fi);
}

static int
x_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return open_file(path, fi->flags, true, mode, fi);
}

static int
x_read(const char *path, char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	long n = fs_conn_read(conn(), (int32_t)fi->fh, buf, size,
	    (uint64_t)off);

	return n < 0 ? (int)n : (int)n;
}

static int
x_write(const char *path, const char *buf, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	long n = fs_conn_write(conn(), (int32_t)fi->fh, buf, size,
	    (uint64_t)off);

	return (int)n;
}

static int
x_release(const char *path, struct fuse_file_info *fi)
{
	fs_conn_release(conn(), (int32_t)fi->fh);
	return 0;
}

static int
x_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	return fs_conn_sync(conn());
}

static int
do_truncate(struct fs_conn *c, int32_t h, void *ctx)
{
	return fs_conn_truncate(c, h, *(uint64_t *)ctx);
}

static int
x_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fuse_file_info tmp;
	uint64_t sz = (uint64_t)size;
	int r;

	if (size < 0)
		return -EINVAL;
	if (fi)
		return do_truncate(conn(), (int32_t)fi->fh, &sz);
	memset(&tmp, 0, sizeof(tmp));
	if ((r = open_file(path, O_WRONLY, false, 0, &tmp)) < 0)
		return r;
	r = do_truncate(conn(), (int32_t)tmp.fh, &sz);
	fs_conn_release(conn(), (int32_t)tmp.fh);
	return r;
}

static int
x_opendir(const char *path, struct fuse_file_info *fi)
{
	int32_t h;
	int r = fs_conn_dir(conn(), path, false, 0, &h);

	if (r == 0)
		fi->fh = (uint64_t)h;
	return r;
}

static int
x_releasedir(const char *path, struct fuse_file_info *fi)
{
	fs_conn_release(conn(), (int32_t)fi->fh);
	return 0;
}

static int
x_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
    struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fs_conn *c = conn();
	struct fs_dirent e;
	uint64_t i;
	int r;

	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (i = 0; (r = fs_conn_readdir(c, (int32_t)fi->fh, i, &e)) == 1;
	    i++)
		if (fill(buf, e.name, NULL, 0, 0))
			break;
	return r < 0 ? r : 0;
}

static int
x_mkdir(const char *path, mode_t mode)
{
	struct fs_conn *c = conn();
	int32_t h;
	int r = fs_conn_dir(c, path, true, mode & FS_MODE_PERM, &h);

	if (r == 0) {
		own(c, h);
		fs_conn_release(c, h);
	}
	return r;
}

static int
x_unlink(const char *path)
{
	struct fs_conn *c = conn();
	char name[FS_MAX_NAME_LEN];
	int32_t dh;
	int r;

	if ((r = parent(c, path, &dh, name)) < 0)
		return r;
	r = fs_conn_unlink(c, dh, name);
	fs_conn_release(c, dh);
	return r;
}

static int
x_rename(const char *from, const char *to, unsigned int flags)
{
	struct fs_conn *c = conn();
	char fname[FS_MAX_NAME_LEN], tname[FS_MAX_NAME_LEN];
	int32_t fd, td, h;
	int r;

	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && fs_conn_node(c, to, &h) == 0) {
		fs_conn_release(c, h);
		return -EEXIST;
	}
	if ((r = parent(c, from, &fd, fname)) < 0)
		return r;
	if ((r = parent(c, to, &td, tname)) == 0) {
		r = fs_conn_move(c, fd, fname, td, tname);
		fs_conn_release(c, td);
	}
	fs_conn_release(c, fd);
	return r;
}

static int
x_link(const char *from, const char *to)
{
	struct fs_conn *c = conn();
	char name[FS_MAX_NAME_LEN];
	int32_t n, dh;
	int r;

	if ((r = fs_conn_node(c, from, &n)) < 0)
		return r;
	if ((r = parent(c, to, &dh, name)) == 0) {
		r = fs_conn_link(c, n, dh, name);
		fs_conn_release(c, dh);
	}
	fs_conn_release(c, n);
	return r;
}

static int
x_symlink(const char *target, const char *path)
{
	struct fs_conn *c = conn();
	char name[FS_MAX_NAME_LEN];
	int32_t dh, h;
	long n;
	int r;

	if (strlen(target) >= FS_MAX_PATH_LEN)
		return -ENAMETOOLONG;
	if ((r = parent(c, path, &dh, name)) < 0)
		return r;
	r = fs_conn_symlink(c, dh, name, true, &h);
	fs_conn_release(c, dh);
	if (r < 0)
		return r;
	n = fs_conn_write(c, h, target, strlen(target), 0);
	if (n >= 0)
		own(c, h);
	fs_conn_release(c, h);
	return n < 0 ? (int)n : 0;
}

static int
x_readlink(const char *path, char *buf, size_t size)
{
	struct fs_conn *c = conn();
	char name[FS_MAX_NAME_LEN];
	int32_t dh, h;
	long n;
	int r;

	if (size == 0)
		return -EINVAL;
	if ((r = parent(c, path, &dh, name)) < 0)
		return r;
	r = fs_conn_symlink(c, dh, name, false, &h);
	fs_conn_release(c, dh);
	if (r < 0)
		return r == -ENOENT ? -EINVAL : r;
	n = fs_conn_read(c, h, buf, size - 1, 0);
	fs_conn_release(c, h);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

static int
x_statfs(const char *path, struct statvfs *st)
{
	/* The session tells no sizes; report room and the name limit. */
	memset(st, 0, sizeof(*st));
	st->f_bsize = st->f_frsize = 4096;
	st->f_blocks = st->f_bfree = st->f_bavail = 1u << 20;
	st->f_files = st->f_ffree = st->f_favail = 1u << 20;
	st->f_namemax = FS_MAX_NAME_LEN - 1;
	return 0;
}

static void *
x_init(struct fuse_conn_info *ci, struct fuse_config *cfg)
{
	/* splice(2) is outside the sandbox's system calls. */
	ci->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE |
	    FUSE_CAP_SPLICE_MOVE);
	/* Our inode numbers, so hard links show as such. */
	cfg->use_ino = 1;
	/*
	 * Operations on open files need no path (they use fi->fh). An open
	 * file that loses its last name is hidden by libfuse (renamed to
	 * .fuse_hidden*, removed on release) rather than removed at once:
	 * the high-level API would answer the kernel's getattr of such a node
	 * with ESTALE, although the server keeps it.
	 */
	cfg->nullpath_ok = 1;
	/* Other clients of the server change the tree: no caching. */
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return fuse_get_context()->private_data;
}

const struct fuse_operations export_ops = {
	.getattr = x_getattr,
	.readlink = x_readlink,
	.mkdir = x_mkdir,
	.unlink = x_unlink,
	.rmdir = x_unlink,
	.symlink = x_symlink,
	.rename = x_rename,
	.link = x_link,
	.chmod = x_chmod,
	.chown = x_chown,
	.truncate = x_truncate,
	.open = x_open,
	.read = x_read,
	.write = x_write,
	.statfs = x_statfs,
	.release = x_release,
	.fsync = x_fsync,
	.opendir = x_opendir,
	.readdir = x_readdir,
	.releasedir = x_releasedir,
	.init = x_init,
	.create = x_create,
	.utimens = x_utimens,
};
