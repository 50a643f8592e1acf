/*
 * Packet stream: SPSC descriptor rings, bulk allocator and batched wake-ups.
 * SPDX-License-Identifier: MIT
 *
 * Layout of the dataspace: struct pkt_shm, the submit ring, the ack ring,
 * padding up to a 4 KiB boundary, then the bulk buffer. The padding is part
 * of pkt_stream_meta_size(); it makes the bulk buffer page aligned in every
 * mapping, so a block server can hand payloads to O_DIRECT I/O as they are.
 * The *_split variants take the rings (header and both rings) and the bulk
 * buffer as two separate mappings, so that a bulk buffer can be shared
 * with another stream without its rings (a Block session whose client
 * supplies the bulk buffer, see session/block.h).
 *
 * Rings: 32-bit head and tail run freely and wrap; a slot is index & mask,
 * where mask comes from the slot count each side was given privately, so a
 * corrupt index can never address memory outside the ring. A side accepts
 * a peer index only if head - tail <= slots - 1 (unsigned); anything else
 * marks the stream broken and the get functions return -EPROTO from then on.
 * Descriptors are written before the head is stored with release order and
 * copied out before the tail is stored with release order.
 *
 * Wake-ups are a Dekker pattern: a sleeper stores the set of events it
 * waits for (PKT_EV_*), issues a seq_cst fence and re-reads the rings; a
 * notifier stores its indices, issues a seq_cst fence and reads the set.
 * One of the two must see the other's store, so no wake-up is lost. The
 * notifier clears the set when it writes the wake pipe, so a sleeping peer
 * costs one write however many batches follow, and it writes only for
 * events the peer asked for: a source waiting for acks is not woken because
 * the sink merely took descriptors.
 *
 * Bulk allocator (source side only): a bitmap with one bit per 512-byte
 * granule, searched from a cursor: where the last allocation ended, or the
 * start of a range released below it. Freed ranges coalesce by
 * construction and release may come in any order. Moving the cursor down
 * on release keeps a client with few packets in flight on the same few
 * payload areas, which stay in the CPU's cache, rather than walking the
 * whole buffer: the copy into a cold area cost a 4 KiB read through
 * file_blk about a third of its time. Sizes are rounded up to granules;
 * alignments below 512 bytes are met for free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <string.h>
#include <unistd.h>

#include <cairn/packet_stream.h>

#include "base_impl.h"
#include "packet_stream_impl.h"

#define GRAN_NONE	UINT64_MAX

static size_t
ring_bytes(unsigned slots)
{
	return (size_t)slots * sizeof(struct pkt_desc);
}

size_t
pkt_stream_meta_size(unsigned slots)
{
	size_t n = sizeof(struct pkt_shm) + 2 * ring_bytes(slots);

	return (n + PKT_PAGE - 1) & ~(size_t)(PKT_PAGE - 1);
}

/* The cap on slots keeps every size computation far from overflow. */
static bool
geometry_ok(size_t shm_size, unsigned slots)
{
	if (slots < 2 || slots > PKT_MAX_SLOTS || (slots & (slots - 1)) != 0)
		return false;
	return shm_size > pkt_stream_meta_size(slots);
}

static bool
shm_ok(const void *shm, size_t shm_size, unsigned slots)
{
	if (shm == NULL || ((uintptr_t)shm & (alignof(struct pkt_shm) - 1)))
		return false;
	return geometry_ok(shm_size, slots);
}

/* Rings in a mapping of their own: it must hold the header and rings. */
static bool
rings_ok(const void *rings, size_t rings_size, unsigned slots)
{
	if (rings == NULL ||
	    ((uintptr_t)rings & (alignof(struct pkt_shm) - 1)))
		return false;
	if (slots < 2 || slots > PKT_MAX_SLOTS || (slots & (slots - 1)) != 0)
		return false;
	return rings_size >= sizeof(struct pkt_shm) + 2 * ring_bytes(slots);
}

