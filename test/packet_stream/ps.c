/*
 * Unit tests for the packet stream: rings, allocator, validation, wake-ups.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairn/packet_stream.h>

#include "../../lib/base/packet_stream_impl.h"
#include "../test.h"

T_STATE_DEFINE;

/* One stream in private memory with both sides attached. */
struct pair {
	void *shm;
	size_t shm_size;
	unsigned slots;
	void *src_mem, *sink_mem;
	struct pkt_source *src;
	struct pkt_sink *sink;
	int src_fd, sink_fd;	/* wake pipes' read ends: each side sleeps */
	int src_wr, sink_wr;	/* ... and their write ends: the peer kicks */
};

static void
pair_fini(struct pair *p)
{
	if (p->shm != NULL)
		munmap(p->shm, p->shm_size);
	free(p->src_mem);
	free(p->sink_mem);
	if (p->src_fd >= 0) {
		close(p->src_fd);
		close(p->src_wr);
	}
	if (p->sink_fd >= 0) {
		close(p->sink_fd);
		close(p->sink_wr);
	}
	memset(p, 0, sizeof(*p));
	p->src_fd = p->sink_fd = -1;
}

/*
 * bulk: bytes of bulk buffer wanted; fl: O_NONBLOCK or 0, for the wake
 * pipes (both ends). Returns 0 or -errno.
 */
static int
pair_init(struct pair *p, unsigned slots, size_t bulk, int fl)
{
	int a[2] = { -1, -1 }, b[2] = { -1, -1 }, err;

	memset(p, 0, sizeof(*p));
	p->src_fd = p->sink_fd = -1;
	p->slots = slots;
	p->shm_size = pkt_stream_meta_size(slots) + bulk;
	p->shm = mmap(NULL, p->shm_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->shm == MAP_FAILED) {
		p->shm = NULL;
		return -ENOMEM;
	}
	if (pipe2(a, O_CLOEXEC | fl) == 0 && pipe2(b, O_CLOEXEC | fl) != 0) {
		close(a[0]);
		close(a[1]);
		a[0] = -1;
	}
	p->src_fd = a[0];
	p->src_wr = a[1];
	p->sink_fd = b[0];
	p->sink_wr = b[1];
	p->src_mem = malloc(pkt_source_size(p->shm_size, slots));
	p->sink_mem = malloc(pkt_sink_size());
	if (p->src_fd < 0 || p->sink_fd < 0 || !p->src_mem || !p->sink_mem) {
		pair_fini(p);
		return -ENOMEM;
	}
	if ((err = pkt_stream_format(p->shm, p->shm_size, slots)) != 0 ||
	    (err = pkt_sink_init(&p->sink, p->sink_mem, p->shm, p->shm_size,
	    slots, p->sink_fd, p->src_wr)) != 0 ||
	    (err = pkt_source_init(&p->src, p->src_mem, p->shm, p->shm_size,
	    slots, p->src_fd, p->sink_wr)) != 0) {
		pair_fini(p);
		return err;
	}
	return 0;
}

static struct pkt_shm *
shm_of(struct pair *p)
{
	return p->shm;
}

/* Wake-ups pending on a wake pipe's read end, consumed; 0 when none. */
static uint64_t
efd_count(int fd)
{
	struct pollfd q = { .fd = fd, .events = POLLIN };
	uint8_t buf[64];
	ssize_t r;

	if (poll(&q, 1, 0) != 1)
		return 0;
	r = read(fd, buf, sizeof(buf));
	return r > 0 ? (uint64_t)r : 0;
}

/* Allocate everything, then check the whole bulk buffer comes back. */
static int
bulk_all_free(struct pair *p)
{
	struct pkt_desc d;
	uint64_t bulk = pkt_source_bulk_size(p->src);

	if (pkt_source_alloc(p->src, bulk, 0, &d) != 0 || d.offset != 0)
		return 0;
	pkt_source_release(p->src, &d);
	return 1;
}

