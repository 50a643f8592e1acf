/*
 * The chunk index (a radix tree over 64-bit chunk numbers), per-block
 * chunk state and the least-recently-used list.
 * SPDX-License-Identifier: MIT
 *
 * The index is a radix tree of 4 KiB nodes with 512 slots (9 bits of the
 * chunk number per level) whose height grows with the largest chunk number
 * seen: 3 levels cover 512 GiB, 8 levels every 64-bit chunk number. Nodes
 * carry no counters; a node is freed when a scan finds it empty after a
 * removal below it.
 *
 * Invariants: every chunk is in the index and in the LRU list exactly once;
 * dirty ⊆ valid; a chunk with fills != 0 or wb != 0 is never freed (except
 * by lru_destroy); the counters in st are sums over the chunks, kept by
 * leave()/enter() around every change of a chunk's state.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lru.h"

#define FAN_BITS	9
#define FAN		(1u << FAN_BITS)
#define MAX_HEIGHT	8	/* 8 * 9 bits >= 64 */

struct lru_chunk {
	struct lru_chunk *prev, *next;	/* LRU list: head is the oldest */
	uint64_t nr;			/* chunk number */
	uint64_t valid, dirty, wb;	/* block bitmaps, bit i = block i */
	unsigned char *data;		/* LRU_CHUNK_SIZE bytes */
	uint32_t fills;			/* device reads in flight */
};

_Static_assert(sizeof(struct lru_chunk) <= LRU_DESC_SIZE,
    "a chunk descriptor fits LRU_DESC_SIZE");
_Static_assert(sizeof(void *) * FAN == LRU_PAGE_SIZE, "a node is a page");

struct lru {
	struct cairn_alloc *a;
	uint32_t block_size;
	unsigned shift;			/* log2 of blocks per chunk */
	unsigned bpc;			/* blocks per chunk */
	uint64_t block_count;
	void **root;
	unsigned height;		/* 0: empty index */
	struct lru_chunk *head, *tail;
	struct lru_stats st;
};

_Static_assert(sizeof(struct lru) <= LRU_PAGE_SIZE, "the cache fits a page");

/* n bits from bit lo on (lo + n <= 64). */
static uint64_t
bits(unsigned lo, unsigned n)
{
	return n >= 64 ? ~0ull : ((1ull << n) - 1) << lo;
}

static bool
in_range(const struct lru *c, uint64_t nr, uint64_t cnt)
{
	return cnt >= 1 && nr < c->block_count && cnt <= c->block_count - nr;
}

/* Blocks of chunk k that exist on the device. */
static uint64_t
full_mask(const struct lru *c, uint64_t k)
{
	uint64_t left = c->block_count - (k << c->shift);

	return bits(0, left < c->bpc ? (unsigned)left : c->bpc);
}

static bool
busy(const struct lru_chunk *ch)
{
	return ch->fills != 0 || ch->wb != 0;
}

/* Take a chunk's contribution out of the counters before changing it ... */
static void
leave(struct lru *c, const struct lru_chunk *ch)
{
	c->st.dirty -= ch->dirty != 0;
	c->st.busy -= busy(ch);
}

/* ... and put it back afterwards. */
static void
enter(struct lru *c, const struct lru_chunk *ch)
{
	c->st.dirty += ch->dirty != 0;
	c->st.busy += busy(ch);
}

/* --- memory --- */

static void *
page_alloc(struct lru *c)
{
	void *p = cairn_alloc(c->a, LRU_PAGE_SIZE);

	if (p != NULL)
		c->st.bytes += LRU_PAGE_SIZE;
	return p;
}

static void
page_free(struct lru *c, void *p)
{
	cairn_free(cairn_alloc_dealloc(c->a), p, LRU_PAGE_SIZE);
	c->st.bytes -= LRU_PAGE_SIZE;
}

/* --- the radix index --- */

static unsigned
slot_of(uint64_t key, unsigned level)
{
	unsigned s = FAN_BITS * (level - 1);

	return s >= 64 ? 0 : (unsigned)(key >> s) & (FAN - 1);
}

static bool
covers(unsigned height, uint64_t key)
{
	if (height == 0)
		return false;
	return FAN_BITS * height >= 64 || (key >> (FAN_BITS * height)) == 0;
}

