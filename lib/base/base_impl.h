/*
 * Private declarations shared by the files of libcairn (never installed).
 * SPDX-License-Identifier: MIT
 */
#ifndef CAIRN_BASE_IMPL_H
#define CAIRN_BASE_IMPL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cairn/entrypoint.h>
#include <cairn/rpc.h>

struct cairn_watch;
struct rpc_async;

struct cairn_ep {
	int epfd;
	bool stop;
	unsigned nwatch;
	struct cairn_watch *dead;	/* unwatched during a batch */
	struct cairn_defer *deferred;	/* scheduled, in order */
	struct cairn_defer **deferred_tail;
	struct rpc_obj *objs;		/* every object served here */
	struct rpc_async *calls;	/* outstanding asynchronous calls */
};

int ep_watch_modify(struct cairn_ep *ep, struct cairn_watch *w,
    uint32_t events);

/* Destroy every RPC object and async call of ep (entrypoint teardown). */
void rpc_ep_cleanup(struct cairn_ep *ep);

/*
 * Read an eventfd whose open file a peer shares: the peer may clear
 * O_NONBLOCK on it, or read the counter itself between our poll and our
 * read. RWF_NOWAIT keeps this one read from blocking whatever the file's
 * flags. Returns sizeof(*v), or -1 with errno (EAGAIN: counter zero;
 * EOPNOTSUPP: a kernel without RWF_NOWAIT for eventfds).
 */
static inline ssize_t
eventfd_read_nowait(int fd, uint64_t *v)
{
	struct iovec iov = { .iov_base = v, .iov_len = sizeof(*v) };
	ssize_t r;

	do
		r = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	while (r < 0 && errno == EINTR);
	return r;
}

/*
 * Add one to an eventfd whose open file a peer shares. A write blocks only
 * when the counter would pass its maximum, and only if the peer cleared
 * O_NONBLOCK; writing only when poll says there is room keeps a peer that
 * merely fills its counter from blocking us (a peer that refills it
 * between the poll and the write still can: see the notes on signals).
 * Returns 0, or -1 with errno; a full counter counts as done (the reader
 * has plenty pending).
 */
static inline int
eventfd_add_one(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	uint64_t one = 1;
	ssize_t r;

	do
		r = poll(&p, 1, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0 || !(p.revents & POLLOUT))
		return 0;
	do
		r = write(fd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
	return r == sizeof(one) || errno == EAGAIN ? 0 : -1;
}

static inline int
fcntl_dupfd_cloexec(int fd)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return r < 0 ? -errno : r;
}

#endif
