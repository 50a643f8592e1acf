/*
 * The seccomp rules of the sandbox: what a component may call. Compiled to
 * BPF by libseccomp at build time (core/gen_filters.c writes filters.c),
 * so core neither links libseccomp nor spends start-up time compiling.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <seccomp.h>

#include "sandbox.h"
#include "seccomp_rules.h"

/* The ioctl type of every KVM request (linux/kvm.h). */
#ifndef KVMIO
#define KVMIO 0xAE
#endif

/* Everything a component may do; see sandbox.h. */
static const int allow_always[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv),
	SCMP_SYS(pwritev), SCMP_SYS(preadv2), SCMP_SYS(pwritev2),
	SCMP_SYS(close), SCMP_SYS(close_range), SCMP_SYS(lseek),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(pipe2),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect),
	SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
	SCMP_SYS(futex), SCMP_SYS(set_tid_address), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(arch_prctl), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigsuspend),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigpending),
	SCMP_SYS(sigaltstack), SCMP_SYS(tkill),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getresuid), SCMP_SYS(getresgid),
	SCMP_SYS(getgroups), SCMP_SYS(capget), SCMP_SYS(getrlimit),
	SCMP_SYS(uname), SCMP_SYS(getrandom), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(getcpu),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(pause), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
	SCMP_SYS(pselect6), SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_pwait2), SCMP_SYS(eventfd2), SCMP_SYS(signalfd4),
	SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendto), SCMP_SYS(recvfrom),
	SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
	/* Only ever adds restrictions; libcairn adds its second filter. */
	SCMP_SYS(seccomp),
};

static const int allow_io_uring[] = {
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register),
};

static const unsigned long allow_ioctl[] = {
	FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, TCGETS,
};

static const int allow_prctl[] = {
	PR_SET_NAME, PR_GET_NAME, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS,
	PR_SET_SECCOMP, PR_GET_SECCOMP, PR_GET_DUMPABLE, PR_SET_VMA,
};

/* Namespace flags a thread-creating clone must not carry. */
#define CLONE_NS_MASK	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | \
			 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
			 CLONE_NEWCGROUP)

/* One rule with one argument check: arg op a (masked_eq: arg & a == b). */
static int rule1(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned arg,
    enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp cmp = {
		.arg = arg, .op = op, .datum_a = a, .datum_b = b,
	};

	return seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
}

/*
 * sched_setscheduler(0, policy, ...) for the calling thread, with one of
 * the policies any process may choose for itself: a component may give
 * up CPU share or preemption (SCHED_BATCH, SCHED_IDLE) and return to
 * SCHED_OTHER, where the kernel's own checks apply (leaving SCHED_IDLE
 * needs RLIMIT_NICE room; the nice value is not changed). Real-time and
 * deadline classes, other threads and processes, SCHED_RESET_ON_FORK and
 * sched_setattr (its policy lies in memory) stay refused.
 */
static int lower_sched(scmp_filter_ctx ctx)
{
	static const int policies[] = { SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE };
	struct scmp_arg_cmp cmp[2] = {
		{ .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0 },
		{ .arg = 1, .op = SCMP_CMP_EQ, .datum_a = 0, .datum_b = 0 },
	};
	size_t i;
	int err;

	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		cmp[1].datum_a = (scmp_datum_t)policies[i];
		if ((err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
		    SCMP_SYS(sched_setscheduler), 2, cmp)))
			return err;
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, unsigned flags)
{
	const uint32_t allow = SCMP_ACT_ALLOW;
	size_t i;
	int err;

	for (i = 0; i < sizeof(allow_always) / sizeof(allow_always[0]); i++)
		if ((err = seccomp_rule_add(ctx, allow, allow_always[i], 0)))
			return err;
	if (flags & SANDBOX_IO_URING)
		for (i = 0; i < 3; i++)
			if ((err = seccomp_rule_add(ctx, allow,
			    allow_io_uring[i], 0)))
				return err;
	for (i = 0; i < sizeof(allow_ioctl) / sizeof(allow_ioctl[0]); i++)
		if ((err = rule1(ctx, allow, SCMP_SYS(ioctl), 1, SCMP_CMP_EQ,
		    allow_ioctl[i], 0)))
			return err;
	/*
	 * A VMM gets the KVM ioctls (type 0xAE) and no others: it cannot
	 * talk to any other driver even through a descriptor it was given.
	 */
	if ((flags & SANDBOX_KVM) && (err = rule1(ctx, allow, SCMP_SYS(ioctl),
	    1, SCMP_CMP_MASKED_EQ, 0xff00, (scmp_datum_t)KVMIO << 8)))
		return err;
	for (i = 0; i < sizeof(allow_prctl) / sizeof(allow_prctl[0]); i++)
		if ((err = rule1(ctx, allow, SCMP_SYS(prctl), 0, SCMP_CMP_EQ,
		    (scmp_datum_t)allow_prctl[i], 0)))
			return err;

	/*
	 * Argument checks compare all 64 bits, so a value with garbage in the
	 * upper half that the kernel would truncate is refused, not let in.
	 * In its PID namespace the child is pid 1 and, after setsid(), alone
	 * in its process group: kill(0 or 1) and tgkill(1) reach only itself.
	 * tkill needs no check, no other task is visible there.
	 */
	if ((err = rule1(ctx, allow, SCMP_SYS(kill), 0, SCMP_CMP_EQ, 0, 0)) ||
	    (err = rule1(ctx, allow, SCMP_SYS(kill), 0, SCMP_CMP_EQ, 1, 0)) ||
	    (err = rule1(ctx, allow, SCMP_SYS(tgkill), 0, SCMP_CMP_EQ, 1, 0)) ||
	    (err = rule1(ctx, allow, SCMP_SYS(socketpair), 0, SCMP_CMP_EQ,
	    AF_UNIX, 0)) ||
	    (err = rule1(ctx, allow, SCMP_SYS(prlimit64), 2, SCMP_CMP_EQ,
	    0, 0)) ||
	    (err = rule1(ctx, allow, SCMP_SYS(clone), 0, SCMP_CMP_MASKED_EQ,
	    CLONE_THREAD | CLONE_NS_MASK, CLONE_THREAD)) ||
	    (err = rule1(ctx, allow, SCMP_SYS(execveat), 4, SCMP_CMP_EQ,
	    AT_EMPTY_PATH, 0)))
		return err;
	if ((err = lower_sched(ctx)))
		return err;
	/*
	 * clone3 passes its flags in memory, out of the filter's reach; ENOSYS
	 * makes glibc's pthread_create fall back to clone.
	 */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0);
}

int seccomp_rules_build(unsigned flags, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx;
	struct stat st;
	void *buf = NULL;
	int fd = -1, err;

	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return -ENOMEM;
	if ((err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS)) ||
	    (err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) ||
	    (err = add_rules(ctx, flags)))
		goto out_ctx;
	/* libseccomp 2.5 exports to a descriptor only. */
	fd = memfd_create("cairn-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out_ctx;
	}
	if ((err = seccomp_export_bpf(ctx, fd)))
		goto out_fd;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_fd;
	}
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		err = -EOVERFLOW;
		goto out_fd;
	}
	buf = malloc((size_t)st.st_size);
	if (buf == NULL) {
		err = -ENOMEM;
		goto out_fd;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		err = -EIO;
		free(buf);
		goto out_fd;
	}
	prog->filter = buf;
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
out_fd:
	close(fd);
out_ctx:
	seccomp_release(ctx);
	return err;
}

