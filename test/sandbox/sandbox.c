/*
 * Unit tests of core/sandbox.c: runs the probe in the sandbox and checks it.
 * SPDX-License-Identifier: MIT
 *
 * Usage: test-sandbox PROBE (the static sandbox-probe binary). Needs root,
 * as core does; otherwise every case is skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sandbox.h"
#include "test.h"

T_STATE_DEFINE;

#define UID		65534
#define MIB		(1024 * 1024)
#define TIMEOUT_MS	10000
#define MAX_LINES	128

/* The probe's output: "NAME VALUE" lines. */
struct output {
	char buf[8192];
	char *name[MAX_LINES];
	char *value[MAX_LINES];
	int n;
};

/* Test-wide state: set up in main(), read by the cases. */
static struct {
	const char *probe_path;
	int probe;		/* the probe as a sealed memfd */
	const char *skip;	/* why every case is skipped, or NULL */
	bool memcg;		/* memory cgroups are there */
	struct output checks;	/* probe "checks", default flags */
	int checks_err;
	struct output uring;	/* probe "uring" with SANDBOX_IO_URING */
	int uring_err;
	struct output shared;	/* probe "checks" with SANDBOX_SHARED_NET */
	int shared_err;
	struct output kvm;	/* probe "checks" with SANDBOX_KVM */
	int kvm_err;
	struct output keep;	/* probe "checks", KEEP_STDERR, fd 2 a pipe */
	int keep_err;
} g;

