/*
 * Block client library: jobs over a packet-stream source, blocking helpers.
 * SPDX-License-Identifier: MIT
 *
 * Jobs in flight sit in a table of slots - 1 entries; a descriptor's tag is
 * the entry's index with a generation count above it, so an acknowledgement
 * is matched in constant time and a stale or forged one is dropped. The
 * descriptor released to the bulk allocator is always the job's own copy,
 * never the one that came back.
 *
 * Wake-ups: the read end of the wake pipe we sleep on is watched
 * edge-triggered and emptied before each look at the rings. The packet
 * stream's "waiting" flag decides whether the server writes it; reads and
 * writes never block, whatever the server does to its copies. When arming
 * finds acknowledgements already there (no kick will come), the deferred
 * notification collects them; a blocking wait still sees them, since
 * cairn_ep_dispatch_once() does not sleep after deferred work ran.
 *
 * We are armed (flag set) whenever a job is in flight and we are not
 * processing acknowledgements. The server hears of submitted jobs once the
 * handler that submitted them returned (a deferred notification), so a
 * handler that submits many jobs wakes it once, with all of them in the
 * ring, rather than with the first.
 *
 * The server's death is seen as a hang-up on the session capability: every
 * job in flight then completes with BLOCK_PKT_IO and later calls fail with
 * -EPIPE, so no waiter hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cairn/block_client.h>

#include "block_impl.h"

struct block_client {
	struct cairn_env *env;
	int cap;
	uint64_t id;			/* parent's session id, 0: none */
	struct block_info info;
	struct cairn_ds rings;		/* the stream's rings */
	struct cairn_ds ds;		/* its bulk buffer */
	bool forward;			/* the bulk is another session's */
	int wake_fd;			/* we sleep on it */
	int peer_fd;			/* the server sleeps on it */
	struct cairn_watch *wake_watch;
	struct cairn_watch *hup_watch;
	struct cairn_defer *notify;	/* tells the server of submissions */
	bool acks_waiting;		/* arming found acks: notify collects */
	struct pkt_source *src;
	void *src_mem;
	unsigned max_jobs;
	struct block_job **jobs;	/* by tag index, NULL: free */
	uint32_t *gen;			/* generation per index */
	uint32_t *free_idx;		/* stack of free indices */
	unsigned nfree;
	unsigned in_flight;
	bool dead;
	bool closing;			/* closed inside a callback: free later */
	unsigned processing;		/* nesting of process() */
	void (*batch_begin)(void *ctx);
	void (*batch_end)(void *ctx);
	void *batch_ctx;
};

#define TAG(idx, gen)	((uint64_t)(gen) << 32 | (idx))

static void
finish(struct block_client *c, uint32_t idx, bool success, uint8_t status)
{
	struct block_job *j = c->jobs[idx];

	c->jobs[idx] = NULL;
	c->free_idx[c->nfree++] = idx;
	c->in_flight--;
	j->in_flight = false;
	j->success = success;
	j->status = status;
	if (j->done)
		j->done(j);
}

static void
deliver(struct block_client *c, const struct pkt_desc *d)
{
	struct block_packet b;
	uint32_t idx;
	bool ok;

	block_packet_get(d, &b);
	idx = (uint32_t)b.tag;
	if (idx >= c->max_jobs || c->jobs[idx] == NULL ||
	    (uint32_t)(b.tag >> 32) != c->gen[idx])
		return;		/* not a job of ours in flight */
	ok = b.success && b.status == BLOCK_PKT_OK;
	finish(c, idx, ok, ok ? BLOCK_PKT_OK :
	    b.status == BLOCK_PKT_OK ? BLOCK_PKT_IO : b.status);
}

/* The server is gone or broke the stream: fail what is in flight. */
static void
die(struct block_client *c)
{
	uint32_t i;

	if (c->dead || c->closing)
		return;
	c->dead = true;
	if (c->hup_watch != NULL)
		cairn_ep_unwatch(c->env->ep, c->hup_watch);
	c->hup_watch = NULL;
	for (i = 0; i < c->max_jobs && c->in_flight > 0 && !c->closing; i++)
		if (c->jobs[i] != NULL)
			finish(c, i, false, BLOCK_PKT_IO);
}

static void client_free(struct block_client *c);

