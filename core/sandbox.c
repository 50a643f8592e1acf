/*
 * Process sandbox: namespaces, credentials, cgroup and seccomp for a child.
 * SPDX-License-Identifier: MIT
 *
 * A spawn is one clone(CLONE_VM | CLONE_VFORK | CLONE_NEW...) into a small
 * stack: the child shares core's memory until it execs, so nothing is copied
 * and a failing step is reported by storing the step and errno in a struct
 * that the parent reads once clone() returns (with CLONE_VFORK that is after
 * the exec or the exit of the child). Because the child shares the memory of
 * a possibly multi-threaded core, it calls only plain system calls: no
 * malloc, no stdio, and no glibc set*id wrappers (those signal every thread
 * of the process they believe they are in).
 *
 * Everything that can be prepared once is prepared by sandbox_init() (with
 * the slow part started earlier by sandbox_prepare()): /dev/null, and a
 * template mount namespace whose
 * root is an empty read-only tmpfs. A child enters the template and unshares
 * a copy of it, which holds two mounts, instead of copying the host's mount
 * table and tearing it down again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>

#include "sandbox.h"
#include "seccomp_rules.h"

#define CG_ROOT		"/sys/fs/cgroup/memory"
#define CHILD_STACK	(64 * 1024)
#define NOFILE_LIMIT	1024
#define HOSTNAME	"cairn"


/*
 * Module state, set up once by sandbox_init(). The interface is a set of
 * free functions called by core, so it lives here; after init it is only
 * read, except the spawn counter.
 */
static struct {
	bool ready;
	int devnull;		/* /dev/null, becomes fd 0-2 */
	int core_pidfd;		/* tells a child that core died early */
	int mntns;		/* template: empty read-only root */
	int netns;		/* empty network namespace (SHARED_NET) */
	int cg_parent;		/* core's own memory cgroup, or -1 */
	int cg_dir;		/* cg_name in it, holding the children's */
	char cg_name[32];	/* "cairn-<core pid>" */
	bool memsw;		/* memory.memsw.* exists (swap accounting) */
	int last_cap;
	unsigned seq;		/* names cgroups while their pid is unknown */
	struct sock_fprog filter[FILTER_FLAGS + 1];
} sb = {
	.devnull = -1, .core_pidfd = -1, .mntns = -1, .netns = -1,
	.cg_parent = -1, .cg_dir = -1,
};

/* Shared between sandbox_spawn() and the child until the child execs. */
struct child {
	const struct sandbox_spec *spec;
	char *const *argv;
	char *const *envp;
	const struct sock_fprog *filter;
	int cg_tasks;		/* "tasks" of the child's cgroup, or -1 */
	int netns;		/* namespace to join, or -1 for the fresh one */
	const char *step;	/* set by the child when a step fails */
	int err;
};

/* The kernel's struct sigaction, for the raw rt_sigaction system call. */
struct k_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static int write_at(int dfd, const char *file, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

/*
 * In child_main(): a failing call names its step; errno says the rest.
 * The parent turns both into "sandbox: 'NAME': STEP: strerror(errno)".
 */
#define STEP(call, name) do { \
	if ((call) < 0) { \
		c->step = (name); \
		goto fail; \
	} \
} while (0)

/*
 * The child. Signals are blocked on entry (the parent blocked them all
 * before clone), so none of core's handlers can run here.
 */