static void
t_geometry(void)
{
	static const unsigned bad[] = { 0, 1, 3, 6, 100, PKT_MAX_SLOTS * 2 };
	size_t meta = pkt_stream_meta_size(8);
	char *buf;
	unsigned i;

	T_CHECK(meta % 4096 == 0);
	T_CHECK(meta >= sizeof(struct pkt_shm) + 16 * sizeof(struct pkt_desc));
	T_CHECK(pkt_stream_meta_size(256) >= 2 * 256 * 64);
	buf = aligned_alloc(4096, meta + 8192);
	T_CHECK(buf != NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_CHECKF(pkt_stream_format(buf, meta + 8192, bad[i]) == -EINVAL,
		    "slots %u", bad[i]);
	/* The bulk buffer must not be empty. */
	T_CHECK(pkt_stream_format(buf, meta, 8) == -EINVAL);
	T_CHECK(pkt_stream_format(buf, meta - 1, 8) == -EINVAL);
	T_CHECK(pkt_stream_format(buf, 0, 8) == -EINVAL);
	T_CHECK(pkt_stream_format(NULL, meta + 1, 8) == -EINVAL);
	T_CHECK(pkt_stream_format(buf + 1, meta + 1, 8) == -EINVAL);
	T_CHECK(pkt_stream_format(buf, meta + 1, 8) == 0);
	T_CHECK(pkt_stream_format(buf, meta + 8192, 2) == 0);
	free(buf);
}

static void
t_init(void)
{
	size_t meta = pkt_stream_meta_size(16), size = meta + 10000;
	char *shm = aligned_alloc(4096, size + 4096 - size % 4096);
	char *mem = malloc(pkt_source_size(size, 16) + pkt_sink_size());
	struct pkt_source *src = NULL;
	struct pkt_sink *sink = NULL;

	T_CHECK(shm != NULL && mem != NULL);
	memset(shm, 0, size);
	/* Not formatted: the source refuses. */
	T_CHECK(pkt_source_init(&src, mem, shm, size, 16, -1, -1) == -EINVAL);
	T_CHECK(pkt_stream_format(shm, size, 16) == 0);
	/* Geometry differs from the one formatted. */
	T_CHECK(pkt_source_init(&src, mem, shm, size, 8, -1, -1) == -EINVAL);
	T_CHECK(pkt_source_init(&src, mem, shm, size, 12, -1, -1) == -EINVAL);
	T_CHECK(pkt_source_init(&src, mem, shm, meta, 16, -1, -1) == -EINVAL);
	T_CHECK(pkt_source_init(&src, NULL, shm, size, 16, -1, -1) == -EINVAL);
	T_CHECK(pkt_sink_init(&sink, mem, shm, meta, 16, -1, -1) == -EINVAL);
	T_CHECK(pkt_sink_init(&sink, mem, shm, size, 3, -1, -1) == -EINVAL);
	T_CHECK(pkt_sink_init(&sink, mem, shm + 4, size, 16, -1, -1) ==
	    -EINVAL);
	T_CHECK(src == NULL && sink == NULL);
	/* Unaligned caller memory is fine. */
	T_CHECK(pkt_source_init(&src, mem + 1, shm, size, 16, -1, -1) == 0);
	T_CHECK(pkt_source_bulk_size(src) == 10000);
	T_CHECK(pkt_source_submit_space(src) == 15);
	T_CHECK(pkt_sink_init(&sink, mem + pkt_source_size(size, 16), shm,
	    size, 16, -1, -1) == 0);
	T_CHECK(pkt_sink_bulk_size(sink) == 10000);
	T_CHECK(pkt_sink_in_flight(sink) == 0);
	/* The sink uses its own slot count, not the one in shared memory. */
	T_CHECK(pkt_sink_init(&sink, mem + pkt_source_size(size, 16), shm,
	    size, 4, -1, -1) == 0);
	T_CHECK(pkt_sink_bulk_size(sink) == size - pkt_stream_meta_size(4));
	free(mem);
	free(shm);
}

static void
t_roundtrip(void)
{
	struct pair p;
	struct pkt_desc d, g, a;
	unsigned char *pay;
	unsigned i;

	T_CHECK(pair_init(&p, 8, 65536, O_NONBLOCK) == 0);
	T_CHECK(pkt_sink_get(p.sink, &g) == -EAGAIN);
	T_CHECK(pkt_source_get_ack(p.src, &a) == -EAGAIN);
	memset(&d, 0xee, sizeof(d));
	T_CHECK(pkt_source_alloc(p.src, 1000, 0, &d) == 0);
	for (i = 0; i < sizeof(d.data); i++)
		T_CHECK(d.data[i] == 0);
	T_CHECK(d.size == 1000);
	for (i = 0; i < sizeof(d.data); i++)
		d.data[i] = (uint8_t)(i * 7 + 1);
	pay = pkt_source_payload(p.src, &d);
	T_CHECK(pay != NULL);
	memset(pay, 0x5a, 1000);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	T_CHECK(pkt_sink_get(p.sink, &g) == 0);
	T_CHECK(memcmp(&g, &d, sizeof(d)) == 0);
	T_CHECK(pkt_sink_get(p.sink, &a) == -EAGAIN);
	T_CHECK(pkt_sink_in_flight(p.sink) == 1);
	T_CHECK(pkt_sink_valid(p.sink, &g));
	pay = pkt_sink_payload(p.sink, &g);
	T_CHECK(pay != NULL && pay[0] == 0x5a && pay[999] == 0x5a);
	g.data[47] = 0x99;
	T_CHECK(pkt_sink_ack(p.sink, &g) == 0);
	T_CHECK(pkt_sink_in_flight(p.sink) == 0);
	T_CHECK(pkt_source_get_ack(p.src, &a) == 0);
	T_CHECK(memcmp(&a, &g, sizeof(g)) == 0);
	T_CHECK(pkt_source_get_ack(p.src, &a) == -EAGAIN);
	pkt_source_release(p.src, &a);
	T_CHECK(bulk_all_free(&p));
	pair_fini(&p);
}

/* Many laps through a small ring, starting just before the 32-bit wrap. */
static void
t_wrap(void)
{
	struct pair p;
	struct pkt_desc d, g;
	uint64_t seq, next_ack = 0;
	unsigned batch;
	const uint32_t start = UINT32_MAX - 100;

	T_CHECK(pair_init(&p, 4, 16384, O_NONBLOCK) == 0);
	/* Move every index as if 2^32 - 101 packets had passed already. */
	p.src->submit_head = p.src->submit_tail = start;
	p.src->ack_head = p.src->ack_tail = start;
	p.sink->submit_head = p.sink->submit_tail = start;
	p.sink->ack_head = p.sink->ack_tail = start;
	atomic_store(&shm_of(&p)->submit_head, start);
	atomic_store(&shm_of(&p)->submit_tail, start);
	atomic_store(&shm_of(&p)->ack_head, start);
	atomic_store(&shm_of(&p)->ack_tail, start);
	for (seq = 0; seq < 100000; ) {
		for (batch = 0; batch < 1 + seq % 3 && seq < 100000;
		    batch++, seq++) {
			T_CHECK(pkt_source_alloc(p.src, 512, 0, &d) == 0);
			memcpy(d.data, &seq, sizeof(seq));
			T_CHECK(pkt_source_submit(p.src, &d) == 0);
		}
		while (pkt_sink_get(p.sink, &g) == 0)
			T_CHECK(pkt_sink_ack(p.sink, &g) == 0);
		while (pkt_source_get_ack(p.src, &g) == 0) {
			T_CHECKF(memcmp(g.data, &next_ack, 8) == 0,
			    "ack %llu out of order",
			    (unsigned long long)next_ack);
			next_ack++;
			pkt_source_release(p.src, &g);
		}
	}
	T_CHECK(next_ack == 100000);
	T_CHECK(p.src->submit_head < 200000);
	T_CHECK(bulk_all_free(&p));
	pair_fini(&p);
}

static void
t_full(void)
{
	struct pair p;
	struct pkt_desc d = { .offset = 0, .size = 1 }, g;
	unsigned i;

	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	for (i = 0; i < 7; i++) {
		T_CHECK(pkt_source_submit_space(p.src) == 7 - i);
		T_CHECK(pkt_source_submit(p.src, &d) == 0);
	}
	T_CHECK(pkt_source_submit_space(p.src) == 0);
	T_CHECK(pkt_source_submit(p.src, &d) == -EAGAIN);
	T_CHECK(pkt_source_submit(p.src, &d) == -EAGAIN);
	T_CHECK(pkt_sink_get(p.sink, &g) == 0);
	T_CHECK(pkt_source_submit_space(p.src) == 1);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	T_CHECK(pkt_source_submit(p.src, &d) == -EAGAIN);
	pair_fini(&p);
}

static void
t_out_of_order(void)
{
	static const unsigned order[] = { 3, 1, 4, 0, 2 };
	struct pair p;
	struct pkt_desc d[5], g[5], a;
	unsigned i;

	T_CHECK(pair_init(&p, 8, 5 * 4096, O_NONBLOCK) == 0);
	for (i = 0; i < 5; i++) {
		T_CHECK(pkt_source_alloc(p.src, 4096, 12, &d[i]) == 0);
		d[i].data[0] = (uint8_t)i;
		T_CHECK(pkt_source_submit(p.src, &d[i]) == 0);
	}
	/* Bulk is exhausted now. */
	T_CHECK(pkt_source_alloc(p.src, 1, 0, &a) == -EAGAIN);
	for (i = 0; i < 5; i++)
		T_CHECK(pkt_sink_get(p.sink, &g[i]) == 0);
	for (i = 0; i < 5; i++) {
		T_CHECK(pkt_sink_ack(p.sink, &g[order[i]]) == 0);
		T_CHECK(pkt_source_get_ack(p.src, &a) == 0);
		T_CHECK(memcmp(&a, &d[order[i]], sizeof(a)) == 0);
		pkt_source_release(p.src, &a);
		/* Freed space is usable at once, whatever the order. */
		T_CHECK(pkt_source_alloc(p.src, 4096, 12, &a) == 0);
		pkt_source_release(p.src, &a);
	}
	T_CHECK(pkt_sink_ack(p.sink, &g[0]) == -EAGAIN);
	T_CHECK(bulk_all_free(&p));
	pair_fini(&p);
}

static void
t_fragment(void)
{
	struct pair p;
	struct pkt_desc d[16], a, b;
	unsigned i;

	T_CHECK(pair_init(&p, 4, 16 * 512, O_NONBLOCK) == 0);
	for (i = 0; i < 16; i++) {
		T_CHECK(pkt_source_alloc(p.src, 512, 0, &d[i]) == 0);
		T_CHECK(d[i].offset == (int64_t)i * 512);
	}
	T_CHECK(pkt_source_alloc(p.src, 1, 0, &a) == -EAGAIN);
	/* Free every other granule: half is free, no two adjacent. */
	for (i = 0; i < 16; i += 2)
		pkt_source_release(p.src, &d[i]);
	T_CHECK(pkt_source_alloc(p.src, 513, 0, &a) == -EAGAIN);
	T_CHECK(pkt_source_alloc(p.src, 512, 0, &a) == 0);
	T_CHECK(a.offset % 1024 == 0);
	pkt_source_release(p.src, &a);
	/* Freeing a neighbour coalesces into a 1536-byte hole at 4096. */
	pkt_source_release(p.src, &d[9]);
	T_CHECK(pkt_source_alloc(p.src, 1536, 0, &a) == 0);
	T_CHECK(a.offset == 8 * 512);
	T_CHECK(pkt_source_alloc(p.src, 1024, 0, &b) == -EAGAIN);
	pkt_source_release(p.src, &a);
	for (i = 1; i < 16; i += 2)
		if (i != 9)
			pkt_source_release(p.src, &d[i]);
	T_CHECK(bulk_all_free(&p));
	/* The search starts at space freed below the cursor. */
	T_CHECK(pkt_source_alloc(p.src, 4 * 512, 0, &a) == 0);
	T_CHECK(pkt_source_alloc(p.src, 10 * 512, 0, &b) == 0);
	T_CHECK(b.offset == 4 * 512);
	pkt_source_release(p.src, &a);
	T_CHECK(pkt_source_alloc(p.src, 4 * 512, 0, &a) == 0);
	T_CHECK(a.offset == 0);
	T_CHECK(pkt_source_alloc(p.src, 1024, 0, &a) == 0);
	T_CHECK(a.offset == 14 * 512);
	pair_fini(&p);
}

static void
t_align(void)
{
	struct pair p;
	struct pkt_desc d, e;
	unsigned lg;

	T_CHECK(pair_init(&p, 4, 1 << 20, O_NONBLOCK) == 0);
	T_CHECK(pkt_source_alloc(p.src, 100, 0, &d) == 0);
	for (lg = 0; lg <= 16; lg++) {
		T_CHECK(pkt_source_alloc(p.src, 700, lg, &e) == 0);
		T_CHECKF(e.offset % ((int64_t)1 << lg) == 0, "align %u", lg);
		T_CHECK(e.offset != d.offset);
	}
	/* Larger than the buffer: only offset 0 qualifies, taken by d. */
	T_CHECK(pkt_source_alloc(p.src, 1, 40, &e) == -EAGAIN);
	pkt_source_release(p.src, &d);
	T_CHECK(pkt_source_alloc(p.src, 1, 40, &e) == 0 && e.offset == 0);
	T_CHECK(pkt_source_alloc(p.src, 1, 200, &e) == -EAGAIN);
	pair_fini(&p);
}

static void
t_alloc_limits(void)
{
	struct pair p;
	struct pkt_desc d, e;

	/* A bulk size that is not a multiple of the granule. */
	T_CHECK(pair_init(&p, 4, 1000, O_NONBLOCK) == 0);
	T_CHECK(pkt_source_bulk_size(p.src) == 1000);
	T_CHECK(pkt_source_alloc(p.src, 0, 0, &d) == -EINVAL);
	T_CHECK(pkt_source_alloc(p.src, 1001, 0, &d) == -EINVAL);
	T_CHECK(pkt_source_alloc(p.src, UINT64_MAX, 0, &d) == -EINVAL);
	T_CHECK(pkt_source_alloc(p.src, 1000, 0, &d) == 0);
	T_CHECK(d.offset == 0 && d.size == 1000);
	T_CHECK(pkt_source_alloc(p.src, 1, 0, &e) == -EAGAIN);
	pkt_source_release(p.src, &d);
	T_CHECK(pkt_source_alloc(p.src, 400, 0, &d) == 0);
	/* 600 bytes are left, but only 488 of them from a granule start. */
	T_CHECK(pkt_source_alloc(p.src, 500, 0, &e) == -EAGAIN);
	T_CHECK(pkt_source_alloc(p.src, 488, 0, &e) == 0);
	T_CHECK(e.offset == 512 && pkt_sink_valid(p.sink, &e));
	pkt_source_release(p.src, &d);
	pkt_source_release(p.src, &e);
	T_CHECK(bulk_all_free(&p));
	pair_fini(&p);
}

static void
t_release_bogus(void)
{
	struct pair p;
	struct pkt_desc d, e, bogus;

	T_CHECK(pair_init(&p, 4, 8192, O_NONBLOCK) == 0);
	T_CHECK(pkt_source_alloc(p.src, 4096, 0, &d) == 0);
	T_CHECK(pkt_source_alloc(p.src, 4096, 0, &e) == 0);
	/* None of these may free e's space. */
	bogus = e;
	bogus.offset = -4096;
	pkt_source_release(p.src, &bogus);
	bogus.offset = e.offset + 1;
	pkt_source_release(p.src, &bogus);
	bogus.offset = e.offset;
	bogus.size = UINT64_MAX;
	pkt_source_release(p.src, &bogus);
	bogus.size = 0;
	pkt_source_release(p.src, &bogus);
	/* A double release of d leaves e alone. */
	pkt_source_release(p.src, &d);
	pkt_source_release(p.src, &d);
	bogus = d;
	bogus.size = 8192;	/* spans d (free) and e (allocated) */
	pkt_source_release(p.src, &bogus);
	T_CHECK(pkt_source_alloc(p.src, 8192, 0, &bogus) == -EAGAIN);
	T_CHECK(pkt_source_alloc(p.src, 4096, 0, &bogus) == 0);
	T_CHECK(bogus.offset == d.offset);
	T_CHECK(pkt_source_payload(p.src, &(struct pkt_desc){ .offset = -1,
	    .size = 1 }) == NULL);
	pair_fini(&p);
}

static void
t_bounds(void)
{
	struct pair p;
	struct pkt_desc d;
	int64_t bulk;
	unsigned i;
	const struct {
		int64_t off;
		uint64_t size;
		int ok;
	} c[] = {
		{ 0, 1, 1 },
		{ 0, 0, 0 },
		{ -1, 1, 0 },
		{ INT64_MIN, 2, 0 },
		{ 0, 8192, 1 },
		{ 0, 8193, 0 },
		{ 8191, 1, 1 },
		{ 8191, 2, 0 },
		{ 8192, 1, 0 },
		{ 8192, 0, 0 },
		{ 4096, UINT64_MAX, 0 },
		{ 4096, UINT64_MAX - 4095, 0 },
		{ INT64_MAX, 1, 0 },
		{ 1, UINT64_MAX, 0 },
	};

	T_CHECK(pair_init(&p, 4, 8192, O_NONBLOCK) == 0);
	bulk = (int64_t)pkt_sink_bulk_size(p.sink);
	T_CHECK(bulk == 8192);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.offset = c[i].off;
		d.size = c[i].size;
		T_CHECKF(pkt_sink_valid(p.sink, &d) == c[i].ok, "case %u", i);
		T_CHECKF((pkt_sink_payload(p.sink, &d) != NULL) == c[i].ok,
		    "case %u", i);
	}
	/* Through the ring: the sink sees what the source wrote, no more. */
	d.offset = bulk;
	d.size = 1;
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	T_CHECK(pkt_sink_get(p.sink, &d) == 0);
	T_CHECK(!pkt_sink_valid(p.sink, &d));
	T_CHECK(pkt_sink_ack(p.sink, &d) == 0);
	pair_fini(&p);
}

