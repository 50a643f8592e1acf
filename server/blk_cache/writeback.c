/*
 * Write-back: backend jobs, flush passes over the dirty blocks, and sync
 * rounds that end in a backend SYNC.
 * SPDX-License-Identifier: MIT
 *
 * A flush pass walks the dirty blocks in block order from block 0 and
 * writes each run back (merged across chunks up to max_run blocks); when
 * the backend has no room it stops and resumes at its cursor after the
 * next completions. Eviction writes back the same way (lru_evict calls
 * writeback_run); lru.c makes sure a block never has two writes in flight.
 *
 * A sync round serves every SYNC request that arrived before it began:
 * flush passes run until no block is dirty and no write-back is in flight
 * (a block rewritten during the round is written again, so a client that
 * keeps rewriting blocks delays its own sync), then the backend is asked
 * to SYNC -- and the bypass session as well when it acknowledged writes
 * since its last SYNC (direct.c) -- and the requests are acknowledged with
 * their verdict. A failed write-back fails the round instead of being
 * retried forever. A closed session gets a round of its own, which also
 * waits for its bypassed writes in flight, logged when it is done.
 */
#include <errno.h>

#include "blk_cache.h"

/* --- the job pool --- */

struct bjob *
job_get(struct main *m)
{
	struct bjob *j = m->free_jobs;

	if (j != NULL) {
		m->free_jobs = j->next;
		j->next = NULL;
		j->waiters = NULL;
	}
	return j;
}

void
job_put(struct main *m, struct bjob *j)
{
	j->next = m->free_jobs;
	m->free_jobs = j;
}

/* --- write-back --- */

static void
wb_done(struct block_job *j)
{
	struct bjob *b = j->ctx;
	struct main *m = b->m;

	lru_writeback_end(m->lru, b->nr, b->cnt, j->success);
	block_job_release(m->be, j);
	m->wb_inflight--;
	if (!j->success) {
		if (m->round)
			m->round_failed = true;
		/* Logged on the 1st, 2nd, 4th, 8th ... failure. */
		m->cnt.wb_errors++;
		if ((m->cnt.wb_errors & (m->cnt.wb_errors - 1)) == 0)
			cairn_warn(m->env, "write-back of blocks %llu..%llu "
			    "failed: %s (%llu failures so far; the blocks stay "
			    "dirty)", (unsigned long long)b->nr,
			    (unsigned long long)(b->nr + b->cnt - 1),
			    block_pkt_status_str(j->status),
			    (unsigned long long)m->cnt.wb_errors);
	}
	job_put(m, b);
	backend_progress(m);
}

int
writeback_run(void *ctx, struct lru *c, uint64_t nr, uint64_t cnt)
{
	struct main *m = ctx;
	struct bjob *b;

	if ((b = job_get(m)) == NULL)
		return -EAGAIN;
	b->kind = BJ_WB;
	b->nr = nr;
	b->cnt = cnt;
	block_job_init(&b->job, BLOCK_OP_WRITE, nr, cnt, wb_done, b);
	if (block_job_alloc(m->be, &b->job) < 0) {
		job_put(m, b);
		return -EAGAIN;
	}
	lru_writeback_begin(c, nr, cnt, b->job.payload);
	if (block_job_submit(m->be, &b->job) < 0) {
		lru_writeback_end(c, nr, cnt, false);
		block_job_release(m->be, &b->job);
		job_put(m, b);
		return -EAGAIN;
	}
	m->wb_inflight++;
	return 0;
}

void
flush_start(struct main *m)
{
	m->flushing = true;
	m->flush_cursor = 0;
}

static void
flush_step(struct main *m)
{
	uint64_t nr, cnt;

	while (m->flushing) {
		if (lru_dirty_next(m->lru, m->flush_cursor, m->max_run, &nr,
		    &cnt) < 0) {
			m->flushing = false;
			break;
		}
		if (writeback_run(m, m->lru, nr, cnt) < 0)
			break;
		m->flush_cursor = nr + cnt;
	}
	/* Stuck with nothing in flight: the backend is gone. */
	if (m->flushing && block_client_in_flight(m->be) == 0) {
		m->flushing = false;
		if (m->round)
			m->round_failed = true;
	}
}

/* --- sync rounds --- */

