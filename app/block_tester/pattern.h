/*
 * block_tester's data pattern: checksummed pseudo-random blocks that can be
 * regenerated from (block number, seed) alone.
 * SPDX-License-Identifier: MIT
 *
 * Layout of one block (little endian): block number (8 bytes), seed
 * (8 bytes), pseudo-random words, and a checksum over everything before it
 * in the last 8 bytes. So a checker tells a corrupted block (checksum
 * wrong) from a misplaced one (checksum right, another block or seed),
 * and the host-side checker (test/block/pattern_check.c) can verify an
 * image after the components are gone.
 */
#ifndef BLOCK_TESTER_PATTERN_H
#define BLOCK_TESTER_PATTERN_H

#include <stdint.h>

/* Smallest block the pattern fits (header and checksum). */
#define PATTERN_MIN_BLOCK	32

enum pattern_result {
	PATTERN_OK = 0,
	PATTERN_CORRUPT = 1,	/* checksum does not match the content */
	PATTERN_MISPLACED = 2,	/* intact, but another block or seed */
	PATTERN_DIFFERENT = 3,	/* intact header, other content */
};

/* Fill one block of block_size bytes (a multiple of 8, >= 32). */
void pattern_fill(void *buf, uint32_t block_size, uint64_t lba,
    uint64_t seed);

/* Check one block: enum pattern_result. */
int pattern_check(const void *buf, uint32_t block_size, uint64_t lba,
    uint64_t seed);

const char *pattern_result_str(int r);

#endif
