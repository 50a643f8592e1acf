/*
 * Block session: a device of fixed-size blocks, read and written
 * asynchronously through a packet stream.
 * SPDX-License-Identifier: MIT
 *
 * Service name "Block". Session arguments: `label`, `ram_quota`,
 * `tx_buf_size` (bytes of the shared packet-stream buffers, rings and bulk
 * together, rounded up to 4 KiB; default BLOCK_TX_BUF_DEFAULT). The client
 * donates BLOCK_SESSION_QUOTA(tx_buf_size): the server pays the session's
 * state and the buffers from it and refuses the session (ROOT_QUOTA) when
 * it falls short.
 *
 * Client-supplied bulk buffer: with the argument `bulk="client"` the
 * server allocates only the rings (tx_buf_size is ignored; the donation is
 * BLOCK_SESSION_QUOTA(BLOCK_RINGS_BUF)) and the client hands over the bulk
 * buffer with BLOCK_RPC_BULK before it asks for the stream: a sealed memfd
 * of 4 KiB .. BLOCK_TX_BUF_MAX bytes that the server maps writeable. While
 * no request is in flight the client may call BLOCK_RPC_BULK again, with
 * another buffer (the rings are then formatted afresh: every index starts
 * at 0 again) or with none (the server unmaps the buffer and serves no
 * stream until the next one). This
 * lets a server in the middle of a chain pass its own client's buffer on
 * to its backend (part_blk does), so the device reads into and writes
 * from the first client's buffer directly; the backend sees only that
 * buffer, and still validates every descriptor against it. The memory
 * stays charged to whoever allocated it.
 *
 * After opening the session the client asks for geometry (BLOCK_RPC_INFO)
 * and for the packet stream (BLOCK_RPC_TX). Requests then travel as packet
 * descriptors (struct pkt_desc of packet_stream.h) whose `data` holds a
 * struct block_packet: the client allocates the payload in the bulk buffer,
 * fills the descriptor, submits it; the server acknowledges each descriptor
 * exactly once, in any order, with `status` and `success` set. Every other
 * field comes back as the client sent it, so the client matches an
 * acknowledgement by its `tag` (or by offset). Up to slots - 1 requests may
 * be in flight.
 *
 * The server validates every descriptor before it touches the device or the
 * payload; a bad one is acknowledged at once with success = 0 and a status
 * saying what was wrong (BLOCK_PKT_*). A request is valid iff:
 *   - op is BLOCK_OP_READ, BLOCK_OP_WRITE or BLOCK_OP_SYNC, and the session
 *     supports it (a WRITE on a read-only session fails with
 *     BLOCK_PKT_READONLY);
 *   - READ/WRITE: block_count >= 1 and block_number + block_count <=
 *     block_count of the device (computed without overflow);
 *   - READ/WRITE: block_count <= max_blocks when the session has a limit;
 *   - READ/WRITE: offset/size lie inside the bulk buffer, size >=
 *     block_count * block_size, and offset is a multiple of 1 << align_log2.
 * SYNC carries no payload (offset and size are ignored, size may be 0) and
 * no range (block_number and block_count are ignored). Its acknowledgement
 * means: every WRITE acknowledged before the SYNC was submitted is durable
 * on the device and every cache below it. Writes still in flight when the
 * SYNC is submitted are not covered.
 *
 * BLOCK_RPC_SYNC is the same as a synchronous RPC (the 14.02 interface):
 * the reply comes once the device has written back.
 */
#ifndef CAIRN_SESSION_BLOCK_H
#define CAIRN_SESSION_BLOCK_H

#include <stdint.h>
#include <string.h>

#include <cairn/packet_stream.h>

#define BLOCK_SERVICE		"Block"

/* --- quota and geometry limits --- */

/* What a session's state costs the server, beside its tx buffer. */
#define BLOCK_SESSION_COST	(64u * 1024)
#define BLOCK_TX_BUF_DEFAULT	(1024u * 1024)
/* Smallest and largest tx buffer a server accepts (bytes, before rounding). */
#define BLOCK_TX_BUF_MIN	(64u * 1024)
#define BLOCK_TX_BUF_MAX	(1024ull * 1024 * 1024)
/* The rings' buffer of a session with a client-supplied bulk buffer. */
#define BLOCK_RINGS_BUF		(64u * 1024)
/* The donation a client makes for a tx buffer of `tx` bytes. */
#define BLOCK_SESSION_QUOTA(tx) \
	((uint64_t)BLOCK_SESSION_COST + (((uint64_t)(tx) + 4095) & ~4095ull))

/* Descriptor slots per ring (a ring holds slots - 1). */
#define BLOCK_SLOTS		256u

/* --- RPC interface of a session --- */

