/*
 * test-timer: checks one-shot and periodic timeouts of the Timer service.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/session/timer.h>

struct main {
	struct cairn_env *env;
	int timer;
	struct cairn_sig *sig;
	unsigned ticks;
	uint64_t t0;
};

static void
on_timeout(void *ctx, uint64_t count)
{
	struct main *mn = ctx;
	struct timer_elapsed_res e;
	struct timer_us_args a = { 0 };

	mn->ticks++;
	if (mn->ticks == 1) {
		if (rpc_call_simple(mn->timer, TIMER_ELAPSED, NULL, 0, &e,
		    sizeof(e)) != 0 || e.us < 50000) {
			cairn_error(mn->env, "one-shot fired early");
			cairn_exit(mn->env, 1);
		}
		cairn_log(mn->env, "one-shot timeout after at least 50 ms");
		a.us = 20000;
		if (rpc_call_simple(mn->timer, TIMER_PERIODIC, &a, sizeof(a),
		    NULL, 0) != 0)
			cairn_exit(mn->env, 2);
		return;
	}
	cairn_log(mn->env, "periodic tick %u", mn->ticks - 1);
	if (mn->ticks == 6) {
		a.us = 0;
		(void)rpc_call_simple(mn->timer, TIMER_PERIODIC, &a, sizeof(a),
		    NULL, 0);
		a.us = 10;	/* below the minimum period: refused */
		if (rpc_call_simple(mn->timer, TIMER_PERIODIC, &a, sizeof(a),
		    NULL, 0) == TIMER_INVALID)
			cairn_log(mn->env, "tiny period refused");
		cairn_log(mn->env, "test-timer done");
		cairn_exit(mn->env, 0);
	}
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct timer_us_args a = { 50000 };
	char detail[128];
	int cap;

	mn.env = env;
	mn.timer = cairn_session(env, "Timer", "label=\"\", ram_quota=4K",
	    NULL, detail, sizeof(detail));
	if (mn.timer < 0) {
		cairn_error(env, "no Timer session: %s", detail);
		cairn_exit(env, 1);
	}
	mn.sig = cairn_sig_create(env->ep, on_timeout, &mn);
	cap = cairn_sig_cap(mn.sig);
	if (rpc_call(mn.timer, TIMER_SIGH, NULL, 0, &cap, 1, NULL, 0, NULL,
	    NULL, NULL) != 0 ||
	    rpc_call_simple(mn.timer, TIMER_ONESHOT, &a, sizeof(a), NULL,
	    0) != 0) {
		cairn_error(env, "timer setup failed");
		cairn_exit(env, 1);
	}
	close(cap);
}
