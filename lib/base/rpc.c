/*
 * RPC over SEQPACKET sockets: client calls, server dispatch, delegation.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base_impl.h"

#define MSG_MAX (sizeof(struct rpc_rep_hdr) + RPC_MAX_PAYLOAD)

struct rpc_obj {
	struct cairn_ep *ep;
	const struct rpc_iface *iface;
	void *priv;
	struct rpc_conn *conns;
	unsigned nconns;
	struct rpc_obj *next;
};

struct rpc_conn {
	struct rpc_obj *obj;	/* NULL once the object is gone */
	int fd;			/* server end, non-blocking */
	ino_t peer_ino;		/* inode of the client end, for lookup */
	struct cairn_watch *w;
	struct rpc_pending *pending;
	bool in_dispatch;
	bool dead;		/* closed while its handler ran */
	struct rpc_conn *next;
};

struct rpc_pending {
	struct rpc_conn *conn;	/* NULL when the client went away */
};

struct rpc_async {
	struct cairn_ep *ep;
	int cap;
	struct cairn_watch *w;
	rpc_done_fn done;
	void *ctx;
	struct rpc_async *next;
};

static const char *const status_str[] = {
	[0] = "ok",
	[1] = "unknown opcode",
	[2] = "argument size does not match the opcode",
	[3] = "too many descriptors for the opcode",
	[4] = "peer is gone",
	[5] = "malformed message",
	[6] = "denied",
	[7] = "out of memory",
	[8] = "invalid argument",
};

const char *
rpc_status_str(int status)
{
	if (status <= 0 && -status < (int)(sizeof(status_str) /
	    sizeof(status_str[0])))
		return status_str[-status];
	return "interface-specific error";
}

/* --- message transport --- */

static int
send_msg(int fd, const void *hdr, size_t hdr_size, const void *body,
    size_t body_size, const int *fds, unsigned nfds, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * RPC_MAX_FDS)];
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = hdr_size },
		{ .iov_base = (void *)body, .iov_len = body_size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = body_size ? 2 : 1 };
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return 0;
}

/*
 * Receive one message into buf (MSG_MAX bytes). Returns its size, 0 on EOF
 * or -errno. Descriptors land in fds (*nfds); if the control data was
 * truncated (*ctrunc) some were dropped by the kernel.
 */
static ssize_t
recv_msg(int fd, void *buf, int *fds, unsigned *nfds, bool *trunc, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * RPC_MAX_FDS)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = MSG_MAX };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		unsigned k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (k = 0; k < cnt; k++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
			if (*nfds < RPC_MAX_FDS)
				fds[(*nfds)++] = f;
			else
				close(f);
		}
	}
	*trunc = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
	return n;
}

