/*
 * timer: the Timer service — one timerfd per session.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/root.h>
#include <cairn/session/root.h>
#include <cairn/session/timer.h>

struct main {
	struct cairn_env *env;
	struct cairn_root *root;
	bool verbose;
};

struct timer_session {
	struct main *main;
	struct rpc_obj *obj;
	struct cairn_timer *timer;
	int sig;		/* client's signal cap, -1 until registered */
	uint64_t start_us;
};

static void
expired(void *ctx)
{
	struct timer_session *s = ctx;

	if (s->sig >= 0)
		cairn_sig_submit(s->sig);
}

static int
h_sigh(struct rpc_msg *m)
{
	struct timer_session *s = rpc_obj_priv(m->obj);

	if (s->sig >= 0)
		close(s->sig);
	s->sig = m->nfds ? cairn_sig_cap_take(&m->fds[0]) : -1;
	return TIMER_OK;
}

/* Beyond about 31 years a timeout is surely a client bug. */
#define TIMER_MAX_US (1000000ull * 3600 * 24 * 365 * 31)

static int
h_oneshot(struct rpc_msg *m)
{
	struct timer_session *s = rpc_obj_priv(m->obj);
	const struct timer_us_args *a = m->args;

	if (a->us > TIMER_MAX_US)
		return TIMER_INVALID;
	return cairn_timer_set(s->timer, a->us, 0) < 0 ? TIMER_INVALID :
	    TIMER_OK;
}

static int
h_periodic(struct rpc_msg *m)
{
	struct timer_session *s = rpc_obj_priv(m->obj);
	const struct timer_us_args *a = m->args;

	if (a->us == 0) {
		cairn_timer_cancel(s->timer);
		return TIMER_OK;
	}
	/* A tiny period would turn the server into a busy loop. */
	if (a->us < TIMER_MIN_PERIOD_US || a->us > TIMER_MAX_US)
		return TIMER_INVALID;
	return cairn_timer_set(s->timer, a->us, a->us) < 0 ? TIMER_INVALID :
	    TIMER_OK;
}

static int
h_elapsed(struct rpc_msg *m)
{
	struct timer_session *s = rpc_obj_priv(m->obj);
	struct timer_elapsed_res *r = m->res;

	r->us = cairn_now_us() - s->start_us;
	m->res_size = sizeof(*r);
	return TIMER_OK;
}

static const struct rpc_op timer_ops[TIMER_N_OPS] = {
	[TIMER_SIGH] = { "sigh", 0, 1, h_sigh },
	[TIMER_ONESHOT] = { "oneshot", sizeof(struct timer_us_args), 0,
	    h_oneshot },
	[TIMER_PERIODIC] = { "periodic", sizeof(struct timer_us_args), 0,
	    h_periodic },
	[TIMER_ELAPSED] = { "elapsed", 0, 0, h_elapsed },
};

static const struct rpc_iface timer_iface = { "Timer", timer_ops,
    TIMER_N_OPS, NULL, false };

static int
create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	struct main *mn = ctx;
	struct timer_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ROOT_UNAVAILABLE;
	s->main = mn;
	s->sig = -1;
	s->start_us = cairn_now_us();
	s->timer = cairn_timer_create(mn->env->ep, expired, s);
	s->obj = rpc_obj_create(mn->env->ep, &timer_iface, s);
	if (s->timer == NULL || s->obj == NULL) {
		cairn_timer_destroy(s->timer);
		rpc_obj_destroy(s->obj);
		free(s);
		snprintf(detail, dcap, "out of timers");
		return ROOT_UNAVAILABLE;
	}
	if (mn->verbose)
		cairn_log(mn->env, "new session for \"%s\"", label);
	*obj = s->obj;
	return ROOT_OK;
}

static void
destroy(void *ctx, struct rpc_obj *obj)
{
	struct timer_session *s = rpc_obj_priv(obj);

	cairn_timer_destroy(s->timer);
	if (s->sig >= 0)
		close(s->sig);
	rpc_obj_destroy(obj);
	free(s);
}

static const struct cairn_root_ops root_ops = {
	.create = create,
	.destroy = destroy,
	.min_quota = 0,
};

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct cairn_rom cfg;
	struct xml_node node;

	mn.env = env;
	if (cairn_rom_open(env, "config", &cfg) == 0) {
		if (cairn_rom_xml(env, &cfg, &node) == 0)
			mn.verbose = xml_attr_bool(&node, "verbose", false);
		cairn_rom_close(env, &cfg);
	}
	mn.root = cairn_root_announce(env, "Timer", &root_ops, &mn);
	if (mn.root == NULL) {
		cairn_error(env, "cannot announce the Timer service");
		cairn_exit(env, 1);
	}
}
