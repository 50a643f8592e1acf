/*
 * The ext2 plugin's block cache, served to libext2fs as an I/O manager.
 * SPDX-License-Identifier: MIT
 *
 * The cache holds units of the file system's block size in memory the
 * caller sized (the vfs sizes it from its RAM quota). libext2fs reads and
 * writes at whatever block size it set last (it switches to 1024 bytes to
 * write the superblock), so every request is turned into a byte range and
 * served unit by unit: a partial write of a unit reads it first.
 *
 * Write-back: writes only dirty units; they reach the device when the
 * plugin says so (ext2_io_writeback, at the end of an operation or on
 * sync) or, should one operation dirty the whole cache, when a unit must
 * be found. Valid units sit on one of two LRU lists, clean and dirty, so
 * eviction takes the least recently used clean unit in constant time.
 * Write-back sorts the dirty units and writes contiguous runs as one
 * request each, all in flight at once, then waits for them.
 *
 * Read-ahead: a miss right where the previous miss run ended is taken as
 * sequential reading and fetches a run that doubles each time up to
 * RA_MAX bytes; any other miss fetches what was asked for. A run stops at
 * the first unit already cached, so a dirty unit is never overwritten by
 * older data from the device.
 *
 * libext2fs finds the cache through the device name it passes to open():
 * ext2_io_name() prints the cache's address into it. Nothing else ever
 * reaches open() with such a name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext2.h"

#define F_DIRTY		1u
#define NIL		(-1)
#define RA_MAX		(1024u * 1024)	/* bytes of read-ahead at most */
#define RUN_MAX		(512u * 1024)	/* bytes per device request at most */
#define NAME_PREFIX	"cairn-ext2-io:"

struct unit {
	uint64_t no;			/* unit number on the device */
	uint32_t flags;
	int32_t hnext;			/* hash chain */
	int32_t prev, next;		/* LRU list, or the free list */
};

struct lru {
	int32_t head, tail;		/* most / least recently used */
};

struct ext2_io {
	struct ext2_dev dev;
	uint32_t unit;			/* bytes per unit */
	uint32_t per_unit;		/* device blocks per unit */
	uint64_t dev_units;		/* whole units on the device */
	uint32_t n;			/* slots */
	struct unit *u;
	uint8_t *data;			/* n * unit bytes, the caller's */
	int32_t *hash;
	uint32_t hmask;
	struct lru clean, dirty;
	int32_t free;
	uint32_t ndirty;
	uint32_t run_units;		/* most units per device request */
	uint32_t ra_max;		/* most units of read-ahead */
	uint64_t seq_next;		/* unit after the last miss run */
	uint32_t ra;			/* current read-ahead, units */
	uint8_t *bounce;		/* run_units * unit bytes */
	int32_t *order;			/* n slots, for write-back */
	bool in_writeback;
	struct ext2_io_stats st;
};

/* --- lists and hash --- */

static void
lru_unlink(struct ext2_io *io, struct lru *l, int32_t i)
{
	struct unit *x = &io->u[i];

	if (x->prev != NIL)
		io->u[x->prev].next = x->next;
	else
		l->head = x->next;
	if (x->next != NIL)
		io->u[x->next].prev = x->prev;
	else
		l->tail = x->prev;
	x->prev = x->next = NIL;
}

static void
lru_push(struct ext2_io *io, struct lru *l, int32_t i)
{
	struct unit *x = &io->u[i];

	x->prev = NIL;
	x->next = l->head;
	if (l->head != NIL)
		io->u[l->head].prev = i;
	l->head = i;
	if (l->tail == NIL)
		l->tail = i;
}

static struct lru *
list_of(struct ext2_io *io, int32_t i)
{
	return io->u[i].flags & F_DIRTY ? &io->dirty : &io->clean;
}

static uint32_t
hash_of(const struct ext2_io *io, uint64_t no)
{
	no *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(no >> 32) & io->hmask;
}