static struct lru_chunk *
lookup(const struct lru *c, uint64_t key)
{
	void **n = c->root;
	unsigned l;

	if (!covers(c->height, key))
		return NULL;
	for (l = c->height; l > 1; l--) {
		n = n[slot_of(key, l)];
		if (n == NULL)
			return NULL;
	}
	return n[slot_of(key, 1)];
}

/*
 * Whether node n is empty, slot `from` having just been cleared. Eviction
 * mostly frees chunks in ascending order, so the slots above are the ones
 * likely in use: look there first.
 */
static bool
node_empty(void *const *n, unsigned from)
{
	unsigned i;

	for (i = from + 1; i < FAN; i++)
		if (n[i] != NULL)
			return false;
	for (i = 0; i < from; i++)
		if (n[i] != NULL)
			return false;
	return true;
}

/* Free the nodes on key's path that are empty, bottom up. */
static void
prune(struct lru *c, uint64_t key)
{
	void **path[MAX_HEIGHT + 1];
	unsigned l;

	if (c->root == NULL)
		return;
	path[c->height] = c->root;
	for (l = c->height; l > 1; l--) {
		path[l - 1] = path[l][slot_of(key, l)];
		if (path[l - 1] == NULL)
			break;
	}
	/* path[l..height] are the nodes that exist; l is the lowest. */
	for (; l <= c->height; l++) {
		if (!node_empty(path[l], slot_of(key, l)))
			return;
		page_free(c, path[l]);
		if (l == c->height) {
			c->root = NULL;
			c->height = 0;
			return;
		}
		path[l + 1][slot_of(key, l + 1)] = NULL;
	}
}

static int
insert(struct lru *c, uint64_t key, struct lru_chunk *ch)
{
	void **n, **slot;
	unsigned l;

	if (c->root == NULL) {
		c->height = 1;
		while (!covers(c->height, key))
			c->height++;
		if ((c->root = page_alloc(c)) == NULL) {
			c->height = 0;
			return -ENOMEM;
		}
		memset(c->root, 0, LRU_PAGE_SIZE);
	}
	/* Grow: the old tree becomes slot 0 of a new root. */
	while (!covers(c->height, key)) {
		if ((n = page_alloc(c)) == NULL)
			return -ENOMEM;
		memset(n, 0, LRU_PAGE_SIZE);
		n[0] = c->root;
		c->root = n;
		c->height++;
	}
	n = c->root;
	for (l = c->height; l > 1; l--) {
		slot = (void **)&n[slot_of(key, l)];
		if (*slot == NULL) {
			if ((*slot = page_alloc(c)) == NULL) {
				prune(c, key);
				return -ENOMEM;
			}
			memset(*slot, 0, LRU_PAGE_SIZE);
		}
		n = *slot;
	}
	n[slot_of(key, 1)] = ch;
	return 0;
}

static void
remove_key(struct lru *c, uint64_t key)
{
	void **n = c->root;
	unsigned l;

	if (!covers(c->height, key))
		return;
	for (l = c->height; l > 1; l--) {
		n = n[slot_of(key, l)];
		if (n == NULL)
			return;
	}
	n[slot_of(key, 1)] = NULL;
	prune(c, key);
}

/* The chunk with the smallest number >= key below node n of level l. */
static struct lru_chunk *
next_from(void *const *n, unsigned l, uint64_t key, bool bound)
{
	struct lru_chunk *ch;
	unsigned i;

	for (i = bound ? slot_of(key, l) : 0; i < FAN; i++, bound = false) {
		if (n[i] == NULL)
			continue;
		if (l == 1)
			return n[i];
		if ((ch = next_from(n[i], l - 1, key, bound)) != NULL)
			return ch;
	}
	return NULL;
}

static struct lru_chunk *
next_chunk(const struct lru *c, uint64_t key)
{
	if (!covers(c->height, key))
		return NULL;
	return next_from(c->root, c->height, key, true);
}

/* --- the LRU list --- */

static void
unlink_chunk(struct lru *c, struct lru_chunk *ch)
{
	if (ch->prev)
		ch->prev->next = ch->next;
	else
		c->head = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	else
		c->tail = ch->prev;
	ch->prev = ch->next = NULL;
}