static void
process(struct block_client *c)
{
	struct pkt_desc d;
	bool began = false;
	int err = 0;

	c->processing++;
	if (c->src == NULL)		/* lent bulk withdrawn: nothing out */
		goto out;
again:
	for (;;) {
		/* A done() may withdraw the lent bulk (src goes): stop then. */
		while (!c->dead && !c->closing && c->src != NULL &&
		    (err = pkt_source_get_ack(c->src, &d)) == 0) {
			if (!began && c->batch_begin) {
				began = true;
				c->batch_begin(c->batch_ctx);
			}
			deliver(c, &d);
		}
		if (c->dead || c->closing || c->src == NULL)
			break;
		if (err == -EPROTO) {
			cairn_warn(c->env, "Block server broke the packet "
			    "stream");
			die(c);
			break;
		}
		pkt_source_notify(c->src);
		if (c->in_flight == 0 || !pkt_source_arm(c->src))
			break;
	}
	if (began && c->batch_end) {
		began = false;
		c->batch_end(c->batch_ctx);
		/*
		 * Jobs submitted from the hook did not arm (we were
		 * processing): arm now, and collect acks that already came.
		 */
		if (!c->dead && !c->closing && c->src != NULL &&
		    c->in_flight > 0 && pkt_source_arm(c->src))
			goto again;
	}
out:
	c->processing--;
}

/* Leave a callback: free the client if it was closed meanwhile. */
static void
settle(struct block_client *c)
{
	if (c->closing && c->processing == 0)
		client_free(c);
}

static void
notify_deferred(void *ctx)
{
	struct block_client *c = ctx;

	if (c->src != NULL && !c->dead)
		pkt_source_notify(c->src);
	if (c->acks_waiting) {
		/* Armed with acks already there: no kick will come. */
		c->acks_waiting = false;
		process(c);
		settle(c);
	}
}

static void
on_wake(void *ctx, uint32_t events)
{
	struct block_client *c = ctx;

	/* Edge-triggered: empty the pipe before looking at the rings, so
	 * that a kick after the look makes a new edge. */
	(void)pkt_wake_drain(c->wake_fd);
	process(c);
	settle(c);
}

static void
on_hangup(void *ctx, uint32_t events)
{
	struct block_client *c = ctx;

	/* Collect the acks that made it before the server went. */
	c->processing++;
	process(c);
	if (!c->closing)
		die(c);
	c->processing--;
	settle(c);
}

/* --- session set-up --- */

/* Take a dataspace from the server and map it; consumes *fd. */
static int
ds_take(struct cairn_ds *ds, int *fd, uint64_t size)
{
	int r;

	if ((r = cairn_ds_from_fd(ds, *fd)) < 0)
		return r;
	*fd = -1;
	if (ds->size != size)
		return -EPROTO;
	return cairn_ds_attach(ds, true);
}

