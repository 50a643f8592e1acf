/*
 * VDI images over I/O callbacks: header and block map checks, reads,
 * allocating writes, creation (see vdi.h).
 * SPDX-License-Identifier: MIT
 *
 * The file starts with a 64-byte text, the signature and the version
 * (VirtualBox's "pre-header"), followed by the header proper, whose first
 * field is its own size: 384 bytes in format 1.1 as QEMU writes it, 400
 * with the LCHS geometry VirtualBox adds. All fields are little endian.
 * The block map and the data area lie wherever the header says; we only
 * require header < map <= data, so that appending a data block never
 * overwrites metadata.
 *
 * Every map entry is checked once, at open, and the map lives in memory
 * afterwards; I/O still refuses an entry outside the data area rather than
 * trusting the check. Data blocks nobody points at (a crash between
 * writing a block and its map entry leaves one) are tracked in a bitmap
 * and handed out again before the data area grows, so the allocated count
 * never exceeds the number of map entries.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdi.h"

/* Offsets of the header fields in the file. */
#define H_TEXT		0x000	/* 64 bytes, e.g. "<<< ... Disk Image >>>\n" */
#define H_SIGNATURE	0x040
#define H_VERSION	0x044
#define H_SIZE		0x048	/* size of the header from this field on */
#define H_TYPE		0x04c
#define H_FLAGS		0x050
#define H_COMMENT	0x054	/* 256 bytes */
#define H_OFF_MAP	0x154
#define H_OFF_DATA	0x158
#define H_SECTOR_SIZE	0x168	/* of the legacy geometry before it */
#define H_DISK_SIZE	0x170	/* 64 bits */
#define H_BLOCK_SIZE	0x178
#define H_BLOCK_EXTRA	0x17c	/* bytes of private data before each block */
#define H_BLOCKS	0x180
#define H_ALLOCATED	0x184
#define H_UUID_CREATE	0x188
#define H_UUID_PARENT	0x1b8
#define H_END_1		0x1c8	/* end of a 384-byte header */
#define H_END_1PLUS	0x1d8	/* end of a 400-byte header */

#define SIGNATURE	0xbeda107fu
#define VERSION_1_1	0x00010001u
#define TYPE_DYNAMIC	1u
#define TYPE_FIXED	2u
#define TYPE_UNDO	3u
#define TYPE_DIFF	4u
#define HEADER_MIN	(H_END_1 - H_SIZE)
#define CREATE_TEXT	"<<< cairn Virtual Disk Image >>>\n"
#define CREATE_MAP	512u		/* map offset of images we create */
#define CREATE_ALIGN	(1u << 20)	/* data alignment, as VirtualBox's */
#define ZERO_CHUNK	65536u
#define NO_DATA		UINT64_MAX	/* extent(): the run reads as zeros */

struct vdi {
	struct vdi_io io;
	bool writeable, fixed;
	uint64_t disk_size;
	uint32_t block_size;
	unsigned shift;			/* log2(block_size) */
	uint32_t blocks;		/* map entries */
	uint32_t allocated;		/* data blocks in the data area */
	uint32_t unused;		/* of those, the ones no entry names */
	uint32_t off_map, off_data;
	uint8_t *used;			/* data blocks named; NULL if !unused */
	bool header_dirty;		/* allocated not yet written */
	uint32_t dirty_lo, dirty_hi;	/* map entries not yet written */
	uint32_t map[];			/* host byte order */
};

