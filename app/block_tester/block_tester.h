/*
 * block_tester: shared declarations of the Block test and benchmark client.
 * SPDX-License-Identifier: MIT
 */
#ifndef BLOCK_TESTER_H
#define BLOCK_TESTER_H

#include <stdbool.h>
#include <stdint.h>

#include <cairn/block_client.h>
#include <cairn/env.h>

#define TESTER_MAX_DEPTH	255

struct main {
	struct cairn_env *env;
	struct block_client *blk;
	const struct block_info *info;
	bool verbose;
	unsigned tests, failed;
};

/* One pass of requests over a region, many in flight (load.c). */
struct load {
	const char *name;	/* test name for messages */
	uint32_t op;		/* BLOCK_OP_READ or BLOCK_OP_WRITE */
	bool pattern;		/* WRITE: fill the pattern */
	bool verify;		/* READ: check the pattern */
	bool random;		/* random request positions, else sequential */
	uint64_t seed;		/* pattern seed, and the positions' */
	uint64_t start;		/* first block of the region */
	uint64_t blocks;	/* blocks in the region */
	uint64_t req_blocks;	/* blocks per request */
	uint64_t count;		/* requests */
	unsigned depth;		/* requests in flight at most */
	/* Results. */
	uint64_t bytes;		/* transferred successfully */
	uint64_t us;		/* wall time of the pass */
	uint64_t failed;	/* requests acknowledged with failure */
	uint64_t bad_blocks;	/* blocks that failed verification */
	char why[192];		/* the first failure, for the log */
};

/* load.c */
int load_run(struct main *mn, struct load *l);

/* checks.c */
int test_replay(struct main *mn, const struct xml_node *n, char *why,
    size_t cap);
int test_bad_requests(struct main *mn, const struct xml_node *n,
    unsigned *refused, unsigned *total, char *why, size_t cap);
__attribute__((noreturn)) void test_abandon(struct main *mn,
    const struct xml_node *n);

#endif
