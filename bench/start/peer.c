/*
 * Start benchmark, peer side: what launching one process costs each way.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench-start-peer READY [N]
 *        bench-start-peer --batch METHOD READY N
 *
 * READY is a static program that writes "ready\n" to fd 3 and exits
 * (bench-start-ready). It is launched N times (default 100, after 5 not
 * counted) by each method:
 *   fork+exec      fork(), execv() of the file
 *   posix_spawn    glibc's vfork-style spawn, the floor for any method
 *   bwrap          bubblewrap with the same namespaces, an empty root with
 *                  the binary bound in, and a seccomp filter of the same size
 *   sandbox_spawn  core's sandbox (core/sandbox.c), with and without a memory
 *                  cgroup, and with the shared network namespace
 * For each it prints the time from the start of the launch until "ready"
 * was read, and until the child was reaped (and its cgroup removed).
 *
 * With --batch, METHOD (one of the names above, e.g. "bwrap") launches N
 * copies of READY one after another without waiting, as init starts its
 * children; each is told to stay after saying "ready", as a component does.
 * It prints the time from the first launch until all N said "ready".
 * sandbox_spawn and bwrap's namespaces need root.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <seccomp.h>

#include "sandbox.h"

#define WARMUP	5
#define BATCH_TIMEOUT_MS 30000
#define UID	65534

struct bench {
	const char *path;	/* READY */
	int memfd;		/* READY, sealed, for sandbox_spawn */
	int bwrap_filter;	/* BPF program for bwrap --seccomp */
	bool sandbox;		/* sandbox_init() succeeded */
	bool stay;		/* READY waits after "ready" (batch mode) */
};

struct method {
	const char *name;
	int (*start)(struct bench *b, const struct method *m, int out,
	    pid_t *pid);
	unsigned flags;		/* for sandbox_spawn */
	uint64_t ram_limit;
};

extern char **environ;

/* In a forked child: fd becomes to, inherited across exec. */
static void move_fd(int fd, int to)
{
	if (fd == to)
		fcntl(to, F_SETFD, 0);
	else if (dup2(fd, to) < 0)
		_exit(127);
}

static int start_fork(struct bench *b, const struct method *m, int out,
    pid_t *pid)
{
	char *argv[] = { "ready", b->stay ? "stay" : NULL, NULL };

	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		move_fd(out, 3);
		execv(b->path, argv);
		_exit(127);
	}
	return 0;
}

static int start_posix_spawn(struct bench *b, const struct method *m,
    int out, pid_t *pid)
{
	char *argv[] = { "ready", b->stay ? "stay" : NULL, NULL };
	posix_spawn_file_actions_t fa;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out, 3);
	err = posix_spawn(pid, b->path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -err;
}

static int start_bwrap(struct bench *b, const struct method *m, int out,
    pid_t *pid)
{
	char *argv[] = {
		"bwrap", "--unshare-all", "--die-with-parent", "--new-session",
		"--ro-bind", (char *)b->path, "/ready", "--seccomp", "4",
		"/ready", b->stay ? "stay" : NULL, NULL,
	};
	char path[32];
	int filter;

	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		/*
		 * bwrap reads the program from the file offset, so each one
		 * needs an open file of its own: in a batch, several read at
		 * once. The new descriptor lands above 4 (0-4 are taken).
		 */
		snprintf(path, sizeof(path), "/proc/self/fd/%d",
		    b->bwrap_filter);
		filter = open(path, O_RDONLY);
		if (filter < 0 || (filter < 5 &&
		    (filter = fcntl(filter, F_DUPFD, 5)) < 0))
			_exit(127);
		move_fd(out, 3);
		move_fd(filter, 4);
		execvp("bwrap", argv);
		_exit(127);
	}
	return 0;
}

