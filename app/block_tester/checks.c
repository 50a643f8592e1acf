/*
 * block_tester's scripted tests: replayed requests, requests the server
 * must refuse, and a client that leaves with requests in flight.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block_tester.h"
#include "pattern.h"

/* Largest replayed request, so a typo cannot ask for gigabytes. */
#define REPLAY_MAX_BYTES	(16u << 20)
/* Requests of a replay in flight together (wait="no"), at most. */
#define REPLAY_ASYNC_MAX	64

/*
 * Requests submitted with wait="no": in flight together with what follows
 * up to the next request that waits (or the end of the replay). Their
 * reads are not verified, since their order against the others is the
 * server's; they must succeed.
 */
struct replay_async {
	struct block_job jobs[REPLAY_ASYNC_MAX];
	unsigned idx[REPLAY_ASYNC_MAX];
	unsigned n;
};

static void
async_done(struct block_job *j)
{
	(void)j;
}

static int
async_drain(struct main *mn, struct replay_async *a, char *why, size_t cap)
{
	unsigned i;
	int res = 0;

	if (a->n == 0)
		return 0;
	if (block_client_drain(mn->blk, -1) < 0) {
		snprintf(why, cap, "the server is gone");
		res = -EIO;
	}
	for (i = 0; i < a->n; i++) {
		if (res == 0 && !a->jobs[i].success) {
			snprintf(why, cap, "request %u (%s %llu+%llu, not "
			    "waited for) failed: %s", a->idx[i],
			    a->jobs[i].op == BLOCK_OP_WRITE ? "write" : "read",
			    (unsigned long long)a->jobs[i].block_number,
			    (unsigned long long)a->jobs[i].block_count,
			    block_pkt_status_str(a->jobs[i].status));
			res = -EIO;
		}
		block_job_release(mn->blk, &a->jobs[i]);
	}
	a->n = 0;
	return res;
}

static int
async_submit(struct main *mn, struct replay_async *a, bool write,
    uint64_t lba, uint64_t cnt, uint64_t seed, unsigned idx, char *why,
    size_t cap)
{
	uint32_t bs = mn->info->block_size;
	struct block_job *j;
	uint64_t i;
	int err;

	if (a->n == REPLAY_ASYNC_MAX) {
		snprintf(why, cap, "request %u: more than %u requests not waited "
		    "for", idx, REPLAY_ASYNC_MAX);
		return -EINVAL;
	}
	j = &a->jobs[a->n];
	block_job_init(j, write ? BLOCK_OP_WRITE : BLOCK_OP_READ, lba, cnt,
	    async_done, NULL);
	if ((err = block_job_alloc(mn->blk, j)) < 0) {
		snprintf(why, cap, "request %u: no room in the buffer for %llu "
		    "blocks beside the others in flight", idx,
		    (unsigned long long)cnt);
		return err;
	}
	if (write)
		for (i = 0; i < cnt; i++)
			pattern_fill((uint8_t *)j->payload + i * bs, bs,
			    lba + i, seed);
	if ((err = block_job_submit(mn->blk, j)) < 0) {
		block_job_release(mn->blk, j);
		snprintf(why, cap, "request %u: not submitted: %s", idx,
		    strerror(-err));
		return err;
	}
	a->idx[a->n++] = idx;
	return 0;
}

