/*
 * Capabilities and RPC: typed request/reply messages over SEQPACKET sockets.
 * SPDX-License-Identifier: MIT
 *
 * A capability is one end of a socketpair(AF_UNIX, SOCK_SEQPACKET); the
 * other end is bound to exactly one RPC object in the server's entrypoint.
 * A request is one message: header (opcode, payload size), a fixed-size
 * argument struct, and up to RPC_MAX_FDS descriptors. The reply is one
 * message: header (status, payload size), results and descriptors.
 *
 * Server side: an interface is a table of operations, each with its exact
 * argument size and the number of descriptors it accepts. The dispatcher
 * checks every request against that table before a handler runs (decode),
 * so handlers see well-formed input only (invoke). Malformed requests get an
 * error reply and the connection carries on; a client that floods or does
 * not read its replies is disconnected.
 *
 * Delegation: every object answers the built-in RPC_OP_MINT with a fresh
 * connection to itself, so a holder can hand on a capability without giving
 * away its own socket.
 */
#ifndef CAIRN_RPC_H
#define CAIRN_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RPC_MAX_FDS	4
#define RPC_MAX_PAYLOAD	4080	/* header + payload fit in 4 KiB */

/* Framework status codes (negative); interfaces define their own >= 0,
 * with 0 always meaning success. */
enum rpc_status {
	RPC_OK = 0,
	RPC_E_OPCODE = -1,	/* unknown opcode */
	RPC_E_SIZE = -2,	/* argument size does not match the opcode */
	RPC_E_FDS = -3,		/* more descriptors than the opcode takes */
	RPC_E_DEAD = -4,	/* peer gone: connection closed */
	RPC_E_PROTO = -5,	/* malformed message or reply */
	RPC_E_DENIED = -6,	/* refused (e.g. minting disabled) */
	RPC_E_NOMEM = -7,	/* server could not allocate */
	RPC_E_INVAL = -8,	/* an argument was rejected (see detail) */
};

const char *rpc_status_str(int status);

/* Built-in opcodes, answered by the framework for every object. */
#define RPC_OP_MINT	0xfffffff0u

struct rpc_req_hdr {
	uint32_t op;
	uint32_t size;
};

struct rpc_rep_hdr {
	int32_t status;
	uint32_t size;
};

/* --- client side --- */

/*
 * Send request `op` with args[0..args_size) and fds on cap, wait for the
 * reply and copy its results into res (at most res_cap bytes; *res_size gets
 * the actual size when non-NULL) and received fds into fds_out (up to
 * *nfds_out; on return *nfds_out holds the count). Received fds are
 * close-on-exec and owned by the caller.
 * Returns the reply status (>= 0 from the interface, or a negative
 * rpc_status): RPC_E_DEAD when the server is gone, RPC_E_PROTO when the
 * reply is malformed or larger than res_cap.
 */
int rpc_call(int cap, uint32_t op, const void *args, size_t args_size,
    const int *fds, unsigned nfds, void *res, size_t res_cap,
    size_t *res_size, int *fds_out, unsigned *nfds_out);

/* Convenience: no fds either way, results must be exactly res_size bytes. */
int rpc_call_simple(int cap, uint32_t op, const void *args, size_t args_size,
    void *res, size_t res_size);

/* Ask the object behind cap for a fresh connection: >= 0 fd or -errno. */
int rpc_mint(int cap) __attribute__((warn_unused_result));

/* --- server side --- */

struct cairn_ep;
struct rpc_obj;
struct rpc_conn;

/* What a handler gets: the request, and room for the reply. */
struct rpc_msg {
	struct rpc_obj *obj;
	struct rpc_conn *conn;	/* connection the request came in on */
	uint32_t op;
	const void *args;	/* exactly op's arg_size bytes */
	int fds[RPC_MAX_FDS];	/* received; handler takes ownership of
				 * those it keeps and sets them to -1 */
	unsigned nfds;
	/* Reply: the handler fills these. */
	void *res;		/* RPC_MAX_PAYLOAD bytes of room */
	size_t res_size;
	int res_fds[RPC_MAX_FDS];	/* sent, then closed by the framework */
	unsigned res_nfds;
};