static int start_sandbox(struct bench *b, const struct method *m, int out,
    pid_t *pid)
{
	char *argv[] = { "ready", b->stay ? "stay" : NULL, NULL };
	char *envp[] = { "CAIRN_LABEL=ready", NULL };
	struct sandbox_spec spec = {
		.name = "ready", .binary_fd = b->memfd, .fds = &out, .nfds = 1,
		.ram_limit = m->ram_limit, .uid = UID, .gid = UID,
		.flags = m->flags, .argv = argv, .envp = envp,
	};

	return sandbox_spawn(&spec, pid);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One launch; ready and total are in milliseconds. */
static int launch(struct bench *b, const struct method *m, double *ready,
    double *total)
{
	char buf[16];
	size_t got = 0;
	ssize_t n;
	double t0;
	int p[2], err, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	t0 = now_ms();
	err = m->start(b, m, p[1], &pid);
	close(p[1]);
	if (err) {
		close(p[0]);
		return err;
	}
	while (got < 6 && (n = read(p[0], buf + got, 6 - got)) > 0)
		got += (size_t)n;
	*ready = now_ms() - t0;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (m->start == start_sandbox && (err = sandbox_release(pid, NULL)))
		return err;
	*total = now_ms() - t0;
	if (got != 6 || memcmp(buf, "ready\n", 6) != 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EPROTO;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats(double *v, int n, double *median, double *mean,
    double *p90)
{
	double sum = 0;
	int i;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	*median = v[n / 2];
	*mean = sum / n;
	*p90 = v[n * 9 / 10];
}

static void run(struct bench *b, const struct method *m, int n)
{
	double *ready, *total, rmed, rmean, rp90, tmed, tmean, tp90;
	int i, err = 0;

	ready = calloc((size_t)n, sizeof(*ready));
	total = calloc((size_t)n, sizeof(*total));
	if (ready == NULL || total == NULL) {
		fprintf(stderr, "bench-start-peer: out of memory\n");
		exit(1);
	}
	for (i = -WARMUP; i < n && err == 0; i++)
		err = launch(b, m, &ready[i < 0 ? 0 : i], &total[i < 0 ? 0 : i]);
	if (err) {
		printf("%-34s failed: %s\n", m->name, strerror(-err));
	} else {
		stats(ready, n, &rmed, &rmean, &rp90);
		stats(total, n, &tmed, &tmean, &tp90);
		printf("%-34s %7.3f %7.3f %7.3f   %7.3f %7.3f %7.3f\n",
		    m->name, rmed, rmean, rp90, tmed, tmean, tp90);
	}
	fflush(stdout);
	free(ready);
	free(total);
}

/*
 * Batch mode: n launches back to back, all children writing to one pipe;
 * *ms is the time from the first launch until n "ready" lines were read.
 * The children are then killed and reaped, which is not timed.
 */
static int batch(struct bench *b, const struct method *m, int n, double *ms)
{
	char buf[4096];
	size_t want = (size_t)n * 6, got = 0;
	pid_t *pids;
	ssize_t r;
	double t0;
	int p[2], i, started, status, err = 0;

	pids = calloc((size_t)n, sizeof(*pids));
	if (pids == NULL)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC) < 0) {
		free(pids);
		return -errno;
	}
	t0 = now_ms();
	for (started = 0; started < n && err == 0; started++)
		err = m->start(b, m, p[1], &pids[started]);
	if (err)
		started--;
	close(p[1]);
	/* 6-byte writes to a pipe are atomic: only the count matters. */
	while (err == 0 && got < want) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };

		if (poll(&pfd, 1, BATCH_TIMEOUT_MS) == 0) {
			err = -ETIMEDOUT;
			break;
		}
		r = read(p[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = -EPROTO;
			break;
		}
		got += (size_t)r;
	}
	*ms = now_ms() - t0;
	close(p[0]);
	for (i = 0; i < started; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < started; i++) {
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (m->start == start_sandbox)
			(void)sandbox_release(pids[i], NULL);
	}
	free(pids);
	return err;
}

/*
 * For bwrap, a filter like the sandbox's allowlist plus execve, which bwrap
 * calls after it loaded the filter, and wait4, which its pid 1 calls.
 */