static int child_main(void *arg)
{
	struct child *c = arg;
	const struct sandbox_spec *s = c->spec;
	struct __user_cap_header_struct caphdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct capdata[2] = { { 0 } };
	struct rlimit nofile = { NOFILE_LIMIT, NOFILE_LIMIT };
	struct rlimit core = { 0, 0 };
	struct k_sigaction ka;
	struct pollfd pfd;
	uint64_t mask = 0;
	int copy[SANDBOX_MAX_FDS];
	int hi, bin, pidfd, null, err2;
	unsigned i, n = s->nfds;
	int sig;

	errno = 0;
	/*
	 * Default dispositions everywhere, so that a signal arriving between
	 * unblocking and exec cannot run a handler of core on core's memory.
	 * SIGPIPE is ignored: a component writing to a closed connection is to
	 * get EPIPE and carry on.
	 */
	for (sig = 1; sig < 65; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		memset(&ka, 0, sizeof(ka));
		ka.handler = sig == SIGPIPE ? SIG_IGN : SIG_DFL;
		STEP(syscall(SYS_rt_sigaction, sig, &ka, NULL, 8),
		    "rt_sigaction");
	}

	/* Leave core's session and process group: kill(0, ...) is ours. */
	STEP(setsid(), "setsid");

	/*
	 * Join the memory cgroup before exec, so that the new image is charged
	 * to it from its first page. Writing "0" to "tasks" moves just the
	 * calling thread, which here is the whole process; unlike a write to
	 * cgroup.procs it does not take cgroup_threadgroup_rwsem for writing,
	 * which costs an RCU grace period (about 0.3 ms here) per spawn.
	 */
	if (c->cg_tasks >= 0)
		STEP(write(c->cg_tasks, "0", 1), "memory cgroup tasks");

	STEP(setns(sb.mntns, CLONE_NEWNS), "setns(mnt)");
	STEP(unshare(CLONE_NEWNS), "unshare(mnt)");
	if (c->netns >= 0)
		STEP(setns(c->netns, CLONE_NEWNET), "setns(net)");
	/* The fresh UTS namespace still holds the host's names. */
	STEP(sethostname(HOSTNAME, sizeof(HOSTNAME) - 1), "sethostname");
	STEP(setdomainname("(none)", 6), "setdomainname");

	/*
	 * Descriptors. First copy everything needed above the highest target,
	 * so that installing fd 3+i can never clobber a source still to be
	 * installed, whatever the order and overlap of spec->fds.
	 */
	hi = 3 + (int)n + 2;
	for (i = 0; i < n; i++)
		STEP(copy[i] = fcntl(s->fds[i], F_DUPFD_CLOEXEC, hi),
		    "passing descriptor");
	STEP(bin = fcntl(s->binary_fd, F_DUPFD_CLOEXEC, hi),
	    "binary descriptor");
	STEP(pidfd = fcntl(sb.core_pidfd, F_DUPFD_CLOEXEC, hi), "F_DUPFD");
	STEP(null = fcntl(sb.devnull, F_DUPFD_CLOEXEC, hi), "F_DUPFD");
	err2 = null;
	if (s->flags & SANDBOX_KEEP_STDERR)
		STEP(err2 = fcntl(2, F_DUPFD_CLOEXEC, hi), "F_DUPFD");
	for (i = 0; i < n; i++)
		STEP(dup2(copy[i], 3 + (int)i), "dup2");
	/* These two stay until the exec closes them. */
	STEP(bin = dup3(bin, 3 + (int)n, O_CLOEXEC), "dup3");
	STEP(pidfd = dup3(pidfd, 3 + (int)n + 1, O_CLOEXEC), "dup3");
	STEP(dup2(null, 0), "dup2");
	STEP(dup2(null, 1), "dup2");
	STEP(dup2(err2, 2), "dup2");
	STEP(close_range((unsigned)hi, ~0U, 0), "close_range");

	STEP(setrlimit(RLIMIT_NOFILE, &nofile), "setrlimit");
	STEP(setrlimit(RLIMIT_CORE, &core), "setrlimit");

	/*
	 * Credentials. The bounding set and the securebits need CAP_SETPCAP,
	 * so they go first; then the uid change clears the permitted,
	 * effective and ambient sets, and capset clears the inheritable one.
	 */
	for (i = 0; i <= (unsigned)sb.last_cap; i++)
		STEP(prctl(PR_CAPBSET_DROP, i, 0, 0, 0), "PR_CAPBSET_DROP");
	STEP(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	    SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
	    0, 0, 0), "PR_SET_SECUREBITS");
	STEP(syscall(SYS_setgroups, 0, NULL), "setgroups");
	STEP(syscall(SYS_setresgid, s->gid, s->gid, s->gid), "setresgid");
	STEP(syscall(SYS_setresuid, s->uid, s->uid, s->uid), "setresuid");
	STEP(syscall(SYS_capset, &caphdr, capdata), "capset");

	/*
	 * The parent-death signal is reset by a credential change, so it is
	 * set after it; core may have died before, which its pidfd tells.
	 */
	STEP(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "PR_SET_PDEATHSIG");
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) != 0)
		_exit(127);

	STEP(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS");
	STEP(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, 8),
	    "rt_sigprocmask");
	STEP(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, c->filter),
	    "seccomp");
	syscall(SYS_execveat, bin, "", c->argv, c->envp, AT_EMPTY_PATH);
	c->step = "execveat";