/* The source scribbles over the shared indices; the sink must not follow. */
static void
t_corrupt(void)
{
	static const uint32_t garbage[] = { 9, 100, 0xdeadbeef, UINT32_MAX };
	struct pair p;
	struct pkt_desc d = { .offset = 0, .size = 1 }, g;
	unsigned i;

	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
		atomic_store(&shm_of(&p)->submit_head, garbage[i]);
		T_CHECKF(pkt_sink_get(p.sink, &g) == -EPROTO, "head %x",
		    garbage[i]);
		/* Broken stays broken, and arm does not let it sleep. */
		atomic_store(&shm_of(&p)->submit_head, 0);
		T_CHECK(pkt_sink_get(p.sink, &g) == -EPROTO);
		T_CHECK(pkt_sink_arm(p.sink));
		pair_fini(&p);
	}
	/* A full ring (head = tail + 7) is fine, whatever its slots hold. */
	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	memset((char *)p.shm + sizeof(struct pkt_shm), 0xff,
	    8 * sizeof(struct pkt_desc));
	atomic_store(&shm_of(&p)->submit_head, 7);
	for (i = 0; i < 7; i++) {
		T_CHECK(pkt_sink_get(p.sink, &g) == 0);
		T_CHECK(!pkt_sink_valid(p.sink, &g));
		T_CHECK(pkt_sink_payload(p.sink, &g) == NULL);
	}
	T_CHECK(pkt_sink_get(p.sink, &g) == -EAGAIN);
	/* Now a bad ack tail: the sink checks it when it needs ack space. */
	atomic_store(&shm_of(&p)->ack_tail, 0x12345678);
	atomic_store(&shm_of(&p)->submit_head, 8);
	T_CHECK(pkt_sink_get(p.sink, &g) == -EPROTO);
	pair_fini(&p);

	/* And the other way: the sink scribbles over the ack head. */
	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	atomic_store(&shm_of(&p)->ack_head, 8);
	T_CHECK(pkt_source_get_ack(p.src, &g) == -EPROTO);
	T_CHECK(pkt_source_arm(p.src));
	pair_fini(&p);
	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	for (i = 0; i < 7; i++)
		T_CHECK(pkt_source_submit(p.src, &d) == 0);
	atomic_store(&shm_of(&p)->submit_tail, 0x80000000u);
	T_CHECK(pkt_source_submit(p.src, &d) == -EAGAIN);
	T_CHECK(pkt_source_submit_space(p.src) == 0);
	T_CHECK(pkt_source_get_ack(p.src, &g) == -EPROTO);
	pair_fini(&p);
}