static int load_memfd(const char *path, const char *data)
{
	char buf[65536];
	ssize_t n = 0;
	int in = -1, fd;

	fd = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (data != NULL) {
		if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
			n = -1;
	} else {
		in = open(path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			n = -1;
		while (n >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				n = -1;
	}
	if (in >= 0)
		close(in);
	if (n < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE |
	    F_SEAL_GROW | F_SEAL_SHRINK) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Read fd until EOF or timeout into out, split into lines. */
static int read_output(int fd, struct output *out)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;
	char *p, *nl, *sp;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if (poll(&pfd, 1, TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, out->buf + len, sizeof(out->buf) - 1 - len);
		if (n < 0)
			return -errno;
		if (n == 0 || (len += (size_t)n) == sizeof(out->buf) - 1)
			break;
	}
	for (p = out->buf; out->n < MAX_LINES && (nl = strchr(p, '\n'));
	    p = nl + 1) {
		*nl = '\0';
		sp = strchr(p, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		out->name[out->n] = p;
		out->value[out->n++] = sp + 1;
	}
	return 0;
}

static const char *lookup(const struct output *out, const char *name)
{
	int i;

	for (i = 0; i < out->n; i++)
		if (strcmp(out->name[i], name) == 0)
			return out->value[i];
	return NULL;
}

static void spec_init(struct sandbox_spec *s, int binary, const int *fds,
    unsigned nfds, char **argv, char *errbuf, size_t errlen)
{
	static char *envp[] = { "CAIRN_LABEL=probe", NULL };

	memset(s, 0, sizeof(*s));
	s->name = "probe";
	s->binary_fd = binary;
	s->fds = fds;
	s->nfds = nfds;
	s->uid = UID;
	s->gid = UID;
	s->argv = argv;
	s->envp = envp;
	s->errbuf = errbuf;
	s->errbuf_size = errlen;
}

static int wait_exit(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/*
 * Run the probe in mode with flags, the pipe to read its output on fd 3 and
 * a socket on fd 4. The two are handed over from fds 4 and 3, crosswise, so
 * that installing them must cope with sources that are also targets.
 */
static int run_probe(const char *mode, unsigned flags, struct output *out)
{
	char *argv[] = { "probe", (char *)mode, NULL };
	int p[2], sv[2], fds[2] = { 4, 3 }, err, status;
	struct sandbox_spec s;
	char errbuf[256];
	bool oom;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		goto out_pipe;
	}
	if (dup3(p[1], 4, O_CLOEXEC) < 0 || dup3(sv[0], 3, O_CLOEXEC) < 0) {
		err = -errno;
		goto out_sock;
	}
	spec_init(&s, g.probe, fds, 2, argv, errbuf, sizeof(errbuf));
	s.flags = flags;
	s.ram_limit = 64 * MIB;
	err = sandbox_spawn(&s, &pid);
	/* Only the child may hold the write end now, for EOF at its exit. */
	dup2(g.probe, 3);
	dup2(g.probe, 4);
	close(p[1]);
	p[1] = -1;
	if (err) {
		fprintf(stderr, "%s\n", errbuf);
		goto out_sock;
	}
	err = read_output(p[0], out);
	if (err)
		kill(pid, SIGKILL);
	if (wait_exit(pid, &status) == 0 && err == 0 &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		err = -ECHILD;
	if (sandbox_release(pid, &oom) != 0 && err == 0)
		err = -EBUSY;
out_sock:
	close(sv[0]);
	close(sv[1]);
out_pipe:
	close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return err;
}

/* Expected probe results: one case each. */
struct expect {
	const char *id, *desc, *name, *value;
};

static const struct expect checks[] = {
	{ "sandbox-010", "child is pid 1 of its own PID namespace",
	    "getpid", "1" },
	{ "sandbox-011", "child sees no parent", "getppid", "0" },
	{ "sandbox-012", "child runs as the given uid", "getuid", "65534" },
	{ "sandbox-013", "child runs as the given gid", "getgid", "65534" },
	{ "sandbox-014", "child has no supplementary groups", "groups", "0" },
	{ "sandbox-015", "child holds no capabilities", "caps", "none" },
	{ "sandbox-016", "no_new_privs is set", "no_new_privs", "1" },
	{ "sandbox-017", "a seccomp filter is in force", "seccomp", "2" },
	{ "sandbox-018", "child has its own UTS namespace", "hostname",
	    "cairn" },
	{ "sandbox-019", "RLIMIT_NOFILE is 1024", "nofile", "1024" },
	{ "sandbox-020", "RLIMIT_CORE is 0", "core", "0" },
	{ "sandbox-021", "fd 0 is /dev/null", "fd0", "chr" },
	{ "sandbox-022", "fd 1 is /dev/null", "fd1", "chr" },
	{ "sandbox-023", "fd 2 is /dev/null", "fd2", "chr" },
	{ "sandbox-024", "fd 3 is the first passed descriptor (a pipe)",
	    "fd3", "fifo" },
	{ "sandbox-025", "fd 4 is the second passed descriptor (a socket)",
	    "fd4", "sock" },
	{ "sandbox-026", "no other descriptor is open", "other-fds", "none" },
	{ "sandbox-027", "SIGPIPE is ignored", "sigpipe", "ign" },
	{ "sandbox-030", "open of a host file fails with EPERM",
	    "open-passwd", "EPERM" },
	{ "sandbox-031", "openat of / fails with EPERM", "openat-root",
	    "EPERM" },
	{ "sandbox-032", "open of /proc fails with EPERM", "open-proc",
	    "EPERM" },
	{ "sandbox-033", "socket(AF_INET) fails with EPERM", "socket-inet",
	    "EPERM" },
	{ "sandbox-034", "socket(AF_UNIX) fails with EPERM", "socket-unix",
	    "EPERM" },
	{ "sandbox-035", "socketpair(AF_INET) fails with EPERM",
	    "socketpair-inet", "EPERM" },
	{ "sandbox-036", "socketpair(AF_UNIX) works", "socketpair-unix", "ok" },
	{ "sandbox-037", "connect fails with EPERM", "connect", "EPERM" },
	{ "sandbox-038", "bind fails with EPERM", "bind", "EPERM" },
	{ "sandbox-039", "a descriptor passes with SCM_RIGHTS", "scm_rights",
	    "ok" },
	{ "sandbox-040", "execve fails with EPERM", "execve", "EPERM" },
	{ "sandbox-041", "execveat of a path fails with EPERM",
	    "execveat-path", "EPERM" },
	{ "sandbox-042", "ptrace fails with EPERM", "ptrace", "EPERM" },
	{ "sandbox-043", "kill(-1) fails with EPERM", "kill-all", "EPERM" },
	{ "sandbox-044", "kill of another pid fails with EPERM", "kill-other",
	    "EPERM" },
	{ "sandbox-045", "kill of itself works", "kill-self", "ok" },
	{ "sandbox-046", "kill of its process group works", "kill-group",
	    "ok" },
	{ "sandbox-047", "tgkill of itself works", "tgkill-self", "ok" },
	{ "sandbox-048", "fork fails with EPERM", "fork", "EPERM" },
	{ "sandbox-049", "clone3 fails with ENOSYS", "clone3", "ENOSYS" },
	{ "sandbox-050", "a thread can be created", "thread", "ok" },
	{ "sandbox-051", "mount fails with EPERM", "mount", "EPERM" },
	{ "sandbox-052", "umount fails with EPERM", "umount", "EPERM" },
	{ "sandbox-053", "unshare fails with EPERM", "unshare-user", "EPERM" },
	{ "sandbox-054", "setns fails with EPERM", "setns", "EPERM" },
	{ "sandbox-055", "chroot fails with EPERM", "chroot", "EPERM" },
	{ "sandbox-056", "memfd_create fails with EPERM", "memfd_create",
	    "EPERM" },
	{ "sandbox-057", "setuid(0) fails with EPERM", "setuid-0", "EPERM" },
	{ "sandbox-058", "raising an rlimit fails with EPERM", "setrlimit",
	    "EPERM" },
	{ "sandbox-059", "ioctl TIOCSTI fails with EPERM", "ioctl-tiocsti",
	    "EPERM" },
	{ "sandbox-060", "ioctl FIONREAD works", "ioctl-fionread", "ok" },
	{ "sandbox-061", "io_uring_setup fails with EPERM without the flag",
	    "io_uring_setup", "EPERM" },
	{ "sandbox-062", "bpf fails with EPERM", "bpf", "EPERM" },
	{ "sandbox-063", "perf_event_open fails with EPERM", "perf_event_open",
	    "EPERM" },
	{ "sandbox-064", "userfaultfd fails with EPERM", "userfaultfd",
	    "EPERM" },
	{ "sandbox-065", "keyctl fails with EPERM", "keyctl", "EPERM" },
	{ "sandbox-066", "process_vm_readv fails with EPERM",
	    "process_vm_readv", "EPERM" },
	{ "sandbox-067", "sethostname fails with EPERM", "sethostname",
	    "EPERM" },
	{ "sandbox-068", "reboot fails with EPERM", "reboot", "EPERM" },
	{ "sandbox-069", "PR_SET_PDEATHSIG fails with EPERM",
	    "prctl-pdeathsig", "EPERM" },
	{ "sandbox-070", "PR_SET_NAME works", "prctl-name", "ok" },
	{ "sandbox-071", "anonymous mmap works", "mmap", "ok" },
	{ "sandbox-072", "mprotect works", "mprotect", "ok" },
	{ "sandbox-073", "eventfd works", "eventfd", "ok" },
	{ "sandbox-074", "timerfd works", "timerfd", "ok" },
	{ "sandbox-075", "epoll works", "epoll", "ok" },
	{ "sandbox-076", "getrandom works", "getrandom", "ok" },
	{ "sandbox-077", "the probe ran to its end", "done", "ok" },
};

static const struct expect uring[] = {
	{ "sandbox-080", "io_uring works with SANDBOX_IO_URING",
	    "uring-setup", "ok" },
	{ "sandbox-081", "root holds no /etc/passwd", "uring-open:/etc/passwd",
	    "ENOENT" },
	{ "sandbox-082", "root holds no /proc", "uring-open:/proc/self/status",
	    "ENOENT" },
	{ "sandbox-083", "root holds no /bin/sh", "uring-open:/bin/sh",
	    "ENOENT" },
	{ "sandbox-084", "root holds no /dev", "uring-open:/dev/null",
	    "ENOENT" },
	{ "sandbox-085", "root holds no /sys", "uring-open:/sys/fs/cgroup",
	    "ENOENT" },
	{ "sandbox-086", "root holds no /tmp", "uring-open:/tmp", "ENOENT" },
	{ "sandbox-087", "root holds no /usr", "uring-open:/usr", "ENOENT" },
	{ "sandbox-088", "root is an empty directory", "uring-root",
	    "nlink=2 size=40" },
	{ "sandbox-089", "root is read-only", "uring-mkdir", "EROFS" },
	{ "sandbox-090", "the network namespace has no route to loopback",
	    "uring-connect", "ENETUNREACH" },
};

static const struct expect *cur;
static const struct output *cur_out;
static const int *cur_err;

static void t_expect(void)
{
	const char *v;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	T_CHECKF(*cur_err == 0, "probe run failed: %s", strerror(-*cur_err));
	v = lookup(cur_out, cur->name);
	T_CHECKF(v != NULL, "probe printed no '%s' line", cur->name);
	T_CHECKF(strcmp(v, cur->value) == 0, "'%s' is '%s', expected '%s'",
	    cur->name, v, cur->value);
}

static void run_table(const struct expect *t, size_t n,
    const struct output *out, const int *err)
{
	size_t i;

	cur_out = out;
	cur_err = err;
	for (i = 0; i < n; i++) {
		cur = &t[i];
		T_RUN(t[i].id, t[i].desc, t_expect);
	}
}

static void t_shared_net(void)
{
	const char *v;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	T_CHECKF(g.shared_err == 0, "probe run failed: %s",
	    strerror(-g.shared_err));
	v = lookup(&g.shared, "done");
	T_CHECK(v != NULL && strcmp(v, "ok") == 0);
	v = lookup(&g.shared, "socket-inet");
	T_CHECK(v != NULL && strcmp(v, "EPERM") == 0);
	v = lookup(&g.shared, "getpid");
	T_CHECK(v != NULL && strcmp(v, "1") == 0);
}

static void t_kvm(void)
{
	const char *v;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	T_CHECKF(g.kvm_err == 0, "probe run failed: %s", strerror(-g.kvm_err));
	/* Only KVM ioctls are let through: a terminal ioctl still is not. */
	v = lookup(&g.kvm, "ioctl-tiocsti");
	T_CHECKF(v != NULL && strcmp(v, "EPERM") == 0,
	    "ioctl-tiocsti is '%s'", v ? v : "missing");
	v = lookup(&g.kvm, "open-passwd");
	T_CHECK(v != NULL && strcmp(v, "EPERM") == 0);
}

/* The memory cgroup line of /proc/PID/cgroup, as a path under CG root. */
static int memcg_of(pid_t pid, char *path, size_t len)
{
	char file[64], line[512], *p;
	FILE *f;
	int err = -ENOENT;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (f == NULL)
		return -errno;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		p = strstr(line, ":memory:");
		if (p == NULL)
			continue;
		snprintf(path, len, "/sys/fs/cgroup/memory%s", p + 8);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

/* Cgroups left in this process's cairn directory, or -1 without one. */
static int leftover_cgroups(void)
{
	char path[600], own[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (memcg_of(getpid(), own, sizeof(own)) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cairn-%d", own, (int)getpid());
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void t_keep_stderr(void)
{
	const char *v;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	T_CHECKF(g.keep_err == 0, "probe run failed: %s",
	    strerror(-g.keep_err));
	v = lookup(&g.keep, "fd2");
	T_CHECK(v != NULL && strcmp(v, "fifo") == 0);
	v = lookup(&g.keep, "fd1");
	T_CHECK(v != NULL && strcmp(v, "chr") == 0);
}

/* Run the probe with SANDBOX_KEEP_STDERR while fd 2 is a pipe. */
static int run_keep_stderr(struct output *out)
{
	int saved, p[2], err;

	saved = fcntl(2, F_DUPFD_CLOEXEC, 10);
	if (saved < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0) {
		err = -errno;
		close(saved);
		return err;
	}
	dup2(p[1], 2);
	close(p[1]);
	err = run_probe("checks", SANDBOX_KEEP_STDERR, out);
	dup2(saved, 2);
	close(saved);
	close(p[0]);
	return err;
}

static void t_not_elf(void)
{
	struct sandbox_spec s;
	char errbuf[256];
	pid_t pid;
	int fd, err;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	fd = load_memfd(NULL, "this is not an ELF file\n");
	T_CHECK(fd >= 0);
	spec_init(&s, fd, NULL, 0, NULL, errbuf, sizeof(errbuf));
	s.name = "bad";
	s.ram_limit = 16 * MIB;
	err = sandbox_spawn(&s, &pid);
	close(fd);
	T_CHECKF(err == -ENOEXEC, "err %d", err);
	T_CHECKF(strcmp(errbuf, "sandbox: 'bad': execveat: Exec format error")
	    == 0, "message '%.100s'", errbuf);
	/* The failed child's cgroup is gone again. */
	if (g.memcg)
		T_CHECKF(leftover_cgroups() == 0, "%d left",
		    leftover_cgroups());
}

static void t_uid0(void)
{
	struct sandbox_spec s;
	char errbuf[256];
	pid_t pid;
	int err;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	spec_init(&s, g.probe, NULL, 0, NULL, errbuf, sizeof(errbuf));
	s.uid = 0;
	err = sandbox_spawn(&s, &pid);
	T_CHECKF(err == -EINVAL, "err %d", err);
	T_CHECKF(strstr(errbuf, "uid or gid 0") != NULL, "message '%.100s'",
	    errbuf);
}

static void t_bad_fd(void)
{
	struct sandbox_spec s;
	char errbuf[256];
	int fds[1] = { 1000 };
	pid_t pid;
	int err;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	spec_init(&s, g.probe, fds, 1, NULL, errbuf, sizeof(errbuf));
	err = sandbox_spawn(&s, &pid);
	T_CHECKF(err == -EBADF, "err %d", err);
	T_CHECKF(strcmp(errbuf, "sandbox: 'probe': passing descriptor: "
	    "Bad file descriptor") == 0, "message '%.100s'", errbuf);
}

static unsigned long long read_ull(const char *dir, const char *file)
{
	char path[600], buf[64];
	FILE *f;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) != NULL)
		v = strtoull(buf, NULL, 10);
	fclose(f);
	return v;
}

/* Spawn the probe in mode with out as fd 3; *rd is the read end. */
static int spawn_mode(const char *mode, uint64_t ram, int *rd, pid_t *pid)
{
	char *argv[] = { "probe", (char *)mode, NULL };
	struct sandbox_spec s;
	char errbuf[256];
	int p[2], err;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	spec_init(&s, g.probe, &p[1], 1, argv, errbuf, sizeof(errbuf));
	s.ram_limit = ram;
	err = sandbox_spawn(&s, pid);
	close(p[1]);
	if (err) {
		close(p[0]);
		fprintf(stderr, "%s\n", errbuf);
		return err;
	}
	*rd = p[0];
	return 0;
}

static void t_cgroup(void)
{
	char path[512], line[64];
	struct stat st;
	int rd, status;
	bool oom = true;
	pid_t pid;
	ssize_t n;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	if (!g.memcg)
		T_SKIP("no memory cgroup hierarchy at /sys/fs/cgroup/memory");
	T_CHECK(spawn_mode("block", 48 * MIB, &rd, &pid) == 0);
	n = read(rd, line, sizeof(line) - 1);
	close(rd);
	T_CHECK(memcg_of(pid, path, sizeof(path)) == 0);
	kill(pid, SIGKILL);
	T_CHECK(wait_exit(pid, &status) == 0);
	T_CHECKF(n > 0 && strncmp(line, "blocking ok", 11) == 0, "read %zd",
	    n);
	T_CHECKF(strstr(path, "/cairn-") != NULL, "cgroup '%.100s'", path);
	T_CHECK(read_ull(path, "memory.limit_in_bytes") == 48 * MIB);
	if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK)
	    == 0)
		T_CHECK(read_ull(path, "memory.memsw.limit_in_bytes") ==
		    48 * MIB);
	T_CHECK(sandbox_release(pid, &oom) == 0);
	T_CHECK(!oom);
	T_CHECKF(stat(path, &st) < 0 && errno == ENOENT, "'%.100s' remains", path);
}

static void t_oom(void)
{
	char buf[256];
	int rd, status;
	bool oom = false;
	pid_t pid;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	if (!g.memcg)
		T_SKIP("no memory cgroup hierarchy at /sys/fs/cgroup/memory");
	T_CHECK(spawn_mode("oom", 32 * MIB, &rd, &pid) == 0);
	while (read(rd, buf, sizeof(buf)) > 0)
		;
	close(rd);
	T_CHECK(wait_exit(pid, &status) == 0);
	T_CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "status 0x%x", status);
	T_CHECK(sandbox_release(pid, &oom) == 0);
	T_CHECK(oom);
}

static void t_release_unknown(void)
{
	bool oom = true;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	T_CHECK(sandbox_release(getpid(), &oom) == 0);
	T_CHECK(!oom);
}

/*
 * A helper process spawns the probe and exits: the probe, whose parent
 * (thread) is gone, must die. This process is a subreaper, so the orphaned
 * probe becomes its child.
 */
static void t_parent_death(void)
{
	char buf[64];
	int p[2], rd, status;
	pid_t helper, probe = 0;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	T_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	T_CHECK(pipe2(p, O_CLOEXEC) == 0);
	helper = fork();
	T_CHECK(helper >= 0);
	if (helper == 0) {
		if (spawn_mode("block", 0, &rd, &probe) != 0)
			_exit(1);
		/* Once the probe runs, tell its pid and go. */
		if (read(rd, buf, sizeof(buf)) <= 0 ||
		    write(p[1], &probe, sizeof(probe)) != sizeof(probe))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	T_CHECK(read(p[0], &probe, sizeof(probe)) == sizeof(probe));
	close(p[0]);
	T_CHECK(wait_exit(helper, &status) == 0);
	T_CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "helper 0x%x",
	    status);
	T_CHECK(wait_exit(probe, &status) == 0);
	T_CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "probe status 0x%x", status);
	T_CHECK(sandbox_release(probe, NULL) == 0);
}

static void t_export(void)
{
	struct stat st;
	int fd, err;

	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	fd = memfd_create("filter", MFD_CLOEXEC);
	T_CHECK(fd >= 0);
	err = sandbox_export_filter(SANDBOX_IO_URING, fd);
	T_CHECK(fstat(fd, &st) == 0);
	close(fd);
	T_CHECKF(err == 0, "err %d", err);
	T_CHECK(st.st_size > 0 && st.st_size % 8 == 0);
}

static void t_leftover(void)
{
	if (g.skip != NULL)
		T_SKIP("%s", g.skip);
	if (!g.memcg)
		T_SKIP("no memory cgroup hierarchy at /sys/fs/cgroup/memory");
	T_CHECKF(leftover_cgroups() == 0, "%d left", leftover_cgroups());
}

static int init_err;

static void t_init(void)
{
	if (geteuid() != 0)
		T_SKIP("%s", g.skip);
	T_CHECKF(init_err == 0, "sandbox_init: %s", strerror(-init_err));
	T_CHECKF(g.probe >= 0, "cannot load %s", g.probe_path);
}

int main(int argc, char **argv)
{
	int null;

	/*
	 * Keep fds 3 and 4 taken, so that run_probe() can put its descriptors
	 * there without clobbering anything.
	 */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	dup3(null, 3, O_CLOEXEC);
	dup3(null, 4, O_CLOEXEC);
	if (null > 4)
		close(null);

	g.probe = -1;
	g.probe_path = argc > 1 ? argv[1] : "(no probe given)";
	if (geteuid() != 0) {
		g.skip = "needs root: core runs as root to create namespaces "
		    "and cgroups";
	} else {
		init_err = sandbox_init();
		if (argc > 1)
			g.probe = load_memfd(argv[1], NULL);
		if (init_err != 0 || g.probe < 0)
			g.skip = "sandbox_init or loading the probe failed";
	}
	T_RUN("sandbox-001", "sandbox_init succeeds and the probe loads",
	    t_init);
	if (g.skip == NULL) {
		g.memcg = access("/sys/fs/cgroup/memory/tasks", F_OK) == 0;
		g.checks_err = run_probe("checks", 0, &g.checks);
		g.uring_err = run_probe("uring", SANDBOX_IO_URING, &g.uring);
		g.shared_err = run_probe("checks", SANDBOX_SHARED_NET,
		    &g.shared);
		g.kvm_err = run_probe("checks", SANDBOX_KVM, &g.kvm);
		g.keep_err = run_keep_stderr(&g.keep);
	}
	run_table(checks, sizeof(checks) / sizeof(checks[0]), &g.checks,
	    &g.checks_err);
	run_table(uring, sizeof(uring) / sizeof(uring[0]), &g.uring,
	    &g.uring_err);
	T_RUN("sandbox-091", "SANDBOX_SHARED_NET child is sandboxed alike",
	    t_shared_net);
	T_RUN("sandbox-092", "SANDBOX_KVM lets KVM ioctls through, nothing else",
	    t_kvm);
	T_RUN("sandbox-093", "SANDBOX_KEEP_STDERR leaves fd 2 to the child",
	    t_keep_stderr);
	T_RUN("sandbox-100", "a non-ELF binary fails with ENOEXEC and a message",
	    t_not_elf);
	T_RUN("sandbox-101", "uid 0 is refused with EINVAL", t_uid0);
	T_RUN("sandbox-102", "a bad descriptor fails with EBADF and a message",
	    t_bad_fd);
	T_RUN("sandbox-110", "child runs in its memory cgroup with the limit",
	    t_cgroup);
	T_RUN("sandbox-111", "an OOM kill by the cgroup is reported", t_oom);
	T_RUN("sandbox-112", "release of a pid without cgroup is a no-op",
	    t_release_unknown);
	T_RUN("sandbox-120", "child dies with the thread that spawned it",
	    t_parent_death);
	T_RUN("sandbox-130", "the filter exports as BPF", t_export);
	T_RUN("sandbox-131", "no cgroup is left after all releases",
	    t_leftover);
	if (g.skip == NULL)
		sandbox_fini();
	return t_done();
}