fail:
	c->err = errno != 0 ? errno : EIO;
	_exit(127);
}

#undef STEP

/*
 * In the helper process of sandbox_prepare(): an empty read-only tmpfs
 * becomes the root of a fresh mount namespace. The host's mounts are made
 * private first, so that neither mounting over / nor detaching the old root
 * propagates to the host.
 */
static int build_empty_root(void)
{
	int fs, mnt;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return errno;
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return errno;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY |
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return errno;
	/* Stack the tmpfs on /, step into it, and swap it with the old root. */
	if (move_mount(mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0 ||
	    fchdir(mnt) < 0 ||
	    syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return errno;
	return 0;
}

/*
 * The helper process of sandbox_prepare(): it builds the template mount
 * and network namespaces (a network namespace costs milliseconds) while
 * core copies its boot modules, then reports an errno through the pipe. It
 * stays (paused) until core has opened its namespaces.
 */
static void helper_main(int out)
{
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	err = build_empty_root();
	if (write(out, &err, sizeof(err)) != sizeof(err))
		_exit(1);
	for (;;)
		pause();
}

static struct {
	pid_t pid;
	int fd;
} helper = { .pid = -1, .fd = -1 };

int sandbox_prepare(void)
{
	int p[2], err;

	if (helper.pid > 0 || sb.ready)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	helper.pid = fork();
	if (helper.pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (helper.pid == 0) {
		close(p[0]);
		helper_main(p[1]);
	}
	close(p[1]);
	helper.fd = p[0];
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *b = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ECHILD;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Collect what the helper made: by descriptor, the template mount
 * namespace and the shared network namespace.
 */
static int finish_helper(void)
{
	char path[64];
	int err, r;

	if ((err = sandbox_prepare()))
		return err;
	if ((r = read_full(helper.fd, &err, sizeof(err))))
		err = r;
	else
		err = -err;
	if (err == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)helper.pid);
		sb.mntns = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)helper.pid);
		sb.netns = open(path, O_RDONLY | O_CLOEXEC);
		if (sb.mntns < 0 || sb.netns < 0)
			err = -errno;
	}
	close(helper.fd);
	kill(helper.pid, SIGKILL);
	while (waitpid(helper.pid, NULL, 0) < 0 && errno == EINTR)
		;
	helper.pid = -1;
	helper.fd = -1;
	return err;
}