static void
t_ack_reserve(void)
{
	struct pair p;
	struct pkt_desc d = { .offset = 0, .size = 1 }, g[16], a;
	unsigned i;

	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	for (i = 0; i < 7; i++)
		T_CHECK(pkt_source_submit(p.src, &d) == 0);
	for (i = 0; i < 7; i++)
		T_CHECK(pkt_sink_get(p.sink, &g[i]) == 0);
	for (i = 0; i < 7; i++)
		T_CHECK(pkt_source_submit(p.src, &d) == 0);
	pkt_source_notify(p.src);
	T_CHECK(efd_count(p.sink_fd) == 0);
	/* Seven in flight fill the ack ring's capacity: take no more. */
	T_CHECK(pkt_sink_in_flight(p.sink) == 7);
	T_CHECK(pkt_sink_get(p.sink, &g[7]) == -EAGAIN);
	/* The sink sleeps for ack space, not for more descriptors. */
	T_CHECK(!pkt_sink_arm(p.sink));
	T_CHECK(pkt_source_submit(p.src, &d) == -EAGAIN);
	for (i = 0; i < 3; i++)
		T_CHECK(pkt_sink_ack(p.sink, &g[i]) == 0);
	/* Three acks wait in the ring, four in flight: still full. */
	T_CHECK(pkt_sink_get(p.sink, &g[7]) == -EAGAIN);
	for (i = 0; i < 2; i++)
		T_CHECK(pkt_source_get_ack(p.src, &a) == 0);
	pkt_source_notify(p.src);
	T_CHECK(efd_count(p.sink_fd) == 1);
	T_CHECK(pkt_sink_arm(p.sink));
	T_CHECK(pkt_sink_get(p.sink, &g[7]) == 0);
	T_CHECK(pkt_sink_get(p.sink, &g[8]) == 0);
	T_CHECK(pkt_sink_get(p.sink, &g[9]) == -EAGAIN);
	for (i = 3; i < 9; i++)
		T_CHECK(pkt_sink_ack(p.sink, &g[i]) == 0);
	T_CHECK(pkt_sink_ack(p.sink, &g[0]) == -EAGAIN);
	pair_fini(&p);
}