/* A deferred reply: see RPC_DEFER. */
struct rpc_pending;

#define RPC_DEFER	0x7fffffff	/* handler return: reply later */

struct rpc_op {
	const char *name;	/* for logs and tracing */
	size_t arg_size;	/* exact */
	unsigned max_fds;
	/* Returns a status (0 = success) or RPC_DEFER. */
	int (*handler)(struct rpc_msg *m);
};

struct rpc_iface {
	const char *name;	/* e.g. "LOG" */
	const struct rpc_op *ops;
	unsigned n_ops;
	/* Optional: last connection to the object closed (client gone). */
	void (*released)(struct rpc_obj *obj);
	bool no_mint;		/* refuse RPC_OP_MINT */
};

/*
 * Create an object served by ep. priv is handed back by rpc_obj_priv().
 * Returns the object or NULL (-ENOMEM). The object has no connection yet.
 */
struct rpc_obj *rpc_obj_create(struct cairn_ep *ep, const struct rpc_iface *iface,
    void *priv);

/* Destroy: closes every connection (clients see RPC_E_DEAD), no callback. */
void rpc_obj_destroy(struct rpc_obj *obj);

void *rpc_obj_priv(const struct rpc_obj *obj);

/* The interface an object serves (to check a looked-up capability). */
const struct rpc_iface *rpc_obj_iface(const struct rpc_obj *obj);

/*
 * A new connection to obj: returns the client end (a capability the caller
 * owns and usually sends away), or -errno.
 */
int rpc_obj_cap(struct rpc_obj *obj) __attribute__((warn_unused_result));

/*
 * Which object of ep does capability fd (received from someone) denote?
 * Returns the object when fd is a client end minted by this entrypoint and
 * still connected, else NULL. This is how a server recognises its own
 * capabilities passed back to it (session close, quota transfer).
 */
struct rpc_obj *rpc_obj_lookup(struct cairn_ep *ep, int fd);

/* Number of open connections of obj. */
unsigned rpc_obj_connections(const struct rpc_obj *obj);

/*
 * Inside a handler: take the reply out of line. Returns the pending token;
 * the handler then returns RPC_DEFER, and later rpc_reply() answers it.
 * While a reply is pending no further request is read from that connection.
 */
struct rpc_pending *rpc_defer(struct rpc_msg *m);

/*
 * Send a deferred reply. res/fds as in struct rpc_msg; fds are closed
 * afterwards. If the client went away meanwhile, this only releases.
 */
void rpc_reply(struct rpc_pending *p, int status, const void *res,
    size_t res_size, const int *fds, unsigned nfds);

/*
 * Asynchronous client call (for servers such as init that must not block
 * on a peer): send the request now; when the reply arrives the entrypoint
 * calls done(ctx, status, res, res_size, fds, nfds) — fds are owned by the
 * callback. On send failure done() is called before this returns (status
 * RPC_E_DEAD). At most one call per cap may be outstanding; returns -EBUSY
 * otherwise, 0 when the call is underway or already completed.
 */
typedef void (*rpc_done_fn)(void *ctx, int status, const void *res,
    size_t res_size, int *fds, unsigned nfds);
int rpc_call_async(struct cairn_ep *ep, int cap, uint32_t op, const void *args,
    size_t args_size, const int *fds, unsigned nfds, rpc_done_fn done,
    void *ctx) __attribute__((warn_unused_result));

/* Forget an outstanding async call on cap (done() will not be called). */
void rpc_call_cancel(struct cairn_ep *ep, int cap);

/* Close every received fd still set in m->fds. */
void rpc_msg_close_fds(struct rpc_msg *m);

#endif
