/*
 * The Block driver of blk_cache: one client session, reads served from the
 * cache or filled from the backend, writes kept in the cache.
 * SPDX-License-Identifier: MIT
 *
 * Every request the framework offers is accepted. One that cannot proceed
 * for want of memory or backend room waits in m->waitq, in arrival order,
 * and later requests queue behind it so none overtakes another; the queue
 * is run again after every batch of backend completions. A read that
 * misses waits on the device read (a "fill") of the chunks it lacks,
 * attached to the fill's waiter list, and is run again when the fill
 * completes; a fill already in flight for the first missing block is
 * joined rather than duplicated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blk_cache.h"

/*
 * The driver_data of a request: the blocks of it done so far (copied to
 * the client for a READ, into the cache for a WRITE), and whether its hit
 * or miss is counted.
 */
#define COUNTED		(1ull << 63)
#define DONE(r)		((r)->driver_data & ~COUNTED)

/* Device reads started ahead for the rest of one request, at most. */
#define FILLS_AHEAD	8

/* --- request lists --- */

void
rq_push(struct rq_list *l, struct block_request *r)
{
	r->priv = NULL;
	if (l->tail != NULL)
		l->tail->priv = r;
	else
		l->head = r;
	l->tail = r;
}

void
rq_push_front(struct rq_list *l, struct block_request *r)
{
	r->priv = l->head;
	l->head = r;
	if (l->tail == NULL)
		l->tail = r;
}

struct block_request *
rq_pop(struct rq_list *l)
{
	struct block_request *r = l->head;

	if (r != NULL) {
		l->head = r->priv;
		if (l->head == NULL)
			l->tail = NULL;
		r->priv = NULL;
	}
	return r;
}

void
rq_complete_all(struct rq_list *l, bool ok)
{
	struct block_request *r;

	while ((r = rq_pop(l)) != NULL)
		block_complete(r, ok);
}

/* --- memory --- */

uint64_t
cache_room(struct main *m, uint64_t nr, uint64_t cnt)
{
	unsigned bpc = lru_chunk_blocks(m->lru);
	uint64_t chunks = (cnt + bpc - 1) / bpc + 1, tries = 3;

	/*
	 * lru_alloc grows the memory itself (memory.c) and fails only when
	 * neither our quota nor the parent gives more. Eviction then frees
	 * as many least recently used chunks as the range needs (its own new
	 * chunks are the most recent, so they go last). What exists from nr
	 * on when no more comes free is what the caller gets: it proceeds
	 * with that part.
	 */
	while (lru_alloc(m->lru, nr, cnt) == -ENOMEM)
		if (tries-- == 0 || lru_evict(m->lru, chunks < EVICT_BATCH ?
		    EVICT_BATCH : chunks, writeback_run, m, m->max_run) == 0)
			return lru_present(m->lru, nr, cnt);
	return cnt;
}

/* --- fills --- */

static struct bjob *
fill_covering(struct main *m, uint64_t nr)
{
	struct bjob *f;

	/* The common case, a miss nobody is reading yet, needs no walk. */
	if (!lru_filling(m->lru, nr))
		return NULL;
	for (f = m->fills; f != NULL; f = f->next)
		if (nr >= f->nr && nr - f->nr < f->cnt)
			return f;
	return NULL;
}

static void
fill_unlink(struct main *m, struct bjob *f)
{
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		m->fills = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	f->next = f->prev = NULL;
}

static int run(struct main *m, struct block_request *r);

static void
fill_done(struct block_job *j)
{
	struct bjob *f = j->ctx;
	struct main *m = f->m;
	struct block_request *w, *next;

	lru_fill_end(m->lru, f->nr, f->cnt, j->success ? j->payload : NULL);
	block_job_release(m->be, j);
	fill_unlink(m, f);
	w = f->waiters;
	f->waiters = NULL;
	if (!j->success) {
		m->cnt.fill_errors++;
		cairn_warn(m->env, "backend read of blocks %llu..%llu failed: "
		    "%s", (unsigned long long)f->nr,
		    (unsigned long long)(f->nr + f->cnt - 1),
		    block_pkt_status_str(j->status));
	}
	job_put(m, f);
	backend_progress(m);
	/*
	 * Waiters run at once, possibly before requests queued in waitq:
	 * they were accepted earlier than those, and requests in flight
	 * together have no order among them anyway.
	 */
	for (; w != NULL; w = next) {
		next = w->priv;
		w->priv = NULL;
		if (!j->success)
			block_complete(w, false);
		else if (run(m, w) == -EAGAIN)
			rq_push(&m->waitq, w);
	}
	stats_changed(m);
}

/*
 * Start the device read of the whole chunks from block `from` up to block
 * `end` (this is the read-ahead of small reads), clipped to the device, to
 * max_fetch and to the chunks the cache finds room for. Returns 0 and *out,
 * -EAGAIN (no room, no job, no buffer now) or -EIO (the backend is gone).
 */
