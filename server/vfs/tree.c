/*
 * The vfs tree: its own read-only directories with file systems mounted
 * on them, served as one ops table.
 * SPDX-License-Identifier: MIT
 *
 * A node id carries the instance in its top 8 bits: 0 for the tree's own
 * directories (the low bits index tree->dirs), k for instance k's node
 * (the low bits are that instance's own id, which must fit 56 bits). A
 * lookup that reaches a directory with a file system returns that file
 * system's root instead, so paths cross mounts without the framework
 * noticing. The tree's own directories refuse every change (EACCES), and
 * a move between two instances fails with EXDEV, as rename(2) across
 * mounts does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vfs.h"

static uint64_t
enc(unsigned inst, uint64_t local)
{
	return ((uint64_t)inst << VFS_INST_SHIFT) | (local & VFS_LOCAL_MASK);
}

static unsigned
inst_of(uint64_t id)
{
	return (unsigned)(id >> VFS_INST_SHIFT);
}

static uint64_t
local_of(uint64_t id)
{
	return id & VFS_LOCAL_MASK;
}

/* The id by which the tree shows directory d. */
static uint64_t
dir_id(const struct vfs_tree *t, const struct vfs_dir *d)
{
	if (d->inst)
		return enc(d->inst, t->inst[d->inst].root);
	return enc(0, (uint64_t)(d - t->dirs));
}

uint64_t
vfs_tree_root(const struct vfs_tree *t)
{
	return dir_id(t, &t->dirs[0]);
}

/* Instance k's ops for node id, or NULL for a tree dir; -ENOENT: bad id. */
static int
target(struct vfs_tree *t, uint64_t id, struct vfs_inst **in,
    struct vfs_dir **d)
{
	unsigned k = inst_of(id);

	*in = NULL;
	*d = NULL;
	if (k == 0) {
		if (local_of(id) >= t->ndirs)
			return -ENOENT;
		*d = &t->dirs[local_of(id)];
		return 0;
	}
	if (k > t->ninst)
		return -ENOENT;
	*in = &t->inst[k];
	return 0;
}

static int
t_lookup(void *ctx, uint64_t dir, const char *name, uint64_t *node)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d, *c;
	uint64_t n;
	int r;

	if ((r = target(t, dir, &in, &d)) < 0)
		return r;
	if (in) {
		r = in->ops->lookup(in->fs, local_of(dir), name, &n);
		if (r == 0)
			*node = enc(inst_of(dir), n);
		return r;
	}
	for (c = d->child; c != NULL; c = c->sibling)
		if (strcmp(c->name, name) == 0) {
			*node = dir_id(t, c);
			return 0;
		}
	return -ENOENT;
}

static int
t_create(void *ctx, uint64_t dir, const char *name, uint32_t mode,
    uint64_t *node)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d;
	uint64_t n;
	int r;

	if ((r = target(t, dir, &in, &d)) < 0)
		return r;
	if (in == NULL)
		return t_lookup(ctx, dir, name, &n) == 0 ? -EEXIST : -EACCES;
	r = in->ops->create(in->fs, local_of(dir), name, mode, &n);
	if (r == 0)
		*node = enc(inst_of(dir), n);
	return r;
}

static int
t_stat(void *ctx, uint64_t id, struct fs_status *st)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d;
	int r;

	if ((r = target(t, id, &in, &d)) < 0)
		return r;
	if (in) {
		r = in->ops->stat(in->fs, local_of(id), st);
		st->inode = enc(inst_of(id), st->inode);
		return r;
	}
	memset(st, 0, sizeof(*st));
	st->mode = FS_MODE_DIRECTORY | 0555;
	st->nlink = 2 + d->nchildren;
	st->inode = id;
	st->size = (uint64_t)d->nchildren * sizeof(struct fs_dirent);
	st->atime = st->mtime = st->ctime = t->created;
	return 0;
}

static long
t_read(void *ctx, uint64_t id, void *buf, size_t len, uint64_t pos)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d;
	int r;

	if ((r = target(t, id, &in, &d)) < 0)
		return r;
	if (in == NULL)
		return -EISDIR;
	return in->ops->read(in->fs, local_of(id), buf, len, pos);
}

static long
t_write(void *ctx, uint64_t id, const void *buf, size_t len, uint64_t pos)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d;
	int r;

	if ((r = target(t, id, &in, &d)) < 0)
		return r;
	if (in == NULL)
		return -EISDIR;
	return in->ops->write(in->fs, local_of(id), buf, len, pos);
}

