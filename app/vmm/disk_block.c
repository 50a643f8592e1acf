/*
 * vmm: the Block-session backend of a virtio-blk disk.
 * SPDX-License-Identifier: MIT
 *
 * A request becomes one or more Block jobs ("pieces") of at most a
 * quarter of the session's bulk buffer, all in flight at once as far as
 * the buffer and the session's job slots allow; they complete in any
 * order. Requests wait in a FIFO for room; every completion frees room
 * and resumes the FIFO. A FLUSH becomes a Block SYNC (the device starts
 * it only after every earlier request completed, see virtio_blk.c).
 * Everything runs on the entrypoint under vm->lock: the completions of a
 * batch are bracketed by the client's batch hooks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/block_client.h>

#include "virtio_blk.h"

#define PIECE_MAX	(1u << 20)

struct piece {
	struct block_job job;
	struct vreq *r;
	uint64_t skip;			/* offset in the request's data */
	struct piece *next_free;
	struct blk_state *b;
};

struct blk_state {
	struct vdisk *d;
	struct block_client *c;
	uint64_t chunk;			/* bytes per piece */
	struct piece *pieces, *free;
	struct vreq *head, *tail;	/* waiting for room */
};

static void pump(struct blk_state *b);

static void
batch_begin(void *ctx)
{
	struct blk_state *b = ctx;

	pthread_mutex_lock(&b->d->vm->lock);
	b->d->in_batch = true;
}

static void
batch_end(void *ctx)
{
	struct blk_state *b = ctx;

	pump(b);
	vblk_run(b->d);
	b->d->in_batch = false;
	pthread_mutex_unlock(&b->d->vm->lock);
}

static void
dequeue(struct blk_state *b)
{
	b->head = b->head->next;
	if (b->head == NULL)
		b->tail = NULL;
}

/* A request with all of it handed on and nothing in flight is done. */
static void
settle(struct blk_state *b, struct vreq *r)
{
	if (r->pending == 0 && r->submitted == r->len)
		vblk_complete(b->d, r, r->failed ? VIRTIO_BLK_S_IOERR :
		    VIRTIO_BLK_S_OK);
}

static void
done(struct block_job *j)
{
	struct piece *p = j->ctx;
	struct blk_state *b = p->b;
	struct vdisk *d = b->d;
	struct vreq *r = p->r;
	bool locked = !d->in_batch;

	if (locked)
		pthread_mutex_lock(&d->vm->lock);
	if (!j->success) {
		r->failed = true;
		vblk_warn(d, WARN_IO, "Block %s of %llu blocks at %llu failed: "
		    "%s", j->op == BLOCK_OP_READ ? "read" : j->op ==
		    BLOCK_OP_WRITE ? "write" : "sync",
		    (unsigned long long)j->block_count,
		    (unsigned long long)j->block_number,
		    block_pkt_status_str(j->status));
	} else if (j->op == BLOCK_OP_READ && r->gen == d->gen) {
		/* A stale request's buffers may be the guest's again. */
		sg_copy(r->segs, r->nsegs, p->skip, j->payload, j->bytes,
		    true);
	}
	block_job_release(b->c, j);
	p->next_free = b->free;
	b->free = p;
	r->pending--;
	settle(b, r);
	if (locked) {
		pump(b);
		vblk_run(d);
		pthread_mutex_unlock(&d->vm->lock);
	}
}

/*
 * Hand on one piece of r: a job of at most `chunk` bytes, or the SYNC of
 * a FLUSH (whose `len` is 1: one job to hand on). Returns false when there
 * is no room now.
 */
static bool
piece(struct blk_state *b, struct vreq *r)
{
	struct piece *p = b->free;
	uint32_t bs = b->d->block_size;
	uint64_t n = r->len - r->submitted;
	uint32_t op;
	int e;

	if (p == NULL)
		return false;
	if (r->type == VIRTIO_BLK_T_FLUSH) {
		op = BLOCK_OP_SYNC;
		block_job_init(&p->job, op, 0, 0, done, p);
	} else {
		op = r->type == VIRTIO_BLK_T_IN ? BLOCK_OP_READ :
		    BLOCK_OP_WRITE;
		if (n > b->chunk)
			n = b->chunk;
		block_job_init(&p->job, op, (r->off + r->submitted) / bs,
		    n / bs, done, p);
	}
	e = block_job_alloc(b->c, &p->job);
	if (e == 0 && op == BLOCK_OP_WRITE)
		sg_copy(r->segs, r->nsegs, r->submitted, p->job.payload,
		    p->job.bytes, false);
	if (e == 0)
		e = block_job_submit(b->c, &p->job);
	if (e < 0)
		block_job_release(b->c, &p->job);
	if (e == -EAGAIN)
		return false;
	if (e < 0) {
		vblk_warn(b->d, WARN_IO, "Block request refused: %s",
		    strerror(-e));
		r->failed = true;
		r->submitted = r->len;
		return true;
	}
	b->free = p->next_free;
	p->r = r;
	p->skip = r->submitted;
	r->submitted += n;
	r->pending++;
	return true;
}

