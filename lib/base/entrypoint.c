/*
 * Entrypoint: one epoll loop dispatching fd watches, signals and timers.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "base_impl.h"

/*
 * A watch that is removed while events for it are still in the current
 * epoll batch must not be touched again: it is marked dead and freed only
 * after the batch.
 */
struct cairn_watch {
	int fd;
	bool dead;
	cairn_fd_fn fn;
	void *ctx;
	struct cairn_watch *next_dead;
};

struct cairn_defer {
	struct cairn_ep *ep;
	cairn_defer_fn fn;
	void *ctx;
	bool scheduled;
	struct cairn_defer *next;
};

struct cairn_sig {
	struct cairn_ep *ep;
	int fd;				/* the pipe's read end: we sleep on it */
	int wr;				/* its write end: capabilities are copies */
	cairn_sig_fn fn;
	void *ctx;
	struct cairn_watch *w;
};

struct cairn_timer {
	struct cairn_ep *ep;
	int fd;
	cairn_timer_fn fn;
	void *ctx;
	struct cairn_watch *w;
};

struct cairn_ep *
cairn_ep_create(int *err)
{
	struct cairn_ep *ep = calloc(1, sizeof(*ep));

	if (ep == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	ep->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ep->epfd < 0) {
		*err = -errno;
		free(ep);
		return NULL;
	}
	ep->deferred_tail = &ep->deferred;
	return ep;
}

static void
reap_dead(struct cairn_ep *ep)
{
	while (ep->dead) {
		struct cairn_watch *w = ep->dead;

		ep->dead = w->next_dead;
		free(w);
	}
}

void
cairn_ep_destroy(struct cairn_ep *ep)
{
	if (ep == NULL)
		return;
	rpc_ep_cleanup(ep);
	reap_dead(ep);
	close(ep->epfd);
	free(ep);
}

struct cairn_watch *
cairn_ep_watch(struct cairn_ep *ep, int fd, uint32_t events, cairn_fd_fn fn,
    void *ctx)
{
	struct cairn_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };

	if (w == NULL)
		return NULL;
	w->fd = fd;
	w->fn = fn;
	w->ctx = ctx;
	ev.data.ptr = w;
	if (epoll_ctl(ep->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return NULL;
	}
	ep->nwatch++;
	return w;
}

