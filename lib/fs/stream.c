/*
 * The session's packet stream: reads and writes, every descriptor checked.
 * SPDX-License-Identifier: MIT
 *
 * The server is the sink (packet_stream.h). Every descriptor is copied out
 * of the ring and checked — inside the bulk buffer, length within its
 * size, an open handle of this session that allows the operation — before
 * its payload is touched; a bad one is acknowledged with success = 0 and
 * the stream carries on. A client that corrupts the ring indices only
 * breaks its own stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fs_impl.h"

/* Packets served per wake-up before other clients get their turn. */
#define BATCH	64

static long
read_dir(struct fs_session *s, struct fs_handle *hd, void *buf,
    const struct fs_packet *p)
{
	struct fs_server *srv = s->srv;
	struct fs_dirent e;
	int r;

	/* spec: aligned position, room for one entry; else nothing. */
	if (p->position % sizeof(e) != 0 || p->length < sizeof(e))
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	r = srv->ops->readdir(srv->fs, hd->node, p->position / sizeof(e), &e);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	e.name[sizeof(e.name) - 1] = '\0';
	memcpy(buf, &e, sizeof(e));
	return sizeof(e);
}

static long
read_dir_plus(struct fs_session *s, struct fs_handle *hd, void *buf,
    const struct fs_packet *p)
{
	struct fs_server *srv = s->srv;
	struct fs_dirent_plus d;
	uint64_t index = p->position, node;
	size_t n = 0, max = (size_t)(p->length / sizeof(d));
	int r;

	if (hd->kind != FS_H_DIR || max == 0)
		return -EINVAL;
	while (n < max) {
		memset(&d, 0, sizeof(d));
		r = srv->ops->readdir(srv->fs, hd->node, index++, &d.e);
		if (r == -ENOENT)
			break;
		if (r < 0)
			return n ? (long)(n * sizeof(d)) : r;
		d.e.name[sizeof(d.e.name) - 1] = '\0';
		r = srv->ops->lookup(srv->fs, hd->node, d.e.name, &node);
		if (r == 0)
			r = srv->ops->stat(srv->fs, node, &d.st);
		if (r < 0)
			return n ? (long)(n * sizeof(d)) : r;
		memcpy((char *)buf + n * sizeof(d), &d, sizeof(d));
		n++;
	}
	return (long)(n * sizeof(d));
}

static long
read_symlink(struct fs_session *s, struct fs_handle *hd, void *buf,
    const struct fs_packet *p)
{
	struct fs_server *srv = s->srv;
	char target[FS_MAX_PATH_LEN];
	long n = srv->ops->readlink(srv->fs, hd->node, target, sizeof(target));

	if (n < 0)
		return n;
	if (p->position >= (uint64_t)n)
		return 0;
	n -= (long)p->position;
	if ((uint64_t)n > p->length)
		n = (long)p->length;
	memcpy(buf, target + p->position, (size_t)n);
	return n;
}

static long
do_read(struct fs_session *s, struct fs_handle *hd, void *buf,
    const struct fs_packet *p)
{
	struct fs_server *srv = s->srv;

	switch (hd->kind) {
	case FS_H_FILE:
		if (!(hd->mode & FS_READ_ONLY) || p->position == FS_SEEK_TAIL)
			return -EBADF;
		return srv->ops->read(srv->fs, hd->node, buf,
		    (size_t)p->length, p->position);
	case FS_H_DIR:
		return read_dir(s, hd, buf, p);
	case FS_H_SYMLINK:
		return read_symlink(s, hd, buf, p);
	default:
		return -EBADF;
	}
}

static long
do_write(struct fs_session *s, struct fs_handle *hd, const void *buf,
    const struct fs_packet *p)
{
	struct fs_server *srv = s->srv;
	struct fs_status st;
	uint64_t pos = p->position;
	int r;

	if (!s->writeable)
		return -EACCES;
	switch (hd->kind) {
	case FS_H_FILE:
		if (!(hd->mode & FS_WRITE_ONLY))
			return -EBADF;
		if (pos == FS_SEEK_TAIL) {
			r = srv->ops->stat(srv->fs, hd->node, &st);
			if (r < 0)
				return r;
			pos = st.size;
		}
		return srv->ops->write(srv->fs, hd->node, buf,
		    (size_t)p->length, pos);
	case FS_H_SYMLINK:
		/* The whole target at once (spec). */
		if ((pos != 0 && pos != FS_SEEK_TAIL) ||
		    p->length >= FS_MAX_PATH_LEN)
			return -EINVAL;
		r = srv->ops->symlink(srv->fs, hd->node, buf,
		    (size_t)p->length);
		return r < 0 ? r : (long)p->length;
	default:
		return -EBADF;
	}
}

