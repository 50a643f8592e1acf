/*
 * Shared parts of the IPC benchmarks: CPU placement, clocks and payload work.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_ipc.h"

int
placements(struct placement pl[2])
{
	cpu_set_t set;
	int cpus[2], n = 0, c;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0)
		return 0;
	pl[0].suffix = "";
	pl[0].cpu[0] = pl[0].cpu[1] = cpus[0];
	if (n < 2)
		return 1;
	pl[1].suffix = "_2cpu";
	pl[1].cpu[0] = cpus[0];
	pl[1].cpu[1] = cpus[1];
	return 2;
}

int
pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void *
shm_create(size_t size)
{
	void *p;
	int fd;

	fd = memfd_create("bench-ipc", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return NULL;
	}
	/* The child inherits the mapping across fork. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
	    fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

pid_t
spawn(const struct placement *pl, int (*fn)(void *), void *arg)
{
	int ready[2];
	char c = 0;
	pid_t pid;

	if (pipe(ready) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		if (pin_cpu(pl->cpu[1]) < 0 || write(ready[1], &c, 1) != 1)
			_exit(2);
		close(ready[1]);
		_exit(fn(arg));
	}
	close(ready[1]);
	if (pid > 0 && (pin_cpu(pl->cpu[0]) < 0 ||
	    read(ready[0], &c, 1) != 1)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

int
reap(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "bench: %s failed (status %#x)\n", what, status);
	return -1;
}

void
work_produce(void *payload, size_t size, uint64_t seq)
{
	memset(payload, (int)(seq & 0xff), size);
	memcpy(payload, &seq, sizeof(seq));
}

bool
work_consume(const void *payload, size_t size, uint64_t seq)
{
	const unsigned char *p = payload;
	uint64_t sum = 0, w, lines = 0, off;

	for (off = 0; off + sizeof(w) <= size; off += 64, lines++) {
		memcpy(&w, p + off, sizeof(w));
		sum += w;
	}
	return lines > 0 &&
	    sum == seq + (lines - 1) * (0x0101010101010101ULL * (seq & 0xff));
}
