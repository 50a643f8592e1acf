/*
 * Block client library: a Block session as asynchronous jobs, plus
 * blocking helpers for simple clients.
 * SPDX-License-Identifier: MIT
 *
 * A job is a request the caller owns (usually embedded in its own state):
 *
 *   block_job_init(j, BLOCK_OP_READ, lba, count, done, ctx);
 *   block_job_alloc(c, j)     payload room in the shared bulk buffer
 *   ... fill j->payload for a WRITE ...
 *   block_job_submit(c, j)    off it goes; more may follow at once
 *   done(j) on the entrypoint: j->success, j->status; read j->payload
 *   block_job_release(c, j)   the payload room goes back
 *
 * Any number of jobs up to block_client_max_jobs() may be in flight; they
 * complete in any order. The library never blocks in the asynchronous
 * calls: when the bulk buffer or the job table is full they return -EAGAIN,
 * and the caller tries again from a done() callback (every completion frees
 * a job slot and, once released, payload room).
 *
 * The blocking helpers (block_client_read/_write/_sync) dispatch the
 * entrypoint until their request completed, so other events (including
 * done() of asynchronous jobs) are handled meanwhile.
 *
 * The library trusts nothing in acknowledgements beyond the tag it put in:
 * an acknowledgement whose tag does not denote a job in flight is dropped.
 */
#ifndef CAIRN_BLOCK_CLIENT_H
#define CAIRN_BLOCK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/env.h>
#include <cairn/session/block.h>

struct block_client;
struct block_job;

typedef void (*block_done_fn)(struct block_job *j);

struct block_job {
	/* Set by block_job_init() (the caller may change them before
	 * submitting). */
	uint32_t op;		/* enum block_op */
	uint64_t block_number;
	uint64_t block_count;
	block_done_fn done;	/* called once, on the entrypoint */
	void *ctx;		/* the caller's */
	/* Set by the library. */
	void *payload;		/* after block_job_alloc(): bytes of room */
	size_t bytes;		/* block_count * block_size */
	bool success;		/* in done(): the server's verdict */
	uint8_t status;		/* in done(): enum block_pkt_status */
	/* Private to the library. */
	struct pkt_desc desc;
	bool allocated;
	bool in_flight;
};

/*
 * Open a Block session: label (the client's part of the session label,
 * may be ""), tx_buf_size (0: BLOCK_TX_BUF_DEFAULT). Donates
 * BLOCK_SESSION_QUOTA(tx_buf_size), fetches the info and the packet stream.
 * Blocks until the parent answered. Returns 0 and *c, or -errno as
 * cairn_session() (detail, when non-NULL, says why) or -ENOMEM, -EPROTO
 * (the server's reply does not make sense).
 */
int block_client_open(struct cairn_env *env, const char *label,
    uint64_t tx_buf_size, struct block_client **c, char *detail,
    size_t detail_cap) __attribute__((warn_unused_result));

/*
 * Open a Block session whose bulk buffer is bulk_fd (a sealed memfd; the
 * caller keeps its fd, the server gets a duplicate): the server allocates
 * only the rings (session argument bulk="client", donation
 * BLOCK_SESSION_QUOTA(BLOCK_RINGS_BUF)). For a server that passes its own
 * client's buffer on (see block_session_bulk_fd()): such a session takes
 * jobs with block_job_forward() only; block_job_alloc() refuses with
 * -EPERM. Returns as block_client_open(), or -EPROTO when the server
 * refused the buffer.
 */
int block_client_open_bulk(struct cairn_env *env, const char *label,
    int bulk_fd, struct block_client **c, char *detail, size_t detail_cap)
    __attribute__((warn_unused_result));

/*
 * Lend a session of block_client_open_bulk() another buffer (bulk_fd), or
 * withdraw the current one (bulk_fd -1: the server unmaps it; no job can
 * be submitted until the next one), while no job is in flight. A server
 * keeps such a session for the next client rather than closing it.
 * Returns 0, -EBUSY (jobs in flight), -EINVAL (not such a session),
 * -EPROTO (the server refused), -EPIPE, or the errno of mapping it.
 */
int block_client_rebind_bulk(struct block_client *c, int bulk_fd)
    __attribute__((warn_unused_result));

/*
 * Close the session. Jobs still in flight are forgotten (their done() is
 * not called); the caller must not use their payloads any more. May be
 * called from a done() callback (c is freed once that returned), but not
 * while a blocking helper of c is waiting.
 */