static const uint8_t zeros[ZERO_CHUNK];

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int fail(char *err, size_t cap, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Put "vdi: " and the message into err; returns r. */
static int
fail(char *err, size_t cap, int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || cap == 0)
		return r;
	n = snprintf(err, cap, "vdi: ");
	if (n > 0 && (size_t)n < cap) {
		va_start(ap, fmt);
		vsnprintf(err + n, cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool
pow2(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

static unsigned
log2u(uint32_t x)
{
	unsigned s = 0;

	while (x > 1u) {
		x >>= 1;
		s++;
	}
	return s;
}

/*
 * Check the header fields in h (H_END_1 bytes) and fill in the geometry
 * of v. Nothing is read or allocated here.
 */
static int
check_header(struct vdi *v, const uint8_t *h, char *err, size_t cap)
{
	uint32_t sig = get32(h + H_SIGNATURE), ver = get32(h + H_VERSION);
	uint32_t hsize = get32(h + H_SIZE), type = get32(h + H_TYPE);
	uint32_t bs = get32(h + H_BLOCK_SIZE), extra = get32(h +
	    H_BLOCK_EXTRA);
	uint64_t room, header_end, map_end;
	static const uint8_t nil[16];

	if (sig != SIGNATURE)
		return fail(err, cap, -EINVAL, "header: signature 0x%08x is "
		    "not 0x%08x", sig, SIGNATURE);
	if (ver != VERSION_1_1)
		return fail(err, cap, -ENOTSUP, "header: version 0x%08x is "
		    "not 1.1 (0x%08x)", ver, VERSION_1_1);
	if (hsize < HEADER_MIN)
		return fail(err, cap, -EINVAL, "header: header size %u is "
		    "below %u", hsize, HEADER_MIN);
	if (type == TYPE_UNDO || type == TYPE_DIFF)
		return fail(err, cap, -ENOTSUP, "header: image type %u (%s) "
		    "is not supported", type, type == TYPE_UNDO ? "undo" :
		    "differencing");
	if (type != TYPE_DYNAMIC && type != TYPE_FIXED)
		return fail(err, cap, -EINVAL, "header: image type %u is not "
		    "dynamic (1) or fixed (2)", type);
	if (memcmp(h + H_UUID_PARENT, nil, sizeof(nil)) != 0)
		return fail(err, cap, -ENOTSUP, "header: parent UUID is set: "
		    "differencing images are not supported");
	if (!pow2(bs))
		return fail(err, cap, -EINVAL, "header: block size %u is not "
		    "a power of two", bs);
	if (bs < VDI_MIN_BLOCK_SIZE || bs > VDI_MAX_BLOCK_SIZE)
		return fail(err, cap, -EINVAL, "header: block size %u is out "
		    "of range (%u to %u)", bs, VDI_MIN_BLOCK_SIZE,
		    VDI_MAX_BLOCK_SIZE);
	if (extra != 0)
		return fail(err, cap, -ENOTSUP, "header: block extra %u is "
		    "not supported (only 0)", extra);

	v->fixed = type == TYPE_FIXED;
	v->block_size = bs;
	v->shift = log2u(bs);
	v->disk_size = get64(h + H_DISK_SIZE);
	v->blocks = get32(h + H_BLOCKS);
	v->allocated = get32(h + H_ALLOCATED);
	v->off_map = get32(h + H_OFF_MAP);
	v->off_data = get32(h + H_OFF_DATA);
	if (v->blocks > VDI_MAX_BLOCKS)
		return fail(err, cap, -EINVAL, "header: blocks %u exceed the "
		    "limit of %u", v->blocks, VDI_MAX_BLOCKS);
	if (v->allocated > v->blocks)
		return fail(err, cap, -EINVAL, "header: blocks allocated %u "
		    "exceed blocks %u", v->allocated, v->blocks);
	room = (uint64_t)v->blocks << v->shift;
	if (v->disk_size > room)
		return fail(err, cap, -EINVAL, "header: disk size %llu "
		    "exceeds blocks %u * block size %u = %llu",
		    (unsigned long long)v->disk_size, v->blocks, bs,
		    (unsigned long long)room);
	header_end = (uint64_t)H_SIZE + hsize;
	if (v->off_map < header_end)
		return fail(err, cap, -EINVAL, "header: block map offset %u "
		    "overlaps the header (0 to %llu)", v->off_map,
		    (unsigned long long)header_end);
	map_end = v->off_map + (uint64_t)v->blocks * 4;
	if (v->off_data < map_end)
		return fail(err, cap, -EINVAL, "header: data offset %u "
		    "overlaps the block map (%u to %llu)", v->off_data,
		    v->off_map, (unsigned long long)map_end);
	return 0;
}

static uint64_t
data_pos(const struct vdi *v, uint32_t index)
{
	return v->off_data + ((uint64_t)index << v->shift);
}

/*
 * Take the map from its little-endian form in place and check every entry:
 * a data block below the allocated count, named once; a fixed image has
 * no others. Records the data blocks named in v->used.
 */
static int
check_map(struct vdi *v, char *err, size_t cap)
{
	uint32_t named = 0, e;

	for (uint32_t i = 0; i < v->blocks; i++) {
		e = get32((const uint8_t *)&v->map[i]);
		v->map[i] = e;
		if (e == VDI_BLOCK_FREE || e == VDI_BLOCK_ZERO) {
			if (v->fixed)
				return fail(err, cap, -EINVAL, "block map: "
				    "entry %u of a fixed image is 0x%08x, not "
				    "a data block", i, e);
			continue;
		}
		if (e >= v->allocated)
			return fail(err, cap, -EINVAL, "block map: entry %u "
			    "is %u, not below blocks allocated %u", i, e,
			    v->allocated);
		if (v->used[e / 8] & 1u << e % 8) {
			uint32_t j = 0;

			while (v->map[j] != e)
				j++;
			return fail(err, cap, -EINVAL, "block map: entries "
			    "%u and %u both name data block %u", j, i, e);
		}
		v->used[e / 8] |= (uint8_t)(1u << e % 8);
		named++;
	}
	v->unused = v->allocated - named;
	return 0;
}

int
vdi_open(struct vdi **vp, const struct vdi_io *io, bool writeable,
    char *err, size_t errcap)
{
	uint8_t h[H_END_1], probe;
	struct vdi hv, *v;
	uint64_t end;
	int r;

	*vp = NULL;
	if (io == NULL || io->read == NULL || (writeable && io->write == NULL))
		return fail(err, errcap, -EINVAL, "no %s callback",
		    io == NULL || io->read == NULL ? "read" : "write");
	if ((r = io->read(io->ctx, 0, h, sizeof(h))) != 0)
		return fail(err, errcap, r, "header: cannot read the first %zu "
		    "bytes (%s)", sizeof(h), strerror(-r));
	memset(&hv, 0, sizeof(hv));
	if ((r = check_header(&hv, h, err, errcap)) != 0)
		return r;

	/* A truncated file fails here, before the map is allocated. */
	end = hv.off_map + (uint64_t)hv.blocks * 4;
	if (hv.blocks > 0 && (r = io->read(io->ctx, end - 1, &probe, 1)) != 0)
		return fail(err, errcap, r, "block map: cannot read %u entries "
		    "at offset %u (%s)", hv.blocks, hv.off_map, strerror(-r));
	end = data_pos(&hv, hv.allocated);
	if (hv.allocated > 0 && (r = io->read(io->ctx, end - 1, &probe,
	    1)) != 0)
		return fail(err, errcap, r, "data: cannot read data block %u "
		    "ending at offset %llu (%s)", hv.allocated - 1,
		    (unsigned long long)end, strerror(-r));

	v = malloc(sizeof(*v) + (size_t)hv.blocks * sizeof(v->map[0]));
	if (v == NULL)
		return fail(err, errcap, -ENOMEM, "no memory for a block map "
		    "of %u entries", hv.blocks);
	*v = hv;
	v->io = *io;
	v->writeable = writeable;
	v->used = calloc((size_t)v->allocated / 8 + 1, 1);
	if (v->used == NULL) {
		r = fail(err, errcap, -ENOMEM, "no memory for a bitmap of %u "
		    "data blocks", v->allocated);
		goto fail;
	}
	if (v->blocks > 0 && (r = io->read(io->ctx, v->off_map, v->map,
	    (size_t)v->blocks * 4)) != 0) {
		fail(err, errcap, r, "block map: cannot read %u entries at "
		    "offset %u (%s)", v->blocks, v->off_map, strerror(-r));
		goto fail;
	}
	if ((r = check_map(v, err, errcap)) != 0)
		goto fail;
	if (v->unused == 0) {
		free(v->used);
		v->used = NULL;
	}
	*vp = v;
	return 0;
fail:
	free(v->used);
	free(v);
	return r;
}

uint64_t
vdi_disk_size(const struct vdi *v)
{
	return v->disk_size;
}

uint32_t
vdi_block_size(const struct vdi *v)
{
	return v->block_size;
}

bool
vdi_fixed(const struct vdi *v)
{
	return v->fixed;
}

static bool
in_disk(const struct vdi *v, uint64_t off, size_t len)
{
	return off <= v->disk_size && (uint64_t)len <= v->disk_size - off;
}

/*
 * The longest run from disk offset off (at most len > 0 bytes, inside the
 * disk) that reads alike: blocks that all read as zeros (*pos = NO_DATA),
 * or data blocks lying one after the other in the file (*pos = the file
 * offset of off). Returns its length in *n, or -EIO if the first entry
 * names no data block of the image.
 */
static int
extent(const struct vdi *v, uint64_t off, size_t len, uint64_t *pos,
    size_t *n)
{
	uint32_t blk = (uint32_t)(off >> v->shift), e = v->map[blk], next;
	uint64_t inner = off & (v->block_size - 1);
	size_t run;
	bool zero = e >= VDI_BLOCK_ZERO;

	if (!zero && e >= v->allocated)
		return -EIO;
	*pos = zero ? NO_DATA : data_pos(v, e) + inner;
	run = len < v->block_size - inner ? len : (size_t)(v->block_size -
	    inner);
	/* off + len lies inside the disk, hence blk + 1 inside the map. */
	while (run < len) {
		next = v->map[++blk];
		if (zero ? next < VDI_BLOCK_ZERO : (next != e + 1 ||
		    next >= v->allocated))
			break;
		e = next;
		run += len - run < v->block_size ? len - run : v->block_size;
	}
	*n = run;
	return 0;
}

int
vdi_read(struct vdi *v, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t pos;
	size_t n;
	int r;

	if (!in_disk(v, off, len))
		return -EINVAL;
	while (len > 0) {
		if ((r = extent(v, off, len, &pos, &n)) != 0)
			return r;
		if (pos == NO_DATA)
			memset(p, 0, n);
		else if ((r = v->io.read(v->io.ctx, pos, p, n)) != 0)
			return r;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Write len zero bytes at file offset pos. */
static int
fill(struct vdi *v, uint64_t pos, uint64_t len)
{
	size_t n;
	int r;

	for (; len > 0; pos += n, len -= n) {
		n = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
		if ((r = v->io.write(v->io.ctx, pos, zeros, n)) != 0)
			return r;
	}
	return 0;
}

static void
map_dirty(struct vdi *v, uint32_t blk)
{
	if (v->dirty_lo >= v->dirty_hi) {
		v->dirty_lo = blk;
		v->dirty_hi = blk + 1;
	} else if (blk < v->dirty_lo) {
		v->dirty_lo = blk;
	} else if (blk >= v->dirty_hi) {
		v->dirty_hi = blk + 1;
	}
}

/* The data block a new allocation takes: an unused one, else a new one. */
static uint32_t
free_index(struct vdi *v)
{
	uint32_t i = 0;

	if (v->unused == 0)
		return v->allocated;
	while (v->used[i / 8] & 1u << i % 8)
		i++;
	return i;
}

/*
 * Give map entry blk a data block holding n bytes from p at inner and
 * zeros around them. The block is written whole before the metadata
 * names it (see vdi.h for the order).
 */
static int
allocate(struct vdi *v, uint32_t blk, uint64_t inner, const uint8_t *p,
    size_t n)
{
	uint32_t index = free_index(v);
	uint64_t pos;
	int r;

	if (v->fixed || index >= v->blocks)
		return -EIO;
	pos = data_pos(v, index);
	if ((r = fill(v, pos, inner)) != 0 ||
	    (r = v->io.write(v->io.ctx, pos + inner, p, n)) != 0 ||
	    (r = fill(v, pos + inner + n, v->block_size - inner - n)) != 0)
		return r;
	if (index == v->allocated) {
		v->allocated++;
		v->header_dirty = true;
	} else {
		v->used[index / 8] |= (uint8_t)(1u << index % 8);
		if (--v->unused == 0) {
			free(v->used);
			v->used = NULL;
		}
	}
	v->map[blk] = index;
	map_dirty(v, blk);
	return vdi_flush(v);
}

int
vdi_write(struct vdi *v, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t pos, inner;
	size_t n;
	int r;

	if (!in_disk(v, off, len))
		return -EINVAL;
	if (!v->writeable)
		return -EROFS;
	while (len > 0) {
		if ((r = extent(v, off, len, &pos, &n)) != 0)
			return r;
		if (pos != NO_DATA) {
			r = v->io.write(v->io.ctx, pos, p, n);
		} else {
			inner = off & (v->block_size - 1);
			if (n > v->block_size - inner)
				n = (size_t)(v->block_size - inner);
			r = allocate(v, (uint32_t)(off >> v->shift), inner, p,
			    n);
		}
		if (r != 0)
			return r;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* The count first: a map entry on the file never names an uncounted block. */
int
vdi_flush(struct vdi *v)
{
	uint8_t buf[4096];
	uint32_t i, k;
	int r;

	if (v->header_dirty) {
		put32(buf, v->allocated);
		if ((r = v->io.write(v->io.ctx, H_ALLOCATED, buf, 4)) != 0)
			return r;
		v->header_dirty = false;
	}
	for (i = v->dirty_lo; i < v->dirty_hi; i += k) {
		for (k = 0; k < sizeof(buf) / 4 && i + k < v->dirty_hi; k++)
			put32(buf + 4 * k, v->map[i + k]);
		if ((r = v->io.write(v->io.ctx, v->off_map + (uint64_t)i * 4,
		    buf, (size_t)k * 4)) != 0) {
			v->dirty_lo = i;
			return r;
		}
	}
	v->dirty_lo = v->dirty_hi = 0;
	return 0;
}

void
vdi_close(struct vdi *v)
{
	if (v == NULL)
		return;
	if (v->writeable)
		(void)!vdi_flush(v);
	free(v->used);
	free(v);
}

int
vdi_create(const struct vdi_io *io, uint64_t disk_size, uint32_t block_size,
    bool fixed, const uint8_t *uuid, char *err, size_t errcap)
{
	uint8_t h[512], buf[4096];
	uint64_t blocks, off_data, align, end;
	uint32_t i, k;
	int r;

	if (io == NULL || io->write == NULL)
		return fail(err, errcap, -EINVAL, "no write callback");
	if (!pow2(block_size) || block_size < VDI_MIN_BLOCK_SIZE ||
	    block_size > VDI_MAX_BLOCK_SIZE)
		return fail(err, errcap, -EINVAL, "create: block size %u is "
		    "not a power of two from %u to %u", block_size,
		    VDI_MIN_BLOCK_SIZE, VDI_MAX_BLOCK_SIZE);
	blocks = disk_size / block_size + (disk_size % block_size != 0);
	if (blocks > VDI_MAX_BLOCKS)
		return fail(err, errcap, -EINVAL, "create: disk size %llu "
		    "needs %llu blocks, more than %u",
		    (unsigned long long)disk_size, (unsigned long long)blocks,
		    VDI_MAX_BLOCKS);
	align = block_size < CREATE_ALIGN ? block_size : CREATE_ALIGN;
	off_data = (CREATE_MAP + blocks * 4 + align - 1) / align * align;

	memset(h, 0, sizeof(h));
	memcpy(h + H_TEXT, CREATE_TEXT, sizeof(CREATE_TEXT) - 1);
	put32(h + H_SIGNATURE, SIGNATURE);
	put32(h + H_VERSION, VERSION_1_1);
	put32(h + H_SIZE, H_END_1PLUS - H_SIZE);
	put32(h + H_TYPE, fixed ? TYPE_FIXED : TYPE_DYNAMIC);
	put32(h + H_OFF_MAP, CREATE_MAP);
	put32(h + H_OFF_DATA, (uint32_t)off_data);
	put32(h + H_SECTOR_SIZE, 512);
	put64(h + H_DISK_SIZE, disk_size);
	put32(h + H_BLOCK_SIZE, block_size);
	put32(h + H_BLOCKS, (uint32_t)blocks);
	put32(h + H_ALLOCATED, fixed ? (uint32_t)blocks : 0);
	if (uuid != NULL)
		memcpy(h + H_UUID_CREATE, uuid, 16);
	if ((r = io->write(io->ctx, 0, h, sizeof(h))) != 0)
		return r;
	for (i = 0; i < blocks; i += k) {
		for (k = 0; k < sizeof(buf) / 4 && i + k < blocks; k++)
			put32(buf + 4 * k, fixed ? i + k : VDI_BLOCK_FREE);
		if ((r = io->write(io->ctx, CREATE_MAP + (uint64_t)i * 4, buf,
		    (size_t)k * 4)) != 0)
			return r;
	}
	/* The file reaches the data area, or its end when fixed. */
	end = fixed ? off_data + (blocks << log2u(block_size)) : off_data;
	if (end > CREATE_MAP + blocks * 4)
		return io->write(io->ctx, end - 1, zeros, 1);
	return 0;
}