int
ep_watch_modify(struct cairn_ep *ep, struct cairn_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(ep->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void
cairn_ep_unwatch(struct cairn_ep *ep, struct cairn_watch *w)
{
	if (w == NULL || w->dead)
		return;
	epoll_ctl(ep->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	w->next_dead = ep->dead;
	ep->dead = w;
	ep->nwatch--;
}

/*
 * Run what was deferred, including work deferred meanwhile; true if
 * anything ran. Each is taken off the list before it runs, so it may
 * schedule itself again or destroy itself or any other.
 */
static bool
run_deferred(struct cairn_ep *ep)
{
	struct cairn_defer *d;
	bool ran = false;

	while ((d = ep->deferred) != NULL) {
		ran = true;
		ep->deferred = d->next;
		if (ep->deferred == NULL)
			ep->deferred_tail = &ep->deferred;
		d->next = NULL;
		d->scheduled = false;
		d->fn(d->ctx);
	}
	return ran;
}

int
cairn_ep_dispatch_once(struct cairn_ep *ep, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, i;

	/*
	 * Deferred work may be what the caller waits for (a Block client's
	 * deferred notification collects acknowledgements that came before
	 * it armed): after running any, look but do not sleep, so the caller
	 * checks its condition again.
	 */
	if (run_deferred(ep))
		timeout_ms = 0;
	n = epoll_wait(ep->epfd, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct cairn_watch *w = evs[i].data.ptr;

		if (!w->dead)
			w->fn(w->ctx, evs[i].events);
		run_deferred(ep);
	}
	reap_dead(ep);
	return n;
}

int
cairn_ep_run(struct cairn_ep *ep)
{
	ep->stop = false;
	while (!ep->stop) {
		int r = cairn_ep_dispatch_once(ep, -1);

		if (r < 0)
			return r;
	}
	return 0;
}

void
cairn_ep_stop(struct cairn_ep *ep)
{
	ep->stop = true;
}

/* --- deferred work --- */

struct cairn_defer *
cairn_defer_create(struct cairn_ep *ep, cairn_defer_fn fn, void *ctx)
{
	struct cairn_defer *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->ep = ep;
	d->fn = fn;
	d->ctx = ctx;
	return d;
}

void
cairn_defer_schedule(struct cairn_defer *d)
{
	struct cairn_ep *ep = d->ep;

	if (d->scheduled)
		return;
	d->scheduled = true;
	d->next = NULL;
	*ep->deferred_tail = d;
	ep->deferred_tail = &d->next;
}

void
cairn_defer_destroy(struct cairn_defer *d)
{
	struct cairn_ep *ep;
	struct cairn_defer **pp;

	if (d == NULL)
		return;
	ep = d->ep;
	if (d->scheduled) {
		for (pp = &ep->deferred; *pp != d; pp = &(*pp)->next)
			;
		*pp = d->next;
		if (ep->deferred_tail == &d->next)
			ep->deferred_tail = pp;
	}
	free(d);
}

/* --- signals --- */

static void
sig_event(void *ctx, uint32_t events)
{
	struct cairn_sig *s = ctx;
	uint64_t count;

	/* One byte per submit since the last call (the pipe caps the sum). */
	if ((count = wake_drain(s->fd)) == 0)
		return;
	s->fn(s->ctx, count);
}

struct cairn_sig *
cairn_sig_create(struct cairn_ep *ep, cairn_sig_fn fn, void *ctx)
{
	struct cairn_sig *s = calloc(1, sizeof(*s));
	int p[2];

	if (s == NULL)
		return NULL;
	s->ep = ep;
	s->fn = fn;
	s->ctx = ctx;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		goto fail_free;
	s->fd = p[0];
	s->wr = p[1];
	s->w = cairn_ep_watch(ep, s->fd, EPOLLIN, sig_event, s);
	if (s->w == NULL)
		goto fail_close;
	return s;
fail_close:
	close(s->fd);
	close(s->wr);
fail_free:
	free(s);
	return NULL;
}

void
cairn_sig_destroy(struct cairn_sig *s)
{
	if (s == NULL)
		return;
	cairn_ep_unwatch(s->ep, s->w);
	close(s->fd);
	close(s->wr);
	free(s);
}

int
cairn_sig_cap(struct cairn_sig *s)
{
	return fcntl_dupfd_cloexec(s->wr);
}

int
cairn_sig_cap_take(int *fd)
{
	int f = *fd, fl;

	*fd = -1;
	fl = fcntl(f, F_GETFL);
	if (fl < 0 || fcntl(f, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = -errno;

		close(f);
		return e;
	}
	return f;
}

int
cairn_sig_submit(int sig_cap)
{
	return wake_kick(sig_cap) == 0 ? 0 : -errno;
}

/* --- timers --- */

static void
timer_event(void *ctx, uint32_t events)
{
	struct cairn_timer *t = ctx;
	uint64_t expirations;

	if (read(t->fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	t->fn(t->ctx);
}

struct cairn_timer *
cairn_timer_create(struct cairn_ep *ep, cairn_timer_fn fn, void *ctx)
{
	struct cairn_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->ep = ep;
	t->fn = fn;
	t->ctx = ctx;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0)
		goto fail_free;
	t->w = cairn_ep_watch(ep, t->fd, EPOLLIN, timer_event, t);
	if (t->w == NULL)
		goto fail_close;
	return t;
fail_close:
	close(t->fd);
fail_free:
	free(t);
	return NULL;
}

static struct timespec
us_to_ts(uint64_t us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(us / 1000000),
		.tv_nsec = (long)(us % 1000000) * 1000,
	};
	return ts;
}

int
cairn_timer_set(struct cairn_timer *t, uint64_t us, uint64_t period_us)
{
	struct itimerspec its = {
		.it_value = us_to_ts(us ? us : 1),
		.it_interval = us_to_ts(period_us),
	};

	return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void
cairn_timer_cancel(struct cairn_timer *t)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	timerfd_settime(t->fd, 0, &its, NULL);
}

void
cairn_timer_destroy(struct cairn_timer *t)
{
	if (t == NULL)
		return;
	cairn_ep_unwatch(t->ep, t->w);
	close(t->fd);
	free(t);
}

uint64_t
cairn_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}