static int
t_readdir(void *ctx, uint64_t dir, uint64_t index, struct fs_dirent *e)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d, *c;
	uint64_t i = 0;
	int r;

	if ((r = target(t, dir, &in, &d)) < 0)
		return r;
	if (in)
		return in->ops->readdir(in->fs, local_of(dir), index, e);
	for (c = d->child; c != NULL; c = c->sibling, i++)
		if (i == index) {
			e->type = FS_TYPE_DIRECTORY;
			snprintf(e->name, sizeof(e->name), "%s", c->name);
			return 0;
		}
	return -ENOENT;
}

/* Both ids in one instance (its ops), -EACCES in the tree, else -EXDEV. */
static int
same_inst(struct vfs_tree *t, uint64_t a, uint64_t b, struct vfs_inst **in)
{
	struct vfs_dir *d;
	int r;

	if ((r = target(t, a, in, &d)) < 0)
		return r;
	if (*in == NULL)
		return -EACCES;
	if (inst_of(a) != inst_of(b))
		return inst_of(b) == 0 ? -EACCES : -EXDEV;
	return 0;
}

static int
t_unlink(void *ctx, uint64_t dir, const char *name)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, dir, dir, &in);

	return r < 0 ? r : in->ops->unlink(in->fs, local_of(dir), name);
}

static int
t_rename(void *ctx, uint64_t from_dir, const char *from, uint64_t to_dir,
    const char *to)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, from_dir, to_dir, &in);

	return r < 0 ? r : in->ops->rename(in->fs, local_of(from_dir), from,
	    local_of(to_dir), to);
}

static int
t_truncate(void *ctx, uint64_t id, uint64_t size)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, id, id, &in);

	return r < 0 ? (r == -EACCES ? -EISDIR : r) :
	    in->ops->truncate(in->fs, local_of(id), size);
}

static int
t_symlink(void *ctx, uint64_t id, const char *target, size_t len)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, id, id, &in);

	return r < 0 ? r : in->ops->symlink(in->fs, local_of(id), target, len);
}

static long
t_readlink(void *ctx, uint64_t id, char *buf, size_t cap)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, id, id, &in);

	return r < 0 ? -EINVAL : in->ops->readlink(in->fs, local_of(id), buf,
	    cap);
}

static int
t_link(void *ctx, uint64_t node, uint64_t dir, const char *name)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, node, dir, &in);

	if (r == -EACCES)
		return inst_of(node) == 0 ? -EPERM : -EACCES;
	if (r < 0)
		return r;
	if (in->ops->link == NULL)
		return -EPERM;
	return in->ops->link(in->fs, local_of(node), local_of(dir), name);
}

static int
t_setattr(void *ctx, uint64_t id, const struct fs_control_args *c)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, id, id, &in);

	if (r < 0)
		return r == -EACCES ? -EPERM : r;
	if (in->ops->setattr == NULL)
		return -EOPNOTSUPP;
	return in->ops->setattr(in->fs, local_of(id), c);
}

static int
t_allocate(void *ctx, uint64_t id, uint32_t flags, uint64_t off,
    uint64_t len)
{
	struct vfs_inst *in;
	int r = same_inst(ctx, id, id, &in);

	if (r < 0)
		return r == -EACCES ? -EISDIR : r;
	if (in->ops->allocate == NULL)
		return -EOPNOTSUPP;
	return in->ops->allocate(in->fs, local_of(id), flags, off, len);
}

static int
t_sync(void *ctx)
{
	struct vfs_tree *t = ctx;
	unsigned k;
	int r, err = 0;

	for (k = 1; k <= t->ninst; k++)
		if (t->inst[k].ops->sync &&
		    (r = t->inst[k].ops->sync(t->inst[k].fs)) < 0 && err == 0)
			err = r;
	return err;
}

static void
t_open(void *ctx, uint64_t id)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d;

	if (target(t, id, &in, &d) == 0 && in && in->ops->open)
		in->ops->open(in->fs, local_of(id));
}

static void
t_close(void *ctx, uint64_t id)
{
	struct vfs_tree *t = ctx;
	struct vfs_inst *in;
	struct vfs_dir *d;

	if (target(t, id, &in, &d) == 0 && in && in->ops->close)
		in->ops->close(in->fs, local_of(id));
}

const struct fs_ops vfs_tree_ops = {
	.lookup = t_lookup,
	.create = t_create,
	.stat = t_stat,
	.read = t_read,
	.write = t_write,
	.readdir = t_readdir,
	.unlink = t_unlink,
	.rename = t_rename,
	.truncate = t_truncate,
	.symlink = t_symlink,
	.readlink = t_readlink,
	.link = t_link,
	.setattr = t_setattr,
	.sync = t_sync,
	.allocate = t_allocate,
	.open = t_open,
	.close = t_close,
};
