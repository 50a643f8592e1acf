/*
 * Unit tests of file_blk's write-behind window (server/file_blk/wb.c):
 * when writeback starts, what is held back, the bound on what reclaim
 * cannot touch, and that held writes always go again.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "wb.h"

#include "../test.h"

T_STATE_DEFINE;

#define KiB	1024ull
#define MiB	(1024ull * 1024ull)

static void
t_off(void)
{
	struct wb w = { .after = 0 };
	int i;

	for (i = 0; i < 1000; i++) {
		T_CHECK(wb_admit(&w));
		wb_submitted(&w, 4 * MiB);
	}
	for (i = 0; i < 1000; i++)
		wb_completed(&w, 4 * MiB);
	T_CHECK(!wb_start(&w));
}

static void
t_windows(void)
{
	struct wb w = { .after = 1 * MiB };
	int i;

	/* Fifteen 64 KiB writes: not a window yet. */
	for (i = 0; i < 15; i++) {
		T_CHECK(wb_admit(&w));
		wb_submitted(&w, 64 * KiB);
		wb_completed(&w, 64 * KiB);
		T_CHECK(!wb_start(&w));
	}
	/* The sixteenth fills it: one writeback starts, not two. */
	wb_submitted(&w, 64 * KiB);
	wb_completed(&w, 64 * KiB);
	T_CHECK(wb_start(&w));
	T_CHECK(w.dirty == 0 && w.busy);
	T_CHECK(!wb_start(&w));
	/* While it runs, two more windows may be written, then no more. */
	for (i = 0; i < 32; i++) {
		T_CHECK(wb_admit(&w));
		wb_submitted(&w, 64 * KiB);
		wb_completed(&w, 64 * KiB);
		T_CHECK(!wb_start(&w));
	}
	T_CHECK(!wb_admit(&w));
	/* It finishes: the next one starts and writes go again. */
	wb_finished(&w);
	T_CHECK(wb_start(&w));
	T_CHECK(wb_admit(&w));
}

/* Writes in flight count: a deep queue is held at two windows too. */
static void
t_pending(void)
{
	struct wb w = { .after = 1 * MiB };
	int n = 0;

	while (wb_admit(&w)) {
		wb_submitted(&w, 256 * KiB);
		n++;
	}
	T_CHECK(n == 8 && w.pending == 2 * MiB);
	/* One completes: a window is dirty, so writeback starts. */
	wb_completed(&w, 256 * KiB);
	T_CHECK(!wb_start(&w));
	wb_completed(&w, 256 * KiB);
	wb_completed(&w, 256 * KiB);
	wb_completed(&w, 256 * KiB);
	T_CHECK(wb_start(&w));
	T_CHECK(wb_admit(&w));
}

/* A request larger than two windows still goes, one at a time. */
static void
t_large(void)
{
	struct wb w = { .after = 1 * MiB };

	T_CHECK(wb_admit(&w));
	wb_submitted(&w, 4 * MiB);
	T_CHECK(!wb_admit(&w));
	wb_completed(&w, 4 * MiB);
	T_CHECK(!wb_admit(&w));		/* 4 MiB dirty: start first */
	T_CHECK(wb_start(&w));
	T_CHECK(wb_admit(&w));
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * A writer with up to 32 requests of 4 KiB..1 MiB in flight, completions
 * and writebacks finishing in random order and at random times, as the
 * driver does it: a completion may start a writeback; a writeback's end
 * may start the next. Nothing stalls (every write is done in the end),
 * dirty + pending stays below two windows plus one request, and a
 * writeback never covers more than that.
 */
static void
t_random(void)
{
	const uint64_t after = 1 * MiB, max_req = 1 * MiB;
	uint64_t seed = 88172645463325252ull, inflight[32];
	unsigned n = 0, i, steps;
	uint64_t written = 0, total = 0, goal = 2048 * MiB, peak = 0;
	struct wb w = { .after = after };

	for (steps = 0; steps < 10000000 && (total < goal || n > 0);
	    steps++) {
		switch (rnd(&seed) % 3) {
		case 0:		/* the writer offers a request */
			if (total >= goal || n == 32 || !wb_admit(&w))
				break;
			inflight[n] = 4 * KiB << (rnd(&seed) % 9);
			wb_submitted(&w, inflight[n]);
			total += inflight[n++];
			break;
		case 1:		/* some write completes */
			if (n == 0)
				break;
			i = (unsigned)(rnd(&seed) % n);
			wb_completed(&w, inflight[i]);
			written += inflight[i];
			inflight[i] = inflight[--n];
			if (w.dirty >= after && !w.busy) {
				uint64_t window = w.dirty;

				T_CHECK(wb_start(&w));
				T_CHECK(window < 2 * after + max_req);
			}
			break;
		default:	/* our writeback finishes */
			if (!w.busy)
				break;
			wb_finished(&w);
			(void)wb_start(&w);
			break;
		}
		if (w.dirty + w.pending > peak)
			peak = w.dirty + w.pending;
		T_CHECK(w.dirty + w.pending < 2 * after + max_req);
		/* Held with nothing in flight only while a writeback runs
		 * (its end starts the next and lets writes go). */
		T_CHECK(wb_admit(&w) || n > 0 || w.busy);
	}
	T_CHECK(total >= goal && n == 0 && written == total);
	T_CHECK(peak >= 2 * after);	/* the bound was reached, and held */
}

int
main(void)
{
	T_RUN("wb-001", "write-behind off: every write goes, no writeback",
	    t_off);
	T_RUN("wb-002", "a full window starts one writeback; two more may "
	    "be written meanwhile, then writes wait for its end", t_windows);
	T_RUN("wb-003", "writes in flight count toward the two windows",
	    t_pending);
	T_RUN("wb-004", "a request larger than two windows still goes",
	    t_large);
	T_RUN("wb-005", "random completions and writebacks: nothing stalls, "
	    "the bound holds", t_random);
	return t_done();
}