static int
fill_start(struct main *m, uint64_t from, uint64_t end, struct bjob **out)
{
	uint64_t bpc = lru_chunk_blocks(m->lru), start, cnt;
	struct bjob *f;
	int err;

	start = from & ~(bpc - 1);
	end = end + (bpc - end % bpc) % bpc;
	if (end > m->info.block_count || end < start)
		end = m->info.block_count;
	cnt = end - start < m->max_fetch ? end - start : m->max_fetch;
	if ((cnt = cache_room(m, start, cnt)) == 0 ||
	    (f = job_get(m)) == NULL)
		return -EAGAIN;
	f->kind = BJ_FILL;
	f->nr = start;
	f->cnt = cnt;
	block_job_init(&f->job, BLOCK_OP_READ, start, cnt, fill_done, f);
	if (block_job_alloc(m->be, &f->job) < 0) {
		job_put(m, f);
		return -EAGAIN;
	}
	/* Cannot fail: cache_room found the chunks just now. */
	err = lru_fill_begin(m->lru, start, cnt);
	if (err == 0 && (err = block_job_submit(m->be, &f->job)) < 0)
		lru_fill_end(m->lru, start, cnt, NULL);
	if (err < 0) {
		block_job_release(m->be, &f->job);
		job_put(m, f);
		return err == -EAGAIN ? -EAGAIN : -EIO;
	}
	m->cnt.fills++;
	f->prev = NULL;
	f->next = m->fills;
	if (m->fills != NULL)
		m->fills->prev = f;
	m->fills = f;
	*out = f;
	return 0;
}

static void
attach(struct bjob *f, struct block_request *r)
{
	struct block_request **w;

	for (w = &f->waiters; *w != NULL;
	    w = (struct block_request **)&(*w)->priv)
		;
	r->priv = NULL;
	*w = r;
}

/* --- the request paths --- */

/* A READ is a hit when its first look finds everything in the cache. */
static void
count_read(struct main *m, struct block_request *r, bool hit)
{
	if (r->driver_data & COUNTED)
		return;
	r->driver_data |= COUNTED;
	m->cnt.reads++;
	if (hit)
		m->cnt.hits++;
	else
		m->cnt.misses++;
}

/*
 * A READ copies what the cache holds from where it stopped last time up to
 * the first missing block, then waits on the device read of that block,
 * started now unless one is in flight. Device reads for the rest of the
 * request start at once as well, so a large request keeps several in
 * flight; but it never needs more of the cache than one device read at a
 * time, since what arrived is copied out before it waits again.
 */
static int
run_read(struct main *m, struct block_request *r)
{
	uint64_t bs = m->info.block_size, nr, end, from, miss;
	struct bjob *f, *first = NULL;
	unsigned ahead;
	int err;

	nr = r->block_number + DONE(r);
	end = r->block_number + r->block_count;
	err = lru_read(m->lru, nr, end - nr, (unsigned char *)r->payload +
	    DONE(r) * bs, &miss);
	count_read(m, r, err == 0);
	if (err == 0) {
		block_complete(r, true);
		return 0;
	}
	r->driver_data += miss - nr;
	for (from = miss, ahead = 0; ahead < FILLS_AHEAD; ahead++) {
		if ((f = fill_covering(m, from)) == NULL &&
		    (err = fill_start(m, from, end, &f)) < 0)
			break;
		if (first == NULL)
			first = f;
		from = f->nr + f->cnt;
		if (from >= end ||
		    lru_missing(m->lru, from, end - from, &from) == 0)
			break;
	}
	if (first != NULL) {
		attach(first, r);
		return 0;
	}
	if (err == -EIO) {
		block_complete(r, false);
		return 0;
	}
	return -EAGAIN;
}

/*
 * A WRITE is copied into the cache piece by piece, as far as room is
 * found; the rest waits for room (evicted chunks' write-backs) and goes
 * on from there. It is acknowledged once all of it is in the cache.
 */
static int
run_write(struct main *m, struct block_request *r)
{
	uint64_t bs = m->info.block_size, nr, cnt, n;

	while (DONE(r) < r->block_count) {
		nr = r->block_number + DONE(r);
		cnt = r->block_count - DONE(r);
		if (cnt > m->max_fetch)
			cnt = m->max_fetch;
		if ((n = cache_room(m, nr, cnt)) == 0)
			return -EAGAIN;
		/* Cannot fail: cache_room found the chunks just now. */
		if (lru_write(m->lru, nr, n, (unsigned char *)r->payload +
		    DONE(r) * bs) < 0) {
			block_complete(r, false);
			return 0;
		}
		r->driver_data += n;
	}
	m->cnt.writes++;
	block_complete(r, true);
	return 0;
}

/*
 * Returns 0 (completed, bypassed, or waiting on a fill) or -EAGAIN (no
 * room yet, or a bypassed write to its chunks in flight). A request
 * bypasses the cache only before any of it was done on the cached path;
 * what is left of one on the cached path waits for bypassed writes it
 * touches (bypass.h).
 */
