/*
 * blk_cache's bypass session: large requests over ranges the cache does
 * not hold go to the device directly, payload and all in the client's
 * buffer.
 * SPDX-License-Identifier: MIT
 *
 * When a client session opens, blk_cache opens a second backend session
 * and lends it the client's bulk buffer (bulk="client", see
 * session/block.h), as part_blk does for each partition. A request that
 * bypasses is forwarded with its payload offset unchanged, in pieces of at
 * most the backend's max_blocks, so the device reads into and writes from
 * the client's buffer and the chain copies the data once, at the bottom.
 * bypass.h says which requests may bypass and why the cache stays
 * coherent. The bypass session is synced with the backend session in
 * every sync round that follows a bypassed write, and closed once the
 * client session's last request completed (and a sync round underway
 * synced it).
 *
 * A backend that refuses the second session or the buffer turns bypass
 * off for good, with one warning; every request then takes the cached
 * path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blk_cache.h"

/*
 * The driver_data of a bypassed request: its pieces in flight, and
 * whether one failed.
 */
#define D_FAILED	(1ull << 62)
#define D_COUNT		(D_FAILED - 1)

static void
direct_off(struct main *m, const char *why)
{
	m->bypass_off = true;
	cairn_warn(m->env, "no bypass session (%s): every request takes the "
	    "cached path from now on (bypass=\"no\" avoids the attempt)",
	    why);
}

void
direct_open(struct main *m, int bulk_fd)
{
	const struct block_info *bi;
	uint32_t rw = BLOCK_OPS_READ | BLOCK_OPS_WRITE;
	uint64_t bpc = LRU_CHUNK_SIZE / m->info.block_size, piece;
	char detail[160] = "";
	unsigned i, n;
	int r;

	if (m->bypass_blocks == 0 || m->bypass_off || m->bp != NULL ||
	    bulk_fd < 0)
		return;
	if ((r = block_client_open_bulk(m->env, "", bulk_fd, &m->bp, detail,
	    sizeof(detail))) < 0) {
		m->bp = NULL;
		direct_off(m, detail[0] ? detail : strerror(-r));
		return;
	}
	bi = block_client_info(m->bp);
	n = block_client_max_jobs(m->bp);
	if (bi->block_count != m->info.block_count ||
	    bi->block_size != m->info.block_size ||
	    (bi->ops & rw) != (m->info.ops & rw)) {
		direct_close(m);
		direct_off(m, "its geometry differs from the backend session's");
		return;
	}
	if ((m->djobs = calloc(n, sizeof(*m->djobs))) == NULL) {
		direct_close(m);
		direct_off(m, "out of memory for its requests");
		return;
	}
	for (i = 0; i < n; i++) {
		m->djobs[i].m = m;
		m->djobs[i].next = m->dfree;
		m->dfree = &m->djobs[i];
	}
	m->djobs_n = m->dfree_n = n;
	/* Whole chunks a piece, so that every piece meets the alignment. */
	piece = bi->max_blocks != 0 ? bi->max_blocks : UINT64_MAX / 2;
	if (piece > bpc)
		piece -= piece % bpc;
	m->bp_piece = piece;
	m->bp_align = bi->align_log2;
	m->bp_live = true;
	backend_hooks(m, m->bp);
}

bool
direct_eligible(const struct main *m, const struct block_request *r)
{
	return m->bp_live && !m->bypass_off &&
	    bypass_eligible(m->bypass_blocks, r->op, r->block_count);
}

static void
direct_done(struct block_job *j)
{
	struct djob *d = j->ctx;
	struct main *m = d->m;
	struct block_request *r = d->req;

	if (r->op == BLOCK_OP_WRITE) {
		bypass_range_remove(&m->bp_writes, &d->range);
		if (j->success)
			m->bp_written = true;
	}
	if (!j->success)
		r->driver_data |= D_FAILED;
	d->req = NULL;
	d->next = m->dfree;
	m->dfree = d;
	m->dfree_n++;
	/* Requests waiting for this write, or for room, run next. */
	backend_progress(m);
	if ((--r->driver_data & D_COUNT) == 0)
		block_complete(r, (r->driver_data & D_FAILED) == 0);
}

int
direct_run(struct main *m, struct block_request *r)
{
	uint64_t bs = m->info.block_size, mask = (1ull << m->bp_align) - 1;
	uint64_t pieces, i, nr, cnt, left;
	struct djob *d;
	int err = 0;

	pieces = (r->block_count + m->bp_piece - 1) / m->bp_piece;
	if (pieces > m->djobs_n || (r->offset & mask) != 0 ||
	    (pieces > 1 && ((m->bp_piece * bs) & mask) != 0))
		return -ENOTSUP;
	if (pieces > m->dfree_n)
		return -EAGAIN;
	r->driver_data = pieces;
	for (i = 0; i < pieces; i++) {
		nr = r->block_number + i * m->bp_piece;
		left = r->block_count - i * m->bp_piece;
		cnt = left < m->bp_piece ? left : m->bp_piece;
		d = m->dfree;
		block_job_init(&d->job, r->op, nr, cnt, direct_done, d);
		if ((err = block_job_forward(m->bp, &d->job,
		    r->offset + i * m->bp_piece * bs)) < 0)
			break;
		m->dfree = d->next;
		m->dfree_n--;
		d->req = r;
		if (r->op == BLOCK_OP_WRITE) {
			d->range.nr = nr;
			d->range.cnt = cnt;
			bypass_range_add(&m->bp_writes, &d->range);
		}
	}
	if (i == 0) {
		r->driver_data = 0;
		/* Slots are as many as jobs: -EAGAIN is not expected. */
		if (err == -EAGAIN)
			return -EAGAIN;
		if (err != -EINVAL)
			direct_off(m, strerror(-err));
		return -ENOTSUP;
	}
	m->cnt.bypassed++;
	if (r->op == BLOCK_OP_READ)
		m->cnt.reads++;
	else
		m->cnt.writes++;
	if (i < pieces) {
		/* The session broke midway: what went out completes, the
		 * request fails. */
		r->driver_data = (r->driver_data - (pieces - i)) | D_FAILED;
		direct_off(m, strerror(-err));
	}
	return 0;
}

unsigned
direct_in_flight(const struct main *m)
{
	return m->bp != NULL ? block_client_in_flight(m->bp) : 0;
}

void
direct_close(struct main *m)
{
	block_client_close(m->bp);
	m->bp = NULL;
	m->bp_live = false;
	m->bp_release = false;
	m->bp_written = false;
	free(m->djobs);
	m->djobs = m->dfree = NULL;
	m->djobs_n = m->dfree_n = 0;
}

void
direct_release(struct main *m)
{
	if (m->bp == NULL || m->bp_live)
		return;
	/*
	 * Bypassed writes not synced yet: the closed session's sync round
	 * (or the one underway) syncs bp, and round_end() closes it.
	 */
	if (m->bp_syncing || (m->bp_written && (m->info.ops & BLOCK_OPS_SYNC)
	    && (m->round || m->close_pending))) {
		m->bp_release = true;
		return;
	}
	direct_close(m);
}
