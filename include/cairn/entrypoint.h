/*
 * Entrypoint: the one event loop of a component, serving RPC objects,
 * signal handlers and timers.
 * SPDX-License-Identifier: MIT
 *
 * Components never write their own main loop: libcairn's startup creates
 * the entrypoint, calls construct(env) and then runs cairn_ep_run(). All
 * callbacks run on the entrypoint, one at a time.
 *
 * Signals are pipes with counter semantics: several submits before the
 * handler runs are delivered as one call with their number (up to the
 * pipe's capacity, 64 KiB of submits; more are merged). A signal carries
 * no data. The receiver creates a signal context, keeps the pipe's read
 * end and hands a capability to it (a duplicate of the write end) to the
 * signal source. Submitting never blocks, whatever a peer holding the same
 * capability did to it (cleared O_NONBLOCK, filled the pipe): the write
 * carries RWF_NOWAIT.
 */
#ifndef CAIRN_ENTRYPOINT_H
#define CAIRN_ENTRYPOINT_H

#include <stdbool.h>
#include <stdint.h>

struct cairn_ep;

/* Create an entrypoint: returns it or NULL with errno-style code in *err. */
struct cairn_ep *cairn_ep_create(int *err);
void cairn_ep_destroy(struct cairn_ep *ep);

/*
 * Run the loop until cairn_ep_stop() (returns 0) or an unrecoverable epoll
 * error (returns -errno).
 */
int cairn_ep_run(struct cairn_ep *ep);
void cairn_ep_stop(struct cairn_ep *ep);

/*
 * Dispatch events once, waiting at most timeout_ms (-1 = forever).
 * Returns the number of events handled, or -errno. Used by code that waits
 * for a condition synchronously (it calls this until the condition holds).
 * Deferred work pending on entry runs first; if any did, it only looks for
 * events and does not wait, since that work may have met the condition.
 */
int cairn_ep_dispatch_once(struct cairn_ep *ep, int timeout_ms);

/* Generic fd watch (used by servers for io_uring completions and the like). */
struct cairn_watch;
typedef void (*cairn_fd_fn)(void *ctx, uint32_t events);
struct cairn_watch *cairn_ep_watch(struct cairn_ep *ep, int fd,
    uint32_t events, cairn_fd_fn fn, void *ctx);
void cairn_ep_unwatch(struct cairn_ep *ep, struct cairn_watch *w);

/* --- deferred work --- */

/*
 * Work a handler leaves for the moment it returns. A deferred callback
 * scheduled inside a handler runs right after that handler, before the
 * next event is dispatched; one scheduled outside any handler runs before
 * the entrypoint next waits (cairn_ep_dispatch_once() runs pending ones
 * first). Scheduling it again before it ran has no further effect. Used to
 * batch wake-ups: a Block client tells its server about every request a
 * handler submitted with one notification, not one per request. Work that
 * must happen before a blocking call outside the entrypoint (a synchronous
 * RPC) is not deferred.
 */
struct cairn_defer;
typedef void (*cairn_defer_fn)(void *ctx);

/* A deferred callback, not scheduled: NULL on failure. */
struct cairn_defer *cairn_defer_create(struct cairn_ep *ep, cairn_defer_fn fn,
    void *ctx);
void cairn_defer_schedule(struct cairn_defer *d);
/* Free d; if it is scheduled, it does not run. */
void cairn_defer_destroy(struct cairn_defer *d);

/* --- signals --- */

struct cairn_sig;
typedef void (*cairn_sig_fn)(void *ctx, uint64_t count);

/* A signal context with its handler: NULL on failure. */
struct cairn_sig *cairn_sig_create(struct cairn_ep *ep, cairn_sig_fn fn,
    void *ctx);
void cairn_sig_destroy(struct cairn_sig *s);

/* A new capability for submitting to s (a write-end duplicate): fd or -errno. */
int cairn_sig_cap(struct cairn_sig *s) __attribute__((warn_unused_result));

/*
 * Take a signal capability received in an RPC (*fd, which is set to -1):
 * it is made non-blocking as well. Returns the descriptor, or -errno (then
 * it is closed).
 */
int cairn_sig_cap_take(int *fd);

/*
 * Submit to a signal capability (source side). Returns 0 (also when the
 * pipe is full: the receiver has plenty pending) or -errno: EPIPE when the
 * receiver is gone, EOPNOTSUPP for a descriptor that cannot be written
 * without the risk of blocking (not a pipe or socket), which is refused.
 */
int cairn_sig_submit(int sig_cap);

/* --- timers (component-local, on timerfd) --- */

struct cairn_timer;
typedef void (*cairn_timer_fn)(void *ctx);

struct cairn_timer *cairn_timer_create(struct cairn_ep *ep, cairn_timer_fn fn,
    void *ctx);
/* One-shot after `us` microseconds, or periodic when period_us != 0. */
int cairn_timer_set(struct cairn_timer *t, uint64_t us, uint64_t period_us);
void cairn_timer_cancel(struct cairn_timer *t);
void cairn_timer_destroy(struct cairn_timer *t);

/* Monotonic time in microseconds. */
uint64_t cairn_now_us(void);

#endif
