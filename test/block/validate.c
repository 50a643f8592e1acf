/*
 * Unit tests of the block server's decode step: hostile descriptors.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "../../lib/block/block_impl.h"
#include "../test.h"

T_STATE_DEFINE;

#define BULK	(1024u * 1024)

static const struct block_geometry rw = {
	.block_count = 1000, .block_size = 512,
	.ops = BLOCK_OPS_READ | BLOCK_OPS_WRITE | BLOCK_OPS_SYNC,
	.align_log2 = 9,
};

static const struct block_geometry ro = {
	.block_count = 1000, .block_size = 512, .ops = BLOCK_OPS_READ,
};

static const struct block_geometry limited = {
	.block_count = 1000, .block_size = 512,
	.ops = BLOCK_OPS_READ | BLOCK_OPS_WRITE, .max_blocks = 8,
};

static unsigned
check(const struct block_geometry *g, uint32_t op, uint64_t nr, uint64_t cnt,
    int64_t offset, uint64_t size)
{
	struct block_packet b = { .block_number = nr, .block_count = cnt,
	    .op = op, .tag = 77, .success = 1, .status = 5 };
	struct pkt_desc d = { .offset = offset, .size = size };
	struct block_packet out;
	unsigned st;

	block_packet_set(&d, &b);
	st = block_validate(g, BULK, &d, &out);
	/* The decoded fields are the client's, whatever the verdict. */
	if (out.tag != 77 || out.block_number != nr || out.op != op)
		return 99;
	return st;
}

static void
t_valid(void)
{
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, 0, 512) == BLOCK_PKT_OK);
	T_CHECK(check(&rw, BLOCK_OP_WRITE, 999, 1, 4096, 512) == BLOCK_PKT_OK);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1000, 0, 512000) == BLOCK_PKT_OK);
	/* A larger payload than needed is fine; the driver gets `bytes`. */
	T_CHECK(check(&rw, BLOCK_OP_READ, 10, 2, 0, 4096) == BLOCK_PKT_OK);
	/* The last byte of the bulk buffer. */
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, BULK - 512, 512) ==
	    BLOCK_PKT_OK);
}

static void
t_range(void)
{
	/* test-blk-cli's cases: (count, 1) and (count - 1, 2). */
	T_CHECK(check(&rw, BLOCK_OP_READ, 1000, 1, 0, 512) == BLOCK_PKT_RANGE);
	T_CHECK(check(&rw, BLOCK_OP_READ, 999, 2, 0, 1024) == BLOCK_PKT_RANGE);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1001, 0, BULK) ==
	    BLOCK_PKT_RANGE);
	T_CHECK(check(&rw, BLOCK_OP_READ, 5, 0, 0, 512) == BLOCK_PKT_RANGE);
}

static void
t_overflow(void)
{
	/* block_number + block_count wraps to a small number. */
	T_CHECK(check(&rw, BLOCK_OP_READ, UINT64_MAX, 2, 0, 1024) ==
	    BLOCK_PKT_RANGE);
	T_CHECK(check(&rw, BLOCK_OP_READ, 10, UINT64_MAX - 5, 0, 512) ==
	    BLOCK_PKT_RANGE);
	T_CHECK(check(&rw, BLOCK_OP_READ, UINT64_MAX, UINT64_MAX, 0, 512) ==
	    BLOCK_PKT_RANGE);
}

static void
t_overflow_bytes(void)
{
	/* A device so large that block_count * block_size wraps. */
	struct block_geometry huge = { .block_count = UINT64_MAX,
	    .block_size = 4096, .ops = BLOCK_OPS_READ };

	T_CHECK(check(&huge, BLOCK_OP_READ, 0, (UINT64_MAX / 4096) + 2, 0,
	    4096) == BLOCK_PKT_SIZE);
	T_CHECK(check(&huge, BLOCK_OP_READ, 0, 1ull << 52, 0, 4096) ==
	    BLOCK_PKT_SIZE);
	T_CHECK(check(&huge, BLOCK_OP_READ, UINT64_MAX - 1, 1, 0, 4096) ==
	    BLOCK_PKT_OK);
}

static void
t_size(void)
{
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 2, 0, 1023) == BLOCK_PKT_SIZE);
	T_CHECK(check(&rw, BLOCK_OP_WRITE, 0, 8, 0, 512) == BLOCK_PKT_SIZE);
}