void
fs_packet_process(struct fs_session *s, struct pkt_desc *d, void *payload)
{
	struct fs_packet p;
	struct fs_handle *hd;
	long n = -EINVAL;

	fs_packet_get(d, &p);
	p.success = 0;
	if (payload == NULL || p.length > d->size)
		goto done;
	hd = fs_handle_get(&s->handles, p.handle,
	    FS_H_FILE | FS_H_DIR | FS_H_SYMLINK);
	n = -EBADF;
	if (hd == NULL)
		goto done;
	n = -EINVAL;
	if (p.op == FS_PACKET_READ)
		n = do_read(s, hd, payload, &p);
	else if (p.op == FS_PACKET_WRITE)
		n = do_write(s, hd, payload, &p);
	else if (p.op == FS_PACKET_READDIR_PLUS)
		n = read_dir_plus(s, hd, payload, &p);
	if (n >= 0 && p.op == FS_PACKET_WRITE) {
		hd->modified = true;
		fs_changed(s->srv, s);
	}
done:
	/* A failed packet tells why in `length` (an enum fs_error). */
	p.length = n >= 0 ? (uint64_t)n : (uint64_t)fs_error_from_errno((int)n);
	p.success = n >= 0;
	fs_packet_set(d, &p);
}

static void
kick_self(struct fs_session *s)
{
	/* Fails only with the pipe full: a wake-up is pending anyway. */
	(void)cairn_sig_submit(s->wake_wr);
}

static void
on_wake(void *ctx, uint32_t events)
{
	struct fs_session *s = ctx;
	struct pkt_desc d;
	unsigned n = 0;
	int r = 0;

	pkt_sink_drain_wake(s->sink);
	for (;;) {
		while (n < BATCH && (r = pkt_sink_get(s->sink, &d)) == 0) {
			fs_packet_process(s, &d, pkt_sink_payload(s->sink, &d));
			/* get reserved the ack slot: this cannot fail */
			if (pkt_sink_ack(s->sink, &d) != 0)
				break;
			n++;
		}
		pkt_sink_notify(s->sink);
		if (n >= BATCH) {
			/* Come back after the other events of this round. */
			kick_self(s);
			return;
		}
		if (r == -EPROTO) {
			if (s->srv->env)
				cairn_warn(s->srv->env, "\"%s\": packet stream "
				    "corrupted by the client, stream stopped",
				    s->label);
			s->broken = true;
			cairn_ep_unwatch(s->srv->env->ep, s->watch);
			s->watch = NULL;
			return;
		}
		if (!pkt_sink_arm(s->sink))
			return;
	}
}

void
fs_stream_release(struct fs_session *s)
{
	if (s->watch)
		cairn_ep_unwatch(s->srv->env->ep, s->watch);
	s->watch = NULL;
	if (s->tx.fd >= 0 && s->srv->env)
		cairn_ram_free(s->srv->env, &s->tx);
	s->tx.fd = -1;
	if (s->wake >= 0)
		close(s->wake);
	if (s->wake_wr >= 0)
		close(s->wake_wr);
	if (s->peer >= 0)
		close(s->peer);
	s->wake = s->wake_wr = s->peer = -1;
	free(s->sink_mem);
	s->sink_mem = NULL;
	s->sink = NULL;
}

int
fs_stream_create(struct fs_session *s, int client_wake, int *ds_fd,
    int *wake_fd, struct fs_tx_res *res)
{
	struct cairn_env *env = s->srv->env;
	int w[2], r;

	*ds_fd = *wake_fd = -1;
	if (env == NULL)
		return FS_UNSUPPORTED;
	/*
	 * A second FS_TX hands out the same stream; the new wake fd takes
	 * the old one's number, which the sink holds.
	 */
	if (s->tx.fd >= 0) {
		r = dup3(client_wake, s->peer, O_CLOEXEC);
		close(client_wake);
		if (r < 0)
			return FS_NO_SPACE;
	} else {
		r = cairn_ram_alloc(env, s->tx_buf_size, &s->tx);
		if (r < 0) {
			s->tx.fd = -1;
			return FS_NO_SPACE;
		}
		if (pkt_wake_pipe(w) == 0) {
			s->wake = w[0];
			s->wake_wr = w[1];
		}
		s->sink_mem = malloc(pkt_sink_size());
		if (s->wake < 0 || s->sink_mem == NULL ||
		    pkt_stream_format(s->tx.addr, s->tx.size,
		    FS_PACKET_SLOTS) != 0 ||
		    pkt_sink_init(&s->sink, s->sink_mem, s->tx.addr,
		    s->tx.size, FS_PACKET_SLOTS, s->wake, client_wake) != 0)
			goto fail;
		s->watch = cairn_ep_watch(env->ep, s->wake, EPOLLIN, on_wake,
		    s);
		if (s->watch == NULL)
			goto fail;
		s->peer = client_wake;
		/* Wait for packets: the client kicks only a waiting sink. */
		if (pkt_sink_arm(s->sink))
			kick_self(s);
	}
	*ds_fd = fcntl(s->tx.fd, F_DUPFD_CLOEXEC, 0);
	*wake_fd = fcntl(s->wake_wr, F_DUPFD_CLOEXEC, 0);
	if (*ds_fd < 0 || *wake_fd < 0) {
		if (*ds_fd >= 0)
			close(*ds_fd);
		if (*wake_fd >= 0)
			close(*wake_fd);
		*ds_fd = *wake_fd = -1;
		return FS_NO_SPACE;
	}
	res->size = s->tx.size;
	res->slots = FS_PACKET_SLOTS;
	return FS_OK;
fail:
	close(client_wake);
	s->peer = -1;
	fs_stream_release(s);
	return FS_NO_SPACE;
}