static void
t_notify(void)
{
	struct pair p;
	struct pkt_desc d = { .offset = 0, .size = 1 }, g;

	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	/* Nobody waits: progress causes no wake-up. */
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	pkt_source_notify(p.src);
	T_CHECK(efd_count(p.sink_fd) == 0);
	/* Work pending: arm says so and leaves no waiting flag behind. */
	T_CHECK(pkt_sink_arm(p.sink));
	T_CHECK(atomic_load(&shm_of(&p)->sink_waiting) == 0);
	T_CHECK(pkt_sink_get(p.sink, &g) == 0);
	T_CHECK(pkt_sink_ack(p.sink, &g) == 0);
	/* The sink sleeps; a batch of submits costs exactly one wake-up. */
	T_CHECK(!pkt_sink_arm(p.sink));
	pkt_source_notify(p.src);	/* no progress since: nothing */
	T_CHECK(efd_count(p.sink_fd) == 0);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	pkt_source_notify(p.src);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	pkt_source_notify(p.src);
	T_CHECK(efd_count(p.sink_fd) == 1);
	pkt_sink_drain_wake(p.sink);
	/* The source waits for acks; the sink acks and wakes it once. */
	T_CHECK(pkt_source_get_ack(p.src, &g) == 0);
	T_CHECK(pkt_source_get_ack(p.src, &g) == -EAGAIN);
	T_CHECK(!pkt_source_arm(p.src));
	while (pkt_sink_get(p.sink, &g) == 0)
		T_CHECK(pkt_sink_ack(p.sink, &g) == 0);
	pkt_sink_notify(p.sink);
	pkt_sink_notify(p.sink);
	T_CHECK(efd_count(p.src_fd) == 1);
	T_CHECK(pkt_source_arm(p.src));	/* acks are there */
	pkt_source_drain_wake(p.src);
	while (pkt_source_get_ack(p.src, &g) == 0)
		;
	pkt_source_notify(p.src);
	T_CHECK(efd_count(p.sink_fd) == 0);
	/* A sink waiting for descriptors is not woken by freed ack slots. */
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	T_CHECK(pkt_sink_get(p.sink, &g) == 0);
	T_CHECK(pkt_sink_ack(p.sink, &g) == 0);
	pkt_source_notify(p.src);
	T_CHECK(!pkt_sink_arm(p.sink));
	T_CHECK(pkt_source_get_ack(p.src, &g) == 0);
	pkt_source_notify(p.src);
	T_CHECK(efd_count(p.sink_fd) == 0);
	pair_fini(&p);
}

