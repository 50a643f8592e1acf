/*
 * Packet stream: two single-producer/single-consumer descriptor rings and a
 * bulk buffer in one shared dataspace, with batched notification.
 * SPDX-License-Identifier: MIT
 *
 * The *source* (the session's client) allocates payload space in the bulk
 * buffer, submits descriptors and collects acknowledgements; the *sink* (the
 * server) takes descriptors, validates each against the bulk buffer, and
 * acknowledges them in any order.
 *
 * Trust: the sink never trusts the shared memory. Geometry (slot count, bulk
 * size) is kept privately on each side at setup; ring indices read from the
 * shared header are checked, and descriptors are copied out of the ring
 * before they are validated (no double fetch). A peer that corrupts the
 * header only breaks its own session: pkt_*_get() then return -EPROTO and the
 * owner drops the session.
 *
 * Notification: each side sleeps on the read end of a pipe of its own (its
 * "wake" fd) and holds the write end of the other side's (pkt_wake_pipe()). Before sleeping a side calls pkt_*_arm(), which
 * sets its "waiting" flag in the shared header and re-checks its ring (the
 * caller must not sleep when it reports work). After a batch of operations a
 * side calls pkt_*_notify(), which writes to the peer's wake pipe only when the
 * peer is waiting and progress was made since; so a busy stream costs no
 * system call per packet.
 */
#ifndef CAIRN_PACKET_STREAM_H
#define CAIRN_PACKET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One ring slot. Session-specific fields live in `data` (see the session
 * headers, e.g. struct block_packet in session/block.h). */
struct pkt_desc {
	int64_t offset;		/* payload start, relative to the bulk buffer */
	uint64_t size;		/* payload bytes; 0 is invalid */
	uint8_t data[48];
};

_Static_assert(sizeof(struct pkt_desc) == 64, "descriptor is one cache line");

/* Size of the shared header plus two rings of `slots` slots. */
size_t pkt_stream_meta_size(unsigned slots);

/*
 * Lay out a fresh stream in shm[0..shm_size) (the server does this, then
 * shares the dataspace). slots is a power of two >= 2; a ring holds at most
 * slots-1 descriptors. Returns 0, or -EINVAL when the bulk buffer would be
 * empty or slots is not a power of two.
 */
int pkt_stream_format(void *shm, size_t shm_size, unsigned slots)
    __attribute__((warn_unused_result));

/*
 * The same for the rings alone, in a mapping of their own of rings_size
 * bytes (pkt_stream_meta_size(slots) is always enough), for streams whose
 * bulk buffer lives in a separate dataspace. Returns 0 or -EINVAL.
 */
int pkt_stream_format_rings(void *rings, size_t rings_size, unsigned slots)
    __attribute__((warn_unused_result));

struct pkt_source;	/* opaque, see pkt_source_size() */
struct pkt_sink;

/*
 * Attach a side to an already formatted stream. shm/shm_size describe the
 * local mapping; slots is the geometry agreed at session setup (the sink
 * uses its own value, never the one in shared memory). wake_fd is the
 * pipe read end this side sleeps on, peer_fd the write end of the peer's
 * (both stay owned by the caller). `mem` is caller-provided storage of
 * pkt_source_size()/pkt_sink_size() bytes (the source's bulk allocator
 * lives there).
 * Returns 0 or -EINVAL (geometry does not match the mapping).
 */
size_t pkt_source_size(size_t shm_size, unsigned slots);
int pkt_source_init(struct pkt_source **src, void *mem, void *shm,
    size_t shm_size, unsigned slots, int wake_fd, int peer_fd)
    __attribute__((warn_unused_result));
size_t pkt_sink_size(void);
int pkt_sink_init(struct pkt_sink **sink, void *mem, void *shm,
    size_t shm_size, unsigned slots, int wake_fd, int peer_fd)
    __attribute__((warn_unused_result));

/*
 * Attach a side to a stream whose rings (formatted with
 * pkt_stream_format_rings) and bulk buffer are separate mappings: rings/
 * rings_size and bulk/bulk_size (> 0). The source's `mem` then needs
 * pkt_source_size_bulk(bulk_size) bytes. Returns 0 or -EINVAL.
 */
size_t pkt_source_size_bulk(uint64_t bulk_size);
int pkt_source_init_split(struct pkt_source **src, void *mem, void *rings,
    size_t rings_size, void *bulk, uint64_t bulk_size, unsigned slots,
    int wake_fd, int peer_fd) __attribute__((warn_unused_result));
