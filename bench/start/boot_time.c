/*
 * Start benchmark, cairn side: boot core and init until N components said
 * "ready", and time it from the outside.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench-start-boot CORE BOOT_DIR N
 *
 * Runs `CORE --boot BOOT_DIR` in a process group of its own with standard
 * output and error on a pipe, as `cairn run` does, and reads its lines. The
 * clock starts just before the fork and stops at the N-th line of the form
 * "[init -> NAME] ready". Then core gets SIGTERM (it stops and reaps its
 * components itself) and is reaped; that part is reported, not counted.
 *
 * Prints one line of key=value pairs, times in milliseconds from the fork:
 *   boot n=N total_ms=  (N-th ready line)
 *        first_start_ms=  (init's first 'start "..."' line: core and init up,
 *                          the first component spawned)
 *        last_start_ms=   (init's N-th 'start' line)
 *        first_ready_ms=
 *        stop_ms=         (SIGTERM until core was reaped)
 *        cpu_core_ms= cpu_init_ms= cpu_components_ms=
 *                         (CPU time each had used when the N-th ready line
 *                          came, from /proc/PID/schedstat: core's own
 *                          thread, init, and all components together, whose
 *                          share includes the sandbox set-up before exec)
 * Exits with 1, naming the reason, on an error line, core's exit or a
 * timeout of 30 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define TIMEOUT_MS	30000
#define STOP_GRACE_MS	5000
#define LINE_MAX_LEN	4096

/* CPU time used so far, in ms, by the processes of the boot. */
struct cpu {
	double core, init, components;
};

struct boot {
	int n;			/* components to wait for */
	int starts;		/* init's 'start' lines seen */
	int ready;		/* "ready" lines seen */
	double t0;
	double first_start, last_start, first_ready, total;
	char line[LINE_MAX_LEN];
	size_t len;		/* bytes of the current line so far */
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* On-CPU time of pid in ms (first field of schedstat), 0 if gone. */
static double
cpu_ms(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns / 1e6;
}

/*
 * Core's CPU time and its children's: init is the child whose name
 * (comm, "memfd:init" after the exec from a memfd) ends in "init".
 */
static void
cpu_sample(pid_t core, struct cpu *c)
{
	char path[64], comm[64];
	FILE *f, *cf;
	int child;
	size_t l;

	memset(c, 0, sizeof(*c));
	c->core = cpu_ms(core);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)core,
	    (int)core);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fscanf(f, "%d", &child) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/comm", child);
		cf = fopen(path, "re");
		comm[0] = '\0';
		if (cf != NULL) {
			if (fgets(comm, sizeof(comm), cf) == NULL)
				comm[0] = '\0';
			fclose(cf);
		}
		l = strcspn(comm, "\n");
		comm[l] = '\0';
		if (l >= 4 && strcmp(comm + l - 4, "init") == 0)
			c->init += cpu_ms(child);
		else
			c->components += cpu_ms(child);
	}
	fclose(f);
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t l = strlen(suffix);

	return len >= l && memcmp(s + len - l, suffix, l) == 0;
}

/* One complete output line: 0 to go on, -1 on an error line. */
static int
on_line(struct boot *b, double t)
{
	const char *s = b->line;
	size_t len = b->len;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
		len--;
	b->line[len] = '\0';
	if (strstr(s, "Error:") != NULL || has_prefix(s, "[core] fatal:")) {
		fprintf(stderr, "bench-start-boot: error line: %s\n", s);
		return -1;
	}
	if (has_prefix(s, "[init] start \"")) {
		if (b->starts++ == 0)
			b->first_start = t;
		if (b->starts == b->n)
			b->last_start = t;
	} else if (has_prefix(s, "[init -> ") &&
	    has_suffix(s, len, "] ready")) {
		if (b->ready++ == 0)
			b->first_ready = t;
		if (b->ready == b->n)
			b->total = t;
	}
	return 0;
}

/* Read what is there and split it into lines; -1 on error, EOF or error line. */
static int
drain(struct boot *b, int fd)
{
	char buf[8192];
	ssize_t r, i;
	double t;

	r = read(fd, buf, sizeof(buf));
	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0) {
		fprintf(stderr, "bench-start-boot: core's output ended after "
		    "%d of %d ready lines\n", b->ready, b->n);
		return -1;
	}
	t = now_ms() - b->t0;
	for (i = 0; i < r; i++) {
		if (buf[i] != '\n') {
			/* An over-long line is cut; it is no line we count. */
			if (b->len < sizeof(b->line) - 1)
				b->line[b->len++] = buf[i];
			continue;
		}
		if (on_line(b, t) < 0)
			return -1;
		b->len = 0;
	}
	return 0;
}

static pid_t
spawn_core(const char *core, const char *boot, int out)
{
	char *argv[] = { (char *)core, "--boot", (char *)boot, NULL };
	pid_t pid;
	int null;

	pid = fork();
	if (pid != 0)
		return pid;
	setpgid(0, 0);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0)
		_exit(127);
	execv(core, argv);
	dprintf(2, "bench-start-boot: %s: %s\n", core, strerror(errno));
	_exit(127);
}

/* SIGTERM to core's group, wait for core, SIGKILL to what is left. */
static double
stop_core(pid_t pid)
{
	double t0 = now_ms();
	struct timespec ms = { 0, 1000000 };
	int status;
	pid_t r;

	kill(-pid, SIGTERM);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
	    now_ms() - t0 < STOP_GRACE_MS)
		nanosleep(&ms, NULL);
	if (r == 0) {
		fprintf(stderr, "bench-start-boot: core still runs %d ms after "
		    "SIGTERM; killing it\n", STOP_GRACE_MS);
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	kill(-pid, SIGKILL);
	return now_ms() - t0;
}

int
main(int argc, char **argv)
{
	static struct boot b;
	struct cpu cpu;
	struct pollfd pfd;
	double stop;
	int p[2], r, err = 0;
	pid_t pid;

	if (argc != 4 || (b.n = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: bench-start-boot CORE BOOT_DIR N\n");
		return 2;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("bench-start-boot: pipe");
		return 1;
	}
	b.t0 = now_ms();
	pid = spawn_core(argv[1], argv[2], p[1]);
	if (pid < 0) {
		perror("bench-start-boot: fork");
		return 1;
	}
	/* Both sides set the group, so that a signal finds it either way. */
	setpgid(pid, pid);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (err == 0 && b.ready < b.n) {
		r = poll(&pfd, 1, (int)(b.t0 + TIMEOUT_MS - now_ms()));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "bench-start-boot: timeout: %d of %d "
			    "ready after %d ms\n", b.ready, b.n, TIMEOUT_MS);
			err = -1;
			break;
		}
		err = drain(&b, p[0]);
	}
	if (err == 0)
		cpu_sample(pid, &cpu);
	stop = stop_core(pid);
	close(p[0]);
	if (err)
		return 1;
	printf("boot n=%d total_ms=%.3f first_start_ms=%.3f "
	    "last_start_ms=%.3f first_ready_ms=%.3f stop_ms=%.3f "
	    "cpu_core_ms=%.3f cpu_init_ms=%.3f cpu_components_ms=%.3f\n", b.n,
	    b.total, b.first_start, b.last_start, b.first_ready, stop,
	    cpu.core, cpu.init, cpu.components);
	return 0;
}