/* A source blocked on a full submit ring is woken by the sink's take. */
static void
t_notify_space(void)
{
	struct pair p;
	struct pkt_desc d = { .offset = 0, .size = 1 }, g;
	unsigned i;

	/* Blocking pipes: drain must not hang on an empty one. */
	T_CHECK(pair_init(&p, 4, 4096, 0) == 0);
	pkt_source_drain_wake(p.src);
	pkt_sink_drain_wake(p.sink);
	for (i = 0; i < 3; i++)
		T_CHECK(pkt_source_submit(p.src, &d) == 0);
	T_CHECK(pkt_source_submit(p.src, &d) == -EAGAIN);
	T_CHECK(!pkt_source_arm(p.src));
	T_CHECK(pkt_sink_get(p.sink, &g) == 0);
	pkt_sink_notify(p.sink);
	T_CHECK(efd_count(p.src_fd) == 1);
	pkt_source_drain_wake(p.src);
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	/* The sink took one more before the source armed: arm sees it. */
	T_CHECK(pkt_sink_get(p.sink, &g) == 0);
	pkt_sink_notify(p.sink);
	T_CHECK(pkt_source_arm(p.src));
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	/* Full again and nothing taken: arm lets it sleep. */
	T_CHECK(!pkt_source_arm(p.src));
	pair_fini(&p);
}

/* --- two processes --- */

