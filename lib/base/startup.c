/*
 * Component startup: the exec filter, the environment, construct(), the loop.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cairn/env.h>
#include <cairn/session/pd.h>

/*
 * The component's own seccomp layer: core's filter had to allow execveat
 * for starting us; from here on no program may be executed. Filters stack,
 * so this only ever narrows what core allowed. Eight instructions, written
 * out here rather than compiled by libseccomp at every start.
 */
#if defined(__x86_64__)
#define THIS_AUDIT_ARCH	AUDIT_ARCH_X86_64
#define X32_BIT		0x40000000u	/* x32 system calls: not ours */
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#define X32_BIT		0xffffffffu	/* no such calls: never matches */
#else
#error "the exec filter knows x86-64 and AArch64 only"
#endif

static int
forbid_exec(void)
{
	static const struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {
		.len = sizeof(insns) / sizeof(insns[0]),
		.filter = (struct sock_filter *)insns,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct cairn_env env;
	char detail[128];
	int err = 0;

	env.argc = argc;
	env.argv = argv;
	env.name = argc > 0 ? argv[0] : "component";
	env.parent = CAIRN_FD_PARENT;
	env.pd = CAIRN_FD_PD;
	env.log = -1;
	if (forbid_exec() < 0) {
		dprintf(2, "%s: cannot install the exec filter\n", env.name);
		return 70;
	}
	env.ep = cairn_ep_create(&err);
	if (env.ep == NULL) {
		dprintf(2, "%s: no entrypoint: %s\n", env.name, strerror(-err));
		return 71;
	}
	env.log = cairn_session(&env, "LOG", "label=\"\", ram_quota=0", NULL,
	    detail, sizeof(detail));
	if (env.log < 0)
		dprintf(2, "%s: no LOG session: %s\n", env.name, detail);
	{
		/* Register the entrypoint thread, so tracing can find it. */
		struct pd_thread_args ta = { .name = "ep" };
		struct pd_thread_res tr;

		if (rpc_call_simple(env.pd, PD_THREAD, &ta, sizeof(ta), &tr,
		    sizeof(tr)) != RPC_OK)
			cairn_warn(&env, "thread registration failed");
	}
	construct(&env);
	err = cairn_ep_run(env.ep);
	cairn_error(&env, "entrypoint failed: %s", strerror(-err));
	cairn_exit(&env, 1);
}
