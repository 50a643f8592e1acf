/*
 * blk_cache: a write-back block cache between one Block client and one
 * Block backend, at 4 KiB granularity, in RAM it gets from its parent.
 * SPDX-License-Identifier: MIT
 *
 * Start-up: read the config, open the backend session ("Block", routed to
 * the device), create the cache for the backend's geometry, announce the
 * Block service, register for yield requests. See README for the config
 * and the behaviour, spec/blk_cache.md for the reference.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blk_cache.h"

#define SLAB_DEFAULT	(256u * 1024)
/* Requests from this size on bypass: 1 MiB streams do, 4 KiB ones not. */
#define BYPASS_DEFAULT	(256u * 1024)

struct settings {
	bool verbose;
	uint64_t writeback_ms;
	uint64_t slab;
	uint64_t tx_buf;
	uint64_t bypass;		/* bytes, 0: off */
};

/*
 * Read the config strictly. Returns 0, or -EINVAL after logging the
 * offending attribute with line:column.
 */
static int
config_read(struct main *m, const struct xml_node *cfg, struct settings *s)
{
	struct xml_error err;
	char v[16];
	int r;

	s->verbose = false;
	s->writeback_ms = 0;
	s->slab = SLAB_DEFAULT;
	s->tx_buf = BLOCK_TX_BUF_DEFAULT;
	s->bypass = BYPASS_DEFAULT;
	if (xml_attr_get_bool(cfg, "verbose", &s->verbose, &err) == -EINVAL ||
	    xml_attr_get_u64(cfg, "writeback_ms", &s->writeback_ms, &err) ==
	    -EINVAL ||
	    xml_attr_get_size(cfg, "slab", &s->slab, &err) == -EINVAL ||
	    xml_attr_get_size(cfg, "tx_buf_size", &s->tx_buf, &err) ==
	    -EINVAL) {
		cairn_error(m->env, "config:%u:%u: %s", err.line, err.col,
		    err.msg);
		return -EINVAL;
	}
	/* bypass: "no", or a size (0 is off as well). */
	r = xml_attr_get_str(cfg, "bypass", v, sizeof(v), &err);
	if (r == 0 && strcmp(v, "no") != 0)
		r = xml_attr_get_size(cfg, "bypass", &s->bypass, &err);
	else if (r == 0)
		s->bypass = 0;
	if (r < 0 && r != -ENOENT) {
		cairn_error(m->env, "config:%u:%u: %s", err.line, err.col,
		    err.msg);
		return -EINVAL;
	}
	if (s->bypass != 0 && s->bypass < 4096) {
		cairn_error(m->env, "config: bypass=\"%llu\" must be \"no\", 0 "
		    "or a size of at least 4K", (unsigned long long)s->bypass);
		return -EINVAL;
	}
	if (s->slab < 16 * 1024 || s->slab > (64u << 20) || s->slab % 4096) {
		cairn_error(m->env, "config: slab=\"%llu\" must be a multiple "
		    "of 4K from 16K to 64M", (unsigned long long)s->slab);
		return -EINVAL;
	}
	if (s->tx_buf < BLOCK_TX_BUF_MIN || s->tx_buf > (256u << 20)) {
		cairn_error(m->env, "config: tx_buf_size=\"%llu\" must be from "
		    "64K to 256M", (unsigned long long)s->tx_buf);
		return -EINVAL;
	}
	return 0;
}

static void
writeback_tick(void *ctx)
{
	struct main *m = ctx;

	block_server_begin(m->srv);
	if (!m->flushing)
		flush_start(m);
	writeback_step(m);
	block_server_end(m->srv);
}

/* Apply what may change at run time: verbose, writeback_ms, <report>. */
static void
config_apply(struct main *m, const struct xml_node *cfg,
    const struct settings *s)
{
	m->verbose = s->verbose;
	if (s->writeback_ms != m->writeback_ms) {
		m->writeback_ms = s->writeback_ms;
		if (m->writeback_ms == 0)
			cairn_timer_cancel(m->wb_timer);
		else
			(void)cairn_timer_set(m->wb_timer,
			    m->writeback_ms * 1000, m->writeback_ms * 1000);
	}
	stats_configure(m, cfg);
}

static void
config_changed(void *ctx, uint64_t count)
{
	struct main *m = ctx;
	struct xml_node cfg;
	struct settings s;

	if (cairn_rom_update(m->env, &m->config) < 0 ||
	    cairn_rom_xml(m->env, &m->config, &cfg) < 0 ||
	    config_read(m, &cfg, &s) < 0) {
		cairn_warn(m->env, "keeping the previous config");
		return;
	}
	config_apply(m, &cfg, &s);
}

