/*
 * Building the tree from <config>: <vfs> with <dir> and file-system nodes,
 * or the release notes' <config fs="ext2fs|cd9660|msdos">.
 * SPDX-License-Identifier: MIT
 *
 * A <dir name="..."> holds either further <dir> nodes or exactly one file
 * system, which then is that directory; the same holds for <vfs> itself.
 * Every error names config:LINE:COL, the node and the attribute.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vfs.h"

static int
cfg_error(struct cairn_env *env, const struct xml_node *n, const char *fmt,
    ...)
{
	char msg[256];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xml_position(n, n->addr, &line, &col);
	cairn_error(env, "config:%u:%u: %s", line, col, msg);
	return -EINVAL;
}

static const struct vfs_plugin *
plugin(const char *type)
{
	unsigned i;

	for (i = 0; i < vfs_nplugins; i++)
		if (strcmp(vfs_plugins[i].type, type) == 0)
			return &vfs_plugins[i];
	return NULL;
}

static int
mount_fs(struct cairn_env *env, struct vfs_tree *t, struct vfs_pool *pool,
    const struct vfs_plugin *p, const struct xml_node *n, struct vfs_dir *d,
    const char *path)
{
	struct vfs_inst *in;
	char err[128] = "";
	int r;

	if (p->create == NULL)
		return cfg_error(env, n, "<%s> needs a Block session, which "
		    "this vfs does not open yet", p->type);
	if (d->inst || d->child)
		return cfg_error(env, n, "<%s> at \"%s\": a directory holds "
		    "either <dir> nodes or one file system", p->type, path);
	if (t->ninst >= VFS_MAX_INSTANCES)
		return cfg_error(env, n, "more than %u file systems",
		    VFS_MAX_INSTANCES);
	in = &t->inst[t->ninst + 1];
	memset(in, 0, sizeof(*in));
	in->plugin = p;
	snprintf(in->path, sizeof(in->path), "%s", path);
	r = p->create(pool, n, &in->ops, &in->fs, &in->root, err, sizeof(err));
	if (r < 0)
		return cfg_error(env, n, "<%s> at \"%s\": %s", p->type, path,
		    err);
	if (in->root > VFS_LOCAL_MASK)
		return cfg_error(env, n, "<%s>: root node id too large",
		    p->type);
	d->inst = ++t->ninst;
	return 0;
}

static int
add_fs(struct cairn_env *env, struct vfs_tree *t, struct vfs_pool *pool,
    const struct xml_node *n, struct vfs_dir *d, const char *path)
{
	const struct vfs_plugin *p;
	char type[32];

	xml_node_type(n, type, sizeof(type));
	p = plugin(type);
	if (p == NULL)
		return cfg_error(env, n, "unknown file system <%s> (known: ram, "
		    "ext2, iso9660, fat)", type);
	return mount_fs(env, t, pool, p, n, d, path);
}

static int build(struct cairn_env *env, struct vfs_tree *t,
    struct vfs_pool *pool, const struct xml_node *node, struct vfs_dir *d,
    const char *path);

static int
add_dir(struct cairn_env *env, struct vfs_tree *t, struct vfs_pool *pool,
    const struct xml_node *n, struct vfs_dir *d, const char *path)
{
	char name[FS_MAX_NAME_LEN], sub[FS_MAX_PATH_LEN];
	struct vfs_dir *c, **tail;
	struct xml_error xe;
	int r;

	r = xml_attr_get_str(n, "name", name, sizeof(name), &xe);
	if (r == -ENOENT)
		return cfg_error(env, n, "<dir> without a 'name' attribute");
	if (r < 0)
		return cfg_error(env, n, "%s", xe.msg);
	if (fs_name_check(name) < 0)
		return cfg_error(env, n, "<dir name=\"%s\">: not a valid name",
		    name);
	if (d->inst)
		return cfg_error(env, n, "<dir name=\"%s\"> at \"%s\": a "
		    "directory holds either <dir> nodes or one file system",
		    name, path);
	for (tail = &d->child; (c = *tail) != NULL; tail = &c->sibling)
		if (strcmp(c->name, name) == 0)
			return cfg_error(env, n, "<dir name=\"%s\"> appears twice "
			    "in \"%s\"", name, path);
	if (t->ndirs >= VFS_MAX_DIRS)
		return cfg_error(env, n, "more than %u directories",
		    VFS_MAX_DIRS);
	if (snprintf(sub, sizeof(sub), "%s%s%s", path,
	    strcmp(path, "/") ? "/" : "", name) >= (int)sizeof(sub))
		return cfg_error(env, n, "path too long");
	c = &t->dirs[t->ndirs++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->parent = d;
	*tail = c;		/* config order is listing order */
	d->nchildren++;
	return build(env, t, pool, n, c, sub);
}

static int
build(struct cairn_env *env, struct vfs_tree *t, struct vfs_pool *pool,
    const struct xml_node *node, struct vfs_dir *d, const char *path)
{
	struct xml_node c;
	int ok, r;

	for (ok = xml_node_first(node, NULL, &c) == 0; ok;
	    ok = xml_node_next(&c, NULL, &c) == 0) {
		r = xml_node_is(&c, "dir") ? add_dir(env, t, pool, &c, d, path) :
		    add_fs(env, t, pool, &c, d, path);
		if (r < 0)
			return r;
	}
	return 0;
}

/* <config fs="...">: the release notes' rump_fs form. */
static int
fs_attr(struct cairn_env *env, const struct xml_node *config,
    struct vfs_tree *t, struct vfs_pool *pool)
{
	char fs[16];
	unsigned i;
	struct xml_error xe;

	if (xml_attr_get_str(config, "fs", fs, sizeof(fs), &xe) < 0)
		return cfg_error(env, config, "attribute 'fs' is not one of "
		    "ext2fs, cd9660, msdos");
	for (i = 0; i < vfs_nplugins; i++)
		if (vfs_plugins[i].block_fs &&
		    strcmp(vfs_plugins[i].block_fs, fs) == 0)
			return mount_fs(env, t, pool, &vfs_plugins[i], config,
			    &t->dirs[0], "/");
	return cfg_error(env, config, "fs=\"%s\" is not one of ext2fs, "
	    "cd9660, msdos", fs);
}

int
vfs_config(struct cairn_env *env, const struct xml_node *config,
    struct vfs_tree *t, struct vfs_pool *pool)
{
	struct timespec ts;
	struct xml_node v;

	memset(t, 0, sizeof(*t));
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		t->created.sec = ts.tv_sec;
		t->created.nsec = (uint32_t)ts.tv_nsec;
	}
	t->ndirs = 1;
	if (xml_node_has_attr(config, "fs"))
		return fs_attr(env, config, t, pool);
	if (xml_node_first(config, "vfs", &v) < 0)
		return cfg_error(env, config, "<config> has neither a <vfs> "
		    "node nor an 'fs' attribute");
	return build(env, t, pool, &v, &t->dirs[0], "/");
}
