/*
 * File_system client, one session: RPCs and the packet stream's source.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/fs_client.h>
#include <cairn/fs_server.h>
#include <cairn/session/parent.h>
#include <cairn/packet_stream.h>

/* Bytes per packet; the bulk buffer bounds how many are in flight. */
#define CHUNK_MAX	(64 * 1024)
#define INFLIGHT_MAX	(FS_PACKET_SLOTS - 1)

static int
result(struct fs_conn *c, int r)
{
	if (r < 0) {
		c->status = FS_IO_ERROR;
		return r == RPC_E_DEAD ? -EPIPE : -EPROTO;
	}
	c->status = r;
	return fs_error_to_errno(r);
}

static int
call(struct fs_conn *c, uint32_t op, const void *args, size_t size,
    void *res, size_t res_size)
{
	size_t got = 0;
	int r;

	if (c->cap < 0)
		return result(c, RPC_E_DEAD);
	r = rpc_call(c->cap, op, args, size, NULL, 0, res, res_size,
	    res ? &got : NULL, NULL, NULL);
	if (r == 0 && res && got != res_size)
		r = RPC_E_PROTO;
	return result(c, r);
}

static int
call_handle(struct fs_conn *c, uint32_t op, const void *args, size_t size,
    int32_t *h)
{
	struct fs_handle_res res = { FS_HANDLE_INVALID };
	size_t got = 0;
	int r;

	*h = FS_HANDLE_INVALID;
	if (c->cap < 0)
		return result(c, RPC_E_DEAD);
	r = rpc_call(c->cap, op, args, size, NULL, 0, &res, sizeof(res), &got,
	    NULL, NULL);
	if (r == 0 && got != sizeof(res))
		r = RPC_E_PROTO;
	if (r == 0)
		*h = res.handle;
	return result(c, r);
}

static int
copy_name(char *dst, const char *src)
{
	size_t len = strlen(src);

	/* Too long for the message: the server's answer would be this. */
	if (len >= FS_MAX_NAME_LEN)
		return -ENAMETOOLONG;
	memcpy(dst, src, len + 1);
	return 0;
}

static int
name_too_long(struct fs_conn *c)
{
	c->status = FS_NAME_TOO_LONG;
	return -ENAMETOOLONG;
}

static int
stream_open(struct fs_conn *c)
{
	struct fs_tx_res res;
	size_t got = 0;
	unsigned nfds = 2;
	int fds[2] = { -1, -1 }, w[2], wake_dup, r;

	if ((r = pkt_wake_pipe(w)) < 0)
		return r;
	c->wake = w[0];
	wake_dup = w[1];	/* the server's only: we never kick ourselves */
	memset(&res, 0, sizeof(res));
	r = rpc_call(c->cap, FS_TX, NULL, 0, &wake_dup, 1, &res, sizeof(res),
	    &got, fds, &nfds);
	close(wake_dup);
	if (r != 0 || nfds != 2 || got != sizeof(res) ||
	    res.slots != FS_PACKET_SLOTS) {
		if (nfds >= 1 && fds[0] >= 0)
			close(fds[0]);
		if (nfds >= 2 && fds[1] >= 0)
			close(fds[1]);
		return r == RPC_E_DEAD ? -EPIPE : r > 0 ?
		    fs_error_to_errno(r) : -EPROTO;
	}
	c->peer = fds[1];
	r = cairn_ds_from_fd(&c->tx, fds[0]);
	if (r == 0 && c->tx.size != res.size)
		r = -EPROTO;
	if (r == 0)
		r = cairn_ds_attach(&c->tx, true);
	if (r < 0) {
		if (c->tx.fd < 0)
			close(fds[0]);
		return r;
	}
	c->src_mem = malloc(pkt_source_size(c->tx.size, FS_PACKET_SLOTS));
	if (c->src_mem == NULL)
		return -ENOMEM;
	return pkt_source_init(&c->src, c->src_mem, c->tx.addr, c->tx.size,
	    FS_PACKET_SLOTS, c->wake, c->peer);
}

