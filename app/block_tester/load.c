/*
 * block_tester's request engine: one pass of reads or writes over a region
 * with many requests in flight, completed in any order.
 * SPDX-License-Identifier: MIT
 *
 * The pipeline is refilled from the completion callback, so the session
 * stays `depth` requests deep without a loop of our own; the caller waits
 * with block_client_drain(), which dispatches the entrypoint. Positions
 * come from the request index alone (sequential) or from a generator
 * seeded with the test's seed (random), so a verify pass with the same
 * parameters visits the blocks a write pass wrote.
 *
 * A test's request larger than the session's max_blocks goes out as
 * several jobs of at most max_blocks each, one after the other from the
 * same pipeline; the test still counts it as one request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_tester.h"
#include "pattern.h"

struct slot {
	struct block_job job;
	struct pass *pass;
};

struct pass {
	struct main *mn;
	struct load *l;
	struct slot *slots;
	unsigned *free;		/* stack of free slot indices */
	unsigned nfree;
	uint64_t issued;	/* test requests fully submitted */
	uint64_t rng;
	uint64_t job_blocks;	/* most blocks per job (max_blocks) */
	uint64_t cur_nr;	/* the request underway: next block ... */
	uint64_t cur_left;	/* ... and blocks not yet submitted */
	bool stop;		/* a submission failed hard */
};

static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
note(struct load *l, const char *fmt, unsigned long long a, const char *b)
{
	if (l->why[0] == '\0')
		snprintf(l->why, sizeof(l->why), fmt, a, b);
}

static void refill(struct pass *p);

static void
done(struct block_job *j)
{
	struct slot *s = j->ctx;
	struct pass *p = s->pass;
	struct load *l = p->l;
	uint32_t bs = p->mn->info->block_size;
	uint64_t i;
	int r;

	if (!j->success) {
		l->failed++;
		note(l, "request at block %llu failed: %s", j->block_number,
		    block_pkt_status_str(j->status));
	} else {
		l->bytes += j->bytes;
		if (l->verify && j->op == BLOCK_OP_READ)
			for (i = 0; i < j->block_count; i++) {
				r = pattern_check((uint8_t *)j->payload + i * bs,
				    bs, j->block_number + i, l->seed);
				if (r != PATTERN_OK) {
					l->bad_blocks++;
					note(l, "block %llu: %s",
					    j->block_number + i,
					    pattern_result_str(r));
				}
			}
	}
	block_job_release(p->mn->blk, j);
	p->free[p->nfree++] = (unsigned)(s - p->slots);
	refill(p);
}

static uint64_t
position(struct pass *p)
{
	struct load *l = p->l;
	uint64_t n = l->blocks / l->req_blocks;

	if (l->random)
		return l->start + (rng_next(&p->rng) % n) * l->req_blocks;
	return l->start + p->issued * l->req_blocks;
}

static void
refill(struct pass *p)
{
	struct load *l = p->l;
	struct block_client *c = p->mn->blk;
	uint32_t bs = p->mn->info->block_size;
	struct block_job *j;
	uint64_t nr, cnt, i;
	unsigned idx;
	int r;

	while (!p->stop && p->nfree > 0) {
		if (p->cur_left == 0) {
			if (p->issued >= l->count)
				break;
			p->cur_nr = position(p);
			p->cur_left = l->req_blocks;
			if (p->cur_nr + p->cur_left > l->start + l->blocks)
				p->cur_left = l->start + l->blocks - p->cur_nr;
		}
		idx = p->free[p->nfree - 1];
		j = &p->slots[idx].job;
		nr = p->cur_nr;
		cnt = p->cur_left < p->job_blocks ? p->cur_left : p->job_blocks;
		block_job_init(j, l->op, nr, cnt, done, &p->slots[idx]);
		r = block_job_alloc(c, j);
		/* Keep the position: the next completion retries. */
		if (r == -EAGAIN && block_client_in_flight(c) > 0)
			break;
		if (r == 0 && l->op == BLOCK_OP_WRITE && l->pattern)
			for (i = 0; i < cnt; i++)
				pattern_fill((uint8_t *)j->payload + i * bs, bs,
				    nr + i, l->seed);
		if (r == 0)
			r = block_job_submit(c, j);
		if (r < 0) {
			block_job_release(c, j);
			note(l, "cannot submit request %llu: %s", p->issued,
			    strerror(-r));
			p->stop = true;
			break;
		}
		p->nfree--;
		p->cur_nr += cnt;
		p->cur_left -= cnt;
		if (p->cur_left == 0)
			p->issued++;
	}
}

int
load_run(struct main *mn, struct load *l)
{
	struct pass p;
	uint64_t t0;
	unsigned i;
	int r;

	memset(&p, 0, sizeof(p));
	l->bytes = l->us = l->failed = l->bad_blocks = 0;
	l->why[0] = '\0';
	if (l->depth == 0 || l->depth > TESTER_MAX_DEPTH)
		l->depth = TESTER_MAX_DEPTH;
	p.job_blocks = l->req_blocks;
	if (mn->info->max_blocks != 0 && p.job_blocks > mn->info->max_blocks)
		p.job_blocks = mn->info->max_blocks;
	if (l->req_blocks == 0 || l->blocks < l->req_blocks ||
	    p.job_blocks * mn->info->block_size >
	    block_client_bulk_size(mn->blk)) {
		snprintf(l->why, sizeof(l->why), "request size does not fit "
		    "the region or the %llu-byte buffer (raise tx_buf_size)",
		    (unsigned long long)block_client_bulk_size(mn->blk));
		return -EINVAL;
	}
	p.mn = mn;
	p.l = l;
	p.rng = l->seed * 0x9e3779b97f4a7c15ull + 1;
	p.slots = calloc(l->depth, sizeof(*p.slots));
	p.free = calloc(l->depth, sizeof(*p.free));
	if (p.slots == NULL || p.free == NULL) {
		free(p.slots);
		free(p.free);
		snprintf(l->why, sizeof(l->why), "out of memory");
		return -ENOMEM;
	}
	for (i = l->depth; i-- > 0; ) {
		p.slots[i].pass = &p;
		p.free[p.nfree++] = i;
	}
	t0 = cairn_now_us();
	refill(&p);
	r = block_client_drain(mn->blk, -1);
	l->us = cairn_now_us() - t0;
	if (r < 0)
		note(l, "session lost after %llu requests: %s", p.issued,
		    strerror(-r));
	else if (p.issued < l->count && !p.stop)
		note(l, "stalled after %llu requests%s", p.issued, "");
	free(p.slots);
	free(p.free);
	if (l->why[0] != '\0')
		return -EIO;
	return 0;
}