static void
close_fds(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* --- client side --- */

static int
parse_reply(const char *buf, ssize_t n, bool trunc, void *res, size_t res_cap,
    size_t *res_size, int *fds, unsigned *nfds, int *fds_out,
    unsigned *nfds_out)
{
	struct rpc_rep_hdr h;
	unsigned cap_fds = nfds_out ? *nfds_out : 0;

	if (n < (ssize_t)sizeof(h) || trunc)
		goto proto;
	memcpy(&h, buf, sizeof(h));
	if (h.size != (size_t)n - sizeof(h) || h.size > res_cap ||
	    *nfds > cap_fds)
		goto proto;
	if (h.size)
		memcpy(res, buf + sizeof(h), h.size);
	if (res_size)
		*res_size = h.size;
	if (nfds_out) {
		memcpy(fds_out, fds, sizeof(int) * *nfds);
		*nfds_out = *nfds;
	}
	return h.status;
proto:
	close_fds(fds, *nfds);
	if (nfds_out)
		*nfds_out = 0;
	return RPC_E_PROTO;
}

int
rpc_call(int cap, uint32_t op, const void *args, size_t args_size,
    const int *fds, unsigned nfds, void *res, size_t res_cap,
    size_t *res_size, int *fds_out, unsigned *nfds_out)
{
	struct rpc_req_hdr h = { .op = op, .size = (uint32_t)args_size };
	char buf[MSG_MAX];
	int rfds[RPC_MAX_FDS];
	unsigned rn;
	bool trunc;
	ssize_t n;
	int r;

	if (nfds_out && !fds_out)
		*nfds_out = 0;
	if (args_size > RPC_MAX_PAYLOAD || nfds > RPC_MAX_FDS)
		return RPC_E_INVAL;
	r = send_msg(cap, &h, sizeof(h), args, args_size, fds, nfds, 0);
	if (r < 0)
		return r == -EPIPE || r == -ECONNRESET || r == -ENOTCONN ||
		    r == -EBADF ? RPC_E_DEAD : RPC_E_PROTO;
	n = recv_msg(cap, buf, rfds, &rn, &trunc, 0);
	if (n <= 0) {
		close_fds(rfds, rn);
		return RPC_E_DEAD;
	}
	return parse_reply(buf, n, trunc, res, res_cap, res_size, rfds, &rn,
	    fds_out, nfds_out);
}

int
rpc_call_simple(int cap, uint32_t op, const void *args, size_t args_size,
    void *res, size_t res_size)
{
	size_t got = 0;
	int r;

	r = rpc_call(cap, op, args, args_size, NULL, 0, res, res_size, &got,
	    NULL, NULL);
	if (r == RPC_OK && got != res_size)
		return RPC_E_PROTO;
	return r;
}

int
rpc_mint(int cap)
{
	int fd = -1;
	unsigned n = 1;
	int r;

	r = rpc_call(cap, RPC_OP_MINT, NULL, 0, NULL, 0, NULL, 0, NULL, &fd,
	    &n);
	if (r != RPC_OK)
		return r == RPC_E_DEAD ? -EPIPE : -EPERM;
	if (n != 1)
		return -EPROTO;
	return fd;
}

/* --- asynchronous client calls --- */

static void
async_finish(struct rpc_async *a, int status, const void *res, size_t size,
    int *fds, unsigned nfds)
{
	struct rpc_async **pp;

	for (pp = &a->ep->calls; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	cairn_ep_unwatch(a->ep, a->w);
	a->done(a->ctx, status, res, size, fds, nfds);
	free(a);
}

static void
async_event(void *ctx, uint32_t events)
{
	struct rpc_async *a = ctx;
	char buf[MSG_MAX], res[RPC_MAX_PAYLOAD];
	int rfds[RPC_MAX_FDS], out[RPC_MAX_FDS];
	unsigned rn, on = RPC_MAX_FDS;
	size_t size = 0;
	bool trunc;
	ssize_t n;
	int status;

	n = recv_msg(a->cap, buf, rfds, &rn, &trunc, MSG_DONTWAIT);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		close_fds(rfds, rn);
		async_finish(a, RPC_E_DEAD, NULL, 0, NULL, 0);
		return;
	}
	status = parse_reply(buf, n, trunc, res, sizeof(res), &size, rfds, &rn,
	    out, &on);
	async_finish(a, status, res, size, out, on);
}

int
rpc_call_async(struct cairn_ep *ep, int cap, uint32_t op, const void *args,
    size_t args_size, const int *fds, unsigned nfds, rpc_done_fn done,
    void *ctx)
{
	struct rpc_req_hdr h = { .op = op, .size = (uint32_t)args_size };
	struct rpc_async *a;
	int r;

	for (a = ep->calls; a != NULL; a = a->next)
		if (a->cap == cap)
			return -EBUSY;
	if (args_size > RPC_MAX_PAYLOAD || nfds > RPC_MAX_FDS)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->ep = ep;
	a->cap = cap;
	a->done = done;
	a->ctx = ctx;
	r = send_msg(cap, &h, sizeof(h), args, args_size, fds, nfds,
	    MSG_DONTWAIT);
	if (r < 0) {
		/* A peer that does not drain its socket is treated as gone. */
		free(a);
		done(ctx, RPC_E_DEAD, NULL, 0, NULL, 0);
		return 0;
	}
	a->w = cairn_ep_watch(ep, cap, EPOLLIN, async_event, a);
	if (a->w == NULL) {
		free(a);
		done(ctx, RPC_E_NOMEM, NULL, 0, NULL, 0);
		return 0;
	}
	a->next = ep->calls;
	ep->calls = a;
	return 0;
}

void
rpc_call_cancel(struct cairn_ep *ep, int cap)
{
	struct rpc_async **pp, *a;

	for (pp = &ep->calls; (a = *pp) != NULL; pp = &a->next)
		if (a->cap == cap) {
			*pp = a->next;
			cairn_ep_unwatch(ep, a->w);
			free(a);
			return;
		}
}

/* --- server side --- */

static void conn_event(void *ctx, uint32_t events);

static void
conn_free(struct rpc_conn *c)
{
	if (c->pending)
		c->pending->conn = NULL;
	free(c);
}

/* Unlink c from its object and close it; frees unless a handler runs. */
static void
conn_close(struct cairn_ep *ep, struct rpc_conn *c)
{
	struct rpc_obj *o = c->obj;

	if (o != NULL) {
		struct rpc_conn **pp;

		for (pp = &o->conns; *pp != NULL; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		o->nconns--;
		c->obj = NULL;
	}
	cairn_ep_unwatch(ep, c->w);
	close(c->fd);
	c->fd = -1;
	if (c->in_dispatch)
		c->dead = true;
	else
		conn_free(c);
}

struct rpc_obj *
rpc_obj_create(struct cairn_ep *ep, const struct rpc_iface *iface, void *priv)
{
	struct rpc_obj *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->ep = ep;
	o->iface = iface;
	o->priv = priv;
	o->next = ep->objs;
	ep->objs = o;
	return o;
}

void
rpc_obj_destroy(struct rpc_obj *o)
{
	struct rpc_obj **pp;

	if (o == NULL)
		return;
	while (o->conns)
		conn_close(o->ep, o->conns);
	for (pp = &o->ep->objs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	free(o);
}

void *
rpc_obj_priv(const struct rpc_obj *o)
{
	return o->priv;
}

const struct rpc_iface *
rpc_obj_iface(const struct rpc_obj *o)
{
	return o->iface;
}

unsigned
rpc_obj_connections(const struct rpc_obj *o)
{
	return o->nconns;
}

int
rpc_obj_cap(struct rpc_obj *o)
{
	struct rpc_conn *c;
	struct stat st;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail_close;
	if (fstat(sv[1], &st) < 0)
		goto fail_free;
	c->obj = o;
	c->fd = sv[0];
	c->peer_ino = st.st_ino;
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
		goto fail_free;
	c->w = cairn_ep_watch(o->ep, sv[0], EPOLLIN, conn_event, c);
	if (c->w == NULL)
		goto fail_free;
	c->next = o->conns;
	o->conns = c;
	o->nconns++;
	return sv[1];
fail_free:
	free(c);
fail_close:
	close(sv[0]);
	close(sv[1]);
	return -ENOMEM;
}

struct rpc_obj *
rpc_obj_lookup(struct cairn_ep *ep, int fd)
{
	struct rpc_obj *o;
	struct rpc_conn *c;
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return NULL;
	for (o = ep->objs; o != NULL; o = o->next)
		for (c = o->conns; c != NULL; c = c->next)
			if (c->peer_ino == st.st_ino)
				return o;
	return NULL;
}

/*
 * Send a reply; a client whose socket is full (it stopped reading) is
 * disconnected rather than waited for: the server never blocks on a client.
 */
static void
send_reply(struct cairn_ep *ep, struct rpc_conn *c, int status,
    const void *res, size_t size, const int *fds, unsigned nfds)
{
	struct rpc_rep_hdr h = { .status = status, .size = (uint32_t)size };

	if (size > RPC_MAX_PAYLOAD) {
		h.status = RPC_E_PROTO;
		h.size = 0;
		size = 0;
		nfds = 0;
	}
	if (send_msg(c->fd, &h, sizeof(h), res, size, fds, nfds,
	    MSG_DONTWAIT) < 0) {
		struct rpc_obj *o = c->obj;

		conn_close(ep, c);
		if (o && o->nconns == 0 && o->iface->released)
			o->iface->released(o);
	}
}

struct rpc_pending *
rpc_defer(struct rpc_msg *m)
{
	struct rpc_pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->conn = m->conn;
	m->conn->pending = p;
	return p;
}

void
rpc_reply(struct rpc_pending *p, int status, const void *res, size_t size,
    const int *fds, unsigned nfds)
{
	struct rpc_conn *c = p->conn;

	if (c != NULL && !c->dead && c->obj != NULL) {
		struct cairn_ep *ep = c->obj->ep;

		c->pending = NULL;
		if (ep_watch_modify(ep, c->w, EPOLLIN) == 0)
			send_reply(ep, c, status, res, size, fds, nfds);
	}
	if (fds != NULL) {
		unsigned i;

		for (i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	free(p);
}

void
rpc_msg_close_fds(struct rpc_msg *m)
{
	close_fds(m->fds, m->nfds);
}

/* Check the request against the interface table (decode). */
static int
decode(struct rpc_obj *o, const char *buf, ssize_t n, bool trunc,
    unsigned nfds, struct rpc_req_hdr *h, const struct rpc_op **op)
{
	if (trunc || n < (ssize_t)sizeof(*h))
		return RPC_E_PROTO;
	memcpy(h, buf, sizeof(*h));
	if (h->size != (size_t)n - sizeof(*h))
		return RPC_E_PROTO;
	if (h->op == RPC_OP_MINT)
		return h->size || nfds ? RPC_E_SIZE : RPC_OK;
	if (h->op >= o->iface->n_ops || o->iface->ops[h->op].handler == NULL)
		return RPC_E_OPCODE;
	*op = &o->iface->ops[h->op];
	if (h->size != (*op)->arg_size)
		return RPC_E_SIZE;
	if (nfds > (*op)->max_fds)
		return RPC_E_FDS;
	return RPC_OK;
}

static void
dispatch(struct cairn_ep *ep, struct rpc_conn *c, const char *buf, ssize_t n,
    bool trunc, int *fds, unsigned nfds)
{
	struct rpc_obj *o = c->obj;
	const struct rpc_op *op = NULL;
	struct rpc_req_hdr h;
	char res[RPC_MAX_PAYLOAD];
	struct rpc_msg m;
	int status, cap;

	status = decode(o, buf, n, trunc, nfds, &h, &op);
	if (status != RPC_OK) {
		close_fds(fds, nfds);
		send_reply(ep, c, status, NULL, 0, NULL, 0);
		return;
	}
	if (h.op == RPC_OP_MINT) {
		if (o->iface->no_mint) {
			send_reply(ep, c, RPC_E_DENIED, NULL, 0, NULL, 0);
			return;
		}
		cap = rpc_obj_cap(o);
		if (cap < 0) {
			send_reply(ep, c, RPC_E_NOMEM, NULL, 0, NULL, 0);
			return;
		}
		send_reply(ep, c, RPC_OK, NULL, 0, &cap, 1);
		close(cap);
		return;
	}

	memset(&m, 0, sizeof(m));
	m.obj = o;
	m.conn = c;
	m.op = h.op;
	m.args = buf + sizeof(h);
	memcpy(m.fds, fds, sizeof(int) * nfds);
	m.nfds = nfds;
	m.res = res;
	c->in_dispatch = true;
	status = op->handler(&m);
	c->in_dispatch = false;
	/* Descriptors the handler did not take are closed here. */
	close_fds(m.fds, m.nfds);
	if (c->dead) {
		close_fds(m.res_fds, m.res_nfds);
		conn_free(c);
		return;
	}
	if (status == RPC_DEFER && c->pending != NULL) {
		/* No further request is read until the reply is sent. */
		ep_watch_modify(ep, c->w, 0);
		return;
	}
	if (status == RPC_DEFER)
		status = RPC_E_NOMEM;
	send_reply(ep, c, status, m.res, m.res_size, m.res_fds, m.res_nfds);
	close_fds(m.res_fds, m.res_nfds);
}

static void
conn_event(void *ctx, uint32_t events)
{
	struct rpc_conn *c = ctx;
	struct rpc_obj *o = c->obj;
	struct cairn_ep *ep = o->ep;
	char buf[MSG_MAX];
	int fds[RPC_MAX_FDS];
	unsigned nfds;
	bool trunc;
	ssize_t n;

	n = recv_msg(c->fd, buf, fds, &nfds, &trunc, MSG_DONTWAIT);
	if (n == -EAGAIN)
		return;
	if (n > 0) {
		dispatch(ep, c, buf, n, trunc, fds, nfds);
		return;
	}
	/* EOF or error: the client closed its end. */
	close_fds(fds, nfds);
	conn_close(ep, c);
	if (o->nconns == 0 && o->iface->released)
		o->iface->released(o);
}

void
rpc_ep_cleanup(struct cairn_ep *ep)
{
	while (ep->calls) {
		struct rpc_async *a = ep->calls;

		ep->calls = a->next;
		cairn_ep_unwatch(ep, a->w);
		free(a);
	}
	while (ep->objs)
		rpc_obj_destroy(ep->objs);
}