#define XFER_COUNT	100000u
#define XFER_SLOTS	64u
#define XFER_BULK	(256u * 1024)

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void
fill(uint8_t *b, uint64_t size, uint64_t seq)
{
	uint64_t i, v = mix(seq + 1);

	for (i = 0; i < size; i++) {
		if (i % 8 == 0)
			v = mix(v + i);
		b[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

static uint64_t
checksum(const uint8_t *b, uint64_t size)
{
	uint64_t i, h = 1469598103934665603ULL;

	for (i = 0; i < size; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static void
wait_fd(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
}

/* Acknowledge the held descriptors, newest first. */
static int
flush(struct pkt_sink *sink, struct pkt_desc *held, unsigned *n)
{
	while (*n > 0)
		if (pkt_sink_ack(sink, &held[--*n]) != 0)
			return -1;
	return 0;
}

/*
 * Sink process: checks every payload against the checksum the source put
 * in the descriptor, holds up to 5 descriptors and acks them newest first.
 * Exit status: 0, or 1 on a bad descriptor or payload.
 */
static int
xfer_sink(struct pkt_sink *sink, int wake_fd)
{
	struct pkt_desc held[5], d;
	uint64_t want, done = 0;
	unsigned n = 0;
	uint8_t *b;
	int err;

	while (done < XFER_COUNT) {
		while ((err = pkt_sink_get(sink, &d)) == 0) {
			b = pkt_sink_payload(sink, &d);
			memcpy(&want, d.data + 8, 8);
			if (b == NULL || checksum(b, d.size) != want)
				return 1;
			d.data[16] = 1;
			held[n++] = d;
			done++;
			if (n == 5 && flush(sink, held, &n) != 0)
				return 1;
		}
		if (err != -EAGAIN || flush(sink, held, &n) != 0)
			return 1;
		pkt_sink_notify(sink);
		if (done < XFER_COUNT && !pkt_sink_arm(sink)) {
			wait_fd(wake_fd);
			pkt_sink_drain_wake(sink);
		}
	}
	pkt_sink_notify(sink);
	return 0;
}

/*
 * Source process: sizes from 1 byte to 16 KiB, some 2 KiB aligned, each
 * payload filled from its sequence number with the checksum in the
 * descriptor. Returns 0, or the number of the check that failed.
 */
static int
xfer_source(struct pkt_source *src, int wake_fd)
{
	struct pkt_desc d;
	uint64_t sent = 0, acked = 0, sum, x;
	uint8_t *b;
	int err;

	while (acked < XFER_COUNT) {
		while ((err = pkt_source_get_ack(src, &d)) == 0) {
			memcpy(&x, d.data, 8);
			if (d.data[16] != 1 || x >= sent)
				return 1;
			pkt_source_release(src, &d);
			acked++;
		}
		if (err != -EAGAIN)
			return 2;
		while (sent < XFER_COUNT) {
			x = mix(sent) % 16384 + 1;
			if (pkt_source_alloc(src, x, sent % 4 ? 0 : 11,
			    &d) != 0)
				break;
			b = pkt_source_payload(src, &d);
			if (b == NULL)
				return 3;
			fill(b, x, sent);
			sum = checksum(b, x);
			memcpy(d.data, &sent, 8);
			memcpy(d.data + 8, &sum, 8);
			if (pkt_source_submit(src, &d) != 0) {
				pkt_source_release(src, &d);
				break;
			}
			sent++;
		}
		pkt_source_notify(src);
		if (acked < XFER_COUNT && !pkt_source_arm(src)) {
			wait_fd(wake_fd);
			pkt_source_drain_wake(src);
		}
	}
	return 0;
}

static void
t_two_process(void)
{
	struct pkt_source *src;
	struct pkt_sink *sink;
	struct pkt_desc d;
	size_t size = pkt_stream_meta_size(XFER_SLOTS) + XFER_BULK;
	int mfd, a[2], b[2], status, err;
	void *shm, *src_mem;
	char sink_mem[512];
	pid_t pid;

	T_CHECK(pkt_sink_size() <= sizeof(sink_mem));
	mfd = memfd_create("ps-test", MFD_CLOEXEC);
	T_CHECK(mfd >= 0 && ftruncate(mfd, (off_t)size) == 0);
	shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	T_CHECK(shm != MAP_FAILED);
	T_CHECK(pkt_wake_pipe(a) == 0 && pkt_wake_pipe(b) == 0);
	T_CHECK(pkt_stream_format(shm, size, XFER_SLOTS) == 0);
	src_mem = malloc(pkt_source_size(size, XFER_SLOTS));
	T_CHECK(src_mem != NULL);
	T_CHECK(pkt_source_init(&src, src_mem, shm, size, XFER_SLOTS, a[0],
	    b[1]) == 0);
	pid = fork();
	T_CHECK(pid >= 0);
	if (pid == 0) {
		alarm(50);
		if (pkt_sink_init(&sink, sink_mem, shm, size, XFER_SLOTS,
		    b[0], a[1]) != 0)
			_exit(2);
		_exit(xfer_sink(sink, b[0]));
	}
	err = xfer_source(src, a[0]);
	if (err != 0)
		kill(pid, SIGKILL);
	T_CHECK(waitpid(pid, &status, 0) == pid);
	T_CHECKF(err == 0, "source check %d failed", err);
	T_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "sink status %#x", status);
	/* Everything came back to the allocator. */
	T_CHECK(pkt_source_alloc(src, XFER_BULK, 0, &d) == 0);
	free(src_mem);
	munmap(shm, size);
	close(mfd);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/*
 * Rings and bulk buffer in separate mappings: the setup checks both, and
 * payloads are addressed in the bulk mapping, validated against its size.
 */
static void
t_split(void)
{
	size_t meta = pkt_stream_meta_size(8), bulk = 64 * 1024;
	struct pkt_source *src;
	struct pkt_sink *sink;
	struct pkt_desc d, g;
	uint8_t *rings, *data;
	void *smem, *kmem;

	rings = mmap(NULL, meta, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	data = mmap(NULL, bulk, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	smem = malloc(pkt_source_size_bulk(bulk));
	kmem = malloc(pkt_sink_size());
	T_CHECK(rings != MAP_FAILED && data != MAP_FAILED && smem && kmem);
	/* Rings too small, slots not a power of two, no bulk: refused. */
	T_CHECK(pkt_stream_format_rings(rings, 100, 8) == -EINVAL);
	T_CHECK(pkt_stream_format_rings(rings, meta, 6) == -EINVAL);
	T_CHECK(pkt_stream_format_rings(rings, meta, 8) == 0);
	T_CHECK(pkt_sink_init_split(&sink, kmem, rings, meta, data, 0, 8, -1,
	    -1) == -EINVAL);
	T_CHECK(pkt_source_init_split(&src, smem, rings, 100, data, bulk, 8,
	    -1, -1) == -EINVAL);
	/* A source with another slot count is caught by the header. */
	T_CHECK(pkt_source_init_split(&src, smem, rings, meta, data, bulk, 4,
	    -1, -1) == -EINVAL);
	T_CHECK(pkt_sink_init_split(&sink, kmem, rings, meta, data, bulk, 8,
	    -1, -1) == 0);
	T_CHECK(pkt_source_init_split(&src, smem, rings, meta, data, bulk, 8,
	    -1, -1) == 0);
	T_CHECK(pkt_source_bulk_size(src) == bulk &&
	    pkt_sink_bulk_size(sink) == bulk);
	T_CHECK(pkt_source_alloc(src, 4096, 12, &d) == 0);
	T_CHECK((uint8_t *)pkt_source_payload(src, &d) == data + d.offset);
	memset(pkt_source_payload(src, &d), 0x5a, 4096);
	T_CHECK(pkt_source_submit(src, &d) == 0);
	T_CHECK(pkt_sink_get(sink, &g) == 0);
	T_CHECK(pkt_sink_valid(sink, &g) && g.offset == d.offset);
	T_CHECK(((uint8_t *)pkt_sink_payload(sink, &g))[4095] == 0x5a);
	/* The ring's bytes never count as bulk: past the end is invalid. */
	g.offset = (int64_t)bulk - 512;
	g.size = 1024;
	T_CHECK(!pkt_sink_valid(sink, &g) && !pkt_sink_payload(sink, &g));
	T_CHECK(pkt_sink_ack(sink, &d) == 0);
	T_CHECK(pkt_source_get_ack(src, &g) == 0 && g.offset == d.offset);
	pkt_source_release(src, &g);
	free(smem);
	free(kmem);
	munmap(rings, meta);
	munmap(data, bulk);
}

/*
 * A hostile peer holding the sink's wake pipe (the same open file) clears
 * O_NONBLOCK on it after set-up; the pipe is empty. Draining must still
 * return at once (an alarm turns a hang into a failure).
 */
static void
t_drain_hostile(void)
{
	struct pair p;
	int fl;

	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	fl = fcntl(p.sink_fd, F_GETFL);
	T_CHECK(fl >= 0 && fcntl(p.sink_fd, F_SETFL, fl & ~O_NONBLOCK) == 0);
	alarm(5);
	pkt_sink_drain_wake(p.sink);
	T_CHECK(pkt_wake_drain(p.sink_fd) == 0);
	alarm(0);
	T_CHECK(1);	/* reached: the drains did not block */
	pair_fini(&p);
}

/*
 * A hostile sink fills its own wake pipe and clears O_NONBLOCK on the
 * write end it shares with the source, then lets the source notify it
 * again and again (no poll-then-write window to win: each write carries
 * RWF_NOWAIT). The source must never block (an alarm turns a hang into a
 * failure), and the sink still finds a wake-up pending.
 */
static void
t_kick_hostile(void)
{
	struct pkt_desc d = { .offset = 0, .size = 1 }, g;
	uint8_t junk[4096] = { 0 };
	struct pair p;
	unsigned i;
	int fl;

	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	while (write(p.sink_wr, junk, sizeof(junk)) > 0)
		;
	T_CHECK(errno == EAGAIN);
	fl = fcntl(p.sink_wr, F_GETFL);
	T_CHECK(fl >= 0 && fcntl(p.sink_wr, F_SETFL, fl & ~O_NONBLOCK) == 0);
	alarm(5);
	for (i = 0; i < 100; i++) {
		T_CHECK(!pkt_sink_arm(p.sink));	/* the sink "sleeps" */
		T_CHECK(pkt_source_submit(p.src, &d) == 0);
		pkt_source_notify(p.src);
		T_CHECK(pkt_sink_get(p.sink, &g) == 0);
		T_CHECK(pkt_sink_ack(p.sink, &g) == 0);
		T_CHECK(pkt_source_get_ack(p.src, &g) == 0);
	}
	alarm(0);
	T_CHECK(pkt_wake_drain(p.sink_fd) >= 65536);
	pair_fini(&p);
}

/*
 * The peer handed over something that is not a pipe (an eventfd, whose
 * writes cannot be made non-blocking): notify must neither block on it
 * nor write to it.
 */
static void
t_kick_not_pipe(void)
{
	struct pkt_desc d = { .offset = 0, .size = 1 };
	uint64_t full = 0xfffffffffffffffeull, v = 0;
	struct pair p;
	int e;

	T_CHECK(pair_init(&p, 8, 4096, O_NONBLOCK) == 0);
	T_CHECK((e = eventfd(0, EFD_CLOEXEC)) >= 0);
	T_CHECK(write(e, &full, sizeof(full)) == sizeof(full));
	T_CHECK(dup3(e, p.sink_wr, O_CLOEXEC) == p.sink_wr);
	T_CHECK(!pkt_sink_arm(p.sink));
	T_CHECK(pkt_source_submit(p.src, &d) == 0);
	alarm(5);
	pkt_source_notify(p.src);
	alarm(0);
	T_CHECK(read(e, &v, sizeof(v)) == sizeof(v) && v == full);
	close(e);
	pair_fini(&p);
}

int
main(void)
{
	/* A failing check in the two-process case must not hang the run. */
	alarm(55);
	T_RUN("ps-001", "format rejects bad slot counts and an empty bulk",
	    t_geometry);
	T_RUN("ps-002", "attach checks geometry; sink keeps its own slot count",
	    t_init);
	T_RUN("ps-003", "submit, get, ack and get_ack keep descriptors intact",
	    t_roundtrip);
	T_RUN("ps-004", "100000 packets through 4 slots across the 2^32 wrap",
	    t_wrap);
	T_RUN("ps-005", "a full submit ring gives -EAGAIN until the sink takes",
	    t_full);
	T_RUN("ps-006", "acks and releases in any order", t_out_of_order);
	T_RUN("ps-007", "allocator fragments, coalesces and wraps next-fit",
	    t_fragment);
	T_RUN("ps-008", "allocations honour alignment up to beyond the buffer",
	    t_align);
	T_RUN("ps-009", "size 0 and oversize are -EINVAL, exhaustion -EAGAIN",
	    t_alloc_limits);
	T_RUN("ps-010", "release ignores bogus and double releases",
	    t_release_bogus);
	T_RUN("ps-011", "descriptors outside the bulk buffer are invalid",
	    t_bounds);
	T_RUN("ps-012", "corrupt indices give -EPROTO, never a bad access",
	    t_corrupt);
	T_RUN("ps-013", "the sink never takes more than it can acknowledge",
	    t_ack_reserve);
	T_RUN("ps-014", "notify writes the wake pipe once, only to a waiter",
	    t_notify);
	T_RUN("ps-015", "a source waiting for submit space is woken by a take",
	    t_notify_space);
	T_RUN("ps-016", "two processes move 100000 checksummed packets",
	    t_two_process);
	T_RUN("ps-017", "rings and bulk buffer in separate mappings",
	    t_split);
	T_RUN("ps-018", "a drain never blocks on a wake pipe a peer made "
	    "blocking", t_drain_hostile);
	T_RUN("ps-019", "notifies never block on a full wake pipe a peer "
	    "made blocking", t_kick_hostile);
	T_RUN("ps-020", "a notify neither blocks on nor writes to a wake fd "
	    "that is not a pipe", t_kick_not_pipe);
	return t_done();
}