void block_client_close(struct block_client *c);

/* The device: block count, block size, ops, writeable, alignment. */
const struct block_info *block_client_info(const struct block_client *c);

/* Jobs that may be in flight at once (slots - 1). */
unsigned block_client_max_jobs(const struct block_client *c);

/* Jobs submitted and not yet completed. */
unsigned block_client_in_flight(const struct block_client *c);

/* Size of the bulk buffer: no job's payload can be larger (0 while a
 * lent buffer is withdrawn, see block_client_rebind_bulk()). */
uint64_t block_client_bulk_size(const struct block_client *c);

/*
 * Optional hooks around each batch of done() calls (e.g. a server built on
 * this client brackets its own completions with them). NULL to unset.
 */
void block_client_set_batch_hooks(struct block_client *c,
    void (*begin)(void *ctx), void (*end)(void *ctx), void *ctx);

/* --- asynchronous jobs --- */

/* Fill the caller's fields of j and clear the rest. */
void block_job_init(struct block_job *j, uint32_t op, uint64_t block_number,
    uint64_t block_count, block_done_fn done, void *ctx);

/*
 * Give j payload room for block_count blocks (SYNC needs none: returns 0
 * without allocating). Returns 0, -EAGAIN (no room now: wait for
 * completions), -EINVAL (count 0, or larger than the bulk buffer), -EBUSY
 * (already allocated or in flight), -EPERM (a session of
 * block_client_open_bulk()).
 */
int block_job_alloc(struct block_client *c, struct block_job *j)
    __attribute__((warn_unused_result));

/*
 * Submit j (allocated, unless it is a SYNC). Returns 0 (done() follows
 * exactly once, unless the session is closed first), -EAGAIN (as many
 * jobs in flight as the session allows), -EBUSY (already in flight),
 * -EINVAL (a READ/WRITE without payload room), -EPIPE (the server is
 * gone or broke the stream).
 */
int block_job_submit(struct block_client *c, struct block_job *j)
    __attribute__((warn_unused_result));

/*
 * Submit j (not allocated) with its payload at `offset` of the bulk
 * buffer, for a session of block_client_open_bulk(): the payload is
 * whatever the lending session's client put there. Checks that
 * block_count blocks from offset lie inside the buffer and that offset
 * meets the session's alignment (-EINVAL otherwise); sets j->payload and
 * j->bytes. Returns as block_job_submit(). SYNC takes no payload.
 */
int block_job_forward(struct block_client *c, struct block_job *j,
    uint64_t offset) __attribute__((warn_unused_result));

/*
 * For tests of servers: submit j with a hand-made payload window
 * (offset/size relative to the bulk buffer, unchecked), whether or not j
 * holds payload room. Returns as block_job_submit().
 */
int block_job_submit_raw(struct block_client *c, struct block_job *j,
    int64_t offset, uint64_t size) __attribute__((warn_unused_result));

/* Give j's payload room back (no-op without). Not while j is in flight. */
void block_job_release(struct block_client *c, struct block_job *j);

/*
 * Dispatch the entrypoint until no job is in flight or timeout_ms passed
 * (-1: no limit). Returns 0, -ETIMEDOUT, or -EPIPE (server gone: the jobs
 * in flight were completed with BLOCK_PKT_IO).
 */
int block_client_drain(struct block_client *c, int timeout_ms);

/* --- blocking helpers --- */

/*
 * Read or write count blocks at block_number from/to buf, in pieces that
 * fit the bulk buffer. Returns 0, -EIO (the server acknowledged a failure;
 * *status, when non-NULL, gets its enum block_pkt_status), -EINVAL, or
 * -EPIPE (server gone).
 */
int block_client_read(struct block_client *c, uint64_t block_number,
    uint64_t count, void *buf, uint8_t *status)
    __attribute__((warn_unused_result));
int block_client_write(struct block_client *c, uint64_t block_number,
    uint64_t count, const void *buf, uint8_t *status)
    __attribute__((warn_unused_result));

/*
 * Wait for every job in flight, then submit a SYNC request and wait for
 * it: on return 0 every write acknowledged before is durable. Returns 0,
 * -EIO or -EPIPE.
 */
int block_client_sync(struct block_client *c)
    __attribute__((warn_unused_result));

#endif