/*
 * Hand on waiting requests, in order, as far as room allows. Completing a
 * request may start a waiting FLUSH, which comes back here: the loop
 * holds no pointer across settle().
 */
static void
pump(struct blk_state *b)
{
	struct vreq *r;

	while ((r = b->head) != NULL) {
		if (r->gen != b->d->gen || r->failed)
			r->submitted = r->len;	/* dropped or failed */
		while (r->submitted < r->len)
			if (!piece(b, r))
				return;
		dequeue(b);
		r->next = NULL;
		settle(b, r);
	}
}

static void
blk_start(struct vdisk *d, struct vreq *r)
{
	struct blk_state *b = d->be_state;

	if (r->type == VIRTIO_BLK_T_FLUSH)
		r->len = 1;
	r->next = NULL;
	if (b->tail != NULL)
		b->tail->next = r;
	else
		b->head = r;
	b->tail = r;
	pump(b);
}

/* A reset: requests not handed on are completed (stale, so silently). */
static void
blk_reset(struct vdisk *d)
{
	struct blk_state *b = d->be_state;
	struct vreq *r;

	while ((r = b->head) != NULL) {
		dequeue(b);
		r->next = NULL;
		r->submitted = r->len;
		settle(b, r);
	}
}

static int
blk_open(struct vdisk *d)
{
	const struct block_info *info;
	struct blk_state *b;
	char detail[128] = "";
	unsigned i, n;
	int r;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->d = d;
	d->be_state = b;
	r = block_client_open(d->vm->env, d->cfg->label, d->cfg->tx_buf_size,
	    &b->c, detail, sizeof(detail));
	if (r < 0) {
		cairn_error(d->vm->env, "disk %u: no Block session \"%s\": %s",
		    d->index, d->cfg->label, detail[0] ? detail :
		    strerror(-r));
		return r;
	}
	info = block_client_info(b->c);
	if (info->block_size < 512 || info->block_size > (64u << 10) ||
	    (info->block_size & (info->block_size - 1)) != 0 ||
	    info->block_count > UINT64_MAX / info->block_size / 2) {
		cairn_error(d->vm->env, "disk %u: Block session \"%s\": block "
		    "size %u is not a power of two from 512 to 64K", d->index,
		    d->cfg->label, info->block_size);
		return -EINVAL;
	}
	d->block_size = info->block_size;
	d->size = info->block_count * info->block_size;
	d->ro = !info->writeable;
	b->chunk = block_client_bulk_size(b->c) / 4;
	if (b->chunk > PIECE_MAX)
		b->chunk = PIECE_MAX;
	if (info->max_blocks != 0 &&
	    b->chunk > info->max_blocks * info->block_size)
		b->chunk = info->max_blocks * info->block_size;
	b->chunk -= b->chunk % info->block_size;
	if (b->chunk == 0)
		b->chunk = info->block_size;
	n = block_client_max_jobs(b->c);
	b->pieces = calloc(n, sizeof(*b->pieces));
	if (b->pieces == NULL)
		return -ENOMEM;
	for (i = n; i-- > 0; ) {
		b->pieces[i].b = b;
		b->pieces[i].next_free = b->free;
		b->free = &b->pieces[i];
	}
	block_client_set_batch_hooks(b->c, batch_begin, batch_end, b);
	return 0;
}

static uint64_t
blk_reserve(const struct vdisk *d)
{
	return sizeof(struct blk_state) + BLOCK_SLOTS * sizeof(struct piece);
}

const struct disk_backend disk_block_backend = {
	.name = "block",
	.open = blk_open,
	.start = blk_start,
	.reset = blk_reset,
	.reserve = blk_reserve,
};
