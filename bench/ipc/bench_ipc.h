/*
 * IPC benchmarks: placement, timing and the per-packet work both variants do.
 * SPDX-License-Identifier: MIT
 */
#ifndef BENCH_IPC_H
#define BENCH_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where the two processes run: both on cpu[0], or on cpu[0] and cpu[1]. */
struct placement {
	const char *suffix;	/* "" or "_2cpu", appended to figure names */
	int cpu[2];		/* [0] source/client, [1] sink/server */
};

/*
 * Both variants notify their peer at the end of each batch and, within a
 * long batch, every in_flight / NOTIFY_DIV packets, so a peer on another
 * CPU starts before the window is full.
 */
#define NOTIFY_DIV	4

/*
 * Fill the first two placements (one CPU, two CPUs) from this process's
 * affinity mask. Returns how many are possible (1 on a one-CPU machine).
 */
int placements(struct placement pl[2]);

/* Pin the calling process to one CPU: 0 or -errno. */
int pin_cpu(int cpu);

uint64_t now_ns(void);

/* Sleep until fd is readable (EINTR is retried). */
void wait_readable(int fd);

/* Median of n values (sorts v). */
double median(double *v, unsigned n);

/* A shared mapping of a fresh memfd of `size` bytes, or NULL. */
void *shm_create(size_t size);

/*
 * Fork a child that pins itself to pl->cpu[1] and runs fn(arg) (its return
 * value becomes the exit status); the caller is pinned to pl->cpu[0] and
 * returns once the child runs. Returns the child's pid or -1.
 */
pid_t spawn(const struct placement *pl, int (*fn)(void *), void *arg);

/* Wait for child pid; 0 when it exited with status 0, else -1. */
int reap(pid_t pid, const char *what);

/*
 * The work per packet, identical in both variants: the producer fills the
 * payload (a memset plus the sequence number in the first word), the
 * consumer reads one 64-bit word per cache line and checks the sum.
 */
void work_produce(void *payload, size_t size, uint64_t seq);
bool work_consume(const void *payload, size_t size, uint64_t seq);

/*
 * One packet-stream-like run: `count` packets of `size` bytes from this
 * process (pinned to pl->cpu[0]) to a forked consumer (pl->cpu[1]) with at
 * most `in_flight` payloads outstanding. Returns the seconds from the first
 * packet produced to the last one known consumed, or a negative value on
 * failure.
 */
double raw_ring_run(const struct placement *pl, size_t size,
    unsigned in_flight, uint32_t count);
double cairn_stream_run(const struct placement *pl, size_t size,
    unsigned in_flight, uint32_t count);

#endif
