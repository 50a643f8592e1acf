/*
 * The peer: a minimal single-producer ring with fixed payload slots in a memfd.
 * SPDX-License-Identifier: MIT
 *
 * What a packet stream costs beyond this is the price of its generality:
 * descriptors, a bulk allocator, validation and an ack ring. The ring here
 * has none of that: payload slot i is fixed at i % slots, the consumer
 * frees a slot by advancing the tail, and nothing is checked. Wake-ups use
 * the same strategy as lib/base/packet_stream.c: a waiting flag in shared
 * memory, a seq_cst fence on both sides, and an eventfd write only when the
 * peer sleeps, checked at the same points as the packet-stream variant.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_ipc.h"

#define SLOTS_OFF	4096

struct raw_hdr {
	_Alignas(64) _Atomic uint32_t head;		/* producer */
	_Alignas(64) _Atomic uint32_t tail;		/* consumer */
	_Alignas(64) _Atomic uint32_t prod_waiting;
	_Alignas(64) _Atomic uint32_t cons_waiting;
};

struct raw_run {
	struct raw_hdr *h;
	unsigned char *slots;
	size_t size;
	uint32_t nslots;
	uint32_t count;
	unsigned notify_batch;
	int prod_fd;		/* eventfd the producer sleeps on */
	int cons_fd;
};

static void
raw_notify(bool *progress, _Atomic uint32_t *peer_waiting, int fd)
{
	uint64_t one = 1;

	if (!*progress)
		return;
	*progress = false;
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(peer_waiting, memory_order_relaxed) &&
	    atomic_exchange_explicit(peer_waiting, 0, memory_order_relaxed))
		if (write(fd, &one, sizeof(one)) < 0)
			abort();
}

/* Sleep unless *idx moved away from `seen` meanwhile. */
static void
raw_sleep(_Atomic uint32_t *waiting, _Atomic uint32_t *idx, uint32_t seen,
    int fd)
{
	uint64_t v;

	atomic_store_explicit(waiting, 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(idx, memory_order_acquire) == seen) {
		wait_readable(fd);
		if (read(fd, &v, sizeof(v)) < 0)
			abort();
	}
	atomic_store_explicit(waiting, 0, memory_order_relaxed);
}

static int
consumer(void *arg)
{
	struct raw_run *r = arg;
	struct raw_hdr *h = r->h;
	uint32_t tail = 0, head;
	unsigned char *p;
	unsigned batch = 0;
	bool progress = false;

	while (tail != r->count) {
		head = atomic_load_explicit(&h->head, memory_order_acquire);
		if (head == tail) {
			raw_sleep(&h->cons_waiting, &h->head, tail, r->cons_fd);
			continue;
		}
		while (tail != head) {
			p = r->slots + (size_t)(tail % r->nslots) * r->size;
			if (!work_consume(p, r->size, tail))
				return 3;
			atomic_store_explicit(&h->tail, ++tail,
			    memory_order_release);
			progress = true;
			if (++batch == r->notify_batch) {
				batch = 0;
				raw_notify(&progress, &h->prod_waiting,
				    r->prod_fd);
			}
		}
		raw_notify(&progress, &h->prod_waiting, r->prod_fd);
	}
	return 0;
}

static void
producer(struct raw_run *r)
{
	struct raw_hdr *h = r->h;
	uint32_t head = 0, tail = 0, t;
	unsigned batch = 0;
	bool progress = false;

	for (;;) {
		t = atomic_load_explicit(&h->tail, memory_order_acquire);
		if (t == r->count)
			break;
		if (head == r->count || head - t == r->nslots) {
			if (t == tail) {
				raw_sleep(&h->prod_waiting, &h->tail, t,
				    r->prod_fd);
				continue;
			}
		}
		tail = t;
		while (head != r->count && head - tail < r->nslots) {
			work_produce(r->slots + (size_t)(head % r->nslots) *
			    r->size, r->size, head);
			atomic_store_explicit(&h->head, ++head,
			    memory_order_release);
			progress = true;
			if (++batch == r->notify_batch) {
				batch = 0;
				raw_notify(&progress, &h->cons_waiting,
				    r->cons_fd);
			}
		}
		raw_notify(&progress, &h->cons_waiting, r->cons_fd);
	}
}

double
raw_ring_run(const struct placement *pl, size_t size, unsigned in_flight,
    uint32_t count)
{
	struct raw_run r = { .size = size, .nslots = in_flight,
	    .count = count, .notify_batch = in_flight / NOTIFY_DIV,
	    .prod_fd = -1, .cons_fd = -1 };
	size_t shm_size = SLOTS_OFF + (size_t)in_flight * size;
	double secs = -1;
	uint64_t t0;
	pid_t pid;

	r.h = shm_create(shm_size);
	if (r.h == NULL)
		return -1;
	r.slots = (unsigned char *)r.h + SLOTS_OFF;
	r.prod_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r.cons_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r.prod_fd < 0 || r.cons_fd < 0)
		goto out;
	pid = spawn(pl, consumer, &r);
	if (pid < 0)
		goto out;
	t0 = now_ns();
	producer(&r);
	secs = (double)(now_ns() - t0) / 1e9;
	if (reap(pid, "raw ring consumer") < 0)
		secs = -1;
out:
	if (r.prod_fd >= 0)
		close(r.prod_fd);
	if (r.cons_fd >= 0)
		close(r.cons_fd);
	munmap(r.h, shm_size);
	return secs;
}