static void
append(struct lru *c, struct lru_chunk *ch)
{
	ch->prev = c->tail;
	ch->next = NULL;
	if (c->tail)
		c->tail->next = ch;
	else
		c->head = ch;
	c->tail = ch;
}

static void
touch(struct lru *c, struct lru_chunk *ch)
{
	if (c->tail != ch) {
		unlink_chunk(c, ch);
		append(c, ch);
	}
}

/* --- chunks --- */

static int
chunk_new(struct lru *c, uint64_t k)
{
	struct lru_chunk *ch;
	int r;

	ch = cairn_alloc(c->a, LRU_DESC_SIZE);
	if (ch == NULL)
		return -ENOMEM;
	memset(ch, 0, sizeof(*ch));
	ch->nr = k;
	if ((ch->data = page_alloc(c)) == NULL) {
		r = -ENOMEM;
		goto fail_desc;
	}
	if ((r = insert(c, k, ch)) < 0)
		goto fail_data;
	append(c, ch);
	c->st.chunks++;
	c->st.bytes += LRU_DESC_SIZE;
	return 0;

fail_data:
	page_free(c, ch->data);
fail_desc:
	cairn_free(cairn_alloc_dealloc(c->a), ch, LRU_DESC_SIZE);
	return r;
}

static void
chunk_free(struct lru *c, struct lru_chunk *ch)
{
	leave(c, ch);
	unlink_chunk(c, ch);
	remove_key(c, ch->nr);
	page_free(c, ch->data);
	cairn_free(cairn_alloc_dealloc(c->a), ch, LRU_DESC_SIZE);
	c->st.chunks--;
	c->st.bytes -= LRU_DESC_SIZE;
}

/*
 * Walk [nr, nr + cnt) chunk by chunk: k the chunk, lo its first block in
 * the range, n the number of blocks, off the byte offset into the range.
 */
#define FOR_PIECES(c, nr, cnt, k, lo, n, off)				\
	for (uint64_t b_ = (nr), e_ = (nr) + (cnt), off = 0;		\
	    b_ < e_ && ((k) = b_ >> (c)->shift,				\
	    (lo) = (unsigned)(b_ & ((c)->bpc - 1)),			\
	    (n) = (unsigned)(e_ - b_ < (c)->bpc - (lo) ? e_ - b_ :	\
	    (c)->bpc - (lo)), 1);					\
	    off += (uint64_t)(n) * (c)->block_size, b_ += (n))

/* Copy the blocks of mask from src to the chunk (byte-wise per run). */
static void
copy_in(const struct lru *c, struct lru_chunk *ch, uint64_t mask,
    unsigned lo, const unsigned char *src)
{
	unsigned i = 0, j;

	while (mask != 0) {
		i = (unsigned)__builtin_ctzll(mask);
		for (j = i; j < 64 && (mask >> j & 1); j++)
			;
		memcpy(ch->data + (size_t)i * c->block_size,
		    src + (size_t)(i - lo) * c->block_size,
		    (size_t)(j - i) * c->block_size);
		mask &= ~bits(i, j - i);
	}
}

/* --- interface --- */

int
lru_create(struct cairn_alloc *a, uint32_t block_size, uint64_t block_count,
    struct lru **out)
{
	struct lru *c;

	if (block_size < LRU_MIN_BLOCK || block_size > LRU_CHUNK_SIZE ||
	    (block_size & (block_size - 1)) != 0 || block_count == 0)
		return -EINVAL;
	if ((c = cairn_alloc(a, LRU_PAGE_SIZE)) == NULL)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->block_size = block_size;
	c->bpc = LRU_CHUNK_SIZE / block_size;
	c->shift = (unsigned)__builtin_ctz(c->bpc);
	c->block_count = block_count;
	c->st.bytes = LRU_PAGE_SIZE;
	*out = c;
	return 0;
}

void
lru_destroy(struct lru *c)
{
	while (c->head) {
		c->head->fills = 0;
		c->head->wb = 0;
		chunk_free(c, c->head);
	}
	cairn_free(cairn_alloc_dealloc(c->a), c, LRU_PAGE_SIZE);
}

