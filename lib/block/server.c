/*
 * Block-server framework: sessions, packet streams, validation and acks.
 * SPDX-License-Identifier: MIT
 *
 * Each session owns a packet-stream sink and one request slot per
 * descriptor it may take (slots - 1). A slot is taken from the free list
 * when a descriptor leaves the submit ring and goes back when that
 * descriptor is acknowledged, so slots can never run out: the sink takes no
 * more descriptors than it can acknowledge.
 *
 * The stream's rings and its bulk buffer are two dataspaces, so that a
 * client can supply the bulk buffer itself (bulk="client", BLOCK_RPC_BULK):
 * a server in a chain lends its own client's buffer to its backend. Such a
 * session has no sink until the buffer came, and may get another one (or
 * none) whenever no request is in flight (descriptors the client submitted
 * and we did not take yet are then dropped: its own doing). Every
 * descriptor is validated against whatever buffer is attached, exactly as
 * against a buffer of our own.
 *
 * Re-entrancy: every entry from outside (a wake-up, an RPC, block_complete()
 * and the public bracket) goes through enter()/leave(). Inside, completions
 * only acknowledge and note what is to be done; the outermost leave() then
 * retries congested sessions and calls batch_end(). So the driver's
 * submit() is never re-entered, and a driver may complete synchronously
 * from within submit(), and wakes clients. A block_complete() outside any
 * bracket wakes them once the entrypoint's handler returned (deferred
 * work): a driver completing a batch one request at a time, e.g. from a
 * Block client's done(), still wakes each client once, with every
 * acknowledgement of the batch in its ring.
 *
 * Session end: a session is closed when its client's last connection goes
 * (rpc released) or the parent closes it (root destroy), whichever comes
 * first. The driver's close() then runs at once; the session's buffer and
 * slots live on until the driver has completed every request it accepted
 * (busy == 0), because device I/O may still be writing into the buffer.
 * The struct itself lives until the root destroyed the object as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cairn/block.h>
#include <cairn/root.h>
#include <cairn/session/root.h>

#include "block_impl.h"

struct slot {
	struct block_request req;	/* first: handed to the driver */
	struct pkt_desc desc;		/* as taken from the ring */
	struct block_session *s;
	struct slot *next;		/* free list, or RPC sync queue */
	struct rpc_pending *reply;	/* RPC sync: answer on completion */
	bool own;			/* RPC sync: allocated for it alone */
};

struct block_session {
	struct block_server *srv;
	struct rpc_obj *obj;		/* NULL once the root destroyed it */
	void *ctx;			/* the driver's */
	struct block_geometry geo;
	char label[CAIRN_LABEL_MAX];
	struct cairn_ds rings;		/* the packet stream's rings */
	struct cairn_ds bulk;		/* ... and its bulk buffer */
	bool client_bulk;		/* bulk="client": bulk from the client */
	int wake_fd;			/* our wake pipe's read end: we sleep */
	int peer_fd;			/* the client's wake pipe's write end */
	int wake_wr;			/* ours, write end: the client's copy */
	int peer_rd;			/* the client's, read end: its copy */
	struct cairn_watch *watch;
	struct pkt_sink *sink;
	void *sink_mem;
	struct slot *slot;		/* BLOCK_SLOTS - 1 of them */
	struct slot *free;
	struct slot *stalled;		/* refused with -EAGAIN, to offer again */
	struct slot *rpcq, **rpcq_tail;	/* RPC syncs not yet offered */
	struct slot *sync_inline;	/* RPC sync of the running handler */
	int sync_inline_status;
	unsigned busy;			/* accepted by the driver, not complete */
	bool closed;			/* close() was called */
	bool torn_down;			/* buffer and slots freed */
	bool congested;			/* on the server's congested list */
	bool dirty;			/* acks published since the last notify */
	bool kicked;			/* woken while the server was busy */
	struct block_session *next;	/* every session of the server */
	struct block_session *next_congested;
};