static void
format(struct pkt_shm *h, unsigned slots)
{
	memset(h, 0, sizeof(*h) + 2 * ring_bytes(slots));
	h->magic = PKT_MAGIC;
	h->slots = slots;
}

int
pkt_stream_format(void *shm, size_t shm_size, unsigned slots)
{
	if (!shm_ok(shm, shm_size, slots))
		return -EINVAL;
	format(shm, slots);
	return 0;
}

int
pkt_stream_format_rings(void *rings, size_t rings_size, unsigned slots)
{
	if (!rings_ok(rings, rings_size, slots))
		return -EINVAL;
	format(rings, slots);
	return 0;
}

/* Wake-up plumbing shared by both sides (pipes, see base_impl.h). */

int
pkt_wake_pipe(int fds[2])
{
	return pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0 ? -errno : 0;
}

uint64_t
pkt_wake_drain(int fd)
{
	return fd < 0 ? 0 : wake_drain(fd);
}

static void
kick(int fd)
{
	/* Fails only when the peer is gone or handed us something that
	 * cannot be written without blocking; the peer is not woken then. */
	if (fd >= 0)
		(void)wake_kick(fd);
}

static void
notify(uint32_t *progress, _Atomic uint32_t *peer_waiting, int peer_fd)
{
	uint32_t done = *progress, w;

	if (done == 0)
		return;
	*progress = 0;
	/* Orders our index stores before the flag load (see the top). */
	atomic_thread_fence(memory_order_seq_cst);
	w = atomic_load_explicit(peer_waiting, memory_order_relaxed);
	/* Clear only the set we read: the peer may re-arm for other events. */
	while (w & done) {
		if (atomic_compare_exchange_weak_explicit(peer_waiting, &w, 0,
		    memory_order_relaxed, memory_order_relaxed)) {
			kick(peer_fd);
			return;
		}
	}
}

/*
 * Publish every event we might wait for before looking at the rings; the
 * caller narrows the set once it knows what it lacks. A peer that reads the
 * wider set only causes one spurious wake-up.
 */
