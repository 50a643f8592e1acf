/*
 * Unit tests of lib/block end to end: a RAM-disk driver served by the
 * framework in one thread, the client library in another.
 * SPDX-License-Identifier: MIT
 *
 * Each case builds a server and its sessions while the server thread is
 * not running (the entrypoint is single-threaded), then runs the server's
 * entrypoint in a thread and talks to it through the client library on
 * the main thread's entrypoint, exactly as two components would.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cairn/session/root.h>

#include "../../lib/base/packet_stream_impl.h"
#include "../../lib/block/block_impl.h"
#include "../test.h"

T_STATE_DEFINE;

#define BLOCKS		1024
#define BSIZE		512
#define MAX_HELD	512

/* --- the driver: a RAM disk that completes when told to --- */

struct drv {
	uint8_t disk[BLOCKS * BSIZE];
	struct block_request *held[MAX_HELD];
	unsigned nheld;
	unsigned hold;		/* complete all, reversed, at this many */
	unsigned limit;		/* -EAGAIN at this many held (0: none) */
	bool forever;		/* hold until the session closes */
	bool readonly;
	unsigned max_sessions;	/* 0: any number */
	struct cairn_timer *timer;	/* completes held requests */
	struct cairn_ep *ep;		/* the server's, for `nested` */
	bool nested;		/* dispatch the entrypoint inside submit() */
	bool in_submit;
	_Atomic unsigned reentered;
	/* Counters, read by the main thread once the server stopped or
	 * through atomics while it runs. */
	_Atomic unsigned submits, eagain, opens, closes, releases, batches;
	_Atomic unsigned syncs, completed;
	unsigned open_now;
};

static void
execute(struct drv *d, struct block_request *r)
{
	uint8_t *at = d->disk + r->block_number * BSIZE;

	if (r->op == BLOCK_OP_READ)
		memcpy(r->payload, at, r->bytes);
	else if (r->op == BLOCK_OP_WRITE)
		memcpy(at, r->payload, r->bytes);
	else
		d->syncs++;
}

static void
complete_all(struct drv *d)
{
	/* Newest first: the opposite of submission order. */
	while (d->nheld > 0) {
		d->completed++;
		block_complete(d->held[--d->nheld], true);
	}
}

static void
on_timer(void *ctx)
{
	complete_all(ctx);
}

static int
d_open(void *ctx, const char *label, const char *args, uint64_t quota,
    struct block_session *s, struct block_geometry *geo, void **sctx,
    char *detail, size_t dcap)
{
	struct drv *d = ctx;

	if (d->max_sessions != 0 && d->open_now >= d->max_sessions) {
		snprintf(detail, dcap, "single client only");
		return ROOT_UNAVAILABLE;
	}
	if (strcmp(label, "intruder") == 0) {
		snprintf(detail, dcap, "no policy for \"%s\"", label);
		return ROOT_DENIED;
	}
	d->open_now++;
	d->opens++;
	geo->block_count = BLOCKS;
	geo->block_size = BSIZE;
	geo->ops = BLOCK_OPS_READ | BLOCK_OPS_SYNC |
	    (d->readonly ? 0 : BLOCK_OPS_WRITE);
	geo->align_log2 = 9;
	*sctx = d;
	return ROOT_OK;
}

static int
d_submit(void *ctx, struct block_request *r)
{
	struct drv *d = ctx;

	d->submits++;
	if (d->in_submit)
		d->reentered++;
	if (d->nested) {
		/* As a driver waiting for its parent would. */
		d->in_submit = true;
		cairn_ep_dispatch_once(d->ep, 1);
		d->in_submit = false;
	}
	if (d->limit != 0 && d->nheld >= d->limit) {
		d->eagain++;
		return -EAGAIN;
	}
	execute(d, r);
	if (d->hold == 0 && !d->forever && d->limit == 0) {
		d->completed++;
		block_complete(r, true);	/* synchronous completion */
		return 0;
	}
	d->held[d->nheld++] = r;
	if (d->hold != 0 && d->nheld == d->hold)
		complete_all(d);
	else if (d->limit != 0)
		cairn_timer_set(d->timer, 1000, 0);
	return 0;
}

static void
d_batch_end(void *ctx)
{
	((struct drv *)ctx)->batches++;
}

static void
d_close(void *ctx, void *sctx)
{
	struct drv *d = ctx;

	d->closes++;
	d->open_now--;
	/* Requests still held are completed later, as real I/O would. */
	if (d->nheld > 0)
		cairn_timer_set(d->timer, 20000, 0);
}

static void
d_release(void *ctx, void *sctx)
{
	((struct drv *)ctx)->releases++;
}