struct block_server {
	struct cairn_env *env;
	const struct block_driver_ops *ops;
	void *ctx;
	struct cairn_root *root;
	struct block_session *sessions;
	struct block_session *congested, **congested_tail;
	unsigned nsessions;		/* open ones */
	unsigned depth;			/* enter() nesting */
	bool submitted;			/* submit() called since batch_end() */
	bool retry;			/* congested sessions may proceed */
	bool kicked;			/* some session has kicked set */
	struct cairn_defer *notify;	/* wakes clients of dirty sessions */
	block_ram_alloc_fn ram_alloc;
	block_ram_free_fn ram_free;
};

/* The session's state is what BLOCK_SESSION_COST pays for. */
_Static_assert((BLOCK_SLOTS - 1) * sizeof(struct slot) +
    sizeof(struct block_session) + 4096 <= BLOCK_SESSION_COST,
    "BLOCK_SESSION_COST covers a session's slots");

static const struct rpc_iface session_iface;

/* --- batching --- */

static void pump(struct block_session *s);

static void
enter(struct block_server *srv)
{
	srv->depth++;
}

static void
congested_remove(struct block_session *s)
{
	struct block_server *srv = s->srv;
	struct block_session **pp;

	if (!s->congested)
		return;
	for (pp = &srv->congested; *pp != s; pp = &(*pp)->next_congested)
		;
	*pp = s->next_congested;
	if (srv->congested_tail == &s->next_congested)
		srv->congested_tail = pp;
	s->next_congested = NULL;
	s->congested = false;
}

static void
congested_add(struct block_session *s)
{
	struct block_server *srv = s->srv;

	if (s->congested)
		return;
	s->congested = true;
	s->next_congested = NULL;
	*srv->congested_tail = s;
	srv->congested_tail = &s->next_congested;
}

/*
 * Offer every congested session once, in the order they congested. Each is
 * taken off the head of the list just before its turn, so a session closed
 * meanwhile (a driver may dispatch the entrypoint) is simply not there.
 */
static void
retry_congested(struct block_server *srv)
{
	struct block_session *s;
	unsigned n = 0;

	for (s = srv->congested; s != NULL; s = s->next_congested)
		n++;
	while (n-- > 0 && (s = srv->congested) != NULL) {
		srv->congested = s->next_congested;
		if (srv->congested == NULL)
			srv->congested_tail = &srv->congested;
		s->next_congested = NULL;
		s->congested = false;
		pump(s);
	}
}

/* Pump the sessions woken while we were busy; searched from the head each
 * time for the same reason as above. */
static void
pump_kicked(struct block_server *srv)
{
	struct block_session *s;

	for (;;) {
		for (s = srv->sessions; s != NULL && !s->kicked; s = s->next)
			;
		if (s == NULL)
			return;
		s->kicked = false;
		if (!s->closed && s->stalled == NULL)
			pump(s);
	}
}

/*
 * The outermost leave() does what completions and wake-ups left to do. A
 * wake-up that arrives while the driver runs (it dispatched the entrypoint
 * itself, e.g. waiting for RAM from its parent) only marks the session,
 * so submit() is never re-entered.
 */
static void notify_clients(void *ctx);

static void
leave_defer(struct block_server *srv, bool defer)
{
	if (srv->depth > 1) {
		srv->depth--;
		return;
	}
	/* Still "inside" while we call the driver, so it is not re-entered. */
	while (srv->retry || srv->submitted || srv->kicked) {
		if (srv->kicked) {
			srv->kicked = false;
			pump_kicked(srv);
		}
		if (srv->retry) {
			srv->retry = false;
			retry_congested(srv);
		}
		if (srv->submitted) {
			srv->submitted = false;
			if (srv->ops->batch_end)
				srv->ops->batch_end(srv->ctx);
		}
	}
	if (defer)
		cairn_defer_schedule(srv->notify);
	else
		notify_clients(srv);
	srv->depth--;
}