static void
wait_begin(_Atomic uint32_t *waiting, uint32_t events)
{
	atomic_store_explicit(waiting, events, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
}

static void
wait_narrow(_Atomic uint32_t *waiting, uint32_t events)
{
	atomic_store_explicit(waiting, events, memory_order_relaxed);
}

static void
wait_end(_Atomic uint32_t *waiting)
{
	atomic_store_explicit(waiting, 0, memory_order_relaxed);
}

/* Whether a ring with these indices holds at most slots - 1 entries. */
static bool
index_ok(uint32_t head, uint32_t tail, uint32_t slots)
{
	return head - tail <= slots - 1;
}

/* --- bulk allocator --- */

static uint64_t
words(uint64_t bits)
{
	return (bits + 63) / 64;
}

/* First bit in [from, to) equal to `want`, or `to`. */
static uint64_t
bit_find(const uint64_t *bm, uint64_t from, uint64_t to, bool want)
{
	uint64_t i, w, flip = want ? 0 : ~(uint64_t)0, b;

	if (from >= to)
		return to;
	i = from / 64;
	w = (bm[i] ^ flip) & (~(uint64_t)0 << (from % 64));
	for (;;) {
		if (w != 0) {
			b = i * 64 + (uint64_t)__builtin_ctzll(w);
			return b < to ? b : to;
		}
		if (++i * 64 >= to)
			return to;
		w = bm[i] ^ flip;
	}
}

/* Bits [from, from + n) when they lie in one word (from % 64 + n <= 64). */
static uint64_t
word_mask(uint64_t from, uint64_t n)
{
	uint64_t m = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;

	return m << (from % 64);
}

static void
bit_range(uint64_t *bm, uint64_t from, uint64_t to, bool set)
{
	uint64_t i = from / 64, last = (to - 1) / 64, m;

	for (; i <= last; i++) {
		m = ~(uint64_t)0;
		if (i == from / 64)
			m &= ~(uint64_t)0 << (from % 64);
		if (i == last && to % 64)
			m &= ~(uint64_t)0 >> (64 - to % 64);
		if (set)
			bm[i] |= m;
		else
			bm[i] &= ~m;
	}
}

/* Whether granules [p, p + n) are all allocated (set) or all free. */
static bool
bit_all(const uint64_t *bm, uint64_t p, uint64_t n, bool set)
{
	uint64_t m;

	/* Packets up to 32 KiB take the one-word path. */
	if (p % 64 + n <= 64) {
		m = word_mask(p, n);
		return (bm[p / 64] & m) == (set ? m : 0);
	}
	return bit_find(bm, p, p + n, !set) == p + n;
}

/* A free run of n granules starting at an a-aligned p in [from, pmax]. */
static uint64_t
run_find(const struct pkt_source *src, uint64_t from, uint64_t pmax,
    uint64_t n, uint64_t a)
{
	uint64_t p = (from + a - 1) & ~(a - 1), q;

	while (p <= pmax) {
		if (bit_all(src->bitmap, p, n, false))
			return p;
		q = bit_find(src->bitmap, p, p + n, true);
		/* Skip the whole allocated run that stopped us. */
		p = bit_find(src->bitmap, q + 1, src->ngran, false);
		p = (p + a - 1) & ~(a - 1);
	}
	return GRAN_NONE;
}

int
pkt_source_alloc(struct pkt_source *src, uint64_t size, unsigned align_log2,
    struct pkt_desc *d)
{
	uint64_t n, a, pmax, p;

	if (size == 0 || size > src->bulk_size)
		return -EINVAL;
	n = (size + PKT_GRAN - 1) >> PKT_GRAN_LOG2;
	if (align_log2 > 62)
		align_log2 = 62;
	a = align_log2 > PKT_GRAN_LOG2 ?
	    (uint64_t)1 << (align_log2 - PKT_GRAN_LOG2) : 1;
	/* The last granule may be partial: the run must end inside bulk. */
	pmax = (src->bulk_size - size) >> PKT_GRAN_LOG2;
	p = run_find(src, src->cursor, pmax, n, a);
	if (p == GRAN_NONE && src->cursor != 0)
		p = run_find(src, 0, pmax, n, a);
	if (p == GRAN_NONE)
		return -EAGAIN;
	bit_range(src->bitmap, p, p + n, true);
	src->cursor = p + n < src->ngran ? p + n : 0;
	memset(d, 0, sizeof(*d));
	d->offset = (int64_t)(p << PKT_GRAN_LOG2);
	d->size = size;
	return 0;
}

static bool
in_bulk(uint64_t bulk_size, const struct pkt_desc *d)
{
	return d->size != 0 && d->offset >= 0 &&
	    (uint64_t)d->offset <= bulk_size &&
	    d->size <= bulk_size - (uint64_t)d->offset;
}

void
pkt_source_release(struct pkt_source *src, const struct pkt_desc *d)
{
	uint64_t p, n;

	/*
	 * Acks come back from the sink: ignore anything that does not denote
	 * space we handed out, rather than corrupt the allocator.
	 */
	if (!in_bulk(src->bulk_size, d) || (d->offset & (PKT_GRAN - 1)))
		return;
	p = (uint64_t)d->offset >> PKT_GRAN_LOG2;
	n = (d->size + PKT_GRAN - 1) >> PKT_GRAN_LOG2;
	if (!bit_all(src->bitmap, p, n, true))
		return;
	bit_range(src->bitmap, p, p + n, false);
	if (p < src->cursor)
		src->cursor = p;
}

void *
pkt_source_payload(struct pkt_source *src, const struct pkt_desc *d)
{
	if (!in_bulk(src->bulk_size, d))
		return NULL;
	return src->bulk + d->offset;
}

/* --- source side --- */

size_t
pkt_source_size_bulk(uint64_t bulk_size)
{
	return sizeof(struct pkt_source) + PKT_LINE - 1 +
	    words((bulk_size + PKT_GRAN - 1) >> PKT_GRAN_LOG2) * 8;
}

size_t
pkt_source_size(size_t shm_size, unsigned slots)
{
	if (!geometry_ok(shm_size, slots))
		return sizeof(struct pkt_source) + PKT_LINE - 1;
	return pkt_source_size_bulk(shm_size - pkt_stream_meta_size(slots));
}

static void *
align_mem(void *mem)
{
	return (void *)(((uintptr_t)mem + PKT_LINE - 1) &
	    ~(uintptr_t)(PKT_LINE - 1));
}

int
pkt_source_init_split(struct pkt_source **srcp, void *mem, void *rings,
    size_t rings_size, void *bulk, uint64_t bulk_size, unsigned slots,
    int wake_fd, int peer_fd)
{
	struct pkt_source *src;
	struct pkt_shm *h = rings;

	if (mem == NULL || !rings_ok(rings, rings_size, slots) ||
	    bulk == NULL || bulk_size == 0 || bulk_size > INT64_MAX)
		return -EINVAL;
	/* The source trusts its sink, but catches a mismatched setup. */
	if (h->magic != PKT_MAGIC || h->slots != slots)
		return -EINVAL;
	src = align_mem(mem);
	memset(src, 0, sizeof(*src));
	src->shm = h;
	src->submit = (struct pkt_desc *)(h + 1);
	src->ack = src->submit + slots;
	src->bulk = bulk;
	src->bulk_size = bulk_size;
	src->slots = slots;
	src->mask = slots - 1;
	src->wake_fd = wake_fd;
	src->peer_fd = peer_fd;
	src->ngran = (src->bulk_size + PKT_GRAN - 1) >> PKT_GRAN_LOG2;
	memset(src->bitmap, 0, words(src->ngran) * 8);
	*srcp = src;
	return 0;
}

int
pkt_source_init(struct pkt_source **srcp, void *mem, void *shm,
    size_t shm_size, unsigned slots, int wake_fd, int peer_fd)
{
	size_t meta;

	if (mem == NULL || !shm_ok(shm, shm_size, slots))
		return -EINVAL;
	meta = pkt_stream_meta_size(slots);
	return pkt_source_init_split(srcp, mem, shm, meta,
	    (uint8_t *)shm + meta, shm_size - meta, slots, wake_fd, peer_fd);
}

uint64_t
pkt_source_bulk_size(const struct pkt_source *src)
{
	return src->bulk_size;
}

unsigned
pkt_source_submit_space(const struct pkt_source *src)
{
	uint32_t t;

	t = atomic_load_explicit(&src->shm->submit_tail, memory_order_acquire);
	if (!index_ok(src->submit_head, t, src->slots))
		return 0;
	return src->slots - 1 - (src->submit_head - t);
}

int
pkt_source_submit(struct pkt_source *src, const struct pkt_desc *d)
{
	uint32_t t;

	if (src->submit_head - src->submit_tail >= src->slots - 1) {
		t = atomic_load_explicit(&src->shm->submit_tail,
		    memory_order_acquire);
		if (!index_ok(src->submit_head, t, src->slots)) {
			src->broken = true;
			return -EAGAIN;
		}
		src->submit_tail = t;
		if (src->submit_head - t >= src->slots - 1)
			return -EAGAIN;
	}
	memcpy(&src->submit[src->submit_head & src->mask], d, sizeof(*d));
	atomic_store_explicit(&src->shm->submit_head, ++src->submit_head,
	    memory_order_release);
	src->progress |= PKT_EV_SUBMITTED;
	return 0;
}

int
pkt_source_get_ack(struct pkt_source *src, struct pkt_desc *d)
{
	uint32_t h;

	if (src->broken)
		return -EPROTO;
	if (src->ack_head == src->ack_tail) {
		h = atomic_load_explicit(&src->shm->ack_head,
		    memory_order_acquire);
		if (!index_ok(h, src->ack_tail, src->slots)) {
			src->broken = true;
			return -EPROTO;
		}
		src->ack_head = h;
		if (h == src->ack_tail)
			return -EAGAIN;
	}
	memcpy(d, &src->ack[src->ack_tail & src->mask], sizeof(*d));
	atomic_store_explicit(&src->shm->ack_tail, ++src->ack_tail,
	    memory_order_release);
	src->progress |= PKT_EV_ACKS_TAKEN;
	return 0;
}

void
pkt_source_notify(struct pkt_source *src)
{
	notify(&src->progress, &src->shm->sink_waiting, src->peer_fd);
}

/*
 * The source sleeps for acks (which also free bulk space) and, when its
 * submit ring is full, for the sink to take descriptors. A ring that is not
 * full is no reason to wake: the caller is then stuck on bulk space or has
 * nothing to submit.
 */
bool
pkt_source_arm(struct pkt_source *src)
{
	_Atomic uint32_t *w = &src->shm->source_waiting;
	uint32_t t;

	wait_begin(w, PKT_EV_ACKED | PKT_EV_TAKEN);
	if (src->broken)
		goto work;
	t = atomic_load_explicit(&src->shm->ack_head, memory_order_acquire);
	if (t != src->ack_tail)
		goto work;
	if (src->submit_head - src->submit_tail < src->slots - 1) {
		wait_narrow(w, PKT_EV_ACKED);
		return false;
	}
	t = atomic_load_explicit(&src->shm->submit_tail, memory_order_acquire);
	if (!index_ok(src->submit_head, t, src->slots)) {
		src->broken = true;
		goto work;
	}
	src->submit_tail = t;
	if (src->submit_head - t < src->slots - 1)
		goto work;
	return false;
work:
	wait_end(w);
	return true;
}

void
pkt_source_drain_wake(struct pkt_source *src)
{
	wait_end(&src->shm->source_waiting);
	(void)pkt_wake_drain(src->wake_fd);
}

/* --- sink side --- */

size_t
pkt_sink_size(void)
{
	return sizeof(struct pkt_sink) + PKT_LINE - 1;
}

int
pkt_sink_init_split(struct pkt_sink **sinkp, void *mem, void *rings,
    size_t rings_size, void *bulk, uint64_t bulk_size, unsigned slots,
    int wake_fd, int peer_fd)
{
	struct pkt_sink *sink;

	/* Nothing is read from shared memory here: the sink's geometry is
	 * its own. */
	if (mem == NULL || !rings_ok(rings, rings_size, slots) ||
	    bulk == NULL || bulk_size == 0 || bulk_size > INT64_MAX)
		return -EINVAL;
	sink = align_mem(mem);
	memset(sink, 0, sizeof(*sink));
	sink->shm = rings;
	sink->submit = (struct pkt_desc *)(sink->shm + 1);
	sink->ack = sink->submit + slots;
	sink->bulk = bulk;
	sink->bulk_size = bulk_size;
	sink->slots = slots;
	sink->mask = slots - 1;
	sink->wake_fd = wake_fd;
	sink->peer_fd = peer_fd;
	*sinkp = sink;
	return 0;
}

int
pkt_sink_init(struct pkt_sink **sinkp, void *mem, void *shm, size_t shm_size,
    unsigned slots, int wake_fd, int peer_fd)
{
	size_t meta;

	if (mem == NULL || !shm_ok(shm, shm_size, slots))
		return -EINVAL;
	meta = pkt_stream_meta_size(slots);
	return pkt_sink_init_split(sinkp, mem, shm, meta,
	    (uint8_t *)shm + meta, shm_size - meta, slots, wake_fd, peer_fd);
}

uint64_t
pkt_sink_bulk_size(const struct pkt_sink *sink)
{
	return sink->bulk_size;
}

/* Whether an ack slot is free for one more descriptor; -EPROTO if corrupt. */
static int
ack_reserve(struct pkt_sink *sink)
{
	uint32_t t, limit = sink->slots - 1;

	if (sink->in_flight + (sink->ack_head - sink->ack_tail) < limit)
		return 0;
	t = atomic_load_explicit(&sink->shm->ack_tail, memory_order_acquire);
	if (!index_ok(sink->ack_head, t, sink->slots)) {
		sink->broken = true;
		return -EPROTO;
	}
	sink->ack_tail = t;
	if (sink->in_flight + (sink->ack_head - t) < limit)
		return 0;
	return -EAGAIN;
}

/* Whether a descriptor is waiting; -EPROTO if corrupt. */
static int
submit_avail(struct pkt_sink *sink)
{
	uint32_t h;

	if (sink->submit_head != sink->submit_tail)
		return 0;
	h = atomic_load_explicit(&sink->shm->submit_head,
	    memory_order_acquire);
	if (!index_ok(h, sink->submit_tail, sink->slots)) {
		sink->broken = true;
		return -EPROTO;
	}
	sink->submit_head = h;
	return h != sink->submit_tail ? 0 : -EAGAIN;
}

int
pkt_sink_get(struct pkt_sink *sink, struct pkt_desc *d)
{
	int err;

	if (sink->broken)
		return -EPROTO;
	if ((err = submit_avail(sink)) != 0 || (err = ack_reserve(sink)) != 0)
		return err;
	/* One copy; the caller validates the copy, never the ring slot. */
	memcpy(d, &sink->submit[sink->submit_tail & sink->mask], sizeof(*d));
	atomic_store_explicit(&sink->shm->submit_tail, ++sink->submit_tail,
	    memory_order_release);
	sink->in_flight++;
	sink->progress |= PKT_EV_TAKEN;
	return 0;
}

bool
pkt_sink_valid(const struct pkt_sink *sink, const struct pkt_desc *d)
{
	return in_bulk(sink->bulk_size, d);
}

void *
pkt_sink_payload(struct pkt_sink *sink, const struct pkt_desc *d)
{
	if (!in_bulk(sink->bulk_size, d))
		return NULL;
	return sink->bulk + d->offset;
}

int
pkt_sink_ack(struct pkt_sink *sink, const struct pkt_desc *d)
{
	if (sink->in_flight == 0)
		return -EAGAIN;
	/* The slot was reserved by pkt_sink_get(), so it is free. */
	memcpy(&sink->ack[sink->ack_head & sink->mask], d, sizeof(*d));
	atomic_store_explicit(&sink->shm->ack_head, ++sink->ack_head,
	    memory_order_release);
	sink->in_flight--;
	sink->progress |= PKT_EV_ACKED;
	return 0;
}

unsigned
pkt_sink_in_flight(const struct pkt_sink *sink)
{
	return sink->in_flight;
}

void
pkt_sink_notify(struct pkt_sink *sink)
{
	notify(&sink->progress, &sink->shm->source_waiting, sink->peer_fd);
}

/*
 * The sink sleeps for descriptors when its submit ring is empty, or for ack
 * slots when it has descriptors but could not acknowledge another one.
 */
bool
pkt_sink_arm(struct pkt_sink *sink)
{
	_Atomic uint32_t *w = &sink->shm->sink_waiting;
	int err;

	wait_begin(w, PKT_EV_SUBMITTED | PKT_EV_ACKS_TAKEN);
	if (sink->broken)
		goto work;
	if ((err = submit_avail(sink)) == -EAGAIN) {
		wait_narrow(w, PKT_EV_SUBMITTED);
		return false;
	}
	if (err == 0 && (err = ack_reserve(sink)) == -EAGAIN) {
		wait_narrow(w, PKT_EV_ACKS_TAKEN);
		return false;
	}
work:
	wait_end(w);
	return true;
}

void
pkt_sink_drain_wake(struct pkt_sink *sink)
{
	wait_end(&sink->shm->sink_waiting);
	(void)pkt_wake_drain(sink->wake_fd);
}