unsigned
lru_chunk_blocks(const struct lru *c)
{
	return c->bpc;
}

/*
 * Walk [nr, nr + cnt) up to the first block that is not valid; with dst,
 * copy what comes before it and touch the chunks.
 */
static int
scan(struct lru *c, uint64_t nr, uint64_t cnt, unsigned char *d,
    uint64_t *missing)
{
	struct lru_chunk *ch;
	uint64_t k, mask;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return -ERANGE;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		mask = bits(lo, n);
		ch = lookup(c, k);
		if (ch != NULL && (ch->valid & mask) != mask) {
			/* The valid blocks before the hole still count. */
			n = (unsigned)__builtin_ctzll(mask & ~ch->valid) - lo;
			if (d != NULL && n > 0) {
				memcpy(d + off, ch->data + (size_t)lo *
				    c->block_size, (size_t)n * c->block_size);
				touch(c, ch);
			}
		}
		if (ch == NULL || (ch->valid & mask) != mask) {
			*missing = (k << c->shift) + lo + (ch == NULL ? 0 : n);
			return -ENOENT;
		}
		if (d != NULL) {
			memcpy(d + off, ch->data + (size_t)lo * c->block_size,
			    (size_t)n * c->block_size);
			touch(c, ch);
		}
	}
	return 0;
}

int
lru_read(struct lru *c, uint64_t nr, uint64_t cnt, void *dst,
    uint64_t *missing)
{
	int r = scan(c, nr, cnt, dst, missing);

	if (r == 0)
		c->st.hits++;
	else if (r == -ENOENT)
		c->st.misses++;
	return r;
}

int
lru_missing(const struct lru *c, uint64_t nr, uint64_t cnt,
    uint64_t *missing)
{
	/* scan() changes nothing without dst. */
	return scan((struct lru *)c, nr, cnt, NULL, missing);
}

uint64_t
lru_present(const struct lru *c, uint64_t nr, uint64_t cnt)
{
	uint64_t k, got = 0;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return 0;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		(void)off;
		(void)lo;
		if (lookup(c, k) == NULL)
			break;
		got += n;
	}
	return got;
}

int
lru_alloc(struct lru *c, uint64_t nr, uint64_t cnt)
{
	uint64_t k;
	unsigned lo, n;
	int r;

	if (!in_range(c, nr, cnt))
		return -ERANGE;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		(void)off;
		if (lookup(c, k) == NULL && (r = chunk_new(c, k)) < 0)
			return r;
	}
	return 0;
}

int
lru_write(struct lru *c, uint64_t nr, uint64_t cnt, const void *src)
{
	const unsigned char *s = src;
	struct lru_chunk *ch;
	uint64_t k, mask;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return -ERANGE;
	/* Check first: a write is applied completely or not at all. */
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		(void)off;
		if (lookup(c, k) == NULL)
			return -ENOENT;
	}
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		ch = lookup(c, k);
		mask = bits(lo, n);
		leave(c, ch);
		memcpy(ch->data + (size_t)lo * c->block_size, s + off,
		    (size_t)n * c->block_size);
		ch->valid |= mask;
		ch->dirty |= mask;
		enter(c, ch);
		touch(c, ch);
	}
	return 0;
}

int
lru_fill_begin(struct lru *c, uint64_t nr, uint64_t cnt)
{
	struct lru_chunk *ch;
	uint64_t k;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return -ERANGE;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		(void)off;
		if (lookup(c, k) == NULL)
			return -ENOENT;
	}
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		(void)off;
		ch = lookup(c, k);
		leave(c, ch);
		ch->fills++;
		enter(c, ch);
	}
	return 0;
}

void
lru_fill_end(struct lru *c, uint64_t nr, uint64_t cnt, const void *src)
{
	const unsigned char *s = src;
	struct lru_chunk *ch;
	uint64_t k, mask;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		if ((ch = lookup(c, k)) == NULL || ch->fills == 0)
			continue;
		leave(c, ch);
		ch->fills--;
		if (s != NULL) {
			mask = bits(lo, n) & ~ch->valid;
			copy_in(c, ch, mask, lo, s + off);
			ch->valid |= mask;
		}
		enter(c, ch);
		if (s != NULL)
			touch(c, ch);
		else if (ch->valid == 0 && !busy(ch))
			chunk_free(c, ch);
	}
}