static int32_t
find(struct ext2_io *io, uint64_t no)
{
	int32_t i;

	for (i = io->hash[hash_of(io, no)]; i != NIL; i = io->u[i].hnext)
		if (io->u[i].no == no)
			return i;
	return NIL;
}

static void
hash_remove(struct ext2_io *io, int32_t i)
{
	int32_t *pp = &io->hash[hash_of(io, io->u[i].no)];

	while (*pp != NIL && *pp != i)
		pp = &io->u[*pp].hnext;
	if (*pp == i)
		*pp = io->u[i].hnext;
}

static uint8_t *
slot_data(struct ext2_io *io, int32_t i)
{
	return io->data + (size_t)i * io->unit;
}

/* Mark a use: the unit moves to the front of its list. */
static void
touch(struct ext2_io *io, int32_t i)
{
	struct lru *l = list_of(io, i);

	if (l->head != i) {
		lru_unlink(io, l, i);
		lru_push(io, l, i);
	}
}

static void
mark_dirty(struct ext2_io *io, int32_t i)
{
	if (io->u[i].flags & F_DIRTY) {
		touch(io, i);
		return;
	}
	lru_unlink(io, &io->clean, i);
	io->u[i].flags |= F_DIRTY;
	lru_push(io, &io->dirty, i);
	io->ndirty++;
}

/*
 * A slot for unit no (not cached): a free one, else the least recently
 * used clean one. With every unit dirty, write them all back first.
 */
static int
slot_new(struct ext2_io *io, uint64_t no, int32_t *out)
{
	int32_t i;
	int r;

	if (io->free == NIL && io->clean.tail == NIL) {
		if (io->in_writeback)
			return -EIO;
		if ((r = ext2_io_writeback(io, false)) < 0)
			return r;
	}
	if (io->free != NIL) {
		i = io->free;
		io->free = io->u[i].next;
	} else {
		i = io->clean.tail;
		lru_unlink(io, &io->clean, i);
		hash_remove(io, i);
	}
	io->u[i].no = no;
	io->u[i].flags = 0;
	io->u[i].hnext = io->hash[hash_of(io, no)];
	io->hash[hash_of(io, no)] = i;
	lru_push(io, &io->clean, i);
	*out = i;
	return 0;
}

/* Give back a slot slot_new() handed out (still clean). */
static void
slot_drop(struct ext2_io *io, int32_t i)
{
	lru_unlink(io, &io->clean, i);
	hash_remove(io, i);
	io->u[i].next = io->free;
	io->free = i;
}

/* --- the device --- */

static int
dev_read(struct ext2_io *io, uint64_t no, uint32_t count, void *buf)
{
	int r;

	if (no >= io->dev_units || count > io->dev_units - no)
		return -EIO;
	r = io->dev.read(io->dev.ctx, no * io->per_unit,
	    (uint64_t)count * io->per_unit, buf);
	io->st.dev_reads++;
	io->st.dev_read_bytes += (uint64_t)count * io->unit;
	return r;
}

/* Units [no, no + n), none of them cached, into buf; cached afterwards. */
static int
load_run(struct ext2_io *io, uint64_t no, uint32_t n, uint8_t *buf)
{
	uint32_t k;
	int32_t i;
	int r;

	r = dev_read(io, no, n, buf);
	if (r < 0)
		return r;
	for (k = 0; k < n; k++) {
		if ((r = slot_new(io, no + k, &i)) < 0)
			return r;
		memcpy(slot_data(io, i), buf + (size_t)k * io->unit,
		    io->unit);
	}
	return 0;
}

/*
 * Make unit no readable: returns a pointer to its bytes, valid until the
 * next cache operation. Misses read a run (see the header comment); units
 * up to `last` that are missing as well come along.
 */