static const struct block_driver_ops drv_ops = {
	.open = d_open, .submit = d_submit, .batch_end = d_batch_end,
	.close = d_close, .release = d_release,
};

/* --- the server side: its own entrypoint in a thread --- */

static int
test_ram_alloc(struct cairn_env *env, size_t size, struct cairn_ds *ds)
{
	int fd = cairn_ds_create_memfd("block-test", size, false), r;

	if (fd < 0)
		return fd;
	if ((r = cairn_ds_from_fd(ds, fd)) < 0) {
		close(fd);
		return r;
	}
	if ((r = cairn_ds_attach(ds, true)) < 0) {
		cairn_ds_release(ds);
		return r;
	}
	return 0;
}

static void
test_ram_free(struct cairn_env *env, struct cairn_ds *ds)
{
	cairn_ds_release(ds);
}

struct srv_side {
	struct cairn_env env;
	struct block_server *srv;
	struct drv *drv;
	pthread_t thread;
	atomic_bool stop;
	bool running;
};

static void *
srv_loop(void *arg)
{
	struct srv_side *ss = arg;

	while (!atomic_load(&ss->stop))
		cairn_ep_dispatch_once(ss->env.ep, 5);
	return NULL;
}

static int
srv_init(struct srv_side *ss)
{
	int err;

	memset(ss, 0, sizeof(*ss));
	ss->env.pd = ss->env.log = ss->env.parent = -1;
	ss->env.name = "test-srv";
	ss->env.ep = cairn_ep_create(&err);
	ss->drv = calloc(1, sizeof(*ss->drv));
	if (ss->env.ep == NULL || ss->drv == NULL)
		return -ENOMEM;
	ss->drv->timer = cairn_timer_create(ss->env.ep, on_timer, ss->drv);
	ss->drv->ep = ss->env.ep;
	if (block_server_create(&ss->env, &drv_ops, ss->drv, &ss->srv) < 0)
		return -ENOMEM;
	block_server_set_ram(ss->srv, test_ram_alloc, test_ram_free);
	return 0;
}

/* Open a session directly at the server; returns a capability or -1. */
static int
srv_session(struct srv_side *ss, const char *label, const char *args,
    uint64_t quota, int *status, char *detail)
{
	struct rpc_obj *obj;
	int st;

	st = block_server_session_create(ss->srv, label, args, quota, &obj,
	    detail, 128);
	if (status)
		*status = st;
	return st == ROOT_OK ? rpc_obj_cap(obj) : -1;
}

static void
srv_start(struct srv_side *ss)
{
	atomic_store(&ss->stop, false);
	ss->running = pthread_create(&ss->thread, NULL, srv_loop, ss) == 0;
}

static void
srv_stop(struct srv_side *ss)
{
	if (ss->running) {
		atomic_store(&ss->stop, true);
		pthread_join(ss->thread, NULL);
		ss->running = false;
	}
}

static void
srv_fini(struct srv_side *ss)
{
	srv_stop(ss);
	cairn_timer_destroy(ss->drv->timer);
	cairn_ep_destroy(ss->env.ep);
	free(ss->drv);
	free(ss->srv);
}

/* --- the client side --- */

static struct cairn_env cenv;

#define ARGS "label=\"t\", tx_buf_size=256K"
#define QUOTA BLOCK_SESSION_QUOTA(256 * 1024)

static int
client(struct srv_side *ss, const char *label, struct block_client **c)
{
	int cap = srv_session(ss, label, ARGS, QUOTA, NULL, NULL);

	if (cap < 0)
		return -1;
	if (!ss->running)
		srv_start(ss);
	return block_client_attach(&cenv, cap, 0, c);
}

/* Wait (dispatching our entrypoint) until *v reaches want, or 2 s. */
static bool
wait_count(_Atomic unsigned *v, unsigned want)
{
	uint64_t end = cairn_now_us() + 2000000;

	while (atomic_load(v) < want) {
		if (cairn_now_us() > end)
			return false;
		cairn_ep_dispatch_once(cenv.ep, 1);
	}
	return true;
}

struct rec {
	unsigned order[64];
	unsigned n;
};

static void
rec_done(struct block_job *j)
{
	struct rec *r = j->ctx;

	r->order[r->n++] = (unsigned)j->block_number;
}

static void
fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

/* --- cases --- */