static void
round_begin(struct main *m)
{
	struct lru_stats st;

	m->sync_round = m->sync_wait;
	m->sync_wait.head = m->sync_wait.tail = NULL;
	m->round = true;
	m->round_close = m->close_pending;
	m->close_pending = false;
	m->round_failed = false;
	m->round_syncs = 0;
	lru_stats(m->lru, &st);
	m->round_written = st.written;
	flush_start(m);
}

static void
round_end(struct main *m, bool ok)
{
	struct lru_stats st;

	m->round = false;
	rq_complete_all(&m->sync_round, ok);
	/* A closed session's bypass session waited for this round. */
	if (m->bp_release && !m->bp_syncing)
		direct_close(m);
	if (!m->round_close)
		return;
	lru_stats(m->lru, &st);
	if (ok)
		cairn_log(m->env, "session closed: %llu blocks written back",
		    (unsigned long long)(st.written - m->round_written));
	else
		cairn_error(m->env, "session closed: write-back failed, %zu "
		    "chunks still dirty", st.dirty);
}

static void
sync_done(struct block_job *j)
{
	struct bjob *b = j->ctx;
	struct main *m = b->m;

	if (b->kind == BJ_BYPASS_SYNC) {
		m->bp_syncing = false;
		/* Its writes are not known to be durable: next round. */
		if (!j->success)
			m->bp_written = true;
	}
	if (!j->success)
		m->round_failed = true;
	job_put(m, b);
	backend_progress(m);
	if (--m->round_syncs == 0)
		round_end(m, !m->round_failed);
}

/*
 * Ask the backend to SYNC, and the bypass session as well when it
 * acknowledged writes since its last SYNC; false when they cannot be
 * asked now (no job or no room: asked again after the next completions),
 * or when the round failed at once. A broken session fails the round.
 */
static bool
backend_sync(struct main *m)
{
	bool bp = m->bp != NULL && m->bp_written;
	struct bjob *b, *p = NULL;
	int err;

	if ((b = job_get(m)) == NULL)
		return false;
	if (bp && (p = job_get(m)) == NULL) {
		job_put(m, b);
		return false;
	}
	if (bp) {
		p->kind = BJ_BYPASS_SYNC;
		block_job_init(&p->job, BLOCK_OP_SYNC, 0, 0, sync_done, p);
		if ((err = block_job_submit(m->bp, &p->job)) < 0) {
			job_put(m, p);
			if (err == -EAGAIN && direct_in_flight(m) > 0) {
				job_put(m, b);
				return false;
			}
			m->round_failed = true;
		} else {
			m->bp_written = false;
			m->bp_syncing = true;
			m->round_syncs++;
		}
	}
	b->kind = BJ_SYNC;
	block_job_init(&b->job, BLOCK_OP_SYNC, 0, 0, sync_done, b);
	if ((err = block_job_submit(m->be, &b->job)) < 0) {
		job_put(m, b);
		if (err == -EAGAIN && m->round_syncs == 0 &&
		    block_client_in_flight(m->be) > 0)
			return false;
		m->round_failed = true;
		if (m->round_syncs == 0)
			round_end(m, false);
		return false;
	}
	m->round_syncs++;
	return true;
}

void
writeback_step(struct main *m)
{
	struct lru_stats st;

	for (;;) {
		flush_step(m);
		if (!m->round) {
			if (m->sync_wait.head == NULL && !m->close_pending)
				return;
			round_begin(m);
			continue;
		}
		if (m->round_syncs > 0 || m->flushing || m->wb_inflight > 0)
			return;
		/* A closed session's round covers its bypassed writes. */
		if (m->round_close && m->bp_writes != NULL)
			return;
		if (m->round_failed) {
			round_end(m, false);
			continue;
		}
		lru_stats(m->lru, &st);
		if (st.dirty > 0) {
			/* Rewritten or written during the round: again. */
			flush_start(m);
			flush_step(m);
			if (m->flushing || m->wb_inflight > 0)
				return;
			continue;
		}
		if (m->info.ops & BLOCK_OPS_SYNC) {
			/* Unless it failed the round at once, its completion
			 * carries on. */
			if (!backend_sync(m) && !m->round)
				continue;
			return;
		}
		round_end(m, true);
	}
}

void
sync_request(struct main *m, struct block_request *r)
{
	rq_push(&m->sync_wait, r);
	writeback_step(m);
}

void
writeback_close(struct main *m)
{
	rq_complete_all(&m->sync_wait, false);
	rq_complete_all(&m->sync_round, false);
	m->close_pending = true;
	writeback_step(m);
}