int pkt_sink_init_split(struct pkt_sink **sink, void *mem, void *rings,
    size_t rings_size, void *bulk, uint64_t bulk_size, unsigned slots,
    int wake_fd, int peer_fd) __attribute__((warn_unused_result));

/* Bulk buffer size and base address of this side's mapping. */
uint64_t pkt_source_bulk_size(const struct pkt_source *src);
uint64_t pkt_sink_bulk_size(const struct pkt_sink *sink);

/* --- source side --- */

/*
 * Allocate `size` bytes of bulk buffer aligned to 1 << align_log2 and fill
 * d->offset/d->size (d->data is zeroed). Returns 0, or -EAGAIN when there is
 * no room now (wait for acks, release, retry), or -EINVAL when size is 0 or
 * larger than the bulk buffer.
 */
int pkt_source_alloc(struct pkt_source *src, uint64_t size,
    unsigned align_log2, struct pkt_desc *d)
    __attribute__((warn_unused_result));

/* Give the payload area of d back to the allocator. */
void pkt_source_release(struct pkt_source *src, const struct pkt_desc *d);

/* Payload address of a descriptor this source allocated. */
void *pkt_source_payload(struct pkt_source *src, const struct pkt_desc *d);

/* Free submit slots right now. */
unsigned pkt_source_submit_space(const struct pkt_source *src);

/* Enqueue d. Returns 0 or -EAGAIN when the submit ring is full. */
int pkt_source_submit(struct pkt_source *src, const struct pkt_desc *d)
    __attribute__((warn_unused_result));

/* Dequeue one acknowledgement into *d: 0, -EAGAIN (none), -EPROTO. */
int pkt_source_get_ack(struct pkt_source *src, struct pkt_desc *d)
    __attribute__((warn_unused_result));

/* Signal the sink if it waits and this side made progress since. */
void pkt_source_notify(struct pkt_source *src);

/*
 * About to sleep on wake_fd: mark this side waiting. Returns true when acks
 * are available or submit space appeared meanwhile (then do not sleep).
 */
bool pkt_source_arm(struct pkt_source *src);

/* End waiting and consume pending wake-ups from wake_fd. */
void pkt_source_drain_wake(struct pkt_source *src);

/* --- sink side --- */

/*
 * Dequeue one descriptor into *d (a private copy). Returns 0, -EAGAIN when
 * the submit ring is empty or taking another would leave no ack slot for it
 * (the sink never takes more than it can acknowledge), or -EPROTO when the
 * shared indices are corrupt.
 */
int pkt_sink_get(struct pkt_sink *sink, struct pkt_desc *d)
    __attribute__((warn_unused_result));

/* Whether d lies inside the bulk buffer with size > 0 (overflow-safe). */
bool pkt_sink_valid(const struct pkt_sink *sink, const struct pkt_desc *d);

/* Payload address of d, or NULL when !pkt_sink_valid(). */
void *pkt_sink_payload(struct pkt_sink *sink, const struct pkt_desc *d);

/*
 * Enqueue an acknowledgement. Every descriptor taken with pkt_sink_get()
 * must be acknowledged exactly once, in any order; since get reserves an ack
 * slot this cannot fail for them. Returns 0 or -EAGAIN (more acks than
 * descriptors taken).
 */
int pkt_sink_ack(struct pkt_sink *sink, const struct pkt_desc *d)
    __attribute__((warn_unused_result));

/* Descriptors taken and not yet acknowledged. */
unsigned pkt_sink_in_flight(const struct pkt_sink *sink);

void pkt_sink_notify(struct pkt_sink *sink);
bool pkt_sink_arm(struct pkt_sink *sink);
void pkt_sink_drain_wake(struct pkt_sink *sink);

/* --- wake pipes --- */

/*
 * A wake pipe: fds[0] to sleep on (poll for POLLIN), fds[1], or duplicates
 * of it, for the peer. Both ends are non-blocking and close-on-exec.
 * Returns 0 or -errno.
 */
int pkt_wake_pipe(int fds[2]) __attribute__((warn_unused_result));

/*
 * Consume the pending wake-ups on a wake pipe's read end without touching
 * the stream's state (for owners that keep the waiting flags themselves,
 * e.g. on an edge-triggered watch). Never blocks, whatever the file's
 * flags. Returns how many were pending.
 */
uint64_t pkt_wake_drain(int fd);

#endif