static int bwrap_filter(void)
{
	static const char *const allow[] = {
		"read", "write", "readv", "writev", "pread64", "pwrite64",
		"preadv", "pwritev", "preadv2", "pwritev2", "close",
		"close_range", "lseek", "fstat", "newfstatat", "fcntl", "dup",
		"dup2", "dup3", "pipe2", "mmap", "munmap", "mprotect", "mremap",
		"madvise", "brk", "futex", "set_tid_address",
		"set_robust_list", "rseq", "arch_prctl", "exit", "exit_group",
		"restart_syscall", "rt_sigaction", "rt_sigprocmask",
		"rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
		"rt_sigpending", "sigaltstack", "tkill", "getpid", "gettid",
		"getppid", "getuid", "geteuid", "getgid", "getegid",
		"getresuid", "getresgid", "getgroups", "capget", "getrlimit",
		"uname", "getrandom", "sched_yield", "sched_getaffinity",
		"getcpu", "clock_gettime", "clock_getres", "clock_nanosleep",
		"nanosleep", "gettimeofday", "time", "pause", "poll", "ppoll",
		"select", "pselect6", "epoll_create1", "epoll_ctl",
		"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
		"signalfd4", "timerfd_create", "timerfd_settime",
		"timerfd_gettime", "sendmsg", "recvmsg", "sendmmsg",
		"recvmmsg", "sendto", "recvfrom", "shutdown", "getsockopt",
		"seccomp", "ioctl", "prctl", "kill", "tgkill", "socketpair",
		"prlimit64", "clone", "execveat", "execve", "wait4", "waitid",
	};
	scmp_filter_ctx ctx;
	size_t i;
	int fd, err = 0;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return -ENOMEM;
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]) && err == 0; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    seccomp_syscall_resolve_name(allow[i]), 0);
	fd = memfd_create("bwrap-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		err = -errno;
	if (err == 0)
		err = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

static int load(const char *path)
{
	char buf[65536];
	ssize_t n;
	int in, fd;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	fd = memfd_create("ready", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			n = -1;
	close(in);
	if (n < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE |
	    F_SEAL_GROW | F_SEAL_SHRINK) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

static const struct method methods[] = {
	{ "fork+exec", start_fork, 0, 0 },
	{ "posix_spawn", start_posix_spawn, 0, 0 },
	{ "bwrap", start_bwrap, 0, 0 },
	{ "sandbox_spawn", start_sandbox, 0, 64 << 20 },
	{ "sandbox_spawn (no cgroup)", start_sandbox, 0, 0 },
	{ "sandbox_spawn (shared net)", start_sandbox, SANDBOX_SHARED_NET,
	    64 << 20 },
	{ "sandbox_spawn (shared net, no cg)", start_sandbox,
	    SANDBOX_SHARED_NET, 0 },
};
#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr, "usage: bench-start-peer READY [N]\n"
	    "       bench-start-peer --batch METHOD READY N\n");
	exit(2);
}

/* Prepare what method m (all methods if NULL) needs; 0 or exit status. */
static int setup(struct bench *b, const struct method *m)
{
	int err;

	b->memfd = load(b->path);
	if (b->memfd < 0) {
		fprintf(stderr, "bench-start-peer: %s: %s\n", b->path,
		    strerror(-b->memfd));
		return 1;
	}
	if (m == NULL || m->start == start_bwrap)
		b->bwrap_filter = bwrap_filter();
	if (m == NULL || m->start == start_sandbox) {
		err = sandbox_init();
		b->sandbox = err == 0;
		if (err)
			fprintf(stderr, "bench-start-peer: sandbox_init: %s\n",
			    strerror(-err));
	}
	return 0;
}

static int batch_main(struct bench *b, const char *name, int n)
{
	const struct method *m = NULL;
	double ms = 0;
	size_t i;
	int err;

	for (i = 0; i < NMETHODS; i++)
		if (strcmp(methods[i].name, name) == 0)
			m = &methods[i];
	if (m == NULL) {
		fprintf(stderr, "bench-start-peer: unknown method '%s'\n",
		    name);
		return 2;
	}
	if ((err = setup(b, m)) != 0)
		return err;
	if ((m->start == start_sandbox && !b->sandbox) ||
	    (m->start == start_bwrap && b->bwrap_filter < 0)) {
		fprintf(stderr, "bench-start-peer: %s: cannot run here\n",
		    name);
		return 1;
	}
	b->stay = true;
	err = batch(b, m, n, &ms);
	if (b->sandbox)
		sandbox_fini();
	if (err) {
		fprintf(stderr, "bench-start-peer: %s: batch of %d: %s\n",
		    name, n, strerror(-err));
		return 1;
	}
	printf("batch method=\"%s\" n=%d total_ms=%.3f per_ms=%.4f\n", name,
	    n, ms, ms / n);
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .bwrap_filter = -1 };
	struct utsname u;
	size_t i;
	int n, err;

	if (argc > 1 && strcmp(argv[1], "--batch") == 0) {
		n = argc == 5 ? atoi(argv[4]) : 0;
		if (n < 1)
			usage();
		b.path = argv[3];
		return batch_main(&b, argv[2], n);
	}
	if (argc < 2)
		usage();
	b.path = argv[1];
	n = argc > 2 ? atoi(argv[2]) : 100;
	if (n < 1)
		n = 100;
	if ((err = setup(&b, NULL)) != 0)
		return err;

	uname(&u);
	printf("start: %d launches of %s, Linux %s, times in ms\n", n, b.path,
	    u.release);
	printf("%-34s %7s %7s %7s   %7s %7s %7s\n", "method", "ready",
	    "mean", "p90", "reaped", "mean", "p90");
	for (i = 0; i < NMETHODS; i++) {
		/*
		 * Let the kernel finish tearing down the namespaces of the
		 * method before, which it does in the background.
		 */
		if (i > 0)
			sleep(1);
		if (methods[i].start == start_sandbox && !b.sandbox)
			printf("%-34s skipped: needs root\n", methods[i].name);
		else if (methods[i].start == start_bwrap && b.bwrap_filter < 0)
			printf("%-34s skipped: no filter\n", methods[i].name);
		else
			run(&b, &methods[i], n);
	}
	if (b.sandbox)
		sandbox_fini();
	return 0;
}
