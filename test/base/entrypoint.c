/*
 * Unit tests of the entrypoint's deferred work.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cairn/entrypoint.h>

#include "../test.h"

T_STATE_DEFINE;

struct rec {
	char log[16];
	unsigned n;
	struct cairn_defer *d[2];	/* scheduled by the handler */
};

static void
note(struct rec *r, char c)
{
	if (r->n < sizeof(r->log) - 1)
		r->log[r->n++] = c;
}

static void
run_a(void *ctx)
{
	note(ctx, 'a');
}

static void
run_b(void *ctx)
{
	note(ctx, 'b');
}

/* The handler: deferred work must run after it, not inside it. */
static void
on_fd(void *ctx, uint32_t events)
{
	struct rec *r = ctx;

	cairn_defer_schedule(r->d[0]);
	cairn_defer_schedule(r->d[1]);
	cairn_defer_schedule(r->d[0]);
	note(r, 'h');
}

static void
t_outside(void)
{
	struct rec r = { .n = 0 };
	struct cairn_ep *ep;
	struct cairn_defer *a, *b;
	int err;

	T_CHECK((ep = cairn_ep_create(&err)) != NULL);
	T_CHECK((a = cairn_defer_create(ep, run_a, &r)) != NULL);
	T_CHECK((b = cairn_defer_create(ep, run_b, &r)) != NULL);
	cairn_defer_schedule(b);
	cairn_defer_schedule(a);
	cairn_defer_schedule(b);
	T_CHECK(r.n == 0);
	T_CHECK(cairn_ep_dispatch_once(ep, 0) == 0);
	T_CHECK(r.n == 2 && r.log[0] == 'b' && r.log[1] == 'a');
	/* A destroyed one does not run; the other still does. */
	cairn_defer_schedule(a);
	cairn_defer_schedule(b);
	cairn_defer_destroy(a);
	T_CHECK(cairn_ep_dispatch_once(ep, 0) == 0);
	T_CHECK(r.n == 3 && r.log[2] == 'b');
	cairn_defer_destroy(b);
	cairn_ep_destroy(ep);
}

static void
t_handler(void)
{
	struct rec r = { .n = 0 };
	struct cairn_ep *ep;
	struct cairn_watch *w;
	int err, fd;

	T_CHECK((ep = cairn_ep_create(&err)) != NULL);
	T_CHECK((fd = eventfd(1, EFD_NONBLOCK)) >= 0);
	T_CHECK((r.d[0] = cairn_defer_create(ep, run_a, &r)) != NULL);
	T_CHECK((r.d[1] = cairn_defer_create(ep, run_b, &r)) != NULL);
	T_CHECK((w = cairn_ep_watch(ep, fd, EPOLLIN | EPOLLET, on_fd, &r)) !=
	    NULL);
	T_CHECK(cairn_ep_dispatch_once(ep, 1000) == 1);
	T_CHECK(r.n == 3 && r.log[0] == 'h' && r.log[1] == 'a' &&
	    r.log[2] == 'b');
	cairn_ep_unwatch(ep, w);
	cairn_defer_destroy(r.d[0]);
	cairn_defer_destroy(r.d[1]);
	close(fd);
	cairn_ep_destroy(ep);
}

static void
set_flag(void *ctx)
{
	*(bool *)ctx = true;
}

static void
on_guard(void *ctx, uint32_t events)
{
	*(bool *)ctx = true;
}

/*
 * A caller waiting for a condition that deferred work meets (a Block
 * client's deferred notification collecting acks): dispatching with no
 * timeout must come back once that work ran, not sleep with nothing left
 * to wake it. A 3 s timer ends the wait if it does sleep.
 */
static void
t_wait_for_deferred(void)
{
	struct itimerspec its = { .it_value = { .tv_sec = 3 } };
	bool met = false, guard = false;
	struct cairn_ep *ep;
	struct cairn_defer *d;
	struct cairn_watch *w;
	int err, tfd;

	T_CHECK((ep = cairn_ep_create(&err)) != NULL);
	T_CHECK((tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) >= 0);
	T_CHECK(timerfd_settime(tfd, 0, &its, NULL) == 0);
	T_CHECK((w = cairn_ep_watch(ep, tfd, EPOLLIN, on_guard, &guard)) !=
	    NULL);
	T_CHECK((d = cairn_defer_create(ep, set_flag, &met)) != NULL);
	cairn_defer_schedule(d);
	while (!met && !guard)
		T_CHECK(cairn_ep_dispatch_once(ep, -1) >= 0);
	T_CHECK(met && !guard);
	cairn_ep_unwatch(ep, w);
	cairn_defer_destroy(d);
	close(tfd);
	cairn_ep_destroy(ep);
}

int
main(void)
{
	T_RUN("ep-001", "deferred work scheduled outside a handler runs once, "
	    "in order, before the entrypoint waits", t_outside);
	T_RUN("ep-002", "deferred work scheduled by a handler runs once after "
	    "it", t_handler);
	T_RUN("ep-003", "dispatching does not sleep after deferred work ran "
	    "(it may be what the caller waits for)", t_wait_for_deferred);
	return t_done();
}