/* Core's own memory cgroup, from /proc/self/cgroup ("4:memory:/a/b"). */
static int own_memcg(char *path, size_t len)
{
	char line[PATH_MAX + 64], *ctl, *rel, *tok, *save;
	FILE *f;
	int err = -ENOENT;

	f = fopen("/proc/self/cgroup", "re");
	if (f == NULL)
		return -errno;
	while (err && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		rel = ctl ? strchr(ctl + 1, ':') : NULL;
		if (rel == NULL)
			continue;
		*rel++ = '\0';
		for (tok = strtok_r(ctl + 1, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "memory") != 0)
				continue;
			if ((size_t)snprintf(path, len, "%s%s", CG_ROOT,
			    strcmp(rel, "/") == 0 ? "" : rel) >= len)
				err = -ENAMETOOLONG;
			else
				err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/* Remove the (empty) cgroups below name in parent, then name itself. */
static void remove_cgroup_tree(int parent, const char *name)
{
	struct dirent *e;
	DIR *d;
	int fd;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			unlinkat(fd, e->d_name, AT_REMOVEDIR);
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
}

/* Directories "cairn-<pid>" of cores that no longer run. */
static void remove_stale_cgroups(int parent)
{
	struct dirent *e;
	DIR *d;
	char *end;
	long pid;
	int fd;

	fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "cairn-", 6) != 0)
			continue;
		pid = strtol(e->d_name + 6, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			remove_cgroup_tree(parent, e->d_name);
	}
	closedir(d);
}

static int init_cgroups(void)
{
	char path[PATH_MAX];
	int err;

	if ((err = own_memcg(path, sizeof(path))))
		return err;
	sb.cg_parent = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sb.cg_parent < 0)
		return -errno;
	remove_stale_cgroups(sb.cg_parent);
	snprintf(sb.cg_name, sizeof(sb.cg_name), "cairn-%d", (int)getpid());
	if (mkdirat(sb.cg_parent, sb.cg_name, 0755) < 0 && errno != EEXIST)
		goto fail;
	sb.cg_dir = openat(sb.cg_parent, sb.cg_name,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sb.cg_dir < 0)
		goto fail;
	sb.memsw = faccessat(sb.cg_dir, "memory.memsw.limit_in_bytes", W_OK,
	    0) == 0;
	return 0;
fail:
	err = -errno;
	unlinkat(sb.cg_parent, sb.cg_name, AT_REMOVEDIR);
	close(sb.cg_parent);
	sb.cg_parent = -1;
	return err;
}

int sandbox_init(void)
{
	const char *what;
	char buf[16];
	unsigned f;
	FILE *cap;
	int err;

	if (sb.ready)
		return 0;
	what = "/dev/null";
	sb.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sb.devnull < 0) {
		err = -errno;
		goto fail;
	}
	what = "pidfd_open";
	sb.core_pidfd = pidfd_open(getpid(), 0);
	if (sb.core_pidfd < 0) {
		err = -errno;
		goto fail;
	}
	/* Capabilities the running kernel knows, for the bounding set. */
	sb.last_cap = CAP_LAST_CAP;
	cap = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (cap != NULL) {
		if (fgets(buf, sizeof(buf), cap) != NULL && atoi(buf) > 0)
			sb.last_cap = atoi(buf);
		fclose(cap);
	}
	for (f = 0; f <= FILTER_FLAGS; f++) {
		sb.filter[f].filter = (struct sock_filter *)
		    sandbox_filters[f].insns;
		sb.filter[f].len = sandbox_filters[f].len;
	}
	what = "empty root and network namespace";
	if ((err = finish_helper()))
		goto fail;
	if ((err = init_cgroups()))
		fprintf(stderr, "sandbox: warning: no memory cgroup under %s "
		    "(%s): components run without a RAM limit\n", CG_ROOT,
		    strerror(-err));
	sb.ready = true;
	return 0;
fail:
	fprintf(stderr, "sandbox: %s: %s\n", what, strerror(-err));
	sandbox_fini();
	return err;
}

void sandbox_fini(void)
{
	unsigned f;

	if (sb.cg_dir >= 0) {
		close(sb.cg_dir);
		remove_cgroup_tree(sb.cg_parent, sb.cg_name);
		close(sb.cg_parent);
	}
	if (sb.netns >= 0)
		close(sb.netns);
	if (sb.mntns >= 0)
		close(sb.mntns);
	if (sb.core_pidfd >= 0)
		close(sb.core_pidfd);
	if (sb.devnull >= 0)
		close(sb.devnull);
	for (f = 0; f <= FILTER_FLAGS; f++) {
		sb.filter[f].filter = NULL;
		sb.filter[f].len = 0;
	}
	sb.cg_parent = sb.cg_dir = sb.netns = sb.mntns = -1;
	sb.core_pidfd = sb.devnull = -1;
	sb.ready = false;
}

