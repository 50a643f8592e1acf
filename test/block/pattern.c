/*
 * Unit tests of block_tester's pattern: regenerated, checksummed, and
 * telling corruption from misplaced data.
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <string.h>

#include "pattern.h"

#include "../test.h"

T_STATE_DEFINE;

static uint8_t a[4096], b[4096];

static void
t_roundtrip(void)
{
	pattern_fill(a, 512, 7, 1);
	T_CHECK(pattern_check(a, 512, 7, 1) == PATTERN_OK);
	pattern_fill(a, 4096, UINT64_MAX, UINT64_MAX);
	T_CHECK(pattern_check(a, 4096, UINT64_MAX, UINT64_MAX) == PATTERN_OK);
	pattern_fill(a, PATTERN_MIN_BLOCK, 0, 0);
	T_CHECK(pattern_check(a, PATTERN_MIN_BLOCK, 0, 0) == PATTERN_OK);
}

static void
t_deterministic(void)
{
	pattern_fill(a, 512, 42, 3);
	pattern_fill(b, 512, 42, 3);
	T_CHECK(memcmp(a, b, 512) == 0);
	pattern_fill(b, 512, 43, 3);
	T_CHECK(memcmp(a + 16, b + 16, 480) != 0);
	pattern_fill(b, 512, 42, 4);
	T_CHECK(memcmp(a + 16, b + 16, 480) != 0);
}

static void
t_corrupt(void)
{
	pattern_fill(a, 512, 9, 1);
	a[100] ^= 1;
	T_CHECK(pattern_check(a, 512, 9, 1) == PATTERN_CORRUPT);
	memset(a, 0, 512);
	T_CHECK(pattern_check(a, 512, 9, 1) == PATTERN_CORRUPT);
}

static void
t_misplaced(void)
{
	pattern_fill(a, 512, 9, 1);
	T_CHECK(pattern_check(a, 512, 10, 1) == PATTERN_MISPLACED);
	T_CHECK(pattern_check(a, 512, 9, 2) == PATTERN_MISPLACED);
}

int
main(void)
{
	T_RUN("blk-pat-001", "a filled block checks ok", t_roundtrip);
	T_RUN("blk-pat-002", "the pattern depends on block and seed only",
	    t_deterministic);
	T_RUN("blk-pat-003", "a flipped bit is corruption", t_corrupt);
	T_RUN("blk-pat-004", "another block's data is misplaced", t_misplaced);
	return t_done();
}