int
lru_dirty_next(const struct lru *c, uint64_t from, uint64_t max,
    uint64_t *nr, uint64_t *cnt)
{
	const struct lru_chunk *ch;
	uint64_t k, m, n = 0;
	unsigned lo, b;

	if (from >= c->block_count || max == 0)
		return -ENOENT;
	k = from >> c->shift;
	lo = (unsigned)(from & (c->bpc - 1));
	for (;;) {
		if ((ch = next_chunk(c, k)) == NULL)
			return -ENOENT;
		if (ch->nr != k)
			lo = 0;
		m = ch->dirty & ~ch->wb & ~bits(0, lo);
		if (m != 0)
			break;
		k = ch->nr + 1;
		lo = 0;
	}
	b = (unsigned)__builtin_ctzll(m);
	*nr = (ch->nr << c->shift) + b;
	/* Extend over the run, into following chunks while it is unbroken. */
	for (;;) {
		while (b < c->bpc && (m >> b & 1) && n < max) {
			b++;
			n++;
		}
		if (b < c->bpc || n == max)
			break;
		ch = lookup(c, ch->nr + 1);
		if (ch == NULL)
			break;
		m = ch->dirty & ~ch->wb;
		b = 0;
	}
	*cnt = n;
	return 0;
}

void
lru_writeback_begin(struct lru *c, uint64_t nr, uint64_t cnt, void *dst)
{
	unsigned char *d = dst;
	struct lru_chunk *ch;
	uint64_t k, mask;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		if ((ch = lookup(c, k)) == NULL)
			continue;
		mask = bits(lo, n);
		memcpy(d + off, ch->data + (size_t)lo * c->block_size,
		    (size_t)n * c->block_size);
		leave(c, ch);
		ch->dirty &= ~mask;
		ch->wb |= mask;
		enter(c, ch);
	}
	c->st.writebacks++;
	c->st.written += cnt;
}

void
lru_writeback_end(struct lru *c, uint64_t nr, uint64_t cnt, bool ok)
{
	struct lru_chunk *ch;
	uint64_t k, mask;
	unsigned lo, n;

	if (!in_range(c, nr, cnt))
		return;
	FOR_PIECES(c, nr, cnt, k, lo, n, off) {
		(void)off;
		if ((ch = lookup(c, k)) == NULL)
			continue;
		mask = bits(lo, n) & ch->wb;
		leave(c, ch);
		ch->wb &= ~mask;
		if (!ok)
			ch->dirty |= mask;
		enter(c, ch);
	}
}

size_t
lru_evict(struct lru *c, size_t want, lru_wb_fn wb, void *ctx,
    uint64_t max_run)
{
	struct lru_chunk *ch, *next;
	uint64_t from, r_nr, r_cnt;
	size_t freed = 0, seen = 0, horizon;
	bool wb_ok = wb != NULL;

	/*
	 * Once no further write-back can start, look only this far for
	 * clean chunks: in a cache full of dirty chunks under write-back a
	 * walk of the whole list would cost every allocation O(chunks).
	 */
	horizon = want == 0 ? SIZE_MAX : 4 * want + LRU_EVICT_HORIZON;
	for (ch = c->head; ch != NULL && (want == 0 || freed < want) &&
	    (wb_ok || seen < horizon); ch = next, seen++) {
		/* wb only ever pins chunks, it frees none: next stays. */
		next = ch->next;
		if (busy(ch))
			continue;
		if (ch->dirty == 0) {
			chunk_free(c, ch);
			freed++;
			continue;
		}
		from = ch->nr << c->shift;
		while (wb_ok && lru_dirty_next(c, from, max_run, &r_nr,
		    &r_cnt) == 0 && (r_nr >> c->shift) == ch->nr) {
			if (wb(ctx, c, r_nr, r_cnt) < 0)
				wb_ok = false;
			from = r_nr + r_cnt;
		}
	}
	c->st.evictions += freed;
	return freed;
}

/* --- compaction --- */

