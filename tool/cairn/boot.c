/*
 * Running a scenario: work dir, setup and after commands, core under watch.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runfile.h"

#define OUT_LINE_MAX	65536	/* longer output lines are split */
#define GRACE_MS	200	/* output still checked after the last expect */
#define KILL_MS		2000	/* from SIGTERM to SIGKILL */
#define READS_PER_POLL	16	/* so output cannot starve the timer */

struct boot {
	const struct runfile *rf;
	const struct boot_opts *o;
	char *work;		/* absolute work dir */
	char *boot;		/* <work>/boot */
	sigset_t oldmask;	/* restored in children */
	int sigfd;		/* SIGCHLD, SIGINT, SIGTERM */
	pid_t core;		/* also its process group; 0 when not running */
	int out;		/* core's stdout and stderr; -1 once closed */
	int exited;		/* core exited: a zombie until stop_core() */
	int exit_code, exit_sig;
	int decided;		/* output is only echoed from now on */
	int interrupted;	/* SIGINT or SIGTERM received */
	int failed;
	size_t next;		/* index of the pending expectation */
	long long start_ms, met_ms;
	char why[1024];		/* the first failure */
	size_t len;
	char line[OUT_LINE_MAX + 1];
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(struct boot *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("cairn: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Records the first failure; the outcome is printed at the end. */
static void
fail(struct boot *b, const char *fmt, ...)
{
	va_list ap;

	if (b->failed)
		return;
	b->failed = 1;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof(b->why), fmt, ap);
	va_end(ap);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
describe(int code, int sig, char *buf, size_t len)
{
	if (sig != 0)
		snprintf(buf, len, "was killed by signal %d (%s)", sig,
		    strsignal(sig));
	else
		snprintf(buf, len, "exited with status %d", code);
	return buf;
}

static const char *
describe_wait(int st, char *buf, size_t len)
{
	return describe(WIFEXITED(st) ? WEXITSTATUS(st) : 0,
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0, buf, len);
}

/* Makes a child forked by cairn look like one forked by its caller. */
static void
child_reset(struct boot *b)
{
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &b->oldmask, NULL);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	if (remove(path) == 0)
		return 0;
	fprintf(stderr, "cairn: cannot remove %s: %s\n", path, strerror(errno));
	return -1;
}

/* Recreates the work dir and its boot dir, empty. */
static int
make_work_dir(struct boot *b)
{
	char works[4096];
	const char *dirs[] = { works, b->work, b->boot };
	struct stat st;
	size_t i;

	snprintf(works, sizeof(works), "%s/scenario-runs", b->o->build);
	/* FTW_MOUNT: a file system left mounted in there is not emptied. */
	if (lstat(b->work, &st) == 0 && nftw(b->work, rm_entry, 16,
	    FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) {
		fail(b, "cannot clear the work dir %s", b->work);
		return -EIO;
	}
	for (i = 0; i < 3; i++) {
		if (mkdir(dirs[i], 0755) < 0 && (errno != EEXIST || i >= 1)) {
			fail(b, "cannot create %s: %s", dirs[i],
			    strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

static void on_line(struct boot *b, char *line);

/* Reads core's output until EAGAIN, EOF or `max` reads; on_line() per line. */
static void
read_output(struct boot *b, int max)
{
	size_t start, i;
	ssize_t r;

	while (b->out >= 0 && max-- > 0) {
		r = read(b->out, b->line + b->len, OUT_LINE_MAX - b->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			if (b->len > 0) {
				b->line[b->len] = '\0';
				on_line(b, b->line);
			}
			b->len = 0;
			close(b->out);
			b->out = -1;
			break;
		}
		start = 0;
		for (i = b->len; i < b->len + (size_t)r; i++) {
			if (b->line[i] == '\n') {
				b->line[i] = '\0';
				on_line(b, b->line + start);
				start = i + 1;
			}
		}
		b->len += (size_t)r;
		memmove(b->line, b->line + start, b->len - start);
		b->len -= start;
		if (b->len == OUT_LINE_MAX) {
			b->line[b->len] = '\0';
			on_line(b, b->line);
			b->len = 0;
		}
	}
	fflush(stdout);
}

/*
 * Replace boot module u->name: write a new file and rename it over the
 * old one, so core never reads a half-written module.
 */
static void
apply_update(struct boot *b, const struct rf_update *u)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.new", b->boot, u->name);
	snprintf(dst, sizeof(dst), "%s/%s", b->boot, u->name);
	f = fopen(tmp, "we");
	if (f == NULL || fwrite(u->data, 1, u->len, f) != u->len ||
	    fclose(f) != 0 || rename(tmp, dst) < 0) {
		fail(b, "update '%s' (line %d): %s", u->name, u->line,
		    strerror(errno));
		return;
	}
	if (b->o->verbose)
		say("updated boot module '%s' (line %d)", u->name, u->line);
}

static void
on_line(struct boot *b, char *line)
{
	const struct runfile *rf = b->rf;
	const struct rf_expect *e;
	size_t n = strlen(line);
	char why[512];

	fwrite(line, 1, n, stdout);
	putchar('\n');
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' ||
	    line[n - 1] == '\r'))
		line[--n] = '\0';
	if (b->decided || b->failed)
		return;
	if (b->o->check && runfile_line_fails(rf, line, why, sizeof(why))) {
		fail(b, "%s: %s", why, line);
		return;
	}
	if (b->next == rf->nexpects)
		return;
	e = &rf->expects[b->next];
	if (!runfile_expect_matches(e, line))
		return;
	if (b->o->verbose)
		say("met line %d: %s %s", e->line, e->is_re ? "expect-re" :
		    "expect", e->text);
	if (++b->next == rf->nexpects)
		b->met_ms = now_ms();
	for (size_t i = 0; i < rf->nupdates; i++)
		if (rf->updates[i].after == b->next)
			apply_update(b, &rf->updates[i]);
}

static void
handle_signals(struct boot *b)
{
	struct signalfd_siginfo ssi;
	siginfo_t si;

	while (read(b->sigfd, &ssi, sizeof(ssi)) == sizeof(ssi)) {
		if (ssi.ssi_signo != SIGCHLD) {
			b->interrupted = (int)ssi.ssi_signo;
			continue;
		}
		if (b->core <= 0 || b->exited)
			continue;
		/* WNOWAIT: the zombie keeps the process group ours to kill. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)b->core, &si,
		    WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			continue;
		b->exited = 1;
		b->exit_code = si.si_code == CLD_EXITED ? si.si_status : 0;
		b->exit_sig = si.si_code == CLD_EXITED ? 0 : si.si_status;
		/* What core wrote before it died still counts. */
		read_output(b, 1024);
	}
}

/* Waits up to `ms` for core's output or a signal. */
static void
wait_events(struct boot *b, long long ms)
{
	struct pollfd pfd[2] = {
		{ .fd = b->sigfd, .events = POLLIN },
		{ .fd = b->out, .events = POLLIN },
	};

	if (poll(pfd, 2, ms < 0 ? 0 : (int)ms) <= 0)
		return;
	if (pfd[1].revents != 0)
		read_output(b, READS_PER_POLL);
	if (pfd[0].revents != 0)
		handle_signals(b);
}

static int
start_core(struct boot *b)
{
	const struct runfile *rf = b->rf;
	char **argv, **arg;
	int p[2], rc = 0, i;
	pid_t parent;
	size_t h;

	argv = calloc(4 + 2 * rf->nhosts, sizeof(*argv));
	if (argv == NULL)
		return -ENOMEM;
	arg = argv;
	*arg++ = (char *)b->o->core;
	*arg++ = "--boot";
	*arg++ = b->boot;
	for (h = 0; h < rf->nhosts; h++) {
		const struct rf_host *host = &rf->hosts[h];
		struct stat st;
		char *path;

		if (asprintf(&path, "%s%s%s", host->path[0] == '/' ? "" :
		    b->work, host->path[0] == '/' ? "" : "/", host->path) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		/* Say which resource is missing before core has to. */
		if (stat(path, &st) < 0) {
			rc = -errno;
			fail(b, "host '%s' (line %d): %s: %s", host->name,
			    host->line, host->path, strerror(errno));
			free(path);
			goto out;
		}
		*arg++ = "--host";
		rc = asprintf(arg, "%s=%s%s", host->name, path,
		    host->rw ? ":rw" : host->fuse ? ":fuse" : "");
		free(path);
		if (rc < 0) {
			*arg = NULL;
			rc = -ENOMEM;
			goto out;
		}
		arg++;
		rc = 0;
	}
	if (b->o->verbose) {
		fputs("cairn: starting", stdout);
		for (i = 0; argv[i] != NULL; i++)
			printf(" %s", argv[i]);
		putchar('\n');
	}
	fflush(stdout);
	if (pipe2(p, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	parent = getpid();
	b->core = fork();
	if (b->core == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Its own group, so a stop reaches everything core started. */
		setpgid(0, 0);
		child_reset(b);
		/* A test runner's timeout kills cairn with SIGKILL: stop too. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(126);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 ||
		    dup2(p[1], 2) < 0 || chdir(b->work) < 0)
			_exit(126);
		execv(argv[0], argv);
		fprintf(stderr, "cairn: cannot execute %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	rc = b->core < 0 ? -errno : 0;
	if (b->core > 0) {
		/* Also here: kill(-core) may come before the child ran. */
		setpgid(b->core, b->core);
		b->start_ms = now_ms();
		b->out = p[0];
		fcntl(b->out, F_SETFL, O_NONBLOCK);
	} else {
		b->core = 0;
		close(p[0]);
	}
	close(p[1]);
out:
	if (rc < 0 && !b->failed)
		fail(b, "cannot start core %s: %s", b->o->core, strerror(-rc));
	for (arg = argv + 3; *arg != NULL; arg += 2)
		free(arg[1]);
	free(argv);
	return rc;
}

/* Stops core and whatever is left of its process group, and reaps it. */
static void
stop_core(struct boot *b)
{
	char desc[128];
	long long deadline;
	int st;

	if (b->core <= 0)
		return;
	b->decided = 1;
	if (!b->exited) {
		int interrupted = b->interrupted;

		/* A second Ctrl-C cuts the grace short. */
		kill(-b->core, SIGTERM);
		deadline = now_ms() + KILL_MS;
		b->interrupted = 0;
		while (!b->exited && !b->interrupted && now_ms() < deadline)
			wait_events(b, deadline - now_ms());
		if (!b->exited)
			say("core did not stop within %d ms of SIGTERM: "
			    "killing it", KILL_MS);
		if (interrupted != 0)
			b->interrupted = interrupted;
	}
	kill(-b->core, SIGKILL);
	while (waitpid(b->core, &st, 0) < 0 && errno == EINTR)
		;
	if (b->o->verbose)
		say("core %s", describe_wait(st, desc, sizeof(desc)));
	b->core = 0;
	read_output(b, 1024);
	if (b->out >= 0)
		close(b->out);
	b->out = -1;
}

/* Watches core until the scenario is decided. */
static void
watch(struct boot *b)
{
	const struct runfile *rf = b->rf;
	long long deadline = b->start_ms + rf->timeout * 1000LL, now, until;
	const struct rf_expect *e;
	char desc[128];

	for (;;) {
		now = now_ms();
		if (b->failed || b->interrupted || b->exited)
			break;
		until = deadline;
		if (rf->nexpects > 0 && b->next == rf->nexpects) {
			until = b->met_ms + GRACE_MS;
			if (now >= until)
				break;
		} else if (now >= deadline)
			break;
		wait_events(b, until - now);
	}
	if (b->failed || b->interrupted ||
	    (rf->nexpects > 0 && b->next == rf->nexpects))
		return;
	if (rf->nexpects == 0 && b->exited) {
		b->met_ms = now_ms();
		if (b->exit_code != 0 || b->exit_sig != 0)
			fail(b, "core %s", describe(b->exit_code, b->exit_sig,
			    desc, sizeof(desc)));
		return;
	}
	if (rf->nexpects == 0) {
		fail(b, "timeout after %u s waiting for core to exit",
		    rf->timeout);
		return;
	}
	e = &rf->expects[b->next];
	if (b->exited)
		fail(b, "core %s while waiting for line %d: %s %s",
		    describe(b->exit_code, b->exit_sig, desc, sizeof(desc)),
		    e->line, e->is_re ? "expect-re" : "expect", e->text);
	else
		fail(b, "timeout after %u s waiting for line %d: %s %s",
		    rf->timeout, e->line, e->is_re ? "expect-re" : "expect",
		    e->text);
}

/*
 * Runs `c` with sh in the work dir, its output captured in a memfd (a
 * pipe would need draining, and a background job could hold it open).
 * Prints the output if `show` or if the command fails.
 */
static int
run_cmd(struct boot *b, const char *what, const struct rf_cmd *c, int show)
{
	char buf[8192], desc[128];
	off_t off = 0;
	ssize_t r;
	pid_t pid;
	int fd, st;

	if (b->o->verbose)
		say("%s (line %d): %s", what, c->line, c->cmd);
	fd = memfd_create("cairn-output", MFD_CLOEXEC);
	if (fd < 0 || (pid = fork()) < 0) {
		fail(b, "cannot run %s command at line %d: %s", what, c->line,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		child_reset(b);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 ||
		    dup2(fd, 2) < 0 || chdir(b->work) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", c->cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	show = show || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	while (show && (r = pread(fd, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, (size_t)r, stdout);
		off += r;
	}
	fflush(stdout);
	close(fd);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fail(b, "%s command at line %d %s: %s", what, c->line,
	    describe_wait(st, desc, sizeof(desc)), c->cmd);
	return -EIO;
}

int
boot_run(const struct runfile *rf, const struct boot_opts *o)
{
	struct boot *b;
	sigset_t set;
	size_t i;
	int rc = 1;

	/* On the heap: the line buffer is big. */
	b = calloc(1, sizeof(*b));
	if (b == NULL || asprintf(&b->work, "%s/scenario-runs/%s",
	    o->build, rf->name) < 0 || asprintf(&b->boot, "%s/boot",
	    b->work) < 0) {
		fprintf(stderr, "cairn: out of memory\n");
		exit(1);
	}
	b->rf = rf;
	b->o = o;
	b->out = -1;

	/* Signals arrive through the poll loop, and core's death as well. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &b->oldmask);
	signal(SIGPIPE, SIG_IGN);
	b->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (b->sigfd < 0)
		fail(b, "signalfd: %s", strerror(errno));
	else if (access(o->core, X_OK) < 0)
		fail(b, "core %s: %s (build it, or point CAIRN_CORE at it)",
		    o->core, strerror(errno));
	else if (setenv("CAIRN_BUILD", o->build, 1) < 0 ||
	    setenv("CAIRN_SRC", o->src, 1) < 0 ||
	    setenv("CAIRN_WORK", b->work, 1) < 0)
		fail(b, "setenv: %s", strerror(errno));
	else if (make_work_dir(b) == 0 && o->verbose)
		say("work dir %s", b->work);

	for (i = 0; !b->failed && !b->interrupted && i < rf->nsetups; i++) {
		run_cmd(b, "setup", &rf->setups[i], o->verbose);
		handle_signals(b);
	}
	if (!b->failed && !b->interrupted &&
	    modules_install(rf, o->build, b->work, b->boot, o->verbose, b->why,
	    sizeof(b->why)) < 0)
		b->failed = 1;
	if (!b->failed && !b->interrupted && start_core(b) == 0)
		watch(b);
	stop_core(b);
	for (i = 0; !b->failed && !b->interrupted && i < rf->nafters; i++) {
		run_cmd(b, "after", &rf->afters[i], 1);
		handle_signals(b);
	}

	if (b->interrupted) {
		say("scenario %s: interrupted", rf->name);
		rc = 128 + b->interrupted;
	} else if (b->failed) {
		say("scenario %s: FAILED: %s", rf->name, b->why);
		rc = 1;
	} else {
		say("scenario %s: passed (%zu expectations, %lld ms)",
		    rf->name, rf->nexpects, b->met_ms - b->start_ms);
		rc = 0;
	}
	if (o->keep)
		say("work dir kept: %s", b->work);
	if (b->sigfd >= 0)
		close(b->sigfd);
	free(b->boot);
	free(b->work);
	free(b);
	return rc;
}
