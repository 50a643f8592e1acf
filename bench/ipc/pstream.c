/*
 * Packet-stream throughput: libcairn's stream beside a raw ring, same work.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench-pstream SIZE [COUNT [REPS]]
 * Prints, per placement, the packets/s of both variants, then one figure
 * line "figure: packet_stream_<SIZE/1024>k[_2cpu] cairn=<MB/s> peer=<MB/s>
 * ratio=<cairn/peer>", each value the median of REPS alternating runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cairn/packet_stream.h>

#include "bench_ipc.h"

#define MAX_REPS	15

struct cairn_run {
	void *shm;
	size_t shm_size;
	unsigned slots;
	size_t size;
	uint32_t count;
	unsigned notify_batch;
	int src_fd;		/* wake pipe the source sleeps on (read end) */
	int sink_fd;
	int src_wr;		/* ... and their write ends */
	int sink_wr;
};

/* The sink: take, validate, read the payload, acknowledge. */
static int
sink_main(void *arg)
{
	struct cairn_run *r = arg;
	struct pkt_sink *sink;
	struct pkt_desc d;
	uint32_t seq = 0, seen;
	unsigned batch = 0;
	void *mem, *p;
	int err;

	mem = malloc(pkt_sink_size());
	if (mem == NULL || pkt_sink_init(&sink, mem, r->shm, r->shm_size,
	    r->slots, r->sink_fd, r->src_wr) != 0)
		return 2;
	while (seq != r->count) {
		seen = seq;
		while ((err = pkt_sink_get(sink, &d)) == 0) {
			p = pkt_sink_payload(sink, &d);
			if (p == NULL || d.size != r->size ||
			    !work_consume(p, d.size, seq))
				return 3;
			seq++;
			if (pkt_sink_ack(sink, &d) != 0)
				return 4;
			if (++batch == r->notify_batch) {
				batch = 0;
				pkt_sink_notify(sink);
			}
		}
		if (err != -EAGAIN)
			return 5;
		pkt_sink_notify(sink);
		if (seq != r->count && seq == seen && !pkt_sink_arm(sink)) {
			wait_readable(r->sink_fd);
			pkt_sink_drain_wake(sink);
		}
	}
	free(mem);
	return 0;
}

/* The source: collect acks and release, allocate, fill, submit. */
static int
source_main(struct cairn_run *r)
{
	struct pkt_source *src;
	struct pkt_desc d;
	uint32_t sent = 0, acked = 0;
	unsigned batch = 0, space;
	bool idle;
	void *mem;

	mem = malloc(pkt_source_size(r->shm_size, r->slots));
	if (mem == NULL || pkt_source_init(&src, mem, r->shm, r->shm_size,
	    r->slots, r->src_fd, r->sink_wr) != 0)
		return -1;
	while (acked != r->count) {
		idle = true;
		while (pkt_source_get_ack(src, &d) == 0) {
			pkt_source_release(src, &d);
			acked++;
			idle = false;
		}
		space = pkt_source_submit_space(src);
		while (sent != r->count && space > 0 &&
		    pkt_source_alloc(src, r->size, 12, &d) == 0) {
			work_produce(pkt_source_payload(src, &d), r->size,
			    sent);
			if (pkt_source_submit(src, &d) != 0)
				return -1;
			sent++;
			space--;
			idle = false;
			if (++batch == r->notify_batch) {
				batch = 0;
				pkt_source_notify(src);
			}
		}
		pkt_source_notify(src);
		if (idle && !pkt_source_arm(src)) {
			wait_readable(r->src_fd);
			pkt_source_drain_wake(src);
		}
	}
	free(mem);
	return 0;
}

double
cairn_stream_run(const struct placement *pl, size_t size, unsigned in_flight,
    uint32_t count)
{
	struct cairn_run r = { .size = size, .count = count,
	    .notify_batch = in_flight / NOTIFY_DIV, .src_fd = -1,
	    .sink_fd = -1 };
	double secs = -1;
	uint64_t t0;
	pid_t pid;
	int a[2];

	/* Twice the slots, so only the bulk buffer limits what is in flight,
	 * as the slot count does for the raw ring. */
	r.slots = 2 * in_flight;
	r.shm_size = pkt_stream_meta_size(r.slots) + (size_t)in_flight * size;
	r.shm = shm_create(r.shm_size);
	if (r.shm == NULL || pkt_stream_format(r.shm, r.shm_size, r.slots) != 0)
		goto out;
	if (pkt_wake_pipe(a) < 0)
		goto out;
	r.src_fd = a[0];
	r.src_wr = a[1];
	if (pkt_wake_pipe(a) < 0)
		goto out;
	r.sink_fd = a[0];
	r.sink_wr = a[1];
	pid = spawn(pl, sink_main, &r);
	if (pid < 0)
		goto out;
	t0 = now_ns();
	if (source_main(&r) == 0)
		secs = (double)(now_ns() - t0) / 1e9;
	if (reap(pid, "packet stream sink") < 0)
		secs = -1;
out:
	if (r.src_fd >= 0) {
		close(r.src_fd);
		close(r.src_wr);
	}
	if (r.sink_fd >= 0) {
		close(r.sink_fd);
		close(r.sink_wr);
	}
	if (r.shm != NULL)
		munmap(r.shm, r.shm_size);
	return secs;
}

int
main(int argc, char **argv)
{
	struct placement pl[2];
	double cairn[MAX_REPS], peer[MAX_REPS], c, p, mb = 1e6;
	unsigned long size, count, reps, in_flight;
	int npl, i;
	unsigned k;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: bench-pstream SIZE [COUNT [REPS]]\n");
		return 2;
	}
	size = strtoul(argv[1], NULL, 0);
	count = argc > 2 ? strtoul(argv[2], NULL, 0) : 1000000;
	reps = argc > 3 ? strtoul(argv[3], NULL, 0) : 5;
	if (size < 64 || size % 64 || size > (64ul << 20) || count == 0 ||
	    count > UINT32_MAX / 2 || reps == 0 || reps > MAX_REPS) {
		fprintf(stderr, "bench-pstream: bad arguments\n");
		return 2;
	}
	/* About 1 MiB in flight, at least 64 packets. */
	in_flight = (1ul << 20) / size < 64 ? 64 : (1ul << 20) / size;
	npl = placements(pl);
	for (i = 0; i < npl; i++) {
		for (k = 0; k < reps; k++) {
			/* Alternate, so drift hits both variants alike. */
			c = cairn_stream_run(&pl[i], size, (unsigned)in_flight,
			    (uint32_t)count);
			p = raw_ring_run(&pl[i], size, (unsigned)in_flight,
			    (uint32_t)count);
			if (c <= 0 || p <= 0)
				return 1;
			cairn[k] = (double)count / c;
			peer[k] = (double)count / p;
		}
		c = median(cairn, (unsigned)reps);
		p = median(peer, (unsigned)reps);
		printf("packet_stream_%luk%s: cpus %d,%d: cairn %.0f "
		    "packets/s, raw ring %.0f packets/s (%lu x %lu B, "
		    "%lu in flight, median of %lu)\n", size / 1024,
		    pl[i].suffix, pl[i].cpu[0], pl[i].cpu[1], c, p, count,
		    size, in_flight, reps);
		printf("figure: packet_stream_%luk%s cairn=%.1f peer=%.1f "
		    "ratio=%.3f\n", size / 1024, pl[i].suffix,
		    c * (double)size / mb, p * (double)size / mb, c / p);
		fflush(stdout);
	}
	return 0;
}