/* --- backend --- */

/*
 * Backend completions come in batches; the client requests they complete
 * are acknowledged in one server bracket. What the batch makes possible
 * (waiting requests, the next write-backs, the sync round) runs afterwards,
 * deferred to the moment the entrypoint's handler returned, rather than
 * from the end hook: the client library calls that hook while still inside
 * its processing. Deferring costs no system call; the bracket stays open
 * until then, so the client hears of the whole batch once.
 */
static void
backend_begin(void *ctx)
{
	struct main *m = ctx;

	if (!m->in_batch) {
		m->in_batch = true;
		block_server_begin(m->srv);
	}
}

static void
backend_end(void *ctx)
{
	struct main *m = ctx;

	cairn_defer_schedule(m->after_batch);
}

void
backend_hooks(struct main *m, struct block_client *c)
{
	block_client_set_batch_hooks(c, backend_begin, backend_end, m);
}

/* Also for completions outside a batch (the backend died). */
void
backend_progress(struct main *m)
{
	if (!m->in_batch)
		cairn_defer_schedule(m->after_batch);
}

static void
after_batch(void *ctx)
{
	struct main *m = ctx;

	block_server_begin(m->srv);
	cache_kick(m);
	writeback_step(m);
	stats_changed(m);
	if (m->in_batch) {
		m->in_batch = false;
		block_server_end(m->srv);
	}
	block_server_end(m->srv);
}

/*
 * Size the device requests: a quarter of the backend's buffer, so that
 * several are in flight, within the backend's limit, and whole chunks.
 * Client requests of any size are split into pieces of this size.
 */
static void
limits(struct main *m)
{
	uint64_t bs = m->info.block_size, bytes;

	bytes = block_client_bulk_size(m->be) / 4;
	if (m->info.max_blocks != 0 && m->info.max_blocks * bs < bytes)
		bytes = m->info.max_blocks * bs;
	bytes -= bytes % LRU_CHUNK_SIZE;
	if (bytes < LRU_CHUNK_SIZE)
		bytes = LRU_CHUNK_SIZE;
	m->max_fetch = m->max_run = bytes / bs;
}

__attribute__((noreturn)) static void
die(struct main *m)
{
	cairn_exit(m->env, 1);
}

static void
backend_open(struct main *m, uint64_t tx_buf, uint64_t bypass)
{
	char detail[160] = "";
	unsigned i, n;
	int r;

	if ((r = block_client_open(m->env, "", tx_buf, &m->be, detail,
	    sizeof(detail))) < 0) {
		cairn_error(m->env, "no backend Block session: %s",
		    detail[0] ? detail : "refused");
		die(m);
	}
	m->info = *block_client_info(m->be);
	if (m->info.block_size < LRU_MIN_BLOCK ||
	    m->info.block_size > LRU_CHUNK_SIZE ||
	    (m->info.block_size & (m->info.block_size - 1)) != 0) {
		cairn_error(m->env, "backend block size %u is not supported: "
		    "it must divide %u and be at least %u bytes",
		    m->info.block_size, LRU_CHUNK_SIZE, LRU_MIN_BLOCK);
		die(m);
	}
	n = block_client_max_jobs(m->be);
	if ((m->jobs = calloc(n, sizeof(*m->jobs))) == NULL) {
		cairn_error(m->env, "out of memory for %u backend jobs", n);
		die(m);
	}
	for (i = 0; i < n; i++) {
		m->jobs[i].m = m;
		job_put(m, &m->jobs[i]);
	}
	if ((m->after_batch = cairn_defer_create(m->env->ep, after_batch,
	    m)) == NULL) {
		cairn_error(m->env, "out of memory for deferred work");
		die(m);
	}
	backend_hooks(m, m->be);
	/* See memory.c: its pages we touch are charged to us. */
	m->mem.reserve_base += (tx_buf + 4095) & ~4095ull;
	/* The bypass session's donation, and its rings we write to. */
	m->bypass_blocks = (bypass + m->info.block_size - 1) /
	    m->info.block_size;
	if (m->bypass_blocks != 0)
		m->mem.reserve_base += BLOCK_SESSION_QUOTA(BLOCK_RINGS_BUF);
	m->mem.reserve = m->mem.reserve_base;
}

/* --- yield --- */