static int
replay_one(struct main *mn, struct replay_async *a, const struct xml_node *r,
    uint64_t seed, bool verify, unsigned idx, char *why, size_t cap)
{
	uint32_t bs = mn->info->block_size;
	char type[16], expect[8];
	uint64_t lba = 0, cnt = 1, i;
	uint8_t *buf = NULL, st = BLOCK_PKT_OK;
	bool want_fail;
	int res, pr;

	xml_attr_str(r, "type", type, sizeof(type), "read");
	xml_attr_str(r, "expect", expect, sizeof(expect), "ok");
	lba = xml_attr_u64(r, "lba", 0);
	cnt = xml_attr_u64(r, "count", 1);
	want_fail = strcmp(expect, "fail") == 0;
	verify = xml_attr_bool(r, "verify", verify);
	seed = xml_attr_u64(r, "seed", seed);
	if (!xml_attr_bool(r, "wait", true)) {
		if (want_fail || cnt == 0 || cnt > REPLAY_MAX_BYTES / bs ||
		    (strcmp(type, "read") != 0 && strcmp(type, "write") != 0)) {
			snprintf(why, cap, "request %u: wait=\"no\" takes a "
			    "read or write of 1 block up to %u bytes expected "
			    "to succeed", idx, REPLAY_MAX_BYTES);
			return -EINVAL;
		}
		return async_submit(mn, a, strcmp(type, "write") == 0, lba,
		    cnt, seed, idx, why, cap);
	}
	if ((res = async_drain(mn, a, why, cap)) < 0)
		return res;
	if (strcmp(type, "sync") == 0) {
		res = block_client_sync(mn->blk);
		goto verdict;
	}
	if (strcmp(type, "read") != 0 && strcmp(type, "write") != 0) {
		snprintf(why, cap, "request %u: unknown type \"%s\"", idx, type);
		return -EINVAL;
	}
	/* Count 0 and wild ranges are legitimate requests for expect="fail";
	 * the buffer is what a sane request of that size needs. */
	if (cnt > REPLAY_MAX_BYTES / bs) {
		snprintf(why, cap, "request %u: count %llu above %u bytes",
		    idx, (unsigned long long)cnt, REPLAY_MAX_BYTES);
		return -EINVAL;
	}
	buf = calloc(cnt ? cnt : 1, bs);
	if (buf == NULL) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	if (strcmp(type, "write") == 0) {
		for (i = 0; i < cnt; i++)
			pattern_fill(buf + i * bs, bs, lba + i, seed);
		res = cnt ? block_client_write(mn->blk, lba, cnt, buf, &st) :
		    -EIO;
	} else {
		res = cnt ? block_client_read(mn->blk, lba, cnt, buf, &st) :
		    -EIO;
		for (i = 0; res == 0 && verify && i < cnt; i++) {
			pr = pattern_check(buf + i * bs, bs, lba + i, seed);
			if (pr != PATTERN_OK) {
				snprintf(why, cap, "request %u: block %llu: "
				    "%s", idx, (unsigned long long)(lba + i),
				    pattern_result_str(pr));
				free(buf);
				return -EIO;
			}
		}
	}
	free(buf);
verdict:
	if (res == 0 && want_fail) {
		snprintf(why, cap, "request %u (%s %llu+%llu) succeeded, "
		    "expected failure", idx, type, (unsigned long long)lba,
		    (unsigned long long)cnt);
		return -EIO;
	}
	if (res < 0 && !want_fail) {
		snprintf(why, cap, "request %u (%s %llu+%llu) failed: %s", idx,
		    type, (unsigned long long)lba, (unsigned long long)cnt,
		    res == -EIO ? block_pkt_status_str(st) : strerror(-res));
		return -EIO;
	}
	if (mn->verbose)
		cairn_log(mn->env, "replay %u: %s %llu+%llu %s", idx, type,
		    (unsigned long long)lba, (unsigned long long)cnt,
		    res == 0 ? "ok" : "failed as expected");
	return 0;
}

int
test_replay(struct main *mn, const struct xml_node *n, char *why, size_t cap)
{
	uint64_t seed = xml_attr_u64(n, "seed", 1);
	bool verify = xml_attr_bool(n, "verify", false);
	static struct replay_async a;
	struct xml_node r;
	unsigned idx = 0;
	int ok, err;

	a.n = 0;
	for (ok = xml_node_first(n, "request", &r) == 0; ok;
	    ok = xml_node_next(&r, "request", &r) == 0) {
		if ((err = replay_one(mn, &a, &r, seed, verify, idx, why,
		    cap)) < 0) {
			(void)block_client_drain(mn->blk, -1);
			for (unsigned i = 0; i < a.n; i++)
				block_job_release(mn->blk, &a.jobs[i]);
			return err;
		}
		idx++;
	}
	if ((err = async_drain(mn, &a, why, cap)) < 0)
		return err;
	snprintf(why, cap, "%u requests", idx);
	return 0;
}

/* --- requests the server must refuse --- */

struct bad_case {
	const char *what;
	uint32_t op;
	uint64_t nr, cnt;
	int64_t off;		/* relative to our valid room */
	uint64_t size;		/* in blocks; 0 = 0 bytes */
	uint8_t want;
	bool skip;
	bool past_bulk;
};

static void
bad_done(struct block_job *j)
{
	(void)j;
}

