/*
 * blk_cache's shared state and the functions its files export to each
 * other.
 * SPDX-License-Identifier: MIT
 *
 * One struct main holds everything: the config, the cache memory (slabs
 * of RAM dataspaces), the chunk index (lru.h), the backend session with
 * its job pool, the bypass session, the one client session with its
 * queues, and the sync and flush state. All of it runs on the entrypoint.
 */
#ifndef BLK_CACHE_H
#define BLK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <cairn/alloc.h>
#include <cairn/block.h>
#include <cairn/block_client.h>
#include <cairn/env.h>
#include <cairn/reporter.h>
#include <cairn/session/parent.h>
#include <cairn/session/root.h>

#include "bypass.h"
#include "lru.h"

#define EVICT_BATCH	16	/* fewest chunks an eviction step frees */
#define MEM_RESERVE	(16u * 1024)	/* quota kept for small needs */

struct main;

/*
 * Cache memory: RAM dataspaces of slab_size bytes from our PD, cut into
 * 4 KiB pages (chunk data, index nodes) and, within some pages, 64-byte
 * chunk descriptors. A slab goes back to the PD when all its pages are free
 * (one empty slab is kept against churn; mem_trim releases it too).
 */
struct slab;
struct dpage;

struct mem {
	struct cairn_alloc alloc;	/* first: what the lru allocates from */
	struct main *m;
	size_t slab_size;
	struct slab **slabs;		/* sorted by address */
	unsigned nslabs, cap;
	unsigned hint;			/* no slab below has a free page */
	struct dpage *dpages;		/* descriptor pages with room */
	unsigned draining;		/* slabs being emptied (yield) */
	size_t held;			/* bytes of slabs */
	uint64_t reserve_base;		/* quota never spent, see memory.c */
	uint64_t reserve;		/* ... plus the client's unspent donation */
	bool no_grow;			/* yielding: take no new slabs */
	uint64_t retry_us;		/* no new slab before this time */
	bool denied;			/* the parent refused more RAM */
	uint64_t granted;		/* bytes the parent granted us */
};

enum bjob_kind { BJ_FILL, BJ_WB, BJ_SYNC, BJ_BYPASS_SYNC };

/* One backend request in flight. */
struct bjob {
	struct block_job job;
	struct main *m;
	enum bjob_kind kind;
	uint64_t nr, cnt;		/* FILL and WB: the blocks */
	struct block_request *waiters;	/* FILL: client reads, via priv */
	struct bjob *next;		/* free list, or the list of fills */
	struct bjob *prev;		/* ... in the list of fills */
};

/* A piece of a bypassed client request at the bypass session. */
struct djob {
	struct block_job job;
	struct main *m;
	struct block_request *req;
	struct bypass_range range;	/* WRITE: in m->bp_writes meanwhile */
	struct djob *next;		/* free list */
};

/* A FIFO of client requests, linked through their priv field. */
struct rq_list {
	struct block_request *head, *tail;
};

struct counters {
	uint64_t reads, hits, misses;	/* client READs; hit: no device read */
	uint64_t writes, syncs;		/* client WRITEs and SYNCs */
	uint64_t fills, fill_errors;	/* device reads for misses */
	uint64_t wb_errors;		/* failed write-backs (retried) */
	uint64_t bypassed;		/* client READs and WRITEs sent to
					 * the device directly */
};

/* What a stats report shows; compared to skip reports without news. */
struct stats_figures {
	struct counters cnt;
	struct lru_stats lru;
	uint64_t held, granted;
	uint64_t denied;		/* 0 or 1: no padding to compare */
};

struct main {
	struct cairn_env *env;
	struct cairn_rom config;

	/* config */
	bool verbose;
	uint64_t writeback_ms;		/* 0: no periodic write-back */
	uint64_t tx_buf;		/* backend session's buffer */
	struct cairn_timer *wb_timer;

	/* the cache */
	struct mem mem;
	struct lru *lru;

	/* backend */
	struct block_client *be;
	struct block_info info;
	uint64_t max_run;		/* blocks per write-back request */
	uint64_t max_fetch;		/* blocks per device read, and per
					 * piece of a client write */
	struct bjob *jobs;
	struct bjob *free_jobs, *fills;
	unsigned wb_inflight;
	bool in_batch;			/* a batch of completions is open */
	struct cairn_defer *after_batch; /* ... and is finished by this */

	/*
	 * The bypass (direct.c): a second backend session, lent the client's
	 * bulk buffer, for large requests over ranges the cache does not
	 * hold.
	 */
	uint64_t bypass_blocks;		/* requests this large, 0: off */
	bool bypass_off;		/* the backend refused: warned once */
	struct block_client *bp;	/* NULL: none */
	bool bp_live;			/* bp holds the open session's buffer */
	uint64_t bp_piece;		/* blocks per bypass request */
	uint32_t bp_align;		/* bp's payload alignment (log2) */
	struct djob *djobs, *dfree;
	unsigned djobs_n, dfree_n;
	struct bypass_range *bp_writes;	/* bypassed writes in flight */
	bool bp_written;		/* some acknowledged since bp's last
					 * SYNC */
	bool bp_syncing;		/* a SYNC of bp is in flight */
	bool bp_release;		/* close bp once the sync round ends */

