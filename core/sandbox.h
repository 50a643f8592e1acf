/*
 * Process sandbox: core starts every component as a confined Linux process.
 * SPDX-License-Identifier: MIT
 *
 * A sandboxed child gets, before its first instruction runs:
 *  - a fresh PID namespace (it is pid 1 there, getppid() is 0), fresh IPC
 *    and UTS namespaces (hostname "cairn") and a fresh network namespace
 *    holding only a loopback device that is down;
 *  - a fresh mount namespace whose root is an empty read-only tmpfs: no host
 *    file, no /proc, no /dev is reachable;
 *  - its own session, all signal dispositions at their defaults except
 *    SIGPIPE, which is ignored, and an empty signal mask;
 *  - exactly the descriptors of the spec at 3, 4, ... in the given order,
 *    /dev/null at 0, 1 and 2, nothing else;
 *  - RLIMIT_NOFILE 1024 and RLIMIT_CORE 0;
 *  - the unprivileged uid and gid of the spec, no supplementary groups, no
 *    capabilities in any set (bounding set included, securebits locked),
 *    no_new_privs, and SIGKILL as parent-death signal;
 *  - a memory cgroup limited to the spec's RAM limit, swap included;
 *  - a seccomp filter (see below) that is in force from its first
 *    instruction on.
 *
 * The seccomp filter allows what a static glibc program and libcairn need:
 * I/O on descriptors it holds, memory management, futexes and threads
 * (clone with CLONE_THREAD; clone3 fails with ENOSYS so that glibc falls back
 * to clone), signals to itself only, epoll, eventfd, timerfd, clocks,
 * socketpair(AF_UNIX) and SCM_RIGHTS, fcntl including seals, read-only
 * resource queries, and sched_setscheduler(0, ...) to SCHED_OTHER,
 * SCHED_BATCH or SCHED_IDLE (a thread may lower its own class, never
 * enter a real-time one or touch another thread). Every other system call
 * fails with EPERM, so that a component that tries something forbidden
 * gets an error it can log: open, socket, connect, bind, execve, ptrace,
 * mount, unshare, setns, fork, memfd_create, kill of another process, and
 * so on. A 32-bit or x32 system call kills the process.
 *
 * The filter must allow execveat, because installing it is the last step
 * before the fexecve of the component; it admits execveat(fd, "", ...,
 * AT_EMPTY_PATH) only. libcairn's startup code must therefore add a second
 * filter that denies execve and execveat before it calls construct().
 */
#ifndef CAIRN_CORE_SANDBOX_H
#define CAIRN_CORE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Flags of struct sandbox_spec. */
enum {
	/*
	 * Allow io_uring_setup, io_uring_enter and io_uring_register. io_uring
	 * operations are not seen by seccomp, so for such a component the
	 * namespaces alone keep it from the host; it should restrict its ring
	 * with IORING_REGISTER_RESTRICTIONS.
	 */
	SANDBOX_IO_URING = 1u << 0,
	/*
	 * Allow every ioctl on every descriptor (a VMM needs the KVM ioctls).
	 * Without it only FIONREAD, FIONBIO, FIOCLEX, FIONCLEX and TCGETS pass.
	 */
	SANDBOX_KVM = 1u << 1,
	/*
	 * Join the one empty network namespace that sandbox_init() made instead
	 * of creating a fresh one, which is the most expensive part of a spawn.
	 * Components in it can reach each other only through sockets they create
	 * themselves, which the filter forbids; so the flag is ignored together
	 * with SANDBOX_IO_URING, whose operations can create sockets.
	 */
	SANDBOX_SHARED_NET = 1u << 2,
	/* Leave core's standard error at fd 2 (for debugging only). */
	SANDBOX_KEEP_STDERR = 1u << 3,
};

/* The most descriptors a child can be given. */
#define SANDBOX_MAX_FDS 256

struct sandbox_spec {
	const char *name;	/* for the cgroup directory and messages */
	int binary_fd;		/* memfd with the static ELF (sealed, read-only) */
	const int *fds;		/* installed as fd 3, 4, ... in the child */
	unsigned nfds;		/* at most SANDBOX_MAX_FDS */
	uint64_t ram_limit;	/* memory cgroup limit in bytes; 0 = none */
	uid_t uid;		/* unprivileged ids the child runs as, not 0 */
	gid_t gid;
	unsigned flags;		/* SANDBOX_* */
	char *const *argv;	/* NULL means { name, NULL } */
	char *const *envp;	/* NULL means an empty environment */
	char *errbuf;		/* optional: receives the reason of a failure */
	size_t errbuf_size;
};

/*
 * Prepare sandboxing once, at core start: open /dev/null, compile the seccomp
 * filters, build the empty root (and the shared network namespace) and make
 * core's memory cgroup directory, "cairn-<core pid>" beside core's own
 * memory cgroup under /sys/fs/cgroup/memory. Stale directories of cores that
 * are gone are removed. If memory cgroups are unavailable a warning goes to
 * standard error and children run without a RAM limit.
 * Returns 0 or a negative errno; only core's own privileges being
 * insufficient for namespaces or seccomp make it fail.
 */
int sandbox_init(void) __attribute__((warn_unused_result));

/*
 * Optional, before sandbox_init(): start its slow parts (compiling the
 * seccomp programs, making the template namespaces) in a helper process,
 * so that they overlap with whatever core does until sandbox_init().
 * Returns 0 or a negative errno (sandbox_init() then tries again).
 */
int sandbox_prepare(void) __attribute__((warn_unused_result));

/*
 * Undo sandbox_init(): close its descriptors and remove core's cgroup
 * directory and any released-but-left child directories in it. Children
 * still running keep their namespaces.
 */
void sandbox_fini(void);

/*
 * Start spec->binary_fd as a sandboxed child. The descriptors in spec->fds
 * and spec->binary_fd stay open and owned by the caller. On success *pid is
 * the child's pid in core's PID namespace: the caller reaps it with waitpid
 * (its exit signal is SIGCHLD) and then calls sandbox_release().
 * Returns 0, or a negative errno; then no child runs, and spec->errbuf (or,
 * without one, standard error) gets a line such as
 * "sandbox: 'timer': execveat: Exec format error".
 * Safe to call from several threads; the calling thread's parent-death
 * signal is what kills the child, so spawn from a thread that lives as long
 * as core.
 */
int sandbox_spawn(const struct sandbox_spec *spec, pid_t *pid)
    __attribute__((warn_unused_result));

/*
 * Remove the memory cgroup of the reaped child pid. *oom_killed (may be NULL)
 * tells whether the kernel killed the child for exceeding its RAM limit.
 * Returns 0 (also when the child had no cgroup) or a negative errno.
 */
int sandbox_release(pid_t pid, bool *oom_killed);

/*
 * Write the compiled seccomp filter for flags as a BPF program (an array of
 * struct sock_filter) to fd, e.g. for bwrap --seccomp or for scmp_bpf_disasm.
 * Returns 0 or a negative errno. Needs sandbox_init().
 */
int sandbox_export_filter(unsigned flags, int fd);

#endif
