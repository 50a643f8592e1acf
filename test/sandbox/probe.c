/*
 * Sandbox probe: a static program that tries what a component must not do.
 * SPDX-License-Identifier: MIT
 *
 * Runs inside the sandbox and writes one line per attempt to fd 3, "NAME
 * RESULT", where RESULT is "ok", an errno name such as "EPERM", or a value.
 * The test (test/sandbox/sandbox.c) holds the expected results. It uses no
 * cairn library on purpose: what it sees is what the sandbox gives.
 *
 * Modes (argv[1]):
 *   checks  the system-call and environment checks (default)
 *   uring   looks at the namespaces through io_uring, which seccomp does not
 *           see: the root must be empty and read-only, the network empty
 *   oom     touches memory until the memory cgroup kills it
 *   block   writes "blocking" and sleeps until killed
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <termios.h>
#include <time.h>

#define OUT 3

static void say(const char *name, const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf) - 1, "%s ", name);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	if (write(OUT, buf, (size_t)n) != n)
		_exit(2);
}

/* "ok" for r >= 0, else the errno name. */
static void result(const char *name, long r)
{
	if (r >= 0)
		say(name, "ok");
	else
		say(name, "%s", strerrorname_np(errno));
}

static void *thread_fn(void *arg)
{
	return arg;
}

static const char *fd_kind(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return strerrorname_np(errno);
	if (S_ISCHR(st.st_mode))
		return "chr";
	if (S_ISFIFO(st.st_mode))
		return "fifo";
	if (S_ISSOCK(st.st_mode))
		return "sock";
	return "other";
}

/* Pass an eventfd through a socketpair, as a capability is delegated. */
static int pass_fd(void)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm;
	int sv[2], efd, got = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return -1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &efd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1)
		return -1;
	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = sizeof(cbuf);
	if (recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	return fcntl(got, F_GETFD);
}

