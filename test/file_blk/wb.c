/*
 * Unit tests of file_blk's write-behind window (server/file_blk/wb.c):
 * when writeback starts, that one runs at a time, and that no written
 * window is left without one.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>

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
		wb_written(&w, 4 * MiB);
		T_CHECK(!wb_start(&w));
	}
}

static void
t_windows(void)
{
	struct wb w = { .after = 1 * MiB };
	int i;

	/* Fifteen 64 KiB writes: not a window yet. */
	for (i = 0; i < 15; i++) {
		wb_written(&w, 64 * KiB);
		T_CHECK(!wb_start(&w));
	}
	/* The sixteenth fills it: one writeback starts, not two. */
	wb_written(&w, 64 * KiB);
	T_CHECK(wb_start(&w));
	T_CHECK(w.dirty == 0 && w.busy);
	T_CHECK(!wb_start(&w));
	/* Written while it runs: counted, started once it returned. */
	for (i = 0; i < 40; i++) {
		wb_written(&w, 64 * KiB);
		T_CHECK(!wb_start(&w));
	}
	wb_finished(&w);
	T_CHECK(wb_start(&w));
	T_CHECK(w.dirty == 0);
	/* Less than a window meanwhile: nothing to start. */
	wb_written(&w, 512 * KiB);
	wb_finished(&w);
	T_CHECK(!wb_start(&w) && !w.busy && w.dirty == 512 * KiB);
}

/* One request larger than a window starts a writeback on its own. */
static void
t_large(void)
{
	struct wb w = { .after = 1 * MiB };

	wb_written(&w, 4 * MiB);
	T_CHECK(wb_start(&w));
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
 * Writes completing and writebacks returning in random order, as the
 * driver sees them (each is followed by a wb_start()). Never two
 * writebacks at once; whenever none is running, less than a window is
 * left uncovered; every byte written is covered by a writeback or is part
 * of that last partial window.
 */
static void
t_random(void)
{
	const uint64_t after = 1 * MiB;
	uint64_t seed = 88172645463325252ull, written = 0, covered = 0;
	struct wb w = { .after = after };
	unsigned steps, starts = 0;

	for (steps = 0; steps < 1000000; steps++) {
		if (rnd(&seed) % 4 != 0) {
			uint64_t b = 4 * KiB << (rnd(&seed) % 9);

			wb_written(&w, b);
			written += b;
		} else if (w.busy) {
			wb_finished(&w);
		}
		if (!w.busy) {
			uint64_t d = w.dirty;

			if (wb_start(&w)) {
				covered += d;
				starts++;
			}
		}
		T_CHECK(w.busy || w.dirty < after);
		T_CHECK(covered + w.dirty == written);
	}
	T_CHECK(starts > 1000);
}

int
main(void)
{
	T_RUN("wb-001", "write-behind off: no writeback ever starts", t_off);
	T_RUN("wb-002", "a full window starts one writeback; what is written "
	    "meanwhile starts the next once it returned", t_windows);
	T_RUN("wb-003", "a request larger than a window starts one at once",
	    t_large);
	T_RUN("wb-004", "random completions and returns: one at a time, no "
	    "window left uncovered", t_random);
	return t_done();
}
