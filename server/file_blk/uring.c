/*
 * file_blk's image back end: block requests as io_uring reads, writes and
 * fdatasyncs on the host file.
 * SPDX-License-Identifier: MIT
 *
 * Each request the framework hands over becomes one SQE whose user data is
 * the request; SQEs are submitted together at the end of the framework's
 * batch (uring_flush), which then collects the completions that happened
 * inline (page-cache hits), with the ring's eventfd signal switched off
 * meanwhile. Completions that happen later arrive through that eventfd,
 * watched by the entrypoint. Completions are handled in CQ order, which is whatever
 * order the kernel finished them in.
 *
 * At most queue_depth requests are at the device; beyond that submit says
 * -EAGAIN and the framework offers the request again after a completion.
 * The SQ ring has queue_depth entries and one more for write-behind, so a
 * request admitted always finds an SQE, also when a short transfer is
 * continued.
 *
 * A request whose session closed meanwhile simply finishes: the framework
 * keeps its buffer mapped until block_complete().
 *
 * Write-behind (page-cache mode only): the image's page cache is charged to
 * our memory cgroup, kept at our RAM quota. Reclaim there can wait for
 * pages under writeback but cannot write dirty ones; it leaves that to the
 * host's flusher threads, which may be busy with other files for seconds
 * (a host with a few hundred megabytes dirty is enough). With nothing
 * reclaimable and nothing to wait for, the cgroup's OOM killer stops us.
 * So after every window written we start writeback of the image ourselves
 * (wb.h): one asynchronous sync_file_range at a time, the next as soon as
 * it returned if a window filled meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "file_blk.h"

/* The user data of a write-behind SQE: not a request. */
static char wb_tag;

/* Start the next window's writeback if it is due. */
static void
writeback_kick(struct main *mn)
{
	struct io_uring_sqe *sqe;

	if (!wb_start(&mn->wb))
		return;
	if ((sqe = io_uring_get_sqe(&mn->ring)) == NULL) {
		wb_finished(&mn->wb);	/* cannot happen: its entry is spare */
		return;
	}
	io_uring_prep_sync_file_range(sqe, mn->fd, 0, 0,
	    SYNC_FILE_RANGE_WRITE);
	io_uring_sqe_set_data(sqe, &wb_tag);
	mn->queued++;
}

static void
writeback_done(struct main *mn, int res)
{
	wb_finished(&mn->wb);
	if (res < 0 && !mn->wb_failed) {
		/* Not fatal: the host's flusher threads still write back. */
		mn->wb_failed = true;
		cairn_warn(mn->env, "write-behind failed: %s (not logged "
		    "again)", strerror(-res));
	}
	writeback_kick(mn);
}

static void
complete(struct main *mn, struct block_request *r, bool ok)
{
	if (r->op == BLOCK_OP_WRITE) {
		wb_written(&mn->wb, r->bytes);
		writeback_kick(mn);
	}
	mn->in_flight--;
	((struct client *)r->session_ctx)->in_flight--;
	block_complete(r, ok);
}

/* Queue (the rest of) r; r->driver_data counts the bytes done. */
static void
queue(struct main *mn, struct block_request *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&mn->ring);
	uint64_t done = r->driver_data;
	uint64_t off = r->block_number * mn->block_size + done;
	uint8_t *p = (uint8_t *)r->payload + done;
	unsigned len = (unsigned)(r->bytes - done);

	if (sqe == NULL) {
		/* Cannot happen (see the top); fail rather than lose it. */
		complete(mn, r, false);
		return;
	}
	switch (r->op) {
	case BLOCK_OP_READ:
		io_uring_prep_read(sqe, mn->fd, p, len, off);
		break;
	case BLOCK_OP_WRITE:
		io_uring_prep_write(sqe, mn->fd, p, len, off);
		break;
	default:
		io_uring_prep_fsync(sqe, mn->fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, r);
	mn->queued++;
}

int
uring_submit(void *ctx, struct block_request *r)
{
	struct main *mn = ctx;

	if (mn->in_flight >= mn->queue_depth)
		return -EAGAIN;
	mn->in_flight++;
	((struct client *)r->session_ctx)->in_flight++;
	r->driver_data = 0;
	queue(mn, r);
	return 0;
}