static void checks(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct cap[2];
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/x" };
	struct rlimit rl;
	struct utsname u;
	pthread_t t;
	char *sh[] = { "/bin/sh", NULL }, *env[] = { NULL };
	char c = 'x', *p;
	int sv[2], fd, first;
	long r;

	say("getpid", "%d", (int)getpid());
	say("getppid", "%d", (int)getppid());
	say("getuid", "%d", (int)getuid());
	say("getgid", "%d", (int)getgid());
	say("groups", "%d", getgroups(0, NULL));
	r = syscall(SYS_capget, &hdr, cap);
	say("caps", "%s", r < 0 ? strerrorname_np(errno) :
	    (cap[0].effective | cap[0].permitted | cap[0].inheritable |
	    cap[1].effective | cap[1].permitted | cap[1].inheritable) ?
	    "some" : "none");
	say("no_new_privs", "%d", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	say("seccomp", "%d", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	say("hostname", "%s", uname(&u) == 0 ? u.nodename : "?");
	getrlimit(RLIMIT_NOFILE, &rl);
	say("nofile", "%llu", (unsigned long long)rl.rlim_cur);
	getrlimit(RLIMIT_CORE, &rl);
	say("core", "%llu", (unsigned long long)rl.rlim_max);
	say("fd0", "%s", fd_kind(0));
	say("fd1", "%s", fd_kind(1));
	say("fd2", "%s", fd_kind(2));
	say("fd3", "%s", fd_kind(3));
	say("fd4", "%s", fd_kind(4));
	for (first = 5; first < 1024; first++)
		if (fcntl(first, F_GETFD) >= 0)
			break;
	say("other-fds", "%s", first == 1024 ? "none" : "open");
	say("sigpipe", "%s", signal(SIGPIPE, SIG_IGN) == SIG_IGN ? "ign" :
	    "dfl");

	result("open-passwd", open("/etc/passwd", O_RDONLY));
	result("openat-root", openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY));
	result("open-proc", open("/proc/self/status", O_RDONLY));
	result("socket-inet", socket(AF_INET, SOCK_STREAM, 0));
	result("socket-unix", socket(AF_UNIX, SOCK_STREAM, 0));
	result("socketpair-inet", socketpair(AF_INET, SOCK_STREAM, 0, sv));
	result("socketpair-unix", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	result("connect", connect(sv[0], (struct sockaddr *)&sun, sizeof(sun)));
	result("bind", bind(sv[0], (struct sockaddr *)&sun, sizeof(sun)));
	result("scm_rights", pass_fd());
	result("execve", execve("/bin/sh", sh, env));
	result("execveat-path", syscall(SYS_execveat, AT_FDCWD, "/bin/sh", sh,
	    env, 0));
	result("ptrace", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	result("kill-all", kill(-1, SIGKILL));
	result("kill-other", kill(2, 0));
	result("kill-self", kill(1, 0));
	result("kill-group", kill(0, 0));
	result("tgkill-self", syscall(SYS_tgkill, 1, gettid(), 0));
	r = fork();
	if (r == 0)
		_exit(0);
	result("fork", r);
	result("clone3", syscall(SYS_clone3, NULL, 0));
	r = pthread_create(&t, NULL, thread_fn, NULL);
	if (r == 0)
		r = pthread_join(t, NULL);
	if (r != 0) {
		errno = (int)r;
		r = -1;
	}
	result("thread", r);
	result("mount", mount("none", "/", "tmpfs", 0, NULL));
	result("umount", umount2("/", MNT_DETACH));
	result("unshare-user", unshare(CLONE_NEWUSER));
	result("setns", setns(3, 0));
	result("chroot", chroot("/"));
	result("memfd_create", syscall(SYS_memfd_create, "x", 0));
	result("setuid-0", syscall(SYS_setuid, 0));
	rl.rlim_cur = rl.rlim_max = 4096;
	result("setrlimit", setrlimit(RLIMIT_NOFILE, &rl));
	result("ioctl-tiocsti", ioctl(0, TIOCSTI, &c));
	result("ioctl-fionread", ioctl(sv[0], FIONREAD, &fd));
	result("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL));
	result("bpf", syscall(SYS_bpf, 0, NULL, 0));
	result("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1,
	    -1, 0));
	result("userfaultfd", syscall(SYS_userfaultfd, 0));
	result("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
	result("process_vm_readv", syscall(SYS_process_vm_readv, 1, NULL, 0,
	    NULL, 0, 0));
	result("sethostname", sethostname("x", 1));
	result("reboot", syscall(SYS_reboot, 0, 0, 0, NULL));
	result("prctl-pdeathsig", prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
	result("prctl-name", prctl(PR_SET_NAME, "probe", 0, 0, 0));
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		memset(p, 1, 1 << 20);
	result("mmap", p == MAP_FAILED ? -1 : 0);
	result("mprotect", p == MAP_FAILED ? -1 :
	    mprotect(p, 4096, PROT_READ));
	result("eventfd", eventfd(0, 0));
	result("timerfd", timerfd_create(CLOCK_MONOTONIC, 0));
	result("epoll", syscall(SYS_epoll_create1, 0));
	result("getrandom", syscall(SYS_getrandom, &c, 1, 0));
	say("done", "ok");
}

/* Just enough io_uring to submit one operation and wait for it. */
struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_init(struct ring *r)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(SYS_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
	    IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries *
	    sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
	    IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Returns the operation's result: >= 0 or -errno. */
static int ring_do(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, head, idx = tail & *r->sq_mask;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS,
	    NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static void uring_result(const char *name, int res)
{
	if (res >= 0)
		say(name, "ok");
	else
		say(name, "%s", strerrorname_np(-res));
}

static int uring_path(struct ring *r, int op, const char *path, int flags)
{
	struct io_uring_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = (unsigned char)op;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)path;
	if (op == IORING_OP_OPENAT)
		sqe.open_flags = (unsigned)flags;
	else
		sqe.len = 0755;
	return ring_do(r, &sqe);
}

static void uring(void)
{
	static const char *const host[] = {
		"/etc/passwd", "/proc/self/status", "/bin/sh", "/dev/null",
		"/sys/fs/cgroup", "/tmp", "/usr",
	};
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = 9 };
	struct io_uring_sqe sqe;
	struct statx stx;
	struct ring r;
	char name[64];
	size_t i;
	int s;

	if (ring_init(&r) < 0) {
		say("uring-setup", "%s", strerrorname_np(errno));
		return;
	}
	say("uring-setup", "ok");
	for (i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		snprintf(name, sizeof(name), "uring-open:%s", host[i]);
		uring_result(name, uring_path(&r, IORING_OP_OPENAT, host[i],
		    O_RDONLY));
	}
	uring_result("uring-open:/", uring_path(&r, IORING_OP_OPENAT, "/",
	    O_RDONLY | O_DIRECTORY));
	uring_result("uring-mkdir", uring_path(&r, IORING_OP_MKDIRAT, "/x", 0));

	/* An empty tmpfs directory: no subdirectory, just "." and "..". */
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_STATX;
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)"/";
	sqe.len = STATX_BASIC_STATS;
	sqe.off = (unsigned long)&stx;
	if (ring_do(&r, &sqe) == 0)
		say("uring-root", "nlink=%u size=%llu", stx.stx_nlink,
		    (unsigned long long)stx.stx_size);
	else
		say("uring-root", "?");

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_SOCKET;
	sqe.fd = AF_INET;
	sqe.off = SOCK_STREAM;
	s = ring_do(&r, &sqe);
	uring_result("uring-socket", s);
	if (s < 0)
		return;
	/* Loopback is down in a fresh network namespace. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(9);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = s;
	sqe.addr = (unsigned long)&sin;
	sqe.off = sizeof(sin);
	uring_result("uring-connect", ring_do(&r, &sqe));
}

/* Touch memory a megabyte at a time until the cgroup's OOM killer acts. */
static void oom(void)
{
	size_t mb;
	char *p;

	say("oom", "start");
	for (mb = 0; mb < 4096; mb++) {
		p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		memset(p, 0xa5, 1 << 20);
	}
	say("oom", "survived %zu MiB", mb);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "checks";
	struct timespec ts = { 1000, 0 };

	if (strcmp(mode, "checks") == 0)
		checks();
	else if (strcmp(mode, "uring") == 0)
		uring();
	else if (strcmp(mode, "oom") == 0)
		oom();
	else if (strcmp(mode, "block") == 0) {
		say("blocking", "ok");
		for (;;)
			nanosleep(&ts, NULL);
	} else {
		say("mode", "unknown");
		return 1;
	}
	return 0;
}
