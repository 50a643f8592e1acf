/*
 * Block-server framework: the decode step, checking a descriptor against a
 * session's geometry and bulk buffer.
 * SPDX-License-Identifier: MIT
 *
 * Pure functions, kept apart from the I/O so that the unit test of hostile
 * descriptors links this file alone. The order of the checks fixes which
 * status a descriptor with several faults gets: operation, range, size
 * limit, payload window, payload size, alignment.
 */
#include <cairn/block.h>

#include "block_impl.h"

unsigned
block_validate(const struct block_geometry *g, uint64_t bulk_size,
    const struct pkt_desc *d, struct block_packet *b)
{
	uint64_t bytes;

	block_packet_get(d, b);
	if (b->op >= BLOCK_OP_N)
		return BLOCK_PKT_OP;
	if (b->op == BLOCK_OP_SYNC)
		return BLOCK_PKT_OK;
	if (!(g->ops & (1u << b->op)))
		return b->op == BLOCK_OP_WRITE ? BLOCK_PKT_READONLY :
		    BLOCK_PKT_OP;
	if (b->block_count == 0 || b->block_number >= g->block_count ||
	    b->block_count > g->block_count - b->block_number)
		return BLOCK_PKT_RANGE;
	if (g->max_blocks != 0 && b->block_count > g->max_blocks)
		return BLOCK_PKT_LARGE;
	if (d->size == 0 || d->offset < 0 || (uint64_t)d->offset > bulk_size ||
	    d->size > bulk_size - (uint64_t)d->offset)
		return BLOCK_PKT_PAYLOAD;
	/* The payload lies in the buffer, so a product that overflows is
	 * larger than any size. */
	if (b->block_count > UINT64_MAX / g->block_size)
		return BLOCK_PKT_SIZE;
	bytes = b->block_count * g->block_size;
	if (d->size < bytes)
		return BLOCK_PKT_SIZE;
	if ((uint64_t)d->offset & (((uint64_t)1 << g->align_log2) - 1))
		return BLOCK_PKT_ALIGN;
	return BLOCK_PKT_OK;
}

bool
block_geometry_ok(const struct block_geometry *g)
{
	return g->block_count >= 1 && g->block_size != 0 &&
	    g->block_size <= (1u << 20) &&
	    (g->block_size & (g->block_size - 1)) == 0 &&
	    (g->ops & BLOCK_OPS_READ) &&
	    (g->ops & ~(BLOCK_OPS_READ | BLOCK_OPS_WRITE | BLOCK_OPS_SYNC)) == 0 &&
	    g->align_log2 <= 12;
}