static int
fetch(struct ext2_io *io, uint64_t no, uint64_t last, const uint8_t **out)
{
	uint64_t end, lim;
	uint32_t n;
	int32_t i;
	int r;

	i = find(io, no);
	if (i != NIL) {
		io->st.hits++;
		touch(io, i);
		*out = slot_data(io, i);
		return 0;
	}
	io->st.misses++;
	if (no >= io->dev_units)
		return -EIO;
	if (no == io->seq_next && io->seq_next != 0)
		io->ra = io->ra ? io->ra * 2 : 2;
	else
		io->ra = 1;
	if (io->ra > io->ra_max)
		io->ra = io->ra_max;
	lim = no + (io->ra > last - no + 1 ? io->ra : last - no + 1);
	if (lim > no + io->run_units)
		lim = no + io->run_units;
	if (lim > io->dev_units)
		lim = io->dev_units;
	for (end = no + 1; end < lim && find(io, end) == NIL; end++)
		;
	n = (uint32_t)(end - no);
	if ((r = load_run(io, no, n, io->bounce)) < 0)
		return r;
	io->seq_next = end;
	/* The run's first unit, from the bounce buffer: eviction during the
	 * run cannot have touched it. */
	*out = io->bounce;
	return 0;
}

static int
io_read(struct ext2_io *io, uint64_t off, uint64_t len, uint8_t *buf)
{
	uint64_t no, last;
	const uint8_t *src;
	int r;

	if (len == 0)
		return 0;
	last = (off + len - 1) / io->unit;
	while (len > 0) {
		uint64_t in = off % io->unit, chunk = io->unit - in;

		if (chunk > len)
			chunk = len;
		no = off / io->unit;
		if ((r = fetch(io, no, last, &src)) < 0)
			return r;
		memcpy(buf, src + in, chunk);
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

static int
io_write(struct ext2_io *io, uint64_t off, uint64_t len, const uint8_t *buf)
{
	int32_t i;
	int r;

	if (!io->dev.writeable)
		return -EROFS;
	while (len > 0) {
		uint64_t no = off / io->unit, in = off % io->unit;
		uint64_t chunk = io->unit - in;

		if (chunk > len)
			chunk = len;
		if (no >= io->dev_units)
			return -EIO;
		i = find(io, no);
		if (i == NIL) {
			if ((r = slot_new(io, no, &i)) < 0)
				return r;
			/* Partial: the rest of the unit comes from the disk. */
			if (chunk < io->unit &&
			    (r = dev_read(io, no, 1, slot_data(io, i))) < 0) {
				slot_drop(io, i);
				return r;
			}
		} else {
			io->st.hits++;
		}
		memcpy(slot_data(io, i) + in, buf, chunk);
		mark_dirty(io, i);
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

static int
cmp_unit(const void *a, const void *b, void *ctx)
{
	const struct ext2_io *io = ctx;
	uint64_t x = io->u[*(const int32_t *)a].no;
	uint64_t y = io->u[*(const int32_t *)b].no;

	return x < y ? -1 : x > y;
}

int
ext2_io_writeback(struct ext2_io *io, bool sync)
{
	uint32_t n = 0, k, j, run;
	int32_t i;
	int r = 0, e;

	if (io->ndirty == 0)
		return sync && io->dev.writeable ? io->dev.sync(io->dev.ctx) : 0;
	io->in_writeback = true;
	for (i = io->dirty.head; i != NIL; i = io->u[i].next)
		io->order[n++] = i;
	qsort_r(io->order, n, sizeof(io->order[0]), cmp_unit, io);
	for (k = 0; k < n && r == 0; k += run) {
		uint64_t first = io->u[io->order[k]].no;

		for (run = 1; k + run < n && run < io->run_units &&
		    io->u[io->order[k + run]].no == first + run; run++)
			;
		for (j = 0; j < run; j++)
			memcpy(io->bounce + (size_t)j * io->unit,
			    slot_data(io, io->order[k + j]), io->unit);
		r = io->dev.write(io->dev.ctx, first * io->per_unit,
		    (uint64_t)run * io->per_unit, io->bounce);
		io->st.dev_writes++;
		io->st.dev_write_bytes += (uint64_t)run * io->unit;
	}
	e = io->dev.drain(io->dev.ctx);
	if (r == 0)
		r = e;
	if (r == 0 && sync)
		r = io->dev.sync(io->dev.ctx);
	if (r == 0) {
		while ((i = io->dirty.tail) != NIL) {
			lru_unlink(io, &io->dirty, i);
			io->u[i].flags &= ~F_DIRTY;
			lru_push(io, &io->clean, i);
		}
		io->ndirty = 0;
		io->st.writebacks++;
	}
	io->in_writeback = false;
	return r;
}

int
ext2_io_writeback_unit(struct ext2_io *io, uint64_t no, bool sync)
{
	int32_t i = find(io, no);
	int r = 0, e;

	if (i != NIL && (io->u[i].flags & F_DIRTY)) {
		r = io->dev.write(io->dev.ctx, no * io->per_unit, io->per_unit,
		    slot_data(io, i));
		io->st.dev_writes++;
		io->st.dev_write_bytes += io->unit;
		e = io->dev.drain(io->dev.ctx);
		if (r == 0)
			r = e;
		if (r == 0) {
			lru_unlink(io, &io->dirty, i);
			io->u[i].flags &= ~F_DIRTY;
			lru_push(io, &io->clean, i);
			io->ndirty--;
		}
	}
	if (r == 0 && sync)
		r = io->dev.sync(io->dev.ctx);
	return r;
}

bool
ext2_io_dirty(const struct ext2_io *io)
{
	return io->ndirty > 0;
}

bool
ext2_io_pressure(const struct ext2_io *io)
{
	return io->ndirty > io->n / 2;
}

void
ext2_io_stats(const struct ext2_io *io, struct ext2_io_stats *st)
{
	*st = io->st;
	st->units = io->n;
	st->dirty = io->ndirty;
	st->unit = io->unit;
}

int
ext2_io_create(const struct ext2_dev *dev, uint32_t unit, void *mem,
    size_t cap, struct ext2_io **out)
{
	struct ext2_io *io;
	uint32_t n, h, i;

	if (dev->block_size == 0 || unit < dev->block_size ||
	    unit % dev->block_size != 0 || (unit & (unit - 1)) != 0)
		return -EINVAL;
	n = cap / unit > (1u << 30) ? 1u << 30 : (uint32_t)(cap / unit);
	if (n < 16)
		return -ENOMEM;
	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return -ENOMEM;
	io->dev = *dev;
	io->unit = unit;
	io->per_unit = unit / dev->block_size;
	io->dev_units = dev->block_count / io->per_unit;
	io->n = n;
	io->data = mem;
	for (h = 1; h < 2 * n; h <<= 1)
		;
	io->hmask = h - 1;
	io->run_units = RUN_MAX / unit ? RUN_MAX / unit : 1;
	if (io->run_units > n / 4)
		io->run_units = n / 4;
	io->ra_max = RA_MAX / unit ? RA_MAX / unit : 1;
	if (io->ra_max > io->run_units)
		io->ra_max = io->run_units;
	io->u = calloc(n, sizeof(*io->u));
	io->hash = malloc(h * sizeof(*io->hash));
	io->order = malloc(n * sizeof(*io->order));
	io->bounce = malloc((size_t)io->run_units * unit);
	if (io->u == NULL || io->hash == NULL || io->order == NULL ||
	    io->bounce == NULL) {
		ext2_io_destroy(io);
		return -ENOMEM;
	}
	for (i = 0; i < h; i++)
		io->hash[i] = NIL;
	for (i = 0; i < n; i++) {
		io->u[i].prev = NIL;
		io->u[i].next = i + 1 < n ? (int32_t)(i + 1) : NIL;
	}
	io->free = 0;
	io->clean.head = io->clean.tail = NIL;
	io->dirty.head = io->dirty.tail = NIL;
	*out = io;
	return 0;
}

void
ext2_io_destroy(struct ext2_io *io)
{
	if (io == NULL)
		return;
	free(io->u);
	free(io->hash);
	free(io->order);
	free(io->bounce);
	free(io);
}

void
ext2_io_name(const struct ext2_io *io, char *buf, size_t cap)
{
	snprintf(buf, cap, NAME_PREFIX "%p", (const void *)io);
}

/* --- the I/O manager --- */

static errcode_t
code_of(int r)
{
	return r == 0 ? 0 : r == -EROFS ? EXT2_ET_RO_FILSYS :
	    r == -ENOMEM ? EXT2_ET_NO_MEMORY : (errcode_t)-r;
}

static struct ext2_io *
io_of(io_channel ch)
{
	return ch->private_data;
}

/* A request of libext2fs as a byte range; count < 0 means bytes. */
static errcode_t
range(io_channel ch, unsigned long long block, int count, uint64_t *off,
    uint64_t *len)
{
	uint64_t bs = (uint64_t)ch->block_size;

	*len = count < 0 ? (uint64_t)-(int64_t)count : (uint64_t)count * bs;
	if (block > UINT64_MAX / bs)
		return EXT2_ET_LLSEEK_FAILED;
	*off = block * bs;
	if (*len > UINT64_MAX - *off)
		return EXT2_ET_LLSEEK_FAILED;
	return 0;
}

static errcode_t
ch_read64(io_channel ch, unsigned long long block, int count, void *data)
{
	uint64_t off, len;
	errcode_t e = range(ch, block, count, &off, &len);
	int r;

	if (e)
		return e;
	r = io_read(io_of(ch), off, len, data);
	return r == -EIO ? EXT2_ET_SHORT_READ : code_of(r);
}

static errcode_t
ch_write64(io_channel ch, unsigned long long block, int count,
    const void *data)
{
	uint64_t off, len;
	errcode_t e = range(ch, block, count, &off, &len);
	int r;

	if (e)
		return e;
	r = io_write(io_of(ch), off, len, data);
	return r == -EIO ? EXT2_ET_SHORT_WRITE : code_of(r);
}

static errcode_t
ch_read(io_channel ch, unsigned long block, int count, void *data)
{
	return ch_read64(ch, block, count, data);
}

static errcode_t
ch_write(io_channel ch, unsigned long block, int count, const void *data)
{
	return ch_write64(ch, block, count, data);
}

static errcode_t
ch_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0)
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

static errcode_t
ch_flush(io_channel ch)
{
	struct ext2_io *io = io_of(ch);

	return io->dev.writeable ? code_of(ext2_io_writeback(io, true)) : 0;
}

static errcode_t
ch_set_option(io_channel ch, const char *option, const char *arg)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t
ch_close(io_channel ch)
{
	if (--ch->refcount > 0)
		return 0;
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t ch_open(const char *name, int flags, io_channel *out);

static struct struct_io_manager manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "cairn block cache",
	.open = ch_open,
	.close = ch_close,
	.set_blksize = ch_set_blksize,
	.read_blk = ch_read,
	.write_blk = ch_write,
	.flush = ch_flush,
	.set_option = ch_set_option,
	.read_blk64 = ch_read64,
	.write_blk64 = ch_write64,
};

io_manager ext2_io_manager = &manager;

static errcode_t
ch_open(const char *name, int flags, io_channel *out)
{
	struct ext2_io *io;
	io_channel ch;
	void *p = NULL;

	if (name == NULL || strncmp(name, NAME_PREFIX,
	    strlen(NAME_PREFIX)) != 0 ||
	    sscanf(name + strlen(NAME_PREFIX), "%p", &p) != 1 || p == NULL)
		return EXT2_ET_BAD_DEVICE_NAME;
	io = p;
	if ((flags & IO_FLAG_RW) && !io->dev.writeable)
		return EXT2_ET_RO_FILSYS;
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return EXT2_ET_NO_MEMORY;
	ch->name = strdup(name);
	if (ch->name == NULL) {
		free(ch);
		return EXT2_ET_NO_MEMORY;
	}
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = ext2_io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = io;
	*out = ch;
	return 0;
}
