/*
 * Block benchmark, peer side: raw io_uring on the image file, the work
 * file_blk does for block_tester, without any component in between.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench-block-peer FILE seqread|seqwrite|randread SIZE DEPTH COUNT
 *            [direct]
 *
 * seqread/seqwrite: requests of SIZE bytes from offset 0 up to the end of
 * the file (COUNT ignored); randread: COUNT reads of SIZE bytes at random
 * SIZE-aligned offsets. With `direct` the file is opened with O_DIRECT, as
 * file_blk opens it by default (direct="yes"). DEPTH requests in flight, each completion refilled
 * at once and submitted in one io_uring_submit per batch of completions —
 * the same ring set-up (default flags, DEPTH entries, eventfd-free waiting
 * aside) as file_blk's.
 *
 * Prints one line: "peer MODE: bytes=N us=N mib_s=X iops=Y".
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct req {
	void *buf;
	off_t off;
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static unsigned long long
parse(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	else if (*end == 'G' || *end == 'g')
		v <<= 30;
	return v;
}

int
main(int argc, char **argv)
{
	unsigned long long size, depth, count, issued = 0, done = 0, slots;
	unsigned long long rng = 88172645463325252ull, bytes = 0, i;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct req *reqs;
	struct stat st;
	double t0, us;
	int fd, mode, r;

	if (argc != 6 && (argc != 7 || strcmp(argv[6], "direct") != 0)) {
		fprintf(stderr, "usage: bench-block-peer FILE "
		    "seqread|seqwrite|randread SIZE DEPTH COUNT [direct]\n");
		return 2;
	}
	mode = strcmp(argv[2], "seqread") == 0 ? 0 :
	    strcmp(argv[2], "seqwrite") == 0 ? 1 :
	    strcmp(argv[2], "randread") == 0 ? 2 : -1;
	size = parse(argv[3]);
	depth = parse(argv[4]);
	count = parse(argv[5]);
	fd = open(argv[1], (mode == 1 ? O_RDWR : O_RDONLY) |
	    (argc == 7 ? O_DIRECT : 0));
	if (mode < 0 || size == 0 || depth == 0 || depth > 4096 || fd < 0 ||
	    fstat(fd, &st) < 0 || (unsigned long long)st.st_size < size) {
		fprintf(stderr, "bench-block-peer: bad arguments or file\n");
		return 2;
	}
	slots = (unsigned long long)st.st_size / size;
	if (mode != 2)
		count = slots;
	if ((r = io_uring_queue_init((unsigned)depth, &ring, 0)) < 0) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-r));
		return 1;
	}
	reqs = calloc(depth, sizeof(*reqs));
	for (i = 0; i < depth; i++) {
		if (posix_memalign(&reqs[i].buf, 4096, size) != 0)
			return 1;
		/* Faulted in before the clock starts, as file_blk's
		 * session buffer is at session set-up. */
		memset(reqs[i].buf, 0, size);
	}
	t0 = now_us();
	for (;;) {
		/* Refill every free request, then one submit for the lot. */
		for (i = 0; i < depth && issued < count; i++) {
			struct io_uring_sqe *sqe;
			struct req *q = &reqs[i];

			if (q->off < 0)
				continue;	/* in flight */
			if (issued >= count)
				break;
			if (mode == 2) {
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				q->off = (off_t)((rng % slots) * size);
			} else
				q->off = (off_t)(issued * size);
			sqe = io_uring_get_sqe(&ring);
			if (mode == 1)
				io_uring_prep_write(sqe, fd, q->buf,
				    (unsigned)size, q->off);
			else
				io_uring_prep_read(sqe, fd, q->buf,
				    (unsigned)size, q->off);
			io_uring_sqe_set_data(sqe, q);
			q->off = -1 - q->off;	/* mark in flight */
			issued++;
		}
		if (done == count)
			break;
		io_uring_submit_and_wait(&ring, 1);
		{
			unsigned head, n = 0;

			io_uring_for_each_cqe(&ring, head, cqe) {
				struct req *q = io_uring_cqe_get_data(cqe);

				if (cqe->res != (int)size) {
					fprintf(stderr, "bench-block-peer: "
					    "short or failed I/O: %d\n",
					    cqe->res);
					return 1;
				}
				q->off = 0;
				bytes += size;
				done++;
				n++;
			}
			io_uring_cq_advance(&ring, n);
		}
	}
	us = now_us() - t0;
	printf("peer %s: bytes=%llu us=%.0f mib_s=%.1f iops=%.0f\n", argv[2],
	    bytes, us, (double)bytes / 1048576.0 / (us / 1e6),
	    (double)done * 1e6 / us);
	return 0;
}