enum block_rpc_op {
	BLOCK_RPC_INFO,		/* reply: struct block_info */
	BLOCK_RPC_TX,		/* reply: struct block_tx_res + 4 fds */
	BLOCK_RPC_SYNC,		/* reply when written back; no results */
	BLOCK_RPC_BULK,		/* request: 1 fd, the bulk buffer; no results */
	BLOCK_RPC_N_OPS
};

enum block_status {
	BLOCK_OK = 0,
	BLOCK_IO_ERROR = 1,	/* BLOCK_RPC_SYNC: the device failed */
	BLOCK_INVALID = 2,	/* the session is not usable (client gone;
				 * BLOCK_RPC_TX before BLOCK_RPC_BULK) */
	BLOCK_BULK_REFUSED = 3,	/* BLOCK_RPC_BULK: not a memfd with sealed
				 * size, a size outside 4 KiB ..
				 * BLOCK_TX_BUF_MAX, write-sealed, a session
				 * without bulk="client", or requests in
				 * flight */
};

/* Request operations; the ops bit set has bit (1 << op) for each. */
enum block_op {
	BLOCK_OP_READ = 0,
	BLOCK_OP_WRITE = 1,
	BLOCK_OP_SYNC = 2,
	BLOCK_OP_N
};

#define BLOCK_OPS_READ		(1u << BLOCK_OP_READ)
#define BLOCK_OPS_WRITE		(1u << BLOCK_OP_WRITE)
#define BLOCK_OPS_SYNC		(1u << BLOCK_OP_SYNC)

struct block_info {
	uint64_t block_count;	/* blocks on the device */
	uint32_t block_size;	/* bytes, a power of two */
	uint32_t ops;		/* BLOCK_OPS_* this session accepts (SYNC
				 * always: without anything to write back
				 * the server acknowledges it at once) */
	uint32_t writeable;	/* 1 iff ops has BLOCK_OPS_WRITE */
	uint32_t align_log2;	/* payload offsets: multiple of 1 << this */
	uint64_t max_blocks;	/* most blocks per request, 0: no limit
				 * beyond the bulk buffer */
};

/*
 * BLOCK_RPC_TX reply. Descriptors, in this order: the rings (a sealed
 * memfd of rings_size bytes, formatted by the server with
 * pkt_stream_format_rings(slots)); the bulk buffer (a sealed memfd of
 * bulk_size bytes; descriptor offsets are relative to its start); the
 * write end of the wake pipe the server sleeps on (the client kicks it);
 * the read end of the wake pipe the client sleeps on (pkt_wake_pipe()).
 * Each call hands out fresh duplicates of the same stream.
 */
struct block_tx_res {
	uint64_t rings_size;
	uint64_t bulk_size;
	uint32_t slots;
	uint32_t pad;
};

/* --- packet descriptors --- */

/* Per-request status set by the server (client-set values are ignored). */
enum block_pkt_status {
	BLOCK_PKT_OK = 0,
	BLOCK_PKT_OP = 1,	/* unknown op, or one the session lacks */
	BLOCK_PKT_READONLY = 2,	/* WRITE on a read-only session */
	BLOCK_PKT_RANGE = 3,	/* block_count 0, or past the last block */
	BLOCK_PKT_PAYLOAD = 4,	/* offset/size outside the bulk buffer */
	BLOCK_PKT_SIZE = 5,	/* size < block_count * block_size */
	BLOCK_PKT_ALIGN = 6,	/* offset not a multiple of 1 << align_log2 */
	BLOCK_PKT_LARGE = 7,	/* block_count > max_blocks of the session */
	BLOCK_PKT_IO = 8,	/* the device failed */
	BLOCK_PKT_N
};

/* The session-specific part of a descriptor (struct pkt_desc's data). */
struct block_packet {
	uint64_t block_number;	/* first block, full 64 bit */
	uint64_t block_count;	/* blocks */
	uint64_t tag;		/* the client's, returned unchanged */
	uint32_t op;		/* enum block_op */
	uint8_t success;	/* set by the server: 1 iff status is OK */
	uint8_t status;		/* set by the server: enum block_pkt_status */
	uint8_t pad[2];
};

_Static_assert(sizeof(struct block_packet) <= sizeof(((struct pkt_desc *)0)->data),
    "block packet fits a descriptor");

/* Copy the block fields out of / into a descriptor. */
static inline void
block_packet_get(const struct pkt_desc *d, struct block_packet *b)
{
	memcpy(b, d->data, sizeof(*b));
}

static inline void
block_packet_set(struct pkt_desc *d, const struct block_packet *b)
{
	memcpy(d->data, b, sizeof(*b));
}

/* A short name for a status, e.g. "out of range", for logs. */
static inline const char *
block_pkt_status_str(unsigned status)
{
	static const char *const s[BLOCK_PKT_N] = {
		"ok", "unsupported operation", "read-only", "out of range",
		"payload outside the buffer", "payload too small",
		"misaligned payload", "request too large", "I/O error",
	};

	return status < BLOCK_PKT_N ? s[status] : "unknown status";
}

#endif