/* The name as a cgroup directory may carry it: [A-Za-z0-9._-], 48 long. */
static void dir_name(char *dst, size_t len, pid_t pid, const char *name)
{
	size_t i, n;
	char ch;

	n = (size_t)snprintf(dst, len, "%d.", (int)pid);
	for (i = 0; name[i] != '\0' && i < 48 && n + 1 < len; i++) {
		ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
			ch = '_';
		dst[n++] = ch;
	}
	dst[n] = '\0';
}

static void report(const struct sandbox_spec *s, const char *step, int err)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "sandbox: '%s': %s: %s",
	    s->name != NULL ? s->name : "?", step, strerror(err));
	if (s->errbuf != NULL && s->errbuf_size > 0)
		snprintf(s->errbuf, s->errbuf_size, "%s", msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/*
 * A fresh memory cgroup, named "spawn-<n>" until the child's pid is known,
 * with the limit set and its "tasks" file open for the child to join.
 */
static int cg_create(const struct sandbox_spec *s, char *tmp, size_t len,
    int *tasks)
{
	char val[32];
	int dfd, err;

	snprintf(tmp, len, "spawn-%u",
	    __atomic_fetch_add(&sb.seq, 1, __ATOMIC_RELAXED));
	if (mkdirat(sb.cg_dir, tmp, 0755) < 0)
		return -errno;
	dfd = openat(sb.cg_dir, tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		goto out_rmdir;
	}
	/* With memsw equal to the limit, swap cannot extend the quota. */
	snprintf(val, sizeof(val), "%" PRIu64, s->ram_limit);
	if ((err = write_at(dfd, "memory.limit_in_bytes", val)) ||
	    (sb.memsw && (err = write_at(dfd, "memory.memsw.limit_in_bytes",
	    val))))
		goto out_dfd;
	*tasks = openat(dfd, "tasks", O_WRONLY | O_CLOEXEC);
	if (*tasks < 0) {
		err = -errno;
		goto out_dfd;
	}
	close(dfd);
	return 0;
out_dfd:
	close(dfd);
out_rmdir:
	unlinkat(sb.cg_dir, tmp, AT_REMOVEDIR);
	return err;
}

/*
 * A child leaves its cgroup when it exits, before it is reaped, so the
 * directory can go right after; a short retry covers a kernel that is still
 * busy taking the child down.
 */
static int cg_rmdir(const char *name)
{
	struct timespec ms = { 0, 1000000 };
	int tries;

	for (tries = 0; unlinkat(sb.cg_dir, name, AT_REMOVEDIR) < 0; tries++) {
		if (errno != EBUSY || tries == 100)
			return -errno;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int sandbox_spawn(const struct sandbox_spec *s, pid_t *pid)
{
	char *argv0[2], *envp0[1] = { NULL };
	char tmp[32], final[80];
	const char *step;
	struct child c;
	uint64_t all = ~(uint64_t)0, old;
	size_t stack_len = CHILD_STACK + 4096;
	char *stack;
	pid_t child;
	int flags, err;

	if (s == NULL || pid == NULL)
		return -EINVAL;
	err = -EINVAL;
	if (!sb.ready) {
		step = "sandbox_init() was not called";
		goto fail;
	}
	if (s->name == NULL || s->nfds > SANDBOX_MAX_FDS ||
	    (s->nfds > 0 && s->fds == NULL)) {
		step = "spec";
		goto fail;
	}
	if (s->uid == 0 || s->gid == 0) {
		step = "uid or gid 0";
		goto fail;
	}

	memset(&c, 0, sizeof(c));
	argv0[0] = (char *)s->name;
	argv0[1] = NULL;
	c.spec = s;
	c.argv = s->argv != NULL ? s->argv : argv0;
	c.envp = s->envp != NULL ? s->envp : envp0;
	c.filter = &sb.filter[s->flags & FILTER_FLAGS];
	c.cg_tasks = -1;
	c.netns = (s->flags & (SANDBOX_SHARED_NET | SANDBOX_IO_URING)) ==
	    SANDBOX_SHARED_NET ? sb.netns : -1;

	if (s->ram_limit > 0 && sb.cg_dir >= 0 &&
	    (err = cg_create(s, tmp, sizeof(tmp), &c.cg_tasks))) {
		step = "memory cgroup";
		goto fail;
	}
	/* The child's stack, with a guard page below it. */
	stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (stack == MAP_FAILED) {
		err = -errno;
		step = "mmap";
		goto out_cg;
	}
	if (mprotect(stack, 4096, PROT_NONE) < 0) {
		err = -errno;
		step = "mprotect";
		goto out_stack;
	}

	flags = CLONE_VM | CLONE_VFORK | CLONE_NEWPID | CLONE_NEWIPC |
	    CLONE_NEWUTS | SIGCHLD;
	if (c.netns < 0)
		flags |= CLONE_NEWNET;
	/*
	 * All signals blocked, glibc's internal ones included, until the child
	 * has reset its dispositions.
	 */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
	child = clone(child_main, stack + stack_len, flags, &c);
	err = child < 0 ? -errno : 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	if (child < 0) {
		step = "clone";
		goto out_stack;
	}
	if (c.err != 0) {
		reap(child);
		err = -c.err;
		step = c.step;
		goto out_stack;
	}
	munmap(stack, stack_len);

	if (c.cg_tasks >= 0) {
		close(c.cg_tasks);
		dir_name(final, sizeof(final), child, s->name);
		if (renameat(sb.cg_dir, tmp, sb.cg_dir, final) < 0) {
			err = -errno;
			step = "memory cgroup";
			kill(child, SIGKILL);
			reap(child);
			cg_rmdir(tmp);
			goto fail;
		}
	}
	*pid = child;
	return 0;

out_stack:
	munmap(stack, stack_len);
out_cg:
	if (c.cg_tasks >= 0) {
		close(c.cg_tasks);
		cg_rmdir(tmp);
	}
fail:
	report(s, step, -err);
	return err;
}

/* The "oom_kill" count of memory.oom_control (Linux 4.13 and later). */
static bool oom_kills(int dfd)
{
	char buf[256], *p;
	ssize_t n;
	int fd;

	fd = openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "oom_kill ");
	return p != NULL && strtoull(p + 9, NULL, 10) > 0;
}

int sandbox_release(pid_t pid, bool *oom_killed)
{
	char prefix[16], name[NAME_MAX + 1];
	struct dirent *e;
	size_t len;
	DIR *d;
	int fd, dfd;

	if (oom_killed != NULL)
		*oom_killed = false;
	if (!sb.ready || sb.cg_dir < 0)
		return 0;
	len = (size_t)snprintf(prefix, sizeof(prefix), "%d.", (int)pid);
	fd = openat(sb.cg_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_type == DT_DIR && strncmp(e->d_name, prefix, len) == 0)
			break;
	if (e != NULL)
		snprintf(name, sizeof(name), "%s", e->d_name);
	closedir(d);
	if (e == NULL)
		return 0;
	dfd = openat(sb.cg_dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (oom_killed != NULL)
			*oom_killed = oom_kills(dfd);
		close(dfd);
	}
	return cg_rmdir(name);
}

int sandbox_export_filter(unsigned flags, int fd)
{
	const struct sock_fprog *prog;
	size_t off = 0, len;
	ssize_t n;

	if (!sb.ready)
		return -EINVAL;
	prog = &sb.filter[flags & FILTER_FLAGS];
	len = prog->len * sizeof(struct sock_filter);
	while (off < len) {
		n = write(fd, (const char *)prog->filter + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}
