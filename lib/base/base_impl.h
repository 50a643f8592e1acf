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
 * Wake-ups (signals and packet-stream notifications) are pipes: the side
 * that sleeps keeps the read end, whoever wakes it holds a duplicate of the
 * write end. A peer that holds the same open file as we do may clear its
 * O_NONBLOCK or fill the pipe at any moment, so every read and write here
 * carries RWF_NOWAIT, which no file flag overrides: neither ever blocks.
 */

/*
 * Add one wake-up: 0, or -1 with errno. A full pipe counts as done (the
 * sleeper has plenty pending). A descriptor that cannot do a non-blocking
 * write (not a pipe or socket: EOPNOTSUPP) is refused rather than risked.
 */
static inline int
wake_kick(int fd)
{
	static const uint8_t one = 1;
	struct iovec iov = { .iov_base = (void *)&one, .iov_len = 1 };
	ssize_t r;

	do
		r = pwritev2(fd, &iov, 1, -1, RWF_NOWAIT);
	while (r < 0 && errno == EINTR);
	return r == 1 || (r < 0 && errno == EAGAIN) ? 0 : -1;
}

/* Empty a wake pipe's read end: the wake-ups that were pending (0: none). */
static inline uint64_t
wake_drain(int fd)
{
	uint8_t buf[256];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	uint64_t n = 0;
	ssize_t r;

	for (;;) {
		r = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n;
		n += (uint64_t)r;
		if ((size_t)r < sizeof(buf))
			return n;
	}
}

static inline int
fcntl_dupfd_cloexec(int fd)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	return r < 0 ? -errno : r;
}

#endif
