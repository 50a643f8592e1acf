/*
 * vmm: the VDI backend of a virtio-blk disk: a VirtualBox disk image
 * (vdi.c) in a file of a File_system session.
 * SPDX-License-Identifier: MIT
 *
 * The File_system client is synchronous, so a request is carried out
 * whole when the device starts it, on the entrypoint, with vm->lock
 * released meanwhile (vCPUs go on; a reset during the I/O makes the
 * request stale, see virtio_blk.c). A FLUSH writes what metadata is left
 * (vdi_flush) and syncs the File_system session.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/fs_client.h>

#include "vdi.h"
#include "virtio_blk.h"

struct vdi_state {
	struct fs_conn conn;
	struct fs_client fc;
	struct fs_file f;
	struct vdi_io io;
	struct vdi *vdi;
};

static int
io_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct vdi_state *v = ctx;
	long n = fs_conn_read(v->f.conn, v->f.handle, buf, len, off);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

static int
io_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
	struct vdi_state *v = ctx;
	long n = fs_conn_write(v->f.conn, v->f.handle, buf, len, off);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

static int
run(struct vdi_state *v, struct vreq *r)
{
	uint64_t off = r->off;
	unsigned i;
	int e = 0;

	if (r->type == VIRTIO_BLK_T_FLUSH) {
		if ((e = vdi_flush(v->vdi)) == 0)
			e = fs_conn_sync(&v->conn);
		return e;
	}
	for (i = 0; i < r->nsegs && e == 0; i++) {
		if (r->type == VIRTIO_BLK_T_IN)
			e = vdi_read(v->vdi, off, r->segs[i].hva,
			    r->segs[i].len);
		else
			e = vdi_write(v->vdi, off, r->segs[i].hva,
			    r->segs[i].len);
		off += r->segs[i].len;
	}
	return e;
}

static void
vdi_start(struct vdisk *d, struct vreq *r)
{
	struct vdi_state *v = d->be_state;
	int e;

	pthread_mutex_unlock(&d->vm->lock);
	e = run(v, r);
	pthread_mutex_lock(&d->vm->lock);
	if (e < 0)
		vblk_warn(d, WARN_IO, "%s: %s of %llu bytes at %llu failed: %s",
		    d->cfg->file, r->type == VIRTIO_BLK_T_IN ? "read" :
		    r->type == VIRTIO_BLK_T_OUT ? "write" : "flush",
		    (unsigned long long)r->len, (unsigned long long)r->off,
		    strerror(-e));
	vblk_complete(d, r, e < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

static void
vdi_reset(struct vdisk *d)
{
	(void)d;	/* nothing waits: requests run when they start */
}

static int
vdi_open_disk(struct vdisk *d)
{
	struct cairn_env *env = d->vm->env;
	struct vdi_state *v;
	char err[160] = "";
	int r;

	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	d->be_state = v;
	v->conn.cap = -1;
	r = fs_conn_open(env, &v->conn, d->cfg->label, 0, 0);
	if (r < 0) {
		cairn_error(env, "disk %u: no File_system session \"%s\": %s",
		    d->index, d->cfg->label, v->conn.detail[0] ?
		    v->conn.detail : strerror(-r));
		return r;
	}
	fs_client_init(&v->fc);
	if ((r = fs_client_mount(&v->fc, "/", &v->conn)) < 0)
		return r;
	r = fs_client_open(&v->fc, d->cfg->file, d->cfg->writeable ? O_RDWR :
	    O_RDONLY, 0, &v->f);
	if (r < 0) {
		cairn_error(env, "disk %u: cannot open '%s'%s: %s", d->index,
		    d->cfg->file, d->cfg->writeable ? " for writing" : "",
		    strerror(-r));
		return r;
	}
	v->io.ctx = v;
	v->io.read = io_read;
	v->io.write = io_write;
	r = vdi_open(&v->vdi, &v->io, d->cfg->writeable, err, sizeof(err));
	if (r < 0) {
		cairn_error(env, "disk %u: '%s': %s", d->index, d->cfg->file,
		    err[0] ? err : strerror(-r));
		return r;
	}
	d->size = vdi_disk_size(v->vdi) & ~511ull;
	d->block_size = 512;
	d->ro = !d->cfg->writeable;
	if (d->size == 0) {
		cairn_error(env, "disk %u: '%s': the disk is smaller than one "
		    "sector", d->index, d->cfg->file);
		return -EINVAL;
	}
	return 0;
}

/* The block map and a data block the library may stage. */
static uint64_t
vdi_reserve(const struct vdisk *d)
{
	const struct vdi_state *v = d->be_state;
	uint64_t bs = vdi_block_size(v->vdi);

	return sizeof(*v) + 4 * (vdi_disk_size(v->vdi) / bs + 1) + bs;
}

const struct disk_backend disk_vdi_backend = {
	.name = "vdi",
	.open = vdi_open_disk,
	.start = vdi_start,
	.reset = vdi_reset,
	.reserve = vdi_reserve,
};