static void
t_sync_helpers(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	static uint8_t wbuf[64 * BSIZE], rbuf[64 * BSIZE];
	const struct block_info *info;

	T_CHECK(srv_init(&ss) == 0);
	T_CHECK(client(&ss, "t", &c) == 0);
	info = block_client_info(c);
	T_CHECK(info->block_count == BLOCKS && info->block_size == BSIZE);
	T_CHECK(info->writeable == 1 && (info->ops & BLOCK_OPS_WRITE));
	T_CHECK(info->align_log2 == 9);
	fill(wbuf, sizeof(wbuf), 1);
	T_CHECK(block_client_write(c, 100, 64, wbuf, NULL) == 0);
	T_CHECK(block_client_read(c, 100, 64, rbuf, NULL) == 0);
	T_CHECK(memcmp(wbuf, rbuf, sizeof(wbuf)) == 0);
	T_CHECK(memcmp(ss.drv->disk + 100 * BSIZE, wbuf, sizeof(wbuf)) == 0);
	T_CHECK(block_client_sync(c) == 0);
	T_CHECK(atomic_load(&ss.drv->syncs) == 1);
	block_client_close(c);
	T_CHECK(wait_count(&ss.drv->releases, 1));
	srv_fini(&ss);
}

static void
t_large_transfer(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	static uint8_t wbuf[BLOCKS * BSIZE], rbuf[BLOCKS * BSIZE];

	/* The whole disk through a 256 KiB buffer: split into pieces. */
	T_CHECK(srv_init(&ss) == 0);
	T_CHECK(client(&ss, "t", &c) == 0);
	fill(wbuf, sizeof(wbuf), 2);
	T_CHECK(block_client_write(c, 0, BLOCKS, wbuf, NULL) == 0);
	T_CHECK(block_client_read(c, 0, BLOCKS, rbuf, NULL) == 0);
	T_CHECK(memcmp(wbuf, rbuf, sizeof(wbuf)) == 0);
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_out_of_order(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	struct block_job j[8];
	struct rec r = { { 0 }, 0 };
	unsigned i;

	T_CHECK(srv_init(&ss) == 0);
	for (i = 0; i < BLOCKS; i++)
		memset(ss.drv->disk + i * BSIZE, (int)(i & 0xff), BSIZE);
	ss.drv->hold = 8;
	T_CHECK(client(&ss, "t", &c) == 0);
	for (i = 0; i < 8; i++) {
		block_job_init(&j[i], BLOCK_OP_READ, 10 + i, 1, rec_done, &r);
		T_CHECK(block_job_alloc(c, &j[i]) == 0);
		T_CHECK(block_job_submit(c, &j[i]) == 0);
	}
	T_CHECK(block_client_in_flight(c) == 8);
	T_CHECK(block_client_drain(c, 2000) == 0);
	T_CHECK(r.n == 8);
	for (i = 0; i < 8; i++) {
		/* Completed newest first, each with its own data. */
		T_CHECK(r.order[i] == 17 - i);
		T_CHECK(j[i].success && j[i].status == BLOCK_PKT_OK);
		T_CHECK(((uint8_t *)j[i].payload)[0] == 10 + i &&
		    ((uint8_t *)j[i].payload)[BSIZE - 1] == 10 + i);
		block_job_release(c, &j[i]);
	}
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_many_in_flight(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	static struct block_job j[255];
	struct block_job extra;
	unsigned i, max;

	/* The whole job table in flight, then one more is refused. */
	T_CHECK(srv_init(&ss) == 0);
	ss.drv->hold = 255;
	T_CHECK(client(&ss, "t", &c) == 0);
	max = block_client_max_jobs(c);
	T_CHECK(max == 255);
	for (i = 0; i < max; i++) {
		block_job_init(&j[i], BLOCK_OP_READ, i, 1, NULL, NULL);
		T_CHECK(block_job_alloc(c, &j[i]) == 0);
		T_CHECK(block_job_submit(c, &j[i]) == 0);
	}
	block_job_init(&extra, BLOCK_OP_READ, 0, 1, NULL, NULL);
	T_CHECK(block_job_alloc(c, &extra) == 0);
	T_CHECK(block_job_submit(c, &extra) == -EAGAIN);
	T_CHECK(block_client_drain(c, 2000) == 0);
	for (i = 0; i < max; i++)
		T_CHECK(j[i].success);
	ss.drv->hold = 1;
	T_CHECK(block_job_submit(c, &extra) == 0);
	T_CHECK(block_client_drain(c, 2000) == 0);
	T_CHECK(extra.success);
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_congestion(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	static struct block_job j[64];
	static uint8_t want[BSIZE];
	unsigned i;

	/* The driver takes 4 at a time and says -EAGAIN beyond. */
	T_CHECK(srv_init(&ss) == 0);
	ss.drv->limit = 4;
	T_CHECK(client(&ss, "t", &c) == 0);
	for (i = 0; i < 64; i++) {
		block_job_init(&j[i], BLOCK_OP_WRITE, 200 + i, 1, NULL, NULL);
		T_CHECK(block_job_alloc(c, &j[i]) == 0);
		fill(j[i].payload, BSIZE, i);
		T_CHECK(block_job_submit(c, &j[i]) == 0);
	}
	T_CHECK(block_client_drain(c, 5000) == 0);
	for (i = 0; i < 64; i++) {
		T_CHECK(j[i].success);
		fill(want, BSIZE, i);
		T_CHECK(memcmp(ss.drv->disk + (200 + i) * BSIZE, want,
		    BSIZE) == 0);
	}
	T_CHECK(atomic_load(&ss.drv->eagain) > 0);
	/* Each request reached the driver once, plus once per refusal. */
	T_CHECK(atomic_load(&ss.drv->submits) ==
	    64 + atomic_load(&ss.drv->eagain));
	T_CHECK(atomic_load(&ss.drv->batches) > 0);
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_hostile(void)
{
	static const struct {
		uint32_t op;
		uint64_t nr, cnt;
		int64_t off;
		uint64_t size;
		uint8_t want;
	} cases[] = {
		{ BLOCK_OP_READ, BLOCKS, 1, 0, BSIZE, BLOCK_PKT_RANGE },
		{ BLOCK_OP_READ, BLOCKS - 1, 2, 0, 2 * BSIZE, BLOCK_PKT_RANGE },
		{ BLOCK_OP_READ, UINT64_MAX, 2, 0, 2 * BSIZE, BLOCK_PKT_RANGE },
		{ BLOCK_OP_READ, 0, 0, 0, BSIZE, BLOCK_PKT_RANGE },
		{ BLOCK_OP_READ, 0, 2, 0, BSIZE, BLOCK_PKT_SIZE },
		{ BLOCK_OP_READ, 0, 1, 100, BSIZE, BLOCK_PKT_ALIGN },
		{ BLOCK_OP_READ, 0, 1, -4096, BSIZE, BLOCK_PKT_PAYLOAD },
		{ BLOCK_OP_READ, 0, 1, 1 << 30, BSIZE, BLOCK_PKT_PAYLOAD },
		{ BLOCK_OP_READ, 0, 1, 0, 0, BLOCK_PKT_PAYLOAD },
		{ 7, 0, 1, 0, BSIZE, BLOCK_PKT_OP },
		{ BLOCK_OP_READ, 3, 1, 0, BSIZE, BLOCK_PKT_OK },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct srv_side ss;
	struct block_client *c = NULL;
	struct block_job j[N];
	unsigned i;

	T_CHECK(srv_init(&ss) == 0);
	T_CHECK(client(&ss, "t", &c) == 0);
	for (i = 0; i < N; i++) {
		block_job_init(&j[i], cases[i].op, cases[i].nr, cases[i].cnt,
		    NULL, NULL);
		T_CHECK(block_job_submit_raw(c, &j[i], cases[i].off,
		    cases[i].size) == 0);
	}
	T_CHECK(block_client_drain(c, 2000) == 0);
	for (i = 0; i < N; i++) {
		T_CHECKF(j[i].status == cases[i].want, "case %u: status %u, "
		    "want %u", i, j[i].status, cases[i].want);
		T_CHECK(j[i].success == (cases[i].want == BLOCK_PKT_OK));
	}
	/* Only the valid one reached the driver. */
	T_CHECK(atomic_load(&ss.drv->submits) == 1);
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_readonly(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	static uint8_t buf[BSIZE];
	uint8_t st = 0;

	T_CHECK(srv_init(&ss) == 0);
	ss.drv->readonly = true;
	T_CHECK(client(&ss, "t", &c) == 0);
	T_CHECK(block_client_info(c)->writeable == 0);
	T_CHECK(block_client_write(c, 0, 1, buf, &st) == -EIO);
	T_CHECK(st == BLOCK_PKT_READONLY);
	T_CHECK(block_client_read(c, 0, 1, buf, &st) == 0);
	T_CHECK(st == BLOCK_PKT_OK);
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_close_in_flight(void)
{
	struct srv_side ss;
	struct block_client *c = NULL, *other = NULL;
	struct block_job j[16];
	static uint8_t buf[4 * BSIZE];
	unsigned i;

	/*
	 * A client vanishes with 16 requests in the driver. The driver is
	 * told (close), completes them later, then the session is released;
	 * meanwhile another session is served.
	 */
	T_CHECK(srv_init(&ss) == 0);
	ss.drv->forever = true;
	T_CHECK(client(&ss, "victim", &c) == 0);
	for (i = 0; i < 16; i++) {
		block_job_init(&j[i], BLOCK_OP_READ, i, 4, NULL, NULL);
		T_CHECK(block_job_alloc(c, &j[i]) == 0);
		T_CHECK(block_job_submit(c, &j[i]) == 0);
	}
	T_CHECK(wait_count(&ss.drv->submits, 16));
	srv_stop(&ss);
	/* The second session must be created with the server stopped. */
	ss.drv->forever = false;
	T_CHECK(client(&ss, "other", &other) == 0);
	T_CHECK(block_server_sessions(ss.srv) == 2);
	block_client_close(c);
	T_CHECK(wait_count(&ss.drv->closes, 1));
	T_CHECK(atomic_load(&ss.drv->releases) == 0);
	T_CHECK(block_client_read(other, 8, 4, buf, NULL) == 0);
	T_CHECK(block_client_write(other, 8, 4, buf, NULL) == 0);
	/* The timer set by close() completes the 16 held requests. */
	T_CHECK(wait_count(&ss.drv->releases, 1));
	T_CHECK(atomic_load(&ss.drv->completed) >= 16);
	T_CHECK(block_client_read(other, 0, 4, buf, NULL) == 0);
	block_client_close(other);
	T_CHECK(wait_count(&ss.drv->releases, 2));
	srv_stop(&ss);
	T_CHECK(block_server_sessions(ss.srv) == 0);
	srv_fini(&ss);
}

static void
t_corrupt_stream(void)
{
	struct srv_side ss;
	struct block_client *other = NULL;
	struct pkt_shm *h;
	struct cairn_ds ds;
	struct block_tx_res t;
	unsigned nfds = 4;
	int fds[4], cap, cap2;
	static uint8_t buf[BSIZE];

	/*
	 * A client scribbles over the ring indices: the server closes that
	 * session and serves the others.
	 */
	T_CHECK(srv_init(&ss) == 0);
	cap = srv_session(&ss, "bad", ARGS, QUOTA, NULL, NULL);
	cap2 = srv_session(&ss, "good", ARGS, QUOTA, NULL, NULL);
	T_CHECK(cap >= 0 && cap2 >= 0);
	srv_start(&ss);
	T_CHECK(block_client_attach(&cenv, cap2, 0, &other) == 0);
	T_CHECK(rpc_call(cap, BLOCK_RPC_TX, NULL, 0, NULL, 0, &t, sizeof(t),
	    NULL, fds, &nfds) == BLOCK_OK && nfds == 4);
	T_CHECK(cairn_ds_from_fd(&ds, fds[0]) == 0);
	T_CHECK(cairn_ds_attach(&ds, true) == 0);
	h = ds.addr;
	atomic_store(&h->submit_head, 1000);
	T_CHECK(cairn_sig_submit(fds[2]) == 0);
	T_CHECK(wait_count(&ss.drv->closes, 1));
	T_CHECK(block_client_read(other, 0, 1, buf, NULL) == 0);
	block_client_close(other);
	cairn_ds_release(&ds);
	close(fds[1]);
	close(fds[2]);
	close(fds[3]);
	close(cap);
	srv_fini(&ss);
}

static void
t_rpc_sync(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	int cap;

	/* The 14.02 sync RPC goes to the driver as a SYNC request. */
	T_CHECK(srv_init(&ss) == 0);
	cap = srv_session(&ss, "t", ARGS, QUOTA, NULL, NULL);
	T_CHECK(cap >= 0);
	srv_start(&ss);
	T_CHECK(rpc_call_simple(cap, BLOCK_RPC_SYNC, NULL, 0, NULL, 0) ==
	    BLOCK_OK);
	T_CHECK(atomic_load(&ss.drv->syncs) == 1);
	/* Completed later, from the driver's timer: a deferred reply. */
	ss.drv->limit = 4;
	T_CHECK(rpc_call_simple(cap, BLOCK_RPC_SYNC, NULL, 0, NULL, 0) ==
	    BLOCK_OK);
	T_CHECK(atomic_load(&ss.drv->syncs) == 2);
	T_CHECK(atomic_load(&ss.drv->completed) == 2);
	T_CHECK(block_client_attach(&cenv, cap, 0, &c) == 0);
	T_CHECK(block_client_sync(c) == 0);
	T_CHECK(atomic_load(&ss.drv->syncs) == 3);
	block_client_close(c);
	srv_fini(&ss);
}

static void
t_session_refusals(void)
{
	struct srv_side ss;
	char detail[128];
	int st, cap;

	T_CHECK(srv_init(&ss) == 0);
	/* Quota below what the tx buffer needs. */
	T_CHECK(srv_session(&ss, "t", ARGS, QUOTA - 1, &st, detail) < 0);
	T_CHECK(st == ROOT_QUOTA);
	T_CHECKF(strstr(detail, "insufficient ram donation from \"t\"") !=
	    NULL, "%s", detail);
	/* Absurd tx buffers. */
	T_CHECK(srv_session(&ss, "t", "tx_buf_size=1K", 1 << 30, &st,
	    detail) < 0);
	T_CHECK(st == ROOT_DENIED);
	T_CHECK(srv_session(&ss, "t", "tx_buf_size=8G", 1ull << 40, &st,
	    detail) < 0);
	T_CHECK(st == ROOT_DENIED);
	/* The driver's own refusal reaches the caller. */
	T_CHECK(srv_session(&ss, "intruder", ARGS, QUOTA, &st, detail) < 0);
	T_CHECK(st == ROOT_DENIED && strstr(detail, "intruder") != NULL);
	T_CHECK(atomic_load(&ss.drv->opens) == 0);
	/* Single client: a second session is refused while one is open. */
	ss.drv->max_sessions = 1;
	cap = srv_session(&ss, "one", ARGS, QUOTA, &st, detail);
	T_CHECK(cap >= 0);
	T_CHECK(srv_session(&ss, "two", ARGS, QUOTA, &st, detail) < 0);
	T_CHECK(st == ROOT_UNAVAILABLE);
	close(cap);
	/* The close is noticed by the server's entrypoint. */
	srv_start(&ss);
	T_CHECK(wait_count(&ss.drv->releases, 1));
	srv_stop(&ss);
	cap = srv_session(&ss, "two", ARGS, QUOTA, &st, detail);
	T_CHECK(cap >= 0);
	close(cap);
	srv_fini(&ss);
}

static void
t_nested_dispatch(void)
{
	struct srv_side ss;
	struct block_client *c = NULL, *c2 = NULL;
	static struct block_job j[64], k[64];
	unsigned i;
	int cap;

	/*
	 * The driver dispatches the entrypoint inside submit() while two
	 * clients keep submitting: submit() is not re-entered, and every
	 * request completes.
	 */
	T_CHECK(srv_init(&ss) == 0);
	ss.drv->nested = true;
	T_CHECK(client(&ss, "a", &c) == 0);
	srv_stop(&ss);
	cap = srv_session(&ss, "b", ARGS, QUOTA, NULL, NULL);
	T_CHECK(cap >= 0);
	srv_start(&ss);
	T_CHECK(block_client_attach(&cenv, dup(cap), 0, &c2) == 0);
	for (i = 0; i < 64; i++) {
		block_job_init(&j[i], BLOCK_OP_READ, i, 1, NULL, NULL);
		block_job_init(&k[i], BLOCK_OP_SYNC, 0, 0, NULL, NULL);
		T_CHECK(block_job_alloc(c, &j[i]) == 0);
		T_CHECK(block_job_submit(c, &j[i]) == 0);
		T_CHECK(block_job_submit(c2, &k[i]) == 0);
	}
	/* A sync RPC while the requests are underway. */
	T_CHECK(rpc_call_simple(cap, BLOCK_RPC_SYNC, NULL, 0, NULL, 0) ==
	    BLOCK_OK);
	T_CHECK(block_client_drain(c, 5000) == 0);
	T_CHECK(block_client_drain(c2, 5000) == 0);
	for (i = 0; i < 64; i++)
		T_CHECK(j[i].success && k[i].success);
	T_CHECK(atomic_load(&ss.drv->reentered) == 0);
	T_CHECK(atomic_load(&ss.drv->syncs) == 65);
	block_client_close(c);
	block_client_close(c2);
	close(cap);
	srv_fini(&ss);
}

static struct block_client *closing_client;

static void
close_in_done(struct block_job *j)
{
	unsigned *n = j->ctx;

	if ((*n)++ == 0)
		block_client_close(closing_client);
}

static void
t_close_in_callback(void)
{
	struct srv_side ss;
	struct block_job j[4];
	unsigned i, n = 0;

	/* A done() callback closes the client while acks are being read:
	 * the rest are dropped and the client is freed afterwards. */
	T_CHECK(srv_init(&ss) == 0);
	ss.drv->hold = 4;
	T_CHECK(client(&ss, "t", &closing_client) == 0);
	for (i = 0; i < 4; i++) {
		block_job_init(&j[i], BLOCK_OP_READ, i, 1, close_in_done, &n);
		T_CHECK(block_job_alloc(closing_client, &j[i]) == 0);
		T_CHECK(block_job_submit(closing_client, &j[i]) == 0);
	}
	T_CHECK(wait_count(&ss.drv->releases, 1));
	T_CHECK(n == 1);
	srv_fini(&ss);
}

static void
t_server_gone(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	struct block_job j;
	static uint8_t buf[BSIZE];

	/* The server vanishes with a request in flight: no hang. */
	T_CHECK(srv_init(&ss) == 0);
	ss.drv->forever = true;
	T_CHECK(client(&ss, "t", &c) == 0);
	block_job_init(&j, BLOCK_OP_READ, 0, 1, NULL, NULL);
	T_CHECK(block_job_alloc(c, &j) == 0);
	T_CHECK(block_job_submit(c, &j) == 0);
	T_CHECK(wait_count(&ss.drv->submits, 1));
	srv_stop(&ss);
	cairn_ep_destroy(ss.env.ep);	/* closes every server end */
	ss.env.ep = NULL;
	T_CHECK(block_client_drain(c, 2000) == -EPIPE);
	T_CHECK(!j.in_flight && !j.success && j.status == BLOCK_PKT_IO);
	T_CHECK(block_client_read(c, 0, 1, buf, NULL) == -EPIPE);
	block_client_close(c);
	free(ss.drv);
	free(ss.srv);
}

/* Run one forwarded job on c and wait for it; returns its status. */
static int
forward_one(struct block_client *c, uint32_t op, uint64_t nr, uint64_t cnt,
    uint64_t offset)
{
	struct rec rec = { .n = 0 };
	struct block_job j;
	int r;

	block_job_init(&j, op, nr, cnt, rec_done, &rec);
	if ((r = block_job_forward(c, &j, offset)) < 0)
		return r;
	if (block_client_drain(c, 2000) < 0 || rec.n != 1)
		return -ETIMEDOUT;
	return j.success ? 0 : -EIO;
}

/*
 * A session whose client lends the bulk buffer (bulk="client"): the
 * buffer must be a sealed memfd, requests travel in it unchanged, every
 * descriptor is still checked against it, and it can be withdrawn and
 * replaced while idle.
 */
static void
t_client_bulk(void)
{
	struct srv_side ss;
	struct block_client *c = NULL;
	struct block_tx_res t;
	struct cairn_ds lent, other;
	struct block_job j;
	struct rec rec = { .n = 0 };
	unsigned nfds = 4;
	int cap, fd, fds[4], st;
	char detail[128];
	uint8_t *p;

	T_CHECK(srv_init(&ss) == 0);
	/* The donation covers the rings only; tx_buf_size is ignored. */
	T_CHECK(srv_session(&ss, "t", "bulk=\"client\", tx_buf_size=8M",
	    BLOCK_SESSION_QUOTA(BLOCK_RINGS_BUF) - 1, &st, detail) < 0 &&
	    st == ROOT_QUOTA);
	T_CHECK(srv_session(&ss, "t", "bulk=\"server\"", QUOTA, &st,
	    detail) < 0 && st == ROOT_DENIED);
	T_CHECK(strstr(detail, "bulk=\"server\"") != NULL);
	cap = srv_session(&ss, "t", "bulk=\"client\", tx_buf_size=8M",
	    BLOCK_SESSION_QUOTA(BLOCK_RINGS_BUF), NULL, detail);
	T_CHECK(cap >= 0);
	srv_start(&ss);
	/* No stream before the buffer; a buffer must be a sealed memfd. */
	T_CHECK(rpc_call(cap, BLOCK_RPC_TX, NULL, 0, NULL, 0, &t, sizeof(t),
	    NULL, fds, &nfds) == BLOCK_INVALID);
	fd = memfd_create("unsealed", MFD_CLOEXEC);
	T_CHECK(fd >= 0 && ftruncate(fd, 65536) == 0);
	T_CHECK(rpc_call(cap, BLOCK_RPC_BULK, NULL, 0, &fd, 1, NULL, 0, NULL,
	    NULL, NULL) == BLOCK_BULK_REFUSED);
	close(fd);
	fd = cairn_ds_create_memfd("tiny", 1024, false);
	T_CHECK(fd >= 0 && rpc_call(cap, BLOCK_RPC_BULK, NULL, 0, &fd, 1,
	    NULL, 0, NULL, NULL, NULL) == BLOCK_BULK_REFUSED);
	close(fd);
	/* The lender's buffer, mapped here as the lender would have it. */
	T_CHECK(cairn_ds_from_fd(&lent, cairn_ds_create_memfd("lent",
	    256 * 1024, false)) == 0 && cairn_ds_attach(&lent, true) == 0);
	T_CHECK(block_client_attach_bulk(&cenv, cap, 0, lent.fd, &c) == 0);
	T_CHECK(block_client_bulk_size(c) == 256 * 1024);
	block_job_init(&j, BLOCK_OP_READ, 0, 1, rec_done, &rec);
	T_CHECK(block_job_alloc(c, &j) == -EPERM);
	/* Writes go from, reads land in, the lender's buffer as it is. */
	p = lent.addr;
	fill(p + 8192, 4 * BSIZE, 5);
	T_CHECK(forward_one(c, BLOCK_OP_WRITE, 5, 4, 8192) == 0);
	T_CHECK(memcmp(ss.drv->disk + 5 * BSIZE, p + 8192, 4 * BSIZE) == 0);
	T_CHECK(forward_one(c, BLOCK_OP_READ, 5, 4, 65536) == 0);
	T_CHECK(memcmp(p + 65536, p + 8192, 4 * BSIZE) == 0);
	T_CHECK(forward_one(c, BLOCK_OP_SYNC, 0, 0, 0) == 0);
	/* Outside the buffer or misaligned: refused here ... */
	T_CHECK(forward_one(c, BLOCK_OP_READ, 0, 2, 256 * 1024 - BSIZE) ==
	    -EINVAL);
	T_CHECK(forward_one(c, BLOCK_OP_READ, 0, 1, 100) == -EINVAL);
	/* ... and by the server, which checks every descriptor itself. */
	block_job_init(&j, BLOCK_OP_READ, 0, 1, rec_done, &rec);
	T_CHECK(block_job_submit_raw(c, &j, 256 * 1024, BSIZE) == 0);
	T_CHECK(block_client_drain(c, 2000) == 0);
	T_CHECK(!j.success && j.status == BLOCK_PKT_PAYLOAD);
	/* Withdrawn: nothing goes out; lent another: it serves again. */
	T_CHECK(block_client_rebind_bulk(c, -1) == 0);
	T_CHECK(forward_one(c, BLOCK_OP_READ, 5, 4, 0) == -EPIPE);
	T_CHECK(cairn_ds_from_fd(&other, cairn_ds_create_memfd("other",
	    128 * 1024, false)) == 0 && cairn_ds_attach(&other, true) == 0);
	T_CHECK(block_client_rebind_bulk(c, other.fd) == 0);
	T_CHECK(block_client_bulk_size(c) == 128 * 1024);
	T_CHECK(forward_one(c, BLOCK_OP_READ, 5, 4, 4096) == 0);
	T_CHECK(memcmp((uint8_t *)other.addr + 4096, p + 8192,
	    4 * BSIZE) == 0);
	/* A server-allocated session cannot be lent a buffer. */
	block_client_close(c);
	T_CHECK(client(&ss, "plain", &c) == 0);
	T_CHECK(block_client_rebind_bulk(c, other.fd) == -EINVAL);
	block_client_close(c);
	T_CHECK(wait_count(&ss.drv->releases, 2));
	cairn_ds_release(&lent);
	cairn_ds_release(&other);
	srv_fini(&ss);
}

int
main(void)
{
	int err;

	cenv.pd = cenv.log = cenv.parent = -1;
	cenv.name = "test-client";
	cenv.ep = cairn_ep_create(&err);
	if (cenv.ep == NULL)
		return 2;
	T_RUN("blk-001", "blocking read, write and sync through a session",
	    t_sync_helpers);
	T_RUN("blk-002", "transfers larger than the buffer are split",
	    t_large_transfer);
	T_RUN("blk-003", "completions in reverse order reach their jobs",
	    t_out_of_order);
	T_RUN("blk-004", "255 jobs in flight, the 256th waits", t_many_in_flight);
	T_RUN("blk-005", "driver congestion: -EAGAIN requests are retried",
	    t_congestion);
	T_RUN("blk-006", "hostile descriptors are acked with their status",
	    t_hostile);
	T_RUN("blk-007", "writes to a read-only session fail", t_readonly);
	T_RUN("blk-008", "client gone with requests in flight; others served",
	    t_close_in_flight);
	T_RUN("blk-009", "a corrupted stream closes only that session",
	    t_corrupt_stream);
	T_RUN("blk-010", "sync RPC and SYNC request reach the driver",
	    t_rpc_sync);
	T_RUN("blk-011", "quota, tx_buf_size and driver refusals",
	    t_session_refusals);
	T_RUN("blk-012", "server gone: jobs fail, calls return -EPIPE",
	    t_server_gone);
	T_RUN("blk-013", "a client closed from its own done() callback",
	    t_close_in_callback);
	T_RUN("blk-014", "a driver dispatching the entrypoint in submit()",
	    t_nested_dispatch);
	T_RUN("blk-015", "a client-supplied bulk buffer: checks, forwarding, "
	    "withdrawal", t_client_bulk);
	cairn_ep_destroy(cenv.ep);
	return t_done();
}
