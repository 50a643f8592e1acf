/*
 * file_blk: shared declarations of the image-file and ROM block server.
 * SPDX-License-Identifier: MIT
 */
#ifndef FILE_BLK_H
#define FILE_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include <cairn/block.h>
#include <cairn/env.h>

#include "wb.h"

#define FILE_BLK_QUEUE_DEPTH	128	/* default requests at the device */
#define FILE_BLK_LOG_FAILURES	10	/* failed requests logged unasked */
#define FILE_BLK_WRITE_BEHIND	(1u << 20)	/* page-cache mode, see uring.c */

/* One client's session. */
struct client {
	struct main *main;
	const char *label;	/* the framework's copy */
	unsigned in_flight;	/* its requests at the device */
	bool closed;
};

struct main {
	struct cairn_env *env;
	struct block_server *srv;
	struct cairn_rom cfg_rom;
	struct xml_node config;
	bool verbose;
	bool has_policy;		/* <policy> nodes select the clients */
	/* the device */
	uint32_t block_size;
	uint64_t block_count;
	bool writeable;
	bool direct;			/* O_DIRECT: no page cache of ours */
	uint64_t max_blocks;		/* per request, 0: no limit */
	const uint8_t *rom_data;	/* ROM mode: the module's content */
	struct cairn_rom rom;
	int fd;				/* image mode: the host file */
	/* io_uring (image mode) */
	struct io_uring ring;
	int cq_fd;			/* eventfd the ring signals */
	struct cairn_watch *cq_watch;
	unsigned queue_depth;
	unsigned in_flight;		/* at the device */
	unsigned queued;		/* SQEs not yet submitted */
	uint64_t failures;		/* requests the device failed */
	unsigned sessions;
	struct wb wb;			/* write-behind (page-cache mode) */
	bool wb_failed;			/* one write-behind failure logged */
};

/* uring.c */
int uring_init(struct main *mn) __attribute__((warn_unused_result));
int uring_submit(void *ctx, struct block_request *r);
void uring_flush(void *ctx);

#endif