static void
leave(struct block_server *srv)
{
	leave_defer(srv, false);
}

static void
notify_clients(void *ctx)
{
	struct block_server *srv = ctx;
	struct block_session *s;

	for (s = srv->sessions; s != NULL; s = s->next)
		if (s->dirty) {
			s->dirty = false;
			if (!s->torn_down)
				pkt_sink_notify(s->sink);
		}
}

/* Pump s now, or, inside a driver callback, once that returned. */
static void
wake(struct block_session *s)
{
	struct block_server *srv = s->srv;

	if (srv->depth > 1) {
		s->kicked = srv->kicked = true;
		return;
	}
	if (!s->closed && s->stalled == NULL)
		pump(s);
}

/* --- slots and acknowledgements --- */

static void
slot_free(struct block_session *s, struct slot *sl)
{
	if (sl->own) {
		free(sl);
		return;
	}
	sl->next = s->free;
	s->free = sl;
}

/* Acknowledge a descriptor slot with `status` and free the slot. */
static void
ack(struct block_session *s, struct slot *sl, unsigned status)
{
	struct block_packet b;
	int rs;

	if (sl->own) {
		rs = status == BLOCK_PKT_OK ? BLOCK_OK :
		    s->closed ? BLOCK_INVALID : BLOCK_IO_ERROR;
		if (sl->reply != NULL)
			rpc_reply(sl->reply, rs, NULL, 0, NULL, 0);
		else if (s->sync_inline == sl) {
			/* Still inside h_sync(): it answers directly. */
			s->sync_inline = NULL;
			s->sync_inline_status = rs;
		}
		free(sl);
		return;
	}
	if (!s->closed) {
		block_packet_get(&sl->desc, &b);
		b.status = (uint8_t)status;
		b.success = status == BLOCK_PKT_OK;
		block_packet_set(&sl->desc, &b);
		/* Cannot fail: pkt_sink_get() reserved the ack slot. */
		if (pkt_sink_ack(s->sink, &sl->desc) == 0)
			s->dirty = true;
	}
	slot_free(s, sl);
}

static void
bulk_free(struct block_session *s)
{
	if (s->bulk.fd < 0)
		return;
	if (s->client_bulk)
		cairn_ds_release(&s->bulk);
	else
		s->srv->ram_free(s->srv->env, &s->bulk);
	s->bulk.fd = -1;
}

