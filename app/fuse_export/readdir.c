/*
 * fuse_export's directory reading: readdir and readdirplus by index over
 * the directory node's cached handle.
 * SPDX-License-Identifier: MIT
 *
 * Offsets are 0 ".", 1 "..", 2 + i entry i. readdirplus reads entries
 * with their statuses in packets (FS_PACKET_READDIR_PLUS), each entry
 * becoming a node the kernel holds a reference to; plain readdir reads
 * names and types only, several packets in flight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuse_export.h"

void
x_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct main *mn = export_main(req);
	struct node *n = node_by_id(&mn->nodes, ino);
	int32_t dh;
	int r;

	/* Entries are read through the node's cached handle. */
	if (n == NULL)
		r = -ESTALE;
	else
		r = export_dir_handle(mn, n, &dh);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_open(req, fi);
}

#define READDIR_BATCH	32
#define READDIRPLUS_BATCH	128

/* Add "." and ".." at offsets 0 and 1: false when the buffer is full. */
static bool
add_dots(fuse_req_t req, struct node *d, char *buf, size_t size,
    size_t *used, off_t *off, bool plus)
{
	struct fuse_entry_param ep;
	size_t need;

	memset(&ep, 0, sizeof(ep));
	ep.attr.st_mode = S_IFDIR;
	for (; *off < 2; (*off)++) {
		const char *dot = *off == 0 ? "." : "..";

		ep.attr.st_ino = *off == 0 ? d->ino : 0;
		need = plus ? fuse_add_direntry_plus(req, buf + *used,
		    size - *used, dot, &ep, *off + 1) : fuse_add_direntry(req,
		    buf + *used, size - *used, dot, &ep.attr, *off + 1);
		if (need > size - *used)
			return false;
		*used += need;
	}
	return true;
}

/* Entries from *off on, names and types only. */
static int
fill_plain(fuse_req_t req, int32_t dh, char *buf, size_t size, size_t *used,
    off_t *off)
{
	struct main *mn = export_main(req);
	struct fs_dirent e[READDIR_BATCH];
	struct fs_status st;
	struct stat attr;
	size_t need;
	long got, i;

	for (;;) {
		got = fs_conn_readdir_many(&mn->conn, dh, (uint64_t)*off - 2, e,
		    READDIR_BATCH);
		if (got <= 0)
			return (int)got;
		for (i = 0; i < got; i++, (*off)++) {
			memset(&st, 0, sizeof(st));
			st.mode = e[i].type == FS_TYPE_DIRECTORY ?
			    FS_MODE_DIRECTORY : e[i].type == FS_TYPE_SYMLINK ?
			    FS_MODE_SYMLINK : FS_MODE_FILE;
			export_to_stat(&st, &attr);
			need = fuse_add_direntry(req, buf + *used, size - *used,
			    e[i].name, &attr, *off + 1);
			if (need > size - *used)
				return 0;
			*used += need;
		}
		if (got < READDIR_BATCH)
			return 0;
	}
}

/*
 * Entries from *off on with their statuses (FS_PACKET_READDIR_PLUS);
 * each becomes a node the kernel holds a reference to.
 */
static int
fill_plus(fuse_req_t req, struct node *d, int32_t dh, char *buf, size_t size,
    size_t *used, off_t *off)
{
	struct main *mn = export_main(req);
	struct fuse_entry_param ep;
	struct fs_dirent_plus *e;
	struct node *n;
	size_t need;
	long got, i;
	int r = 0;

	if ((e = malloc(READDIRPLUS_BATCH * sizeof(*e))) == NULL)
		return -ENOMEM;
	for (;;) {
		got = fs_conn_readdir_plus(&mn->conn, dh, (uint64_t)*off - 2, e,
		    READDIRPLUS_BATCH);
		if (got <= 0) {
			r = (int)got;
			break;
		}
		for (i = 0; i < got; i++, (*off)++) {
			e[i].e.name[sizeof(e[i].e.name) - 1] = '\0';
			need = fuse_add_direntry_plus(req, NULL, 0, e[i].e.name,
			    NULL, 0);
			if (need > size - *used)
				goto out;
			n = node_enter(&mn->nodes, d, e[i].e.name,
			    e[i].st.inode, export_type_of(&e[i].st));
			if (n != NULL) {
				n->nlink = e[i].st.nlink;
				export_fill_entry(mn, n, &e[i].st, &ep);
			} else {
				/* The name without a node (ino 0): the
				 * kernel lists it and looks it up later. */
				export_node_table_full(mn);
				memset(&ep, 0, sizeof(ep));
			}
			*used += fuse_add_direntry_plus(req, buf + *used,
			    size - *used, e[i].e.name, &ep, *off + 1);
		}
	}
out:
	free(e);
	return r;
}

/* Offsets: 0 ".", 1 "..", 2 + i entry i. */
static void
readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
	struct main *mn = export_main(req);
	struct node *d = node_by_id(&mn->nodes, ino);
	size_t used = 0;
	char *buf;
	int32_t dh;
	int r;

	if (d == NULL || off < 0) {
		fuse_reply_err(req, d ? EINVAL : ESTALE);
		return;
	}
	if ((r = export_dir_handle(mn, d, &dh)) < 0) {
		fuse_reply_err(req, -r);
		return;
	}
	if ((buf = malloc(size)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	r = 0;
	if (add_dots(req, d, buf, size, &used, &off, plus))
		r = plus ? fill_plus(req, d, dh, buf, size, &used, &off) :
		    fill_plain(req, dh, buf, size, &used, &off);
	if (r < 0 && used == 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

void
x_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	readdir(req, ino, size, off, false);
}

void
x_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi)
{
	readdir(req, ino, size, off, true);
}

void
x_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