	/* the client */
	struct block_server *srv;
	bool open;			/* a session is held */
	char label[CAIRN_LABEL_MAX];
	struct rq_list waitq;		/* accepted, waiting for room */

	/* sync rounds and flush passes (writeback.c) */
	struct rq_list sync_wait;	/* SYNCs for the next round */
	struct rq_list sync_round;	/* SYNCs of the round underway */
	bool round;			/* a round is underway */
	bool round_close;		/* ... for a closed session */
	bool round_failed;		/* a write-back of it failed */
	unsigned round_syncs;		/* its backend SYNCs in flight (of be,
					 * and of bp when it wrote) */
	bool close_pending;		/* a closed session awaits its round */
	uint64_t round_written;		/* blocks written when it began */
	bool flushing;			/* a flush pass is underway */
	uint64_t flush_cursor;		/* next block the pass looks at */

	/* statistics and their report (stats.c) */
	struct counters cnt;
	struct reporter reporter;
	bool report;			/* <report stats="yes"> */
	uint64_t report_ms;
	struct cairn_timer *report_timer;
	bool report_armed;
	uint64_t reported;		/* reports sent */
	struct stats_figures last;	/* ... and what the last one showed */
};

/* memory.c */
void mem_init(struct mem *mm, struct main *m, size_t slab_size);
/* Return empty slabs to the PD; the number of bytes returned. */
size_t mem_trim(struct mem *mm);
/* Our PD's quota not in use, minus the reserve (0 when below). */
uint64_t mem_spare(struct mem *mm);
/*
 * Yielding: mark the highest slabs, at least `want` bytes of them (or all),
 * as draining: nothing new is allocated there, and each goes back to the
 * PD the moment its last page is freed. Returns the bytes marked.
 */
size_t mem_drain_begin(struct mem *mm, size_t want);
/* lru_movable_fn (ctx: the struct mem): p lies in a draining slab. */
bool mem_draining(void *ctx, const void *p);
/* Pages in use in draining slabs, and free pages in the others. */
void mem_drain_counts(const struct mem *mm, size_t *used, size_t *room);
/* Clear the marks of what is left. */
void mem_drain_end(struct mem *mm);

/* main.c */
/* A backend job completed: make sure what waited on it runs. */
void backend_progress(struct main *m);
/* Bracket c's completions as the backend's (for the bypass session). */
void backend_hooks(struct main *m, struct block_client *c);

/* cache.c */
extern const struct block_driver_ops cache_ops;
/* Run waiting client requests that may proceed now. */
void cache_kick(struct main *m);
/*
 * Make chunks exist for [nr, nr + cnt), growing the memory or evicting.
 * Returns how many blocks from nr on have their chunks (cnt when all, 0
 * when there is no room now).
 */
uint64_t cache_room(struct main *m, uint64_t nr, uint64_t cnt);

/* direct.c */
/*
 * The client session with bulk buffer bulk_fd opened: open the bypass
 * session lent that buffer, unless bypass is off or a closed session's
 * bypass session is still there. Warns once and turns bypass off when the
 * backend refuses.
 */
void direct_open(struct main *m, int bulk_fd);
/*
 * Whether r may bypass, going by its size alone (the caller checks the
 * cache with bypass_way()).
 */
bool direct_eligible(const struct main *m, const struct block_request *r);
/*
 * Send r to the device through the bypass session, in pieces the backend
 * takes. Returns 0 (completed when the device acknowledged every piece),
 * -EAGAIN (no room at the bypass session now) or -ENOTSUP (r cannot
 * bypass: take the cached path).
 */
int direct_run(struct main *m, struct block_request *r);
/* Bypassed requests in flight. */
unsigned direct_in_flight(const struct main *m);
/* The client session's last request completed: close the bypass session
 * (once a sync round underway synced it). */
void direct_release(struct main *m);
/* Close the bypass session now (no request of it in flight). */
void direct_close(struct main *m);

/* writeback.c */
struct bjob *job_get(struct main *m);
void job_put(struct main *m, struct bjob *j);
/* lru_evict's write-back function (lru_wb_fn). */
int writeback_run(void *ctx, struct lru *c, uint64_t nr, uint64_t cnt);
/* Start a pass writing back every dirty block; it runs on completions. */
void flush_start(struct main *m);
/* Advance the flush pass and the sync round; called after completions. */
void writeback_step(struct main *m);
/* A SYNC request: acknowledged once its round completed. */
void sync_request(struct main *m, struct block_request *r);
/* The session closed: write everything back (logged when done). */
void writeback_close(struct main *m);

/* stats.c */
void stats_configure(struct main *m, const struct xml_node *config);
/* Something was counted: schedule a report. */
void stats_changed(struct main *m);

/* Request lists (cache.c). */
void rq_push(struct rq_list *l, struct block_request *r);
void rq_push_front(struct rq_list *l, struct block_request *r);
struct block_request *rq_pop(struct rq_list *l);
/* Complete every request of l with ok. */
void rq_complete_all(struct rq_list *l, bool ok);

#endif