/* Close the session's two wake pipes (whichever ends are open). */
static void
close_wake(struct block_session *s)
{
	int *fds[] = { &s->wake_fd, &s->wake_wr, &s->peer_rd, &s->peer_fd };
	unsigned i;

	for (i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static void
teardown(struct block_session *s)
{
	struct block_server *srv = s->srv;

	if (s->torn_down)
		return;
	s->torn_down = true;
	if (s->watch != NULL)
		cairn_ep_unwatch(srv->env->ep, s->watch);
	s->watch = NULL;
	bulk_free(s);
	srv->ram_free(srv->env, &s->rings);
	close_wake(s);
	free(s->sink_mem);
	free(s->slot);
	s->slot = NULL;
	s->sink = NULL;
	if (srv->ops->release)
		srv->ops->release(srv->ctx, s->ctx);
}

static void
session_unlink(struct block_session *s)
{
	struct block_session **pp;

	for (pp = &s->srv->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			return;
		}
}

/* Free the session once both the root and the driver are done with it. */
static void
maybe_free(struct block_session *s)
{
	if (!s->closed || s->busy != 0)
		return;
	teardown(s);
	if (s->obj == NULL) {
		session_unlink(s);
		free(s);
	}
}

/*
 * The client is gone or the parent closed the session: no further request
 * is taken; requests not yet accepted by the driver are dropped here.
 */
static void
session_close(struct block_session *s)
{
	struct block_server *srv = s->srv;
	struct slot *sl;

	if (s->closed)
		return;
	s->closed = true;
	srv->nsessions--;
	congested_remove(s);
	if (s->watch != NULL)
		cairn_ep_unwatch(srv->env->ep, s->watch);
	s->watch = NULL;
	if (s->stalled != NULL) {
		sl = s->stalled;
		s->stalled = NULL;
		ack(s, sl, BLOCK_PKT_IO);
	}
	while ((sl = s->rpcq) != NULL) {
		s->rpcq = sl->next;
		ack(s, sl, BLOCK_PKT_IO);
	}
	s->rpcq_tail = &s->rpcq;
	srv->ops->close(srv->ctx, s->ctx);
}

/* --- invoke --- */

/*
 * Hand a validated slot to the driver. Returns false when the driver is
 * congested (the slot is then the session's stalled one).
 */
static bool
offer(struct block_session *s, struct slot *sl)
{
	struct block_server *srv = s->srv;
	int r;

	if (sl->req.op == BLOCK_OP_SYNC && !(s->geo.ops & BLOCK_OPS_SYNC)) {
		ack(s, sl, BLOCK_PKT_OK);	/* nothing to write back */
		return true;
	}
	srv->submitted = true;
	s->busy++;
	r = srv->ops->submit(srv->ctx, &sl->req);
	if (r == 0)
		return true;
	s->busy--;
	if (r == -EAGAIN) {
		s->stalled = sl;
		congested_add(s);
		return false;
	}
	ack(s, sl, BLOCK_PKT_IO);
	return true;
}

static void
slot_prepare(struct block_session *s, struct slot *sl,
    const struct block_packet *b)
{
	sl->s = s;
	memset(&sl->req, 0, sizeof(sl->req));
	sl->req.op = b->op;
	sl->req.session = s;
	sl->req.session_ctx = s->ctx;
	if (b->op != BLOCK_OP_SYNC) {
		sl->req.block_number = b->block_number;
		sl->req.block_count = b->block_count;
		sl->req.bytes = (size_t)(b->block_count * s->geo.block_size);
		sl->req.payload = pkt_sink_payload(s->sink, &sl->desc);
		sl->req.offset = (uint64_t)sl->desc.offset;
	}
}

/* Take and offer requests until the ring is empty or the driver congests. */
static void
pump(struct block_session *s)
{
	struct block_server *srv = s->srv;
	struct block_packet b;
	struct slot *sl;
	unsigned st;
	int err;

	/* No stream before a client-supplied bulk buffer came. */
	if (s->sink == NULL)
		return;
	for (;;) {
		while (!s->closed) {
			if ((sl = s->stalled) != NULL) {
				s->stalled = NULL;
				if (!offer(s, sl))
					return;
				continue;
			}
			if ((sl = s->rpcq) != NULL) {
				s->rpcq = sl->next;
				if (s->rpcq == NULL)
					s->rpcq_tail = &s->rpcq;
				if (!offer(s, sl))
					return;
				continue;
			}
			sl = s->free;
			if (sl == NULL)
				break;	/* cannot happen: see the top */
			err = pkt_sink_get(s->sink, &sl->desc);
			if (err == -EAGAIN)
				break;
			if (err < 0) {
				cairn_warn(srv->env, "block session \"%s\": "
				    "client corrupted its packet stream, "
				    "closing it", s->label);
				session_close(s);
				maybe_free(s);
				return;
			}
			s->free = sl->next;
			sl->reply = NULL;
			st = block_validate(&s->geo, pkt_sink_bulk_size(s->sink),
			    &sl->desc, &b);
			slot_prepare(s, sl, &b);
			if (st != BLOCK_PKT_OK)
				ack(s, sl, st);
			else if (!offer(s, sl))
				return;
		}
		if (s->closed)
			return;
		if (s->dirty) {
			s->dirty = false;
			pkt_sink_notify(s->sink);
		}
		if (!pkt_sink_arm(s->sink))
			return;
	}
}

static void
on_wake(void *ctx, uint32_t events)
{
	struct block_session *s = ctx;
	struct block_server *srv = s->srv;

	/* Edge-triggered: empty the pipe before looking at the rings, so
	 * that a kick after the look makes a new edge. */
	(void)pkt_wake_drain(s->wake_fd);
	enter(srv);
	wake(s);
	leave(srv);
}

void
block_complete(struct block_request *r, bool ok)
{
	struct slot *sl = (struct slot *)r;
	struct block_session *s = sl->s;
	struct block_server *srv = s->srv;

	enter(srv);
	s->busy--;
	ack(s, sl, ok ? BLOCK_PKT_OK : BLOCK_PKT_IO);
	if (srv->congested != NULL)
		srv->retry = true;
	maybe_free(s);
	leave_defer(srv, true);
}

void
block_server_begin(struct block_server *srv)
{
	enter(srv);
}

void
block_server_end(struct block_server *srv)
{
	leave(srv);
}

void
block_server_retry(struct block_server *srv)
{
	enter(srv);
	if (srv->congested != NULL)
		srv->retry = true;
	leave(srv);
}

/* --- RPC interface --- */

static int
h_info(struct rpc_msg *m)
{
	struct block_session *s = rpc_obj_priv(m->obj);
	struct block_info *i = m->res;

	if (s->closed)
		return BLOCK_INVALID;
	memset(i, 0, sizeof(*i));
	i->block_count = s->geo.block_count;
	i->block_size = s->geo.block_size;
	i->ops = s->geo.ops | BLOCK_OPS_SYNC;	/* SYNC is always accepted */
	i->writeable = (s->geo.ops & BLOCK_OPS_WRITE) != 0;
	i->align_log2 = s->geo.align_log2;
	i->max_blocks = s->geo.max_blocks;
	m->res_size = sizeof(*i);
	return BLOCK_OK;
}

static int
dup_fd(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

static int
h_tx(struct rpc_msg *m)
{
	struct block_session *s = rpc_obj_priv(m->obj);
	struct block_tx_res *t = m->res;
	int fds[4], i;

	if (s->closed || s->sink == NULL)
		return BLOCK_INVALID;
	fds[0] = dup_fd(s->rings.fd);
	fds[1] = dup_fd(s->bulk.fd);
	fds[2] = dup_fd(s->wake_wr);
	fds[3] = dup_fd(s->peer_rd);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || fds[3] < 0) {
		for (i = 0; i < 4; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return RPC_E_NOMEM;
	}
	memset(t, 0, sizeof(*t));
	t->rings_size = s->rings.size;
	t->bulk_size = s->bulk.size;
	t->slots = BLOCK_SLOTS;
	m->res_size = sizeof(*t);
	memcpy(m->res_fds, fds, sizeof(fds));
	m->res_nfds = 4;
	return BLOCK_OK;
}

/* Format the rings and attach the sink to them and the bulk buffer. */
static int
sink_setup(struct block_session *s)
{
	int r;

	if ((r = pkt_stream_format_rings(s->rings.addr, s->rings.size,
	    BLOCK_SLOTS)) < 0 ||
	    (r = pkt_sink_init_split(&s->sink, s->sink_mem, s->rings.addr,
	    s->rings.size, s->bulk.addr, s->bulk.size, BLOCK_SLOTS,
	    s->wake_fd, s->peer_fd)) < 0)
		return r;
	return 0;
}

/*
 * The client hands over its bulk buffer (bulk="client"), or replaces or
 * withdraws it (no fd) while no request is in flight: a server in a chain
 * keeps its backend session and lends it the buffer of each new client.
 * Decode: a memfd with sealed size (cairn_ds_from_fd), of a size we
 * accept, mappable writeable, an idle session; only then is anything
 * changed. A new buffer comes with freshly formatted rings.
 */
static int
h_bulk(struct rpc_msg *m)
{
	struct block_session *s = rpc_obj_priv(m->obj);
	struct cairn_ds ds = { .fd = -1 };

	if (s->closed)
		return BLOCK_INVALID;
	if (!s->client_bulk || m->nfds > 1 || s->busy != 0 ||
	    (s->sink != NULL && pkt_sink_in_flight(s->sink) != 0))
		return BLOCK_BULK_REFUSED;
	if (m->nfds == 1) {
		if (cairn_ds_from_fd(&ds, m->fds[0]) < 0)
			return BLOCK_BULK_REFUSED;
		m->fds[0] = -1;
		if (ds.size < 4096 || ds.size > BLOCK_TX_BUF_MAX ||
		    cairn_ds_attach(&ds, true) < 0) {
			cairn_ds_release(&ds);
			return BLOCK_BULK_REFUSED;
		}
	}
	s->sink = NULL;
	bulk_free(s);
	if (ds.fd < 0)
		return BLOCK_OK;
	s->bulk = ds;
	if (sink_setup(s) < 0) {
		s->sink = NULL;
		bulk_free(s);
		return BLOCK_BULK_REFUSED;
	}
	(void)pkt_sink_arm(s->sink);
	return BLOCK_OK;
}

static int
h_sync(struct rpc_msg *m)
{
	struct block_session *s = rpc_obj_priv(m->obj);
	struct block_server *srv = s->srv;
	struct slot *sl;

	if (s->closed)
		return BLOCK_INVALID;
	if (!(s->geo.ops & BLOCK_OPS_SYNC))
		return BLOCK_OK;
	sl = calloc(1, sizeof(*sl));
	if (sl == NULL)
		return RPC_E_NOMEM;
	sl->s = s;
	sl->own = true;
	sl->req.op = BLOCK_OP_SYNC;
	sl->req.session = s;
	sl->req.session_ctx = s->ctx;
	/* Queued behind a stalled request, offered in order by pump(). */
	*s->rpcq_tail = sl;
	s->rpcq_tail = &sl->next;
	/*
	 * The driver may complete at once; the reply is then this handler's
	 * return value, since an RPC must not be answered twice.
	 */
	s->sync_inline = sl;
	enter(srv);
	wake(s);
	leave(srv);
	if (s->sync_inline == NULL)
		return s->sync_inline_status;
	s->sync_inline = NULL;
	sl->reply = rpc_defer(m);
	return RPC_DEFER;
}

static void
released(struct rpc_obj *obj)
{
	struct block_session *s = rpc_obj_priv(obj);
	struct block_server *srv = s->srv;

	enter(srv);
	session_close(s);
	maybe_free(s);
	leave(srv);
}

static const struct rpc_op session_ops[BLOCK_RPC_N_OPS] = {
	[BLOCK_RPC_INFO] = { "info", 0, 0, h_info },
	[BLOCK_RPC_TX] = { "tx", 0, 0, h_tx },
	[BLOCK_RPC_SYNC] = { "sync", 0, 0, h_sync },
	[BLOCK_RPC_BULK] = { "bulk", 0, 1, h_bulk },
};

static const struct rpc_iface session_iface = { BLOCK_SERVICE, session_ops,
    BLOCK_RPC_N_OPS, released, false };

/* --- root --- */

/*
 * Allocate the rings and, unless the client supplies it, the bulk buffer
 * (tx bytes together), and attach the sink. The bulk buffer is faulted in
 * now, at the session's set-up, rather than one page at a time under the
 * first pass of I/O (the donation paid for it anyway); older kernels lack
 * the advice, which only costs speed.
 */
static int
stream_setup(struct block_server *srv, struct block_session *s, size_t tx)
{
	size_t meta = pkt_stream_meta_size(BLOCK_SLOTS);
	int w[2] = { -1, -1 }, p[2], r;

	r = srv->ram_alloc(srv->env, s->client_bulk ? tx : meta, &s->rings);
	if (r < 0)
		return r;
	if (!s->client_bulk) {
		if ((r = srv->ram_alloc(srv->env, tx - meta, &s->bulk)) < 0) {
			srv->ram_free(srv->env, &s->rings);
			return r;
		}
		(void)madvise(s->bulk.addr, s->bulk.size, MADV_POPULATE_WRITE);
	}
	s->sink_mem = malloc(pkt_sink_size());
	s->slot = calloc(BLOCK_SLOTS - 1, sizeof(*s->slot));
	if (s->sink_mem == NULL || s->slot == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = pkt_wake_pipe(w)) < 0 || (r = pkt_wake_pipe(p)) < 0)
		goto fail;
	s->wake_fd = w[0];
	s->wake_wr = w[1];
	s->peer_rd = p[0];
	s->peer_fd = p[1];
	w[0] = w[1] = -1;
	if (!s->client_bulk && (r = sink_setup(s)) < 0)
		goto fail;
	return 0;
fail:
	s->sink = NULL;
	free(s->slot);
	free(s->sink_mem);
	if (w[0] >= 0) {
		close(w[0]);
		close(w[1]);
	}
	close_wake(s);
	bulk_free(s);
	srv->ram_free(srv->env, &s->rings);
	return r;
}

/* Undo stream_setup() of a session that never served. */
static void
stream_free(struct block_server *srv, struct block_session *s)
{
	free(s->slot);
	free(s->sink_mem);
	close_wake(s);
	bulk_free(s);
	srv->ram_free(srv->env, &s->rings);
}

int
block_server_session_create(struct block_server *srv, const char *label,
    const char *args, uint64_t quota, struct rpc_obj **obj, char *detail,
    size_t dcap)
{
	struct block_session *s;
	uint64_t tx, need;
	char bulk[16];
	bool client_bulk;
	unsigned i;
	int st, ab;

	/* Decode: arguments and quota, before anything is allocated. */
	if ((ab = cairn_arg_str(args, "bulk", bulk, sizeof(bulk))) != 0)
		bulk[0] = '\0';
	client_bulk = ab == 0 && strcmp(bulk, "client") == 0;
	if (ab != -ENOENT && !client_bulk) {
		snprintf(detail, dcap, "bulk=\"%s\" of \"%s\": the only "
		    "value is \"client\"", bulk, label);
		return ROOT_DENIED;
	}
	tx = cairn_arg_u64(args, "tx_buf_size", BLOCK_TX_BUF_DEFAULT);
	if (client_bulk)
		tx = BLOCK_RINGS_BUF;
	if (tx < BLOCK_TX_BUF_MIN || tx > BLOCK_TX_BUF_MAX) {
		snprintf(detail, dcap, "tx_buf_size %llu of \"%s\" is outside "
		    "%u..%llu", (unsigned long long)tx, label,
		    BLOCK_TX_BUF_MIN, (unsigned long long)BLOCK_TX_BUF_MAX);
		return ROOT_DENIED;
	}
	need = BLOCK_SESSION_QUOTA(tx);
	if (quota < need) {
		snprintf(detail, dcap, "insufficient ram donation from \"%s\": "
		    "%llu, need %llu for tx_buf_size %llu", label,
		    (unsigned long long)quota, (unsigned long long)need,
		    (unsigned long long)tx);
		return ROOT_QUOTA;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(detail, dcap, "out of memory");
		return ROOT_UNAVAILABLE;
	}
	s->srv = srv;
	s->wake_fd = s->peer_fd = s->wake_wr = s->peer_rd = -1;
	s->rings.fd = s->bulk.fd = -1;
	s->client_bulk = client_bulk;
	s->rpcq_tail = &s->rpcq;
	snprintf(s->label, sizeof(s->label), "%s", label);
	/* The stream comes first, so that open() may pass its bulk on. */
	if (stream_setup(srv, s, (size_t)(need - BLOCK_SESSION_COST)) < 0) {
		snprintf(detail, dcap, "cannot allocate the %llu-byte packet "
		    "stream of \"%s\"", (unsigned long long)(need -
		    BLOCK_SESSION_COST), label);
		free(s);
		return ROOT_QUOTA;
	}
	st = srv->ops->open(srv->ctx, label, args, quota - need, s, &s->geo,
	    &s->ctx, detail, dcap);
	if (st != ROOT_OK) {
		stream_free(srv, s);
		free(s);
		return st;
	}
	if (!block_geometry_ok(&s->geo)) {
		snprintf(detail, dcap, "driver gave an invalid geometry");
		st = ROOT_UNAVAILABLE;
		goto fail_driver;
	}
	s->obj = rpc_obj_create(srv->env->ep, &session_iface, s);
	s->watch = cairn_ep_watch(srv->env->ep, s->wake_fd, EPOLLIN | EPOLLET,
	    on_wake, s);
	if (s->obj == NULL || s->watch == NULL) {
		snprintf(detail, dcap, "out of memory");
		st = ROOT_UNAVAILABLE;
		goto fail_obj;
	}
	for (i = 0; i < BLOCK_SLOTS - 1; i++) {
		s->slot[i].next = s->free;
		s->free = &s->slot[i];
	}
	/* Sleep for the first descriptor. */
	if (s->sink != NULL)
		(void)pkt_sink_arm(s->sink);
	s->next = srv->sessions;
	srv->sessions = s;
	srv->nsessions++;
	*obj = s->obj;
	return ROOT_OK;
fail_obj:
	if (s->watch != NULL)
		cairn_ep_unwatch(srv->env->ep, s->watch);
	if (s->obj != NULL)
		rpc_obj_destroy(s->obj);
fail_driver:
	srv->ops->close(srv->ctx, s->ctx);
	if (srv->ops->release)
		srv->ops->release(srv->ctx, s->ctx);
	stream_free(srv, s);
	free(s);
	return st;
}

void
block_server_session_destroy(struct block_server *srv, struct rpc_obj *obj)
{
	struct block_session *s = rpc_obj_priv(obj);

	enter(srv);
	session_close(s);
	rpc_obj_destroy(obj);
	s->obj = NULL;
	maybe_free(s);
	leave(srv);
}

static int
root_create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	return block_server_session_create(ctx, label, args, quota, obj,
	    detail, dcap);
}

static void
root_destroy(void *ctx, struct rpc_obj *obj)
{
	block_server_session_destroy(ctx, obj);
}

static const struct cairn_root_ops root_ops = {
	.create = root_create,
	.destroy = root_destroy,
	.min_quota = BLOCK_SESSION_QUOTA(BLOCK_TX_BUF_MIN),
};

int
block_server_create(struct cairn_env *env, const struct block_driver_ops *ops,
    void *ctx, struct block_server **srvp)
{
	struct block_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return -ENOMEM;
	srv->env = env;
	srv->ops = ops;
	srv->ctx = ctx;
	srv->notify = cairn_defer_create(env->ep, notify_clients, srv);
	if (srv->notify == NULL) {
		free(srv);
		return -ENOMEM;
	}
	srv->congested_tail = &srv->congested;
	srv->ram_alloc = cairn_ram_alloc;
	srv->ram_free = cairn_ram_free;
	*srvp = srv;
	return 0;
}

int
block_server_announce(struct block_server *srv)
{
	srv->root = cairn_root_announce(srv->env, BLOCK_SERVICE, &root_ops, srv);
	return srv->root != NULL ? 0 : -EPIPE;
}

void
block_server_set_ram(struct block_server *srv, block_ram_alloc_fn alloc,
    block_ram_free_fn free_fn)
{
	srv->ram_alloc = alloc;
	srv->ram_free = free_fn;
}

unsigned
block_server_sessions(const struct block_server *srv)
{
	return srv->nsessions;
}

const char *
block_session_label(const struct block_session *s)
{
	return s->label;
}

const struct block_geometry *
block_session_geometry(const struct block_session *s)
{
	return &s->geo;
}

int
block_session_bulk_fd(const struct block_session *s)
{
	return s->bulk.fd;
}