/* Submit what is queued; 0 or the io_uring error. */
static int
submit(struct main *mn)
{
	int r;

	if (mn->queued == 0)
		return 0;
	r = io_uring_submit(&mn->ring);
	if (r >= 0) {
		mn->queued = r >= (int)mn->queued ? 0 : mn->queued - (unsigned)r;
		return 0;
	}
	if (r != -EAGAIN && r != -EBUSY && r != -EINTR)
		cairn_error(mn->env, "io_uring_submit: %s", strerror(-r));
	return r;
}

static void reap(struct main *mn);

void
uring_flush(void *ctx)
{
	struct main *mn = ctx;

	/*
	 * Reads from the page cache complete during the submit call itself:
	 * collect them now instead of after a trip through the eventfd,
	 * which only signals completions that happened asynchronously.
	 */
	if (mn->queued == 0)
		return;
	/* No eventfd signal for what we collect here anyway. */
	(void)io_uring_cq_eventfd_toggle(&mn->ring, false);
	if (submit(mn) == 0)
		reap(mn);
	(void)io_uring_cq_eventfd_toggle(&mn->ring, true);
	/* Completions that came while the signal was off. */
	if (io_uring_cq_ready(&mn->ring) != 0)
		reap(mn);
}

/* One completion: finish r, or continue a short or interrupted transfer. */
static void
finish(struct main *mn, struct block_request *r, int res)
{
	if (res == -EAGAIN || res == -EINTR) {
		queue(mn, r);
		return;
	}
	if (res < 0 || (res == 0 && r->op != BLOCK_OP_SYNC)) {
		/* A failing device is worth a line, but not a flood. */
		if (++mn->failures <= FILE_BLK_LOG_FAILURES || mn->verbose)
			cairn_warn(mn->env, "%s of block %llu+%llu failed: %s%s",
			    r->op == BLOCK_OP_READ ? "read" : r->op ==
			    BLOCK_OP_WRITE ? "write" : "sync",
			    (unsigned long long)r->block_number,
			    (unsigned long long)r->block_count,
			    res < 0 ? strerror(-res) : "end of file",
			    mn->failures == FILE_BLK_LOG_FAILURES && !mn->verbose ?
			    " (further failures are not logged)" : "");
		complete(mn, r, false);
		return;
	}
	if (r->op != BLOCK_OP_SYNC) {
		r->driver_data += (uint64_t)res;
		if (r->driver_data < r->bytes) {
			queue(mn, r);
			return;
		}
	}
	complete(mn, r, true);
}

/* Complete what the CQ holds, submitting continued transfers, until the
 * CQ stays empty. */
static void
reap(struct main *mn)
{
	struct io_uring_cqe *cqe;
	unsigned head, n;

	do {
		n = 0;
		io_uring_for_each_cqe(&mn->ring, head, cqe) {
			void *data = io_uring_cqe_get_data(cqe);

			if (data == &wb_tag)
				writeback_done(mn, cqe->res);
			else
				finish(mn, data, cqe->res);
			n++;
		}
		io_uring_cq_advance(&mn->ring, n);
	} while ((n != 0 || mn->queued != 0) && submit(mn) == 0 &&
	    (n != 0 || io_uring_cq_ready(&mn->ring) != 0));
}

static void
on_cq(void *ctx, uint32_t events)
{
	struct main *mn = ctx;
	uint64_t v;

	/* Our own eventfd, shared with no one: reading it cannot block. */
	if (read(mn->cq_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	block_server_begin(mn->srv);
	reap(mn);
	block_server_end(mn->srv);
}

int
uring_init(struct main *mn)
{
	int r;

	r = io_uring_queue_init(mn->queue_depth + 1, &mn->ring, 0);
	if (r < 0)
		return r;
	mn->cq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mn->cq_fd < 0) {
		r = -errno;
		goto fail_ring;
	}
	if ((r = io_uring_register_eventfd(&mn->ring, mn->cq_fd)) < 0)
		goto fail_fd;
	mn->cq_watch = cairn_ep_watch(mn->env->ep, mn->cq_fd, EPOLLIN, on_cq,
	    mn);
	if (mn->cq_watch == NULL) {
		r = -ENOMEM;
		goto fail_fd;
	}
	return 0;
fail_fd:
	close(mn->cq_fd);
fail_ring:
	io_uring_queue_exit(&mn->ring);
	return r;
}
