/*
 * Timer session: one-shot and periodic timeouts, elapsed time.
 * SPDX-License-Identifier: MIT
 *
 * The client registers a signal (TIMER_SIGH) and arms the session's timer;
 * on each expiry the server submits the signal. Re-arming replaces the
 * previous timeout.
 */
#ifndef CAIRN_SESSION_TIMER_H
#define CAIRN_SESSION_TIMER_H

#include <stdint.h>

#define TIMER_SESSION_QUOTA	4096	/* what a session costs the server */

enum timer_op {
	TIMER_SIGH,		/* fd: signal cap */
	TIMER_ONESHOT,		/* args: struct timer_us_args */
	TIMER_PERIODIC,		/* args: struct timer_us_args (0 stops) */
	TIMER_ELAPSED,		/* reply: struct timer_elapsed_res */
	TIMER_N_OPS
};

enum timer_status {
	TIMER_OK = 0,
	TIMER_INVALID = 1,	/* period below the minimum, or too large */
};

#define TIMER_MIN_PERIOD_US	100

struct timer_us_args {
	uint64_t us;
};

struct timer_elapsed_res {
	uint64_t us;		/* since the session was created */
};

#endif