/* Move index node *pp of level l, and the nodes below it, if movable. */
static int
compact_nodes(struct lru *c, void **pp, unsigned l, lru_movable_fn movable,
    void *ctx, size_t *moved)
{
	void **n = *pp, **nn;
	unsigned i;
	int r;

	if (movable(ctx, n)) {
		if ((nn = page_alloc(c)) == NULL)
			return -ENOMEM;
		memcpy(nn, n, LRU_PAGE_SIZE);
		*pp = nn;
		page_free(c, n);
		n = nn;
		(*moved)++;
	}
	if (l == 1)
		return 0;
	for (i = 0; i < FAN; i++)
		if (n[i] != NULL && (r = compact_nodes(c, &n[i], l - 1, movable,
		    ctx, moved)) < 0)
			return r;
	return 0;
}

/* The index slot holding chunk key (which is in the index). */
static void **
leaf_slot(struct lru *c, uint64_t key)
{
	void **n = c->root;
	unsigned l;

	for (l = c->height; l > 1; l--)
		n = n[slot_of(key, l)];
	return &n[slot_of(key, 1)];
}

/* Move chunk ch's data and descriptor where movable. */
static int
compact_chunk(struct lru *c, struct lru_chunk *ch, lru_movable_fn movable,
    void *ctx, size_t *moved)
{
	struct lru_chunk *nc;
	unsigned char *nd;

	/* Only the descriptor points at the data, and the caller's copies
	 * go through it when I/O completes: a move is invisible. */
	if (movable(ctx, ch->data)) {
		if ((nd = page_alloc(c)) == NULL)
			return -ENOMEM;
		memcpy(nd, ch->data, LRU_CHUNK_SIZE);
		page_free(c, ch->data);
		ch->data = nd;
		(*moved)++;
	}
	if (!movable(ctx, ch))
		return 0;
	if ((nc = cairn_alloc(c->a, LRU_DESC_SIZE)) == NULL)
		return -ENOMEM;
	*nc = *ch;
	/* The list neighbours and the index slot point at a descriptor. */
	if (nc->prev)
		nc->prev->next = nc;
	else
		c->head = nc;
	if (nc->next)
		nc->next->prev = nc;
	else
		c->tail = nc;
	*leaf_slot(c, ch->nr) = nc;
	cairn_free(cairn_alloc_dealloc(c->a), ch, LRU_DESC_SIZE);
	(*moved)++;
	return 0;
}

int
lru_compact(struct lru **cp, lru_movable_fn movable, void *ctx,
    size_t *moved)
{
	struct lru *c = *cp, *nc;
	struct lru_chunk *ch, *next;
	int r;

	*moved = 0;
	/* The cache itself first: nothing but the caller points at it. */
	if (movable(ctx, c)) {
		if ((nc = cairn_alloc(c->a, LRU_PAGE_SIZE)) == NULL)
			return -ENOMEM;
		memcpy(nc, c, sizeof(*c));
		cairn_free(cairn_alloc_dealloc(c->a), c, LRU_PAGE_SIZE);
		*cp = c = nc;
		(*moved)++;
	}
	if (c->root != NULL && (r = compact_nodes(c, (void **)&c->root,
	    c->height, movable, ctx, moved)) < 0)
		return r;
	for (ch = c->head; ch != NULL; ch = next) {
		/* Read before a move frees ch; next itself stays put. */
		next = ch->next;
		if ((r = compact_chunk(c, ch, movable, ctx, moved)) < 0)
			return r;
	}
	return 0;
}

enum lru_state
lru_state(const struct lru *c, uint64_t nr)
{
	const struct lru_chunk *ch;

	if (nr >= c->block_count ||
	    (ch = lookup(c, nr >> c->shift)) == NULL)
		return LRU_ABSENT;
	if (ch->dirty != 0)
		return LRU_DIRTY;
	if (ch->valid != full_mask(c, ch->nr))
		return LRU_INCOMPLETE;
	return LRU_CLEAN;
}

bool
lru_filling(const struct lru *c, uint64_t nr)
{
	const struct lru_chunk *ch;

	return nr < c->block_count &&
	    (ch = lookup(c, nr >> c->shift)) != NULL && ch->fills > 0;
}

void
lru_stats(const struct lru *c, struct lru_stats *st)
{
	*st = c->st;
}
