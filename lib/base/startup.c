/*
 * Component startup: the exec filter, the environment, construct(), the loop.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include <cairn/env.h>
#include <cairn/session/pd.h>

/*
 * The component's own seccomp layer: core's filter had to allow execveat
 * for starting us; from here on no program may be executed. Filters stack,
 * so this only ever narrows what core allowed.
 */
static int
forbid_exec(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (ctx == NULL)
		return -ENOMEM;
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execve), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
		    SCMP_SYS(execveat), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
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