/*
 * The parent wants `amount` bytes back, beyond what is spare already. The
 * highest slabs, as many as that takes, are drained: every chunk, index
 * node and descriptor in them moves into free pages of the other slabs
 * (lru_compact), and each drained slab goes back to the PD as soon as it
 * is empty. Only when the other slabs lack the room are least recently
 * used chunks evicted (dirty ones written back first, waiting up to 5 s
 * for those writes), so the cache keeps all it can of what it held.
 * libcairn then answers the parent, which takes what is spare. New memory
 * is not taken meanwhile, nor asked for afterwards.
 */
static void
on_yield(void *ctx, uint64_t amount)
{
	struct main *m = ctx;
	uint64_t deadline = cairn_now_us() + 5000000, written, spare;
	size_t held = m->mem.held, evicted = 0, moved = 0, n, freed;
	size_t used, room;
	struct lru_stats st;
	int r;

	lru_stats(m->lru, &st);
	written = st.written;
	m->mem.no_grow = true;
	(void)mem_trim(&m->mem);
	spare = mem_spare(&m->mem);
	if (spare < amount)
		(void)mem_drain_begin(&m->mem, (size_t)(amount - spare));
	while (m->mem.draining > 0) {
		mem_drain_counts(&m->mem, &used, &room);
		if (used <= room) {
			r = lru_compact(&m->lru, mem_draining, &m->mem, &n);
			moved += n;
			if (r == 0)
				break;
			/* Out of descriptor room: evict a little, retry. */
		}
		freed = lru_evict(m->lru, used > room ? used - room :
		    EVICT_BATCH, writeback_run, m, m->max_run);
		evicted += freed;
		if (freed > 0)
			continue;
		/* Only dirty or busy chunks are left: wait for their I/O. */
		if (block_client_in_flight(m->be) == 0 ||
		    cairn_now_us() > deadline)
			break;
		(void)cairn_ep_dispatch_once(m->env->ep, 100);
	}
	mem_drain_end(&m->mem);
	(void)mem_trim(&m->mem);
	m->mem.no_grow = false;
	m->mem.denied = true;
	lru_stats(m->lru, &st);
	if (m->verbose)
		cairn_log(m->env, "yield: %zu objects moved out of the slabs "
		    "returned", moved);
	cairn_log(m->env, "yield: asked for %llu bytes, released %zu (%zu "
	    "chunks evicted, %llu blocks written back, %zu chunks left)",
	    (unsigned long long)amount, held - m->mem.held, evicted,
	    (unsigned long long)(st.written - written), st.chunks);
	stats_changed(m);
}

void
construct(struct cairn_env *env)
{
	static struct main m;
	struct xml_node cfg;
	struct settings s;
	int r;

	m.env = env;
	if (cairn_rom_open(env, "config", &m.config) < 0) {
		cairn_error(env, "no config ROM");
		die(&m);
	}
	if (cairn_rom_xml(env, &m.config, &cfg) < 0 ||
	    config_read(&m, &cfg, &s) < 0)
		die(&m);
	mem_init(&m.mem, &m, s.slab);
	backend_open(&m, s.tx_buf, s.bypass);
	if ((r = lru_create(&m.mem.alloc, m.info.block_size,
	    m.info.block_count, &m.lru)) < 0) {
		cairn_error(env, "cannot create the cache: %s", r == -ENOMEM ?
		    "no RAM for its first slab (raise the RAM quantum)" :
		    "bad geometry");
		die(&m);
	}
	limits(&m);
	if ((m.wb_timer = cairn_timer_create(env->ep, writeback_tick,
	    &m)) == NULL) {
		cairn_error(env, "no timer for the periodic write-back");
		die(&m);
	}
	config_apply(&m, &cfg, &s);
	if (cairn_rom_sigh(env, &m.config, config_changed, &m) < 0)
		cairn_warn(env, "config changes will not be followed");
	if (block_server_create(env, &cache_ops, &m, &m.srv) < 0 ||
	    block_server_announce(m.srv) < 0) {
		cairn_error(env, "cannot announce the Block service");
		die(&m);
	}
	if (cairn_yield_handler(env, on_yield, &m) < 0)
		cairn_warn(env, "no yield handler: the parent cannot take RAM "
		    "back");
	cairn_log(env, "caching %llu blocks of %u bytes (%s)",
	    (unsigned long long)m.info.block_count, m.info.block_size,
	    m.info.writeable ? "writeable" : "read-only");
}
