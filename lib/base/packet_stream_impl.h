/*
 * Packet stream internals: the shared header and each side's private state.
 * SPDX-License-Identifier: MIT
 *
 * Private to lib/base and its unit test (which corrupts the shared header
 * on purpose); never installed.
 */
#ifndef CAIRN_PACKET_STREAM_IMPL_H
#define CAIRN_PACKET_STREAM_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <cairn/packet_stream.h>

#define PKT_MAGIC	0x6d727473u	/* "strm" */
#define PKT_MAX_SLOTS	(1u << 16)
#define PKT_LINE	64
#define PKT_PAGE	4096u

/* The bulk allocator hands out 512-byte granules (one disk sector). */
#define PKT_GRAN_LOG2	9
#define PKT_GRAN	(1u << PKT_GRAN_LOG2)

/*
 * Events a side reports to its peer. A side about to sleep stores the set
 * it waits for in its waiting word; notify wakes it when it made progress
 * of a kind in that set.
 */
#define PKT_EV_SUBMITTED	1u	/* for the sink: descriptors to get */
#define PKT_EV_ACKS_TAKEN	2u	/* for the sink: ack slots freed */
#define PKT_EV_TAKEN	4u	/* for the source: submit slots freed */
#define PKT_EV_ACKED	8u	/* for the source: acks to collect */

/*
 * Start of the shared dataspace. Every cache line has a single writer so the
 * two sides never write the same line, except the waiting flags, which the
 * peer clears when it wakes the sleeper.
 */
struct pkt_shm {
	/* written by the source */
	_Alignas(PKT_LINE) _Atomic uint32_t submit_head;
	_Atomic uint32_t ack_tail;
	/* written by the sink */
	_Alignas(PKT_LINE) _Atomic uint32_t submit_tail;
	_Atomic uint32_t ack_head;
	/* PKT_EV_* set by a side about to sleep, cleared by its waker */
	_Alignas(PKT_LINE) _Atomic uint32_t source_waiting;
	_Alignas(PKT_LINE) _Atomic uint32_t sink_waiting;
	/* written by pkt_stream_format(); only the source looks, as a check */
	_Alignas(PKT_LINE) uint32_t magic;
	uint32_t slots;
};

/*
 * Both sides: the indices a side publishes are kept here and only ever
 * stored to the shared header, never read back from it. The peer's indices
 * are cached and reloaded only when the cached value says "empty" or
 * "full", which keeps cache-line traffic to one transfer per batch.
 */
struct pkt_source {
	struct pkt_shm *shm;
	struct pkt_desc *submit;	/* slots entries */
	struct pkt_desc *ack;		/* slots entries */
	uint8_t *bulk;
	uint64_t bulk_size;
	uint32_t slots;			/* geometry, private copy */
	uint32_t mask;
	uint32_t submit_head;		/* ours */
	uint32_t submit_tail;		/* sink's, last seen */
	uint32_t ack_head;		/* sink's, last seen */
	uint32_t ack_tail;		/* ours */
	uint32_t progress;		/* PKT_EV_* since the last notify */
	bool broken;			/* sink corrupted the indices */
	int wake_fd;
	int peer_fd;
	/* Bulk allocator: one bit per granule, set = allocated. */
	uint64_t ngran;
	uint64_t cursor;		/* granule where the search starts */
	uint64_t bitmap[];
};

struct pkt_sink {
	struct pkt_shm *shm;
	struct pkt_desc *submit;
	struct pkt_desc *ack;
	uint8_t *bulk;
	uint64_t bulk_size;
	uint32_t slots;
	uint32_t mask;
	uint32_t submit_head;		/* source's, last seen */
	uint32_t submit_tail;		/* ours */
	uint32_t ack_head;		/* ours */
	uint32_t ack_tail;		/* source's, last seen */
	uint32_t in_flight;		/* taken, not yet acknowledged */
	uint32_t progress;
	bool broken;
	int wake_fd;
	int peer_fd;
};

#endif