static void
t_payload(void)
{
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, 0, 0) == BLOCK_PKT_PAYLOAD);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, -512, 512) ==
	    BLOCK_PKT_PAYLOAD);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, BULK, 512) ==
	    BLOCK_PKT_PAYLOAD);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, BULK - 511, 512) ==
	    BLOCK_PKT_PAYLOAD);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, INT64_MAX, UINT64_MAX) ==
	    BLOCK_PKT_PAYLOAD);
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, 512, UINT64_MAX) ==
	    BLOCK_PKT_PAYLOAD);
}

static void
t_align(void)
{
	T_CHECK(check(&rw, BLOCK_OP_READ, 0, 1, 100, 512) == BLOCK_PKT_ALIGN);
	T_CHECK(check(&rw, BLOCK_OP_WRITE, 0, 1, 256, 512) == BLOCK_PKT_ALIGN);
	/* Without an alignment requirement any offset goes. */
	T_CHECK(check(&ro, BLOCK_OP_READ, 0, 1, 100, 512) == BLOCK_PKT_OK);
}

static void
t_readonly(void)
{
	T_CHECK(check(&ro, BLOCK_OP_WRITE, 0, 1, 0, 512) ==
	    BLOCK_PKT_READONLY);
	T_CHECK(check(&ro, BLOCK_OP_READ, 0, 1, 0, 512) == BLOCK_PKT_OK);
}

static void
t_op(void)
{
	T_CHECK(check(&rw, 3, 0, 1, 0, 512) == BLOCK_PKT_OP);
	T_CHECK(check(&rw, UINT32_MAX, 0, 1, 0, 512) == BLOCK_PKT_OP);
	/* The op is checked first: a bad op with a bad range says "op". */
	T_CHECK(check(&rw, 9, 5000, 0, -1, 0) == BLOCK_PKT_OP);
}

static void
t_sync(void)
{
	/* SYNC has neither payload nor range. */
	T_CHECK(check(&rw, BLOCK_OP_SYNC, 0, 0, 0, 0) == BLOCK_PKT_OK);
	T_CHECK(check(&ro, BLOCK_OP_SYNC, 5000, 7, -1, 0) == BLOCK_PKT_OK);
}

static void
t_large(void)
{
	T_CHECK(check(&limited, BLOCK_OP_READ, 0, 8, 0, 4096) == BLOCK_PKT_OK);
	T_CHECK(check(&limited, BLOCK_OP_READ, 0, 9, 0, 4608) ==
	    BLOCK_PKT_LARGE);
}

static void
t_geometry(void)
{
	struct block_geometry g = rw;

	T_CHECK(block_geometry_ok(&g));
	g.block_size = 1000;
	T_CHECK(!block_geometry_ok(&g));
	g = rw;
	g.block_count = 0;
	T_CHECK(!block_geometry_ok(&g));
	g = rw;
	g.ops = BLOCK_OPS_WRITE;
	T_CHECK(!block_geometry_ok(&g));
	g = rw;
	g.ops |= 1u << 7;
	T_CHECK(!block_geometry_ok(&g));
	g = rw;
	g.align_log2 = 13;
	T_CHECK(!block_geometry_ok(&g));
}

int
main(void)
{
	T_RUN("blk-val-001", "valid requests pass", t_valid);
	T_RUN("blk-val-002", "past the end and count 0 are out of range",
	    t_range);
	T_RUN("blk-val-003", "block_number + block_count overflow is caught",
	    t_overflow);
	T_RUN("blk-val-004", "block_count * block_size overflow is caught",
	    t_overflow_bytes);
	T_RUN("blk-val-005", "payload smaller than the blocks", t_size);
	T_RUN("blk-val-006", "payload outside the bulk buffer", t_payload);
	T_RUN("blk-val-007", "misaligned payload", t_align);
	T_RUN("blk-val-008", "write on a read-only session", t_readonly);
	T_RUN("blk-val-009", "unknown operation", t_op);
	T_RUN("blk-val-010", "sync needs neither payload nor range", t_sync);
	T_RUN("blk-val-011", "requests above max_blocks", t_large);
	T_RUN("blk-val-012", "driver geometry is checked", t_geometry);
	return t_done();
}