int
test_bad_requests(struct main *mn, const struct xml_node *n,
    unsigned *refused, unsigned *total, char *why, size_t cap)
{
	const struct block_info *in = mn->info;
	uint64_t end = in->block_count, bs = in->block_size;
	struct bad_case cases[] = {
		{ .what = "read past the end", .op = BLOCK_OP_READ,
		    .nr = end, .cnt = 1, .size = 1, .want = BLOCK_PKT_RANGE },
		{ .what = "read across the end", .op = BLOCK_OP_READ,
		    .nr = end - 1, .cnt = 2, .size = 2,
		    .want = BLOCK_PKT_RANGE },
		{ .what = "read of 0 blocks", .op = BLOCK_OP_READ, .cnt = 0,
		    .size = 1, .want = BLOCK_PKT_RANGE },
		{ .what = "block number overflow", .op = BLOCK_OP_READ,
		    .nr = UINT64_MAX, .cnt = 2, .size = 2,
		    .want = BLOCK_PKT_RANGE },
		{ .what = "misaligned payload", .op = BLOCK_OP_READ, .cnt = 1,
		    .off = 4, .size = 1, .want = BLOCK_PKT_ALIGN,
		    .skip = in->align_log2 < 3 },
		{ .what = "payload too small", .op = BLOCK_OP_READ, .cnt = 2,
		    .size = 1, .want = BLOCK_PKT_SIZE },
		{ .what = "payload outside the buffer", .op = BLOCK_OP_READ,
		    .cnt = 1, .size = 1, .want = BLOCK_PKT_PAYLOAD,
		    .past_bulk = true },
		{ .what = "unknown operation", .op = 9, .cnt = 1, .size = 1,
		    .want = BLOCK_PKT_OP },
		{ .what = "write to a read-only device", .op = BLOCK_OP_WRITE,
		    .cnt = 1, .size = 1, .want = BLOCK_PKT_READONLY,
		    .skip = in->writeable != 0 },
		/* The limit is checked before the payload window. */
		{ .what = "request above max_blocks", .op = BLOCK_OP_READ,
		    .cnt = in->max_blocks + 1, .size = in->max_blocks + 1,
		    .want = BLOCK_PKT_LARGE,
		    .skip = in->max_blocks == 0 || in->max_blocks >= end },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct block_job room, j[N];
	int64_t off;
	unsigned i;
	int r;

	*refused = *total = 0;
	/* Two blocks of valid room: hand-made descriptors point into it. */
	block_job_init(&room, BLOCK_OP_READ, 0, 2, NULL, NULL);
	if ((r = block_job_alloc(mn->blk, &room)) < 0) {
		snprintf(why, cap, "no room in the buffer: %s", strerror(-r));
		return r;
	}
	for (i = 0; i < N; i++) {
		if (cases[i].skip)
			continue;
		block_job_init(&j[i], cases[i].op, cases[i].nr, cases[i].cnt,
		    bad_done, NULL);
		off = room.desc.offset + cases[i].off;
		if (cases[i].past_bulk)
			off = (int64_t)block_client_bulk_size(mn->blk);
		r = block_job_submit_raw(mn->blk, &j[i], off,
		    cases[i].size * bs);
		if (r < 0) {
			snprintf(why, cap, "%s: cannot submit: %s",
			    cases[i].what, strerror(-r));
			break;
		}
		(*total)++;
	}
	if (block_client_drain(mn->blk, 10000) < 0 && r == 0) {
		snprintf(why, cap, "no answer from the server");
		r = -EIO;
	}
	for (i = 0; r == 0 && i < N; i++) {
		if (cases[i].skip)
			continue;
		if (j[i].success) {
			snprintf(why, cap, "%s succeeded", cases[i].what);
			r = -EIO;
		} else if (j[i].status != cases[i].want) {
			snprintf(why, cap, "%s refused as \"%s\", expected "
			    "\"%s\"", cases[i].what,
			    block_pkt_status_str(j[i].status),
			    block_pkt_status_str(cases[i].want));
			r = -EIO;
		} else {
			(*refused)++;
			if (mn->verbose)
				cairn_log(mn->env, "%s: refused (%s)",
				    cases[i].what,
				    block_pkt_status_str(j[i].status));
		}
	}
	block_job_release(mn->blk, &room);
	(void)n;
	return r;
}

/* --- leaving with requests in flight --- */

void
test_abandon(struct main *mn, const struct xml_node *n)
{
	uint64_t count = xml_attr_u64(n, "count", 32);
	uint64_t size = xml_attr_size(n, "size", 64 * 1024);
	uint64_t blocks = size / mn->info->block_size, nr = 0, i;
	struct block_job *j;

	if (blocks == 0)
		blocks = 1;
	if (count > block_client_max_jobs(mn->blk))
		count = block_client_max_jobs(mn->blk);
	j = calloc(count, sizeof(*j));
	if (j == NULL)
		count = 0;
	for (i = 0; i < count; i++) {
		if (nr + blocks > mn->info->block_count)
			nr = 0;
		block_job_init(&j[i], BLOCK_OP_READ, nr, blocks, bad_done, NULL);
		if (block_job_alloc(mn->blk, &j[i]) < 0 ||
		    block_job_submit(mn->blk, &j[i]) < 0)
			break;
		nr += blocks;
	}
	/* No waiting, no close: the process ends with the requests out. */
	cairn_log(mn->env, "test abandon: exiting with %u requests in flight",
	    block_client_in_flight(mn->blk));
	cairn_exit(mn->env, 0);
}
