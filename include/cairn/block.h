/*
 * Block-server framework (lib/block): serves the Block session for a driver
 * that fills in a table of operations.
 * SPDX-License-Identifier: MIT
 *
 * The framework owns everything of the protocol: the root (quota check,
 * session objects), the packet stream of each session, the validation of
 * every descriptor (see session/block.h for the rules) and the
 * acknowledgements. A driver never sees a descriptor: it gets validated
 * requests (struct block_request) with a pointer to the payload and
 * completes them with block_complete(), in any order, now or later.
 *
 * Flow of one session:
 *
 *   open()      a client asks for a session; the driver decides for the
 *               label (refuse with a status and a detail, or give the
 *               session's geometry and a context of its own);
 *   submit()    called for each valid request, many in flight; returns 0
 *               (accepted: block_complete() follows exactly once), -EAGAIN
 *               (congestion: the framework keeps this request, takes no
 *               further one from this session, and offers the same request
 *               again after the next block_complete() or
 *               block_server_retry()), or another -errno (the request is
 *               acknowledged as an I/O error);
 *   batch_end() after the framework passed a batch of requests (e.g. to
 *               flush io_uring submissions with one system call);
 *   close()     the session ended: its client closed it or died. No new
 *               request of it follows. The driver must complete every
 *               request it accepted and has not completed yet (ok is then
 *               ignored) and should not start new device work for them;
 *               I/O already underway may finish, because the framework
 *               keeps the session's buffer mapped and its request slots
 *               alive until the last one is completed;
 *   release()   (optional) after close(), once the last request of the
 *               session was completed: the driver frees the session context.
 *
 * Multi-session servers (one session per partition) simply accept several
 * opens; single-client servers refuse an open while they hold a session,
 * returning ROOT_UNAVAILABLE with a detail. A session counts as held from a
 * successful open() until close().
 *
 * All callbacks run on the component's entrypoint; none is called from
 * within block_complete() while the server is inside a begin/end bracket,
 * and submit() is never re-entered. A driver may dispatch the entrypoint
 * inside a callback (e.g. cairn_resource_request() or a blocking client
 * call to its backend): requests that arrive meanwhile are taken once the
 * callback returned, but a session may be closed meanwhile (close() runs,
 * and the requests the driver accepted of it stay valid until completed).
 */
#ifndef CAIRN_BLOCK_H
#define CAIRN_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/env.h>
#include <cairn/session/block.h>

struct block_server;
struct block_session;

/* What a driver tells the framework about one session. */
struct block_geometry {
	uint64_t block_count;	/* >= 1 */
	uint32_t block_size;	/* power of two, 1 .. 1 MiB */
	/*
	 * BLOCK_OPS_* the session accepts. READ is required. Without
	 * BLOCK_OPS_WRITE the session is read-only. Without BLOCK_OPS_SYNC
	 * the framework acknowledges SYNC requests itself at once, so set it
	 * whenever the driver has anything to write back.
	 */
	uint32_t ops;
	uint32_t align_log2;	/* payload offset alignment, 0 .. 12 */
	uint64_t max_blocks;	/* most blocks per request, 0: no limit */
};

/*
 * A validated request as the driver sees it. The framework owns it; the
 * driver reads the fields and may use `priv` and `driver_data` as it
 * likes until it calls block_complete().
 */
struct block_request {
	uint32_t op;		/* BLOCK_OP_READ, _WRITE or _SYNC */
	uint64_t block_number;	/* READ/WRITE: inside the device */
	uint64_t block_count;	/* READ/WRITE: >= 1; SYNC: 0 */
	void *payload;		/* READ/WRITE: `bytes` in the shared buffer
				 * (fill it for READ); SYNC: NULL */
	size_t bytes;		/* block_count * block_size */
	uint64_t offset;	/* READ/WRITE: payload's offset in the
				 * session's bulk buffer (for forwarding,
				 * see block_session_bulk_fd()) */
	struct block_session *session;
	void *session_ctx;	/* the driver's context from open() */
	void *priv;		/* the driver's */
	uint64_t driver_data;	/* the driver's */
};

struct block_driver_ops {
	/*
	 * A client asks for a session. label: the composed session label;
	 * args: the session arguments; quota: the donation left after the
	 * framework took BLOCK_SESSION_QUOTA(tx_buf_size). Fill *geo and
	 * *session_ctx and return ROOT_OK, or return ROOT_DENIED (no policy),
	 * ROOT_UNAVAILABLE (busy, no device) or ROOT_QUOTA with a one-line
	 * reason in detail (it reaches the client's parent's log).
	 */
	int (*open)(void *ctx, const char *label, const char *args,
	    uint64_t quota, struct block_session *s, struct block_geometry *geo,
	    void **session_ctx, char *detail, size_t detail_cap);
	/* A valid request: 0, -EAGAIN or -errno (see the top). */
	int (*submit)(void *ctx, struct block_request *r);
	/* Optional: the framework finished passing a batch of requests. */
	void (*batch_end)(void *ctx);
	/* The session ended (see the top). */
	void (*close)(void *ctx, void *session_ctx);
	/* Optional: the last request of a closed session completed. */
	void (*release)(void *ctx, void *session_ctx);
};

/*
 * Create a server for a driver (ops and ctx stay the caller's). Nothing is
 * announced yet. Returns 0 and *srv, or -ENOMEM.
 */
int block_server_create(struct cairn_env *env,
    const struct block_driver_ops *ops, void *ctx, struct block_server **srv)
    __attribute__((warn_unused_result));

/* Announce the Block service to the parent. 0 or -errno. */
int block_server_announce(struct block_server *srv)
    __attribute__((warn_unused_result));

/*
 * Complete a request the driver accepted: ok true acknowledges success,
 * false an I/O error (BLOCK_PKT_IO). The request must not be touched
 * afterwards. May be called from any entrypoint callback, including from
 * within submit() and batch_end(). Called from the driver's own event
 * handlers outside a begin/end bracket, it also wakes the client and
 * resumes congested sessions (calling submit() and batch_end()); inside a
 * bracket or a framework callback that happens when the outermost one ends.
 */
void block_complete(struct block_request *r, bool ok);

/*
 * Bracket a batch of completions (e.g. one drained io_uring completion
 * queue): between them block_complete() only acknowledges; end wakes the
 * clients, retries congested sessions and calls batch_end() once. Brackets
 * nest.
 */
void block_server_begin(struct block_server *srv);
void block_server_end(struct block_server *srv);

/*
 * The driver's congestion cleared for a reason other than a completion
 * (e.g. its backend has room again): offer the held requests again.
 */
void block_server_retry(struct block_server *srv);

/* Number of open sessions (closed ones with requests in flight excluded). */
unsigned block_server_sessions(const struct block_server *srv);

/* The label a session was opened with. */
const char *block_session_label(const struct block_session *s);

/* The geometry of a session. */
const struct block_geometry *block_session_geometry(
    const struct block_session *s);

/*
 * The session's bulk buffer (a sealed memfd, owned by the framework: dup
 * it to keep it), or -1 while the client has not supplied it yet (a
 * session opened with bulk="client"). Available from open() on. A server
 * that only moves requests on (part_blk) hands it to its backend with
 * block_client_open_bulk() and forwards each request's offset unchanged.
 */
int block_session_bulk_fd(const struct block_session *s);

#endif