static int
tx_setup(struct block_client *c)
{
	struct block_tx_res t;
	unsigned nfds = 4;
	size_t n;
	int fds[4] = { -1, -1, -1, -1 }, r, i;

	r = rpc_call(c->cap, BLOCK_RPC_TX, NULL, 0, NULL, 0, &t, sizeof(t), &n,
	    fds, &nfds);
	if (r != BLOCK_OK || n != sizeof(t) || nfds != 4 || t.slots < 2 ||
	    t.slots > 65536 || (t.slots & (t.slots - 1)) != 0) {
		r = r == RPC_E_DEAD ? -EPIPE : -EPROTO;
		goto fail;
	}
	if ((r = ds_take(&c->rings, &fds[0], t.rings_size)) < 0 ||
	    (r = ds_take(&c->ds, &fds[1], t.bulk_size)) < 0)
		goto fail;
	c->peer_fd = fds[2];
	c->wake_fd = fds[3];
	fds[2] = fds[3] = -1;
	c->src_mem = malloc(pkt_source_size_bulk(c->ds.size));
	if (c->src_mem == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	r = pkt_source_init_split(&c->src, c->src_mem, c->rings.addr,
	    c->rings.size, c->ds.addr, c->ds.size, t.slots, c->wake_fd,
	    c->peer_fd);
	if (r < 0) {
		r = -EPROTO;
		goto fail;
	}
	c->max_jobs = t.slots - 1;
	return 0;
fail:
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

static void
client_free(struct block_client *c)
{
	cairn_defer_destroy(c->notify);
	if (c->wake_watch != NULL)
		cairn_ep_unwatch(c->env->ep, c->wake_watch);
	if (c->hup_watch != NULL)
		cairn_ep_unwatch(c->env->ep, c->hup_watch);
	if (c->ds.fd >= 0)
		cairn_ds_release(&c->ds);
	if (c->rings.fd >= 0)
		cairn_ds_release(&c->rings);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	if (c->peer_fd >= 0)
		close(c->peer_fd);
	free(c->src_mem);
	free(c->jobs);
	free(c->gen);
	free(c->free_idx);
	free(c);
}

int
block_client_attach(struct cairn_env *env, int cap, uint64_t id,
    struct block_client **cp)
{
	struct block_client *c = calloc(1, sizeof(*c));
	size_t n;
	unsigned i;
	int r;

	if (c == NULL)
		return -ENOMEM;
	c->env = env;
	c->cap = cap;
	c->id = id;
	c->ds.fd = c->rings.fd = c->wake_fd = c->peer_fd = -1;
	r = rpc_call(cap, BLOCK_RPC_INFO, NULL, 0, NULL, 0, &c->info,
	    sizeof(c->info), &n, NULL, NULL);
	if (r != BLOCK_OK || n != sizeof(c->info)) {
		r = r == RPC_E_DEAD ? -EPIPE : -EPROTO;
		goto fail;
	}
	if ((r = tx_setup(c)) < 0)
		goto fail;
	c->jobs = calloc(c->max_jobs, sizeof(*c->jobs));
	c->gen = calloc(c->max_jobs, sizeof(*c->gen));
	c->free_idx = calloc(c->max_jobs, sizeof(*c->free_idx));
	if (c->jobs == NULL || c->gen == NULL || c->free_idx == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	for (i = c->max_jobs; i-- > 0; )
		c->free_idx[c->nfree++] = i;
	c->wake_watch = cairn_ep_watch(env->ep, c->wake_fd, EPOLLIN | EPOLLET,
	    on_wake, c);
	c->hup_watch = cairn_ep_watch(env->ep, cap, EPOLLRDHUP, on_hangup, c);
	c->notify = cairn_defer_create(env->ep, notify_deferred, c);
	if (c->wake_watch == NULL || c->hup_watch == NULL ||
	    c->notify == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	*cp = c;
	return 0;
fail:
	client_free(c);
	return r;
}

int
block_client_open(struct cairn_env *env, const char *label,
    uint64_t tx_buf_size, struct block_client **cp, char *detail,
    size_t dcap)
{
	char args[256];
	uint64_t id;
	int cap, r;

	if (tx_buf_size == 0)
		tx_buf_size = BLOCK_TX_BUF_DEFAULT;
	tx_buf_size = (tx_buf_size + 4095) & ~4095ull;
	snprintf(args, sizeof(args), "label=\"%s\", ram_quota=%llu, "
	    "tx_buf_size=%llu", label,
	    (unsigned long long)BLOCK_SESSION_QUOTA(tx_buf_size),
	    (unsigned long long)tx_buf_size);
	cap = cairn_session(env, BLOCK_SERVICE, args, &id, detail, dcap);
	if (cap < 0)
		return cap;
	r = block_client_attach(env, cap, id, cp);
	if (r < 0) {
		if (detail != NULL && dcap > 0)
			snprintf(detail, dcap, "session set-up failed: %s",
			    strerror(-r));
		cairn_session_close(env, id, cap);
	}
	return r;
}

int
block_client_attach_bulk(struct cairn_env *env, int cap, uint64_t id,
    int bulk_fd, struct block_client **cp)
{
	int r;

	r = rpc_call(cap, BLOCK_RPC_BULK, NULL, 0, &bulk_fd, 1, NULL, 0, NULL,
	    NULL, NULL);
	if (r != BLOCK_OK)
		return r == RPC_E_DEAD ? -EPIPE : -EPROTO;
	if ((r = block_client_attach(env, cap, id, cp)) < 0)
		return r;
	(*cp)->forward = true;
	return 0;
}

int
block_client_open_bulk(struct cairn_env *env, const char *label, int bulk_fd,
    struct block_client **cp, char *detail, size_t dcap)
{
	char args[256];
	uint64_t id;
	int cap, r;

	snprintf(args, sizeof(args), "label=\"%s\", ram_quota=%llu, "
	    "bulk=\"client\"", label,
	    (unsigned long long)BLOCK_SESSION_QUOTA(BLOCK_RINGS_BUF));
	cap = cairn_session(env, BLOCK_SERVICE, args, &id, detail, dcap);
	if (cap < 0)
		return cap;
	r = block_client_attach_bulk(env, cap, id, bulk_fd, cp);
	if (r < 0) {
		if (detail != NULL && dcap > 0)
			snprintf(detail, dcap, r == -EPROTO ? "the server "
			    "refused the bulk buffer or the session" :
			    "session set-up failed: %s", strerror(-r));
		cairn_session_close(env, id, cap);
	}
	return r;
}

int
block_client_rebind_bulk(struct block_client *c, int bulk_fd)
{
	unsigned n = bulk_fd >= 0 ? 1 : 0;
	struct cairn_ds ds = { .fd = -1 };
	void *mem;
	int fd, r;

	if (!c->forward)
		return -EINVAL;
	if (c->dead)
		return -EPIPE;
	if (c->in_flight != 0)
		return -EBUSY;
	r = rpc_call(c->cap, BLOCK_RPC_BULK, NULL, 0, n ? &bulk_fd : NULL, n,
	    NULL, 0, NULL, NULL, NULL);
	if (r != BLOCK_OK)
		return r == RPC_E_DEAD ? -EPIPE : -EPROTO;
	/* The server dropped the old buffer and formatted the rings. */
	c->src = NULL;
	if (c->ds.fd >= 0)
		cairn_ds_release(&c->ds);
	c->ds.fd = -1;
	if (bulk_fd < 0)
		return 0;
	if ((fd = fcntl(bulk_fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	if ((r = cairn_ds_from_fd(&ds, fd)) < 0) {
		close(fd);
		return r;
	}
	if ((r = cairn_ds_attach(&ds, true)) < 0) {
		cairn_ds_release(&ds);
		return r;
	}
	if ((mem = realloc(c->src_mem, pkt_source_size_bulk(ds.size))) ==
	    NULL) {
		cairn_ds_release(&ds);
		return -ENOMEM;
	}
	c->src_mem = mem;
	c->ds = ds;
	if (pkt_source_init_split(&c->src, c->src_mem, c->rings.addr,
	    c->rings.size, c->ds.addr, c->ds.size, block_client_max_jobs(c) + 1,
	    c->wake_fd, c->peer_fd) < 0) {
		c->src = NULL;
		return -EPROTO;
	}
	return 0;
}

void
block_client_close(struct block_client *c)
{
	uint32_t i;

	if (c == NULL || c->closing)
		return;
	for (i = 0; i < c->max_jobs; i++)
		if (c->jobs[i] != NULL) {
			c->jobs[i]->in_flight = false;
			c->jobs[i] = NULL;
		}
	c->in_flight = 0;
	if (c->hup_watch != NULL)
		cairn_ep_unwatch(c->env->ep, c->hup_watch);
	c->hup_watch = NULL;
	if (c->wake_watch != NULL)
		cairn_ep_unwatch(c->env->ep, c->wake_watch);
	c->wake_watch = NULL;
	if (c->id != 0)
		cairn_session_close(c->env, c->id, c->cap);
	else
		close(c->cap);
	/* Inside one of our callbacks (a done() closed us): free on the way
	 * out of it. */
	c->closing = true;
	settle(c);
}

const struct block_info *
block_client_info(const struct block_client *c)
{
	return &c->info;
}

unsigned
block_client_max_jobs(const struct block_client *c)
{
	return c->max_jobs;
}

unsigned
block_client_in_flight(const struct block_client *c)
{
	return c->in_flight;
}

uint64_t
block_client_bulk_size(const struct block_client *c)
{
	/* 0 while a lent buffer is withdrawn. */
	return c->src != NULL ? pkt_source_bulk_size(c->src) : 0;
}

void
block_client_set_batch_hooks(struct block_client *c, void (*begin)(void *),
    void (*end)(void *), void *ctx)
{
	c->batch_begin = begin;
	c->batch_end = end;
	c->batch_ctx = ctx;
}

/* --- jobs --- */

void
block_job_init(struct block_job *j, uint32_t op, uint64_t block_number,
    uint64_t block_count, block_done_fn done, void *ctx)
{
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->block_number = block_number;
	j->block_count = block_count;
	j->done = done;
	j->ctx = ctx;
}

int
block_job_alloc(struct block_client *c, struct block_job *j)
{
	uint64_t bytes;
	int r;

	if (j->allocated || j->in_flight)
		return -EBUSY;
	if (j->op == BLOCK_OP_SYNC)
		return 0;
	/* The bulk buffer's room belongs to the session that lent it. */
	if (c->forward)
		return -EPERM;
	if (j->block_count == 0 ||
	    j->block_count > pkt_source_bulk_size(c->src) / c->info.block_size)
		return -EINVAL;
	bytes = j->block_count * c->info.block_size;
	r = pkt_source_alloc(c->src, bytes, c->info.align_log2, &j->desc);
	if (r < 0)
		return r;
	j->payload = pkt_source_payload(c->src, &j->desc);
	j->bytes = (size_t)bytes;
	j->allocated = true;
	return 0;
}

void
block_job_release(struct block_client *c, struct block_job *j)
{
	if (!j->allocated || j->in_flight)
		return;
	pkt_source_release(c->src, &j->desc);
	j->allocated = false;
	j->payload = NULL;
}

static int
submit(struct block_client *c, struct block_job *j, int64_t offset,
    uint64_t size)
{
	struct block_packet b;
	struct pkt_desc d;
	uint32_t idx;

	if (c->dead || c->src == NULL)
		return -EPIPE;
	if (j->in_flight)
		return -EBUSY;
	if (c->nfree == 0)
		return -EAGAIN;
	idx = c->free_idx[c->nfree - 1];
	memset(&d, 0, sizeof(d));
	memset(&b, 0, sizeof(b));
	d.offset = offset;
	d.size = size;
	b.block_number = j->block_number;
	b.block_count = j->block_count;
	b.op = j->op;
	b.tag = TAG(idx, c->gen[idx] + 1);
	block_packet_set(&d, &b);
	/* With fewer jobs in flight than ring slots the ring has room. */
	if (pkt_source_submit(c->src, &d) < 0)
		return -EAGAIN;
	c->nfree--;
	c->gen[idx]++;
	c->jobs[idx] = j;
	j->in_flight = true;
	j->success = false;
	j->status = BLOCK_PKT_OK;
	/*
	 * The first job in flight makes us wait for acks; later ones find us
	 * armed already (process() re-arms while jobs are in flight).
	 */
	if (c->in_flight++ == 0 && c->processing == 0 &&
	    pkt_source_arm(c->src))
		c->acks_waiting = true;
	cairn_defer_schedule(c->notify);
	return 0;
}

int
block_job_submit(struct block_client *c, struct block_job *j)
{
	if (j->op != BLOCK_OP_SYNC && !j->allocated)
		return -EINVAL;
	if (j->op == BLOCK_OP_SYNC && !j->allocated)
		return submit(c, j, 0, 0);
	return submit(c, j, j->desc.offset, j->desc.size);
}

int
block_job_forward(struct block_client *c, struct block_job *j,
    uint64_t offset)
{
	uint64_t bytes, bulk;

	if (c->dead || c->src == NULL)
		return -EPIPE;
	if (j->allocated)
		return -EBUSY;
	bulk = pkt_source_bulk_size(c->src);
	if (j->op == BLOCK_OP_SYNC)
		return submit(c, j, 0, 0);
	if (j->block_count == 0 || j->block_count > bulk / c->info.block_size)
		return -EINVAL;
	bytes = j->block_count * c->info.block_size;
	if (offset > bulk || bytes > bulk - offset ||
	    (offset & (((uint64_t)1 << c->info.align_log2) - 1)))
		return -EINVAL;
	j->payload = (uint8_t *)c->ds.addr + offset;
	j->bytes = (size_t)bytes;
	return submit(c, j, (int64_t)offset, bytes);
}

int
block_job_submit_raw(struct block_client *c, struct block_job *j,
    int64_t offset, uint64_t size)
{
	return submit(c, j, offset, size);
}

/* --- waiting --- */

static int
wait_until(struct block_client *c, bool (*cond)(void *), void *arg,
    int timeout_ms)
{
	uint64_t end = cairn_now_us() + (uint64_t)timeout_ms * 1000, now;
	int left = -1;

	while (!cond(arg)) {
		if (c->dead)
			return -EPIPE;
		if (timeout_ms >= 0) {
			now = cairn_now_us();
			if (now >= end)
				return -ETIMEDOUT;
			left = (int)((end - now + 999) / 1000);
		}
		if (cairn_ep_dispatch_once(c->env->ep, left) < 0)
			return -EIO;
	}
	return c->dead ? -EPIPE : 0;
}

static bool
idle(void *arg)
{
	return ((struct block_client *)arg)->in_flight == 0;
}

int
block_client_drain(struct block_client *c, int timeout_ms)
{
	return wait_until(c, idle, c, timeout_ms);
}

struct sync_wait {
	bool done;
};

static void
sync_done(struct block_job *j)
{
	((struct sync_wait *)j->ctx)->done = true;
}

static bool
sync_ready(void *arg)
{
	return ((struct sync_wait *)arg)->done;
}

/* Allocate and submit j, waiting for room as long as needed. */
static int
start_job(struct block_client *c, struct block_job *j)
{
	int r;

	/* Room comes back only with completions: wait while jobs are out. */
	while ((r = block_job_alloc(c, j)) == -EAGAIN && c->in_flight > 0)
		if (c->dead || cairn_ep_dispatch_once(c->env->ep, -1) < 0)
			return -EPIPE;
	if (r < 0)
		return r;
	return 0;
}

static int
run_job(struct block_client *c, struct block_job *j, struct sync_wait *w)
{
	int r;

	while ((r = block_job_submit(c, j)) == -EAGAIN)
		if (c->dead || cairn_ep_dispatch_once(c->env->ep, -1) < 0)
			return -EPIPE;
	if (r < 0)
		return r;
	r = wait_until(c, sync_ready, w, -1);
	if (r < 0)
		return r;
	if (!j->success)
		return c->dead ? -EPIPE : -EIO;
	return 0;
}

/* Blocks per piece of a blocking transfer: a quarter of the bulk buffer,
 * at most 4 MiB, so asynchronous jobs keep room beside it. */
static uint64_t
piece_blocks(const struct block_client *c)
{
	uint64_t bytes = pkt_source_bulk_size(c->src) / 4, n;

	if (bytes > 4u << 20)
		bytes = 4u << 20;
	n = bytes / c->info.block_size;
	if (n == 0)
		n = 1;
	if (c->info.max_blocks != 0 && n > c->info.max_blocks)
		n = c->info.max_blocks;
	return n;
}

static int
transfer(struct block_client *c, uint32_t op, uint64_t block_number,
    uint64_t count, void *buf, uint8_t *status)
{
	uint64_t n, step = piece_blocks(c);
	struct sync_wait w;
	struct block_job j;
	uint8_t *p = buf;
	int r;

	if (count == 0 || buf == NULL)
		return -EINVAL;
	while (count > 0) {
		n = count < step ? count : step;
		w.done = false;
		block_job_init(&j, op, block_number, n, sync_done, &w);
		if ((r = start_job(c, &j)) < 0)
			return r;
		if (op == BLOCK_OP_WRITE)
			memcpy(j.payload, p, j.bytes);
		r = run_job(c, &j, &w);
		if (r == 0 && op == BLOCK_OP_READ)
			memcpy(p, j.payload, j.bytes);
		block_job_release(c, &j);
		if (r < 0) {
			if (status != NULL)
				*status = j.status;
			return r;
		}
		p += j.bytes;
		block_number += n;
		count -= n;
	}
	if (status != NULL)
		*status = BLOCK_PKT_OK;
	return 0;
}

int
block_client_read(struct block_client *c, uint64_t block_number,
    uint64_t count, void *buf, uint8_t *status)
{
	return transfer(c, BLOCK_OP_READ, block_number, count, buf, status);
}

int
block_client_write(struct block_client *c, uint64_t block_number,
    uint64_t count, const void *buf, uint8_t *status)
{
	return transfer(c, BLOCK_OP_WRITE, block_number, count, (void *)buf,
	    status);
}

int
block_client_sync(struct block_client *c)
{
	struct sync_wait w = { false };
	struct block_job j;
	int r;

	if ((r = block_client_drain(c, -1)) < 0)
		return r;
	block_job_init(&j, BLOCK_OP_SYNC, 0, 0, sync_done, &w);
	return run_job(c, &j, &w);
}