int
fs_conn_open(struct cairn_env *env, struct fs_conn *c, const char *label,
    size_t tx_buf_size, uint64_t extra_quota)
{
	char args[CAIRN_SESSION_ARGS_MAX];
	int n, r;

	memset(c, 0, sizeof(*c));
	c->env = env;
	c->cap = c->wake = c->peer = -1;
	c->tx.fd = -1;
	if (tx_buf_size == 0)
		tx_buf_size = FS_TX_BUF_DEFAULT;
	n = snprintf(args, sizeof(args), "label=\"%s\", ram_quota=%llu, "
	    "tx_buf_size=%zu", label, (unsigned long long)(FS_QUOTA_OVERHEAD +
	    tx_buf_size + extra_quota), tx_buf_size);
	if (n < 0 || (size_t)n >= sizeof(args))
		return -ENAMETOOLONG;
	r = cairn_session(env, FS_SERVICE, args, &c->id, c->detail,
	    sizeof(c->detail));
	if (r < 0)
		return r;
	c->cap = r;
	r = stream_open(c);
	if (r < 0) {
		snprintf(c->detail, sizeof(c->detail), "packet stream: %s",
		    strerror(-r));
		fs_conn_close(c);
	}
	return r;
}

void
fs_conn_close(struct fs_conn *c)
{
	if (c->cap >= 0)
		cairn_session_close(c->env, c->id, c->cap);
	c->cap = -1;
	cairn_ds_release(&c->tx);
	if (c->wake >= 0)
		close(c->wake);
	if (c->peer >= 0)
		close(c->peer);
	c->wake = c->peer = -1;
	free(c->src_mem);
	c->src_mem = NULL;
	c->src = NULL;
}

int
fs_conn_file(struct fs_conn *c, int32_t dir, const char *name,
    enum fs_mode mode, bool create, uint32_t perm, int32_t *h)
{
	struct fs_file_args a;

	memset(&a, 0, sizeof(a));
	a.dir = dir;
	a.mode = mode;
	a.create = create;
	a.perm = perm;
	*h = FS_HANDLE_INVALID;
	if (copy_name(a.name, name) < 0)
		return name_too_long(c);
	return call_handle(c, FS_FILE, &a, sizeof(a), h);
}

int
fs_conn_symlink(struct fs_conn *c, int32_t dir, const char *name,
    bool create, int32_t *h)
{
	struct fs_symlink_args a;

	memset(&a, 0, sizeof(a));
	a.dir = dir;
	a.create = create;
	*h = FS_HANDLE_INVALID;
	if (copy_name(a.name, name) < 0)
		return name_too_long(c);
	return call_handle(c, FS_SYMLINK, &a, sizeof(a), h);
}

int
fs_conn_dir(struct fs_conn *c, const char *path, bool create, uint32_t perm,
    int32_t *h)
{
	struct fs_dir_args a;

	memset(&a, 0, sizeof(a));
	a.create = create;
	a.perm = perm;
	*h = FS_HANDLE_INVALID;
	if (strlen(path) >= sizeof(a.path))
		return name_too_long(c);
	strcpy(a.path, path);
	return call_handle(c, FS_DIR, &a, sizeof(a), h);
}

int
fs_conn_node(struct fs_conn *c, const char *path, int32_t *h)
{
	struct fs_node_args a;

	memset(&a, 0, sizeof(a));
	*h = FS_HANDLE_INVALID;
	if (strlen(path) >= sizeof(a.path))
		return name_too_long(c);
	strcpy(a.path, path);
	return call_handle(c, FS_NODE, &a, sizeof(a), h);
}

int
fs_conn_release(struct fs_conn *c, int32_t h)
{
	struct fs_handle_args a = { h };

	return call(c, FS_CLOSE, &a, sizeof(a), NULL, 0);
}