static int
run(struct main *m, struct block_request *r)
{
	uint64_t nr = r->block_number + DONE(r);
	bool fresh = r->driver_data == 0;
	int err;

	if (r->op != BLOCK_OP_READ && r->op != BLOCK_OP_WRITE) {
		block_complete(r, false);
		return 0;
	}
	switch (bypass_way(m->lru, m->bp_writes, nr,
	    r->block_number + r->block_count - nr,
	    fresh && direct_eligible(m, r))) {
	case BYPASS_DEVICE:
		if ((err = direct_run(m, r)) != -ENOTSUP)
			return err;
		/* It cannot bypass: nothing cached, nothing to wait for. */
		break;
	case BYPASS_WAIT:
		return -EAGAIN;
	case BYPASS_CACHE:
		break;
	}
	return r->op == BLOCK_OP_READ ? run_read(m, r) : run_write(m, r);
}

void
cache_kick(struct main *m)
{
	struct block_request *r;

	while ((r = m->waitq.head) != NULL) {
		if (run(m, rq_pop(&m->waitq)) == 0)
			continue;
		/*
		 * No room. Completions of what is in flight make some;
		 * with nothing in flight nothing ever will.
		 */
		if (block_client_in_flight(m->be) > 0 ||
		    direct_in_flight(m) > 0) {
			rq_push_front(&m->waitq, r);
			break;
		}
		cairn_warn(m->env, "no memory for blocks %llu..%llu and nothing "
		    "to evict: request failed (raise the RAM quantum)",
		    (unsigned long long)r->block_number,
		    (unsigned long long)(r->block_number + r->block_count - 1));
		block_complete(r, false);
	}
}

/* --- driver operations --- */

static int
drv_open(void *ctx, const char *label, const char *args, uint64_t quota,
    struct block_session *s, struct block_geometry *geo, void **sctx,
    char *detail, size_t dcap)
{
	struct main *m = ctx;

	if (m->be == NULL || m->lru == NULL) {
		snprintf(detail, dcap, "blk_cache has no usable backend");
		return ROOT_UNAVAILABLE;
	}
	if (m->open) {
		snprintf(detail, dcap, "blk_cache serves one client and "
		    "\"%s\" holds the session", m->label);
		return ROOT_UNAVAILABLE;
	}
	memset(geo, 0, sizeof(*geo));
	geo->block_count = m->info.block_count;
	geo->block_size = m->info.block_size;
	geo->ops = BLOCK_OPS_READ | BLOCK_OPS_SYNC |
	    (m->info.ops & BLOCK_OPS_WRITE);
	geo->align_log2 = m->info.align_log2 > 12 ? 12 : m->info.align_log2;
	*sctx = m;
	m->open = true;
	snprintf(m->label, sizeof(m->label), "%s", label);
	/* The donation beyond the tx buffer stays ours to give back. */
	m->mem.reserve = m->mem.reserve_base + BLOCK_SESSION_COST + quota;
	if (m->verbose)
		cairn_log(m->env, "session of \"%s\" opened", label);
	/* Inside init's call to us, as part_blk does: see its main.c. */
	direct_open(m, block_session_bulk_fd(s));
	return ROOT_OK;
}

static int
drv_submit(void *ctx, struct block_request *r)
{
	struct main *m = ctx;

	r->priv = NULL;
	r->driver_data = 0;
	if (r->op == BLOCK_OP_SYNC) {
		m->cnt.syncs++;
		sync_request(m, r);
		return 0;
	}
	if (m->waitq.head != NULL || run(m, r) == -EAGAIN)
		rq_push(&m->waitq, r);
	return 0;
}

static void
drv_batch_end(void *ctx)
{
	stats_changed(ctx);
}

/*
 * The client is gone: every request it has with us is completed (the
 * framework ignores the verdict), fills in flight still populate the
 * cache, and whatever is dirty is written back.
 */
static void
drv_close(void *ctx, void *sctx)
{
	struct main *m = ctx;
	struct block_request *w, *next;
	struct bjob *f;

	if (!m->open)
		return;
	m->open = false;
	/* Bypassed requests complete when the device is done with them. */
	m->bp_live = false;
	rq_complete_all(&m->waitq, false);
	for (f = m->fills; f != NULL; f = f->next) {
		for (w = f->waiters; w != NULL; w = next) {
			next = w->priv;
			block_complete(w, false);
		}
		f->waiters = NULL;
	}
	m->mem.reserve = m->mem.reserve_base;
	writeback_close(m);
}

/* The closed session's last request completed. */
static void
drv_release(void *ctx, void *sctx)
{
	direct_release(ctx);
}

const struct block_driver_ops cache_ops = {
	.open = drv_open,
	.submit = drv_submit,
	.batch_end = drv_batch_end,
	.close = drv_close,
	.release = drv_release,
};