int
fs_conn_release_many(struct fs_conn *c, const int32_t *h, size_t n)
{
	struct fs_close_many_args a;

	if (n == 0 || n > FS_CLOSE_MANY_MAX) {
		c->status = FS_INVALID_ARGUMENT;
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	a.count = (uint32_t)n;
	memcpy(a.handle, h, n * sizeof(*h));
	return call(c, FS_CLOSE_MANY, &a, sizeof(a), NULL, 0);
}

int
fs_conn_status(struct fs_conn *c, int32_t h, struct fs_status *st)
{
	struct fs_handle_args a = { h };

	memset(st, 0, sizeof(*st));
	return call(c, FS_STATUS, &a, sizeof(a), st, sizeof(*st));
}

int
fs_conn_control(struct fs_conn *c, const struct fs_control_args *a)
{
	return call(c, FS_CONTROL, a, sizeof(*a), NULL, 0);
}

int
fs_conn_unlink(struct fs_conn *c, int32_t dir, const char *name)
{
	struct fs_unlink_args a;

	memset(&a, 0, sizeof(a));
	a.dir = dir;
	if (copy_name(a.name, name) < 0)
		return name_too_long(c);
	return call(c, FS_UNLINK, &a, sizeof(a), NULL, 0);
}

int
fs_conn_truncate(struct fs_conn *c, int32_t file, uint64_t size)
{
	struct fs_truncate_args a;

	memset(&a, 0, sizeof(a));
	a.file = file;
	a.size = size;
	return call(c, FS_TRUNCATE, &a, sizeof(a), NULL, 0);
}

int
fs_conn_move(struct fs_conn *c, int32_t from_dir, const char *from,
    int32_t to_dir, const char *to)
{
	struct fs_move_args a;

	memset(&a, 0, sizeof(a));
	a.from_dir = from_dir;
	a.to_dir = to_dir;
	if (copy_name(a.from_name, from) < 0 || copy_name(a.to_name, to) < 0)
		return name_too_long(c);
	return call(c, FS_MOVE, &a, sizeof(a), NULL, 0);
}

int
fs_conn_link(struct fs_conn *c, int32_t node, int32_t dir, const char *name)
{
	struct fs_link_args a;

	memset(&a, 0, sizeof(a));
	a.node = node;
	a.dir = dir;
	if (copy_name(a.name, name) < 0)
		return name_too_long(c);
	return call(c, FS_LINK, &a, sizeof(a), NULL, 0);
}

int
fs_conn_allocate(struct fs_conn *c, int32_t h, uint32_t flags, uint64_t off,
    uint64_t len)
{
	struct fs_allocate_args a;

	memset(&a, 0, sizeof(a));
	a.file = h;
	a.flags = flags;
	a.offset = off;
	a.length = len;
	return call(c, FS_ALLOCATE, &a, sizeof(a), NULL, 0);
}

int
fs_conn_lookup(struct fs_conn *c, int32_t dir, const char *name,
    struct fs_status *st)
{
	struct fs_lookup_args a;

	memset(&a, 0, sizeof(a));
	memset(st, 0, sizeof(*st));
	a.dir = dir;
	if (copy_name(a.name, name) < 0)
		return name_too_long(c);
	return call(c, FS_LOOKUP, &a, sizeof(a), st, sizeof(*st));
}

int
fs_conn_create(struct fs_conn *c, const struct fs_create_args *a,
    int32_t *h, struct fs_status *st, struct fs_status *dir)
{
	struct fs_create_res res;
	int r;

	memset(&res, 0, sizeof(res));
	*h = FS_HANDLE_INVALID;
	if (memchr(a->name, '\0', sizeof(a->name)) == NULL)
		return name_too_long(c);
	r = call(c, FS_CREATE, a, sizeof(*a), &res, sizeof(res));
	if (r == 0) {
		*h = res.handle;
		*st = res.st;
		if (dir != NULL)
			*dir = res.dir;
	}
	return r;
}

int
fs_conn_remove(struct fs_conn *c, int32_t dir, const char *name,
    struct fs_status *st)
{
	struct fs_unlink_args a;

	memset(&a, 0, sizeof(a));
	memset(st, 0, sizeof(*st));
	a.dir = dir;
	if (copy_name(a.name, name) < 0)
		return name_too_long(c);
	return call(c, FS_REMOVE, &a, sizeof(a), st, sizeof(*st));
}

int
fs_conn_watch(struct fs_conn *c, int sig_cap)
{
	int r;

	if (c->cap < 0)
		return result(c, RPC_E_DEAD);
	r = rpc_call(c->cap, FS_WATCH, NULL, 0, &sig_cap, sig_cap >= 0 ? 1 : 0,
	    NULL, 0, NULL, NULL, NULL);
	return result(c, r);
}

int
fs_conn_sigh(struct fs_conn *c, int32_t h, int sig_cap)
{
	struct fs_handle_args a = { h };
	int r;

	if (c->cap < 0)
		return result(c, RPC_E_DEAD);
	r = rpc_call(c->cap, FS_SIGH, &a, sizeof(a), &sig_cap,
	    sig_cap >= 0 ? 1 : 0, NULL, 0, NULL, NULL, NULL);
	return result(c, r);
}

int
fs_conn_sync(struct fs_conn *c)
{
	return call(c, FS_SYNC, NULL, 0, NULL, 0);
}

/* --- the stream --- */

/*
 * Wait until an acknowledgement is there or the server is gone. The
 * session socket reports the server's end closing as POLLHUP.
 */
static int
wait_ack(struct fs_conn *c, struct pkt_desc *d)
{
	struct pollfd p[2];
	int r;

	for (;;) {
		r = pkt_source_get_ack(c->src, d);
		if (r != -EAGAIN)
			return r;
		if (pkt_source_arm(c->src))
			continue;
		p[0].fd = c->wake;
		p[0].events = POLLIN;
		p[1].fd = c->cap;
		p[1].events = 0;
		r = poll(p, 2, -1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (p[1].revents & (POLLHUP | POLLERR)))
			return -EPIPE;
		pkt_source_drain_wake(c->src);
	}
}

struct chunk {
	uint64_t off;		/* into the caller's buffer */
	uint64_t len;
	uint64_t got;
	int status;		/* enum fs_error of a failed packet */
	bool busy;
	bool done;
	bool ok;
};

/*
 * Move len bytes in packets of at most CHUNK_MAX, up to INFLIGHT_MAX at a
 * time. The result counts the leading chunks that completed in full plus
 * the first short one; a failed first chunk makes it -errno.
 */
static long
xfer(struct fs_conn *c, int32_t h, uint32_t op, void *buf, size_t len,
    uint64_t pos)
{
	struct chunk ch[INFLIGHT_MAX];
	uint64_t bulk, csize, next = 0, total = 0, base;
	unsigned busy = 0, i;
	struct fs_packet p;
	struct pkt_desc d;
	bool stop = false;
	int r;

	if (c->src == NULL)
		return -EPIPE;
	if (len == 0)
		return 0;
	bulk = pkt_source_bulk_size(c->src);
	csize = bulk / 2 < CHUNK_MAX ? bulk / 2 : CHUNK_MAX;
	if (csize == 0)
		return -EINVAL;
	memset(ch, 0, sizeof(ch));
	base = c->next_ref;
	c->next_ref += INFLIGHT_MAX;
	for (;;) {
		/* Submit what fits, in order. */
		while (!stop && next < len && busy < INFLIGHT_MAX) {
			uint64_t n = len - next < csize ? len - next : csize;

			for (i = 0; i < INFLIGHT_MAX && ch[i].busy; i++)
				;
			if (pkt_source_alloc(c->src, n, 12, &d) != 0)
				break;
			memset(&p, 0, sizeof(p));
			p.handle = h;
			p.op = op;
			p.position = pos == FS_SEEK_TAIL ? pos : pos + next;
			p.length = n;
			p.ref = base + i;
			fs_packet_set(&d, &p);
			if (op == FS_PACKET_WRITE)
				memcpy(pkt_source_payload(c->src, &d),
				    (char *)buf + next, n);
			if (pkt_source_submit(c->src, &d) != 0) {
				pkt_source_release(c->src, &d);
				break;
			}
			ch[i] = (struct chunk){ next, n, 0, FS_OK, true, false,
			    false };
			next += n;
			busy++;
		}
		pkt_source_notify(c->src);
		if (busy == 0)
			break;
		r = wait_ack(c, &d);
		if (r < 0)
			return r;
		fs_packet_get(&d, &p);
		i = (unsigned)(p.ref - base);
		if (p.ref < base || i >= INFLIGHT_MAX || !ch[i].busy) {
			pkt_source_release(c->src, &d);
			continue;	/* not ours: a stale ack */
		}
		ch[i].busy = false;
		ch[i].done = true;
		ch[i].ok = p.success && p.length <= ch[i].len;
		ch[i].got = ch[i].ok ? p.length : 0;
		ch[i].status = ch[i].ok ? FS_OK : p.success ? FS_IO_ERROR :
		    p.length > 0 && p.length < FS_N_ERRORS ? (int)p.length :
		    FS_IO_ERROR;
		if (op == FS_PACKET_READ && ch[i].ok && ch[i].got)
			memcpy((char *)buf + ch[i].off,
			    pkt_source_payload(c->src, &d), ch[i].got);
		pkt_source_release(c->src, &d);
		busy--;
		/* A short or failed chunk ends the transfer there. */
		if (!ch[i].ok || ch[i].got < ch[i].len)
			stop = true;
		/* Account completed chunks in order. */
		while (true) {
			bool found = false;

			for (i = 0; i < INFLIGHT_MAX; i++)
				if (ch[i].done && ch[i].off == total) {
					found = true;
					break;
				}
			if (!found)
				break;
			ch[i].done = false;
			if (!ch[i].ok) {
				c->status = ch[i].status;
				if (total == 0) {
					/* drain what is still in flight */
					while (busy && wait_ack(c, &d) == 0) {
						pkt_source_release(c->src, &d);
						busy--;
					}
					return fs_error_to_errno(ch[i].status);
				}
				stop = true;
				break;
			}
			total += ch[i].got;
			if (ch[i].got < ch[i].len) {
				stop = true;
				break;
			}
		}
	}
	c->status = FS_OK;
	return (long)total;
}

long
fs_conn_read(struct fs_conn *c, int32_t h, void *buf, size_t len,
    uint64_t pos)
{
	return xfer(c, h, FS_PACKET_READ, buf, len, pos);
}

long
fs_conn_write(struct fs_conn *c, int32_t h, const void *buf, size_t len,
    uint64_t pos)
{
	return xfer(c, h, FS_PACKET_WRITE, (void *)buf, len, pos);
}

int
fs_conn_readdir(struct fs_conn *c, int32_t dir, uint64_t index,
    struct fs_dirent *e)
{
	long n = xfer(c, dir, FS_PACKET_READ, e, sizeof(*e),
	    index * sizeof(*e));

	if (n < 0)
		return (int)n;
	if (n != sizeof(*e))
		return 0;
	e->name[sizeof(e->name) - 1] = '\0';
	return 1;
}

long
fs_conn_readdir_many(struct fs_conn *c, int32_t dir, uint64_t index,
    struct fs_dirent *e, size_t n)
{
	uint64_t base, next = 0, end = n;
	unsigned busy = 0;
	struct fs_packet p;
	struct pkt_desc d;
	size_t got = 0;
	int status = FS_OK, r;
	uint64_t i;

	if (c->src == NULL)
		return -EPIPE;
	base = c->next_ref;
	c->next_ref += n;
	/*
	 * One entry per packet (the protocol's rule), up to INFLIGHT_MAX in
	 * flight: the server answers a batch per wake-up. `end` shrinks to
	 * the first index past the directory's end.
	 */
	for (;;) {
		while (next < end && busy < INFLIGHT_MAX) {
			if (pkt_source_alloc(c->src, sizeof(*e), 12, &d) != 0)
				break;
			memset(&p, 0, sizeof(p));
			p.handle = dir;
			p.op = FS_PACKET_READ;
			p.position = (index + next) * sizeof(*e);
			p.length = sizeof(*e);
			p.ref = base + next;
			fs_packet_set(&d, &p);
			if (pkt_source_submit(c->src, &d) != 0) {
				pkt_source_release(c->src, &d);
				break;
			}
			next++;
			busy++;
		}
		pkt_source_notify(c->src);
		if (busy == 0) {
			if (next < end)
				return -ENOBUFS;	/* no room at all */
			break;
		}
		if ((r = wait_ack(c, &d)) < 0)
			return r;
		fs_packet_get(&d, &p);
		i = p.ref - base;
		if (p.ref < base || i >= n) {
			pkt_source_release(c->src, &d);
			continue;	/* not ours: a stale ack */
		}
		busy--;
		if (!p.success) {
			if (i < end)
				end = i;
			if (status == FS_OK && p.length > 0 &&
			    p.length < FS_N_ERRORS)
				status = (int)p.length;
			else if (status == FS_OK)
				status = FS_IO_ERROR;
		} else if (p.length != sizeof(*e)) {
			if (i < end)
				end = i;	/* past the last entry */
		} else {
			memcpy(&e[i], pkt_source_payload(c->src, &d),
			    sizeof(*e));
			e[i].name[sizeof(e[i].name) - 1] = '\0';
		}
		pkt_source_release(c->src, &d);
	}
	got = (size_t)end;
	if (got == 0 && status != FS_OK) {
		c->status = status;
		return fs_error_to_errno(status);
	}
	c->status = FS_OK;
	return (long)got;
}

long
fs_conn_readdir_plus(struct fs_conn *c, int32_t dir, uint64_t index,
    struct fs_dirent_plus *e, size_t n)
{
	struct fs_packet p;
	struct pkt_desc d;
	size_t max, got;
	uint64_t ref;
	int r;

	if (c->src == NULL)
		return -EPIPE;
	max = (size_t)(pkt_source_bulk_size(c->src) / 2 / sizeof(*e));
	if (n > max)
		n = max;
	if (n == 0)
		return -EINVAL;
	if ((r = pkt_source_alloc(c->src, n * sizeof(*e), 12, &d)) != 0)
		return r;
	ref = c->next_ref++;
	memset(&p, 0, sizeof(p));
	p.handle = dir;
	p.op = FS_PACKET_READDIR_PLUS;
	p.position = index;
	p.length = n * sizeof(*e);
	p.ref = ref;
	fs_packet_set(&d, &p);
	if ((r = pkt_source_submit(c->src, &d)) != 0) {
		pkt_source_release(c->src, &d);
		return r;
	}
	pkt_source_notify(c->src);
	for (;;) {
		if ((r = wait_ack(c, &d)) < 0)
			return r;
		fs_packet_get(&d, &p);
		if (p.ref == ref)
			break;
		pkt_source_release(c->src, &d);	/* a stale ack */
	}
	got = p.success && p.length <= n * sizeof(*e) ?
	    (size_t)(p.length / sizeof(*e)) : 0;
	if (got)
		memcpy(e, pkt_source_payload(c->src, &d), got * sizeof(*e));
	pkt_source_release(c->src, &d);
	if (!p.success) {
		c->status = p.length > 0 && p.length < FS_N_ERRORS ?
		    (int)p.length : FS_IO_ERROR;
		return fs_error_to_errno(c->status);
	}
	c->status = FS_OK;
	return (long)got;
}

int
fs_conn_packet(struct fs_conn *c, struct pkt_desc *d, size_t payload_size)
{
	struct pkt_desc a;
	int r;

	if (c->src == NULL)
		return -EPIPE;
	if (d->size == 0 && payload_size) {
		struct pkt_desc alloc;

		r = pkt_source_alloc(c->src, payload_size, 12, &alloc);
		if (r < 0)
			return r;
		d->offset = alloc.offset;
		d->size = alloc.size;
	}
	r = pkt_source_submit(c->src, d);
	if (r < 0)
		return r;
	pkt_source_notify(c->src);
	r = wait_ack(c, &a);
	if (r < 0)
		return r;
	pkt_source_release(c->src, &a);
	*d = a;
	return 0;
}
