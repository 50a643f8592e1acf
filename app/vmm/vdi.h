/*
 * VDI (VirtualBox Disk Image, format 1.1) over I/O callbacks: open,
 * check, read, write and create dynamic and fixed images.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic without cairn dependencies, so a unit test or a fuzz target
 * links vdi.c alone. An image is a header, a block map (one little-endian
 * uint32 per block of the disk) and the data blocks. A map entry is the
 * index of a data block in the data area, VDI_BLOCK_FREE (never written)
 * or VDI_BLOCK_ZERO (discarded); both of the latter read as zeros.
 *
 * Metadata is written through: a write that allocates a block writes the
 * whole new data block first (zero-filled apart from the written bytes;
 * appended at the data offset + blocks allocated * block size), then the
 * header's allocated-blocks count, then the map entry, so an image
 * interrupted between two callbacks at worst holds a data block no entry
 * names, which the next allocation takes again. Only a failed metadata
 * write leaves something for vdi_flush() to write. Fixed images never
 * allocate.
 *
 * A struct vdi is not thread-safe: the caller serializes all calls on it.
 */
#ifndef VDI_H
#define VDI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VDI_BLOCK_FREE		0xffffffffu	/* never allocated: zeros */
#define VDI_BLOCK_ZERO		0xfffffffeu	/* discarded: zeros */
#define VDI_MAX_BLOCKS		(64u << 20)	/* map entries: 256 MiB map */
#define VDI_MIN_BLOCK_SIZE	512u
#define VDI_MAX_BLOCK_SIZE	(256u << 20)

#define VDI_MUST_CHECK		__attribute__((warn_unused_result))

struct vdi;

/*
 * The image file. read() fills all len bytes or fails: it returns 0 or a
 * negative errno, and -EIO where the file ends before off + len. write()
 * writes all len bytes, extending the file where needed, and returns 0 or
 * a negative errno. The library calls them one at a time.
 */
struct vdi_io {
	void *ctx;
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
};

/*
 * Open the image behind io (copied; io->ctx must outlive the image) and
 * check its header and whole block map before anything else uses it.
 * writeable: whether vdi_write() may be used (write is then required).
 * On failure err (errcap bytes, may be NULL) holds one line naming the
 * part, the field and its value, e.g. "vdi: header: block size 3 is not a
 * power of two".
 *
 * Returns 0 and *v, or -EINVAL (a corrupt image), -ENOTSUP (a valid VDI
 * variant this library does not handle: another version, a differencing
 * or undo image, extra block data), -ENOMEM, or the error of a read.
 */
int vdi_open(struct vdi **v, const struct vdi_io *io, bool writeable,
    char *err, size_t errcap) VDI_MUST_CHECK;

/* The size of the virtual disk in bytes, exactly as the header says. */
uint64_t vdi_disk_size(const struct vdi *v);

/* The block size in bytes (a power of two). */
uint32_t vdi_block_size(const struct vdi *v);

/* Whether the image is fixed (preallocated) rather than dynamic. */
bool vdi_fixed(const struct vdi *v);

/*
 * Read len bytes of the virtual disk at byte offset off into buf;
 * unallocated blocks read as zeros. Returns 0, -EINVAL when the range
 * is not inside the disk, -EIO for a map entry that points outside the
 * data area, or the error of the read callback.
 */
int vdi_read(struct vdi *v, uint64_t off, void *buf, size_t len)
    VDI_MUST_CHECK;

/*
 * Write len bytes from buf to the virtual disk at byte offset off,
 * allocating blocks of a dynamic image as needed (see the top of this
 * file for the order of the writes). Returns 0, -EINVAL for a range not
 * inside the disk, -EROFS when opened read-only, -EIO for a corrupt map
 * entry, or the error of a callback. After an error the bytes of the
 * range hold old or new data, and the image file stays consistent.
 */
int vdi_write(struct vdi *v, uint64_t off, const void *buf, size_t len)
    VDI_MUST_CHECK;

/*
 * Write whatever metadata (header count, map entries) a failed callback
 * left unwritten, so that the image file is consistent and complete as
 * far as the callbacks go; making the file itself durable (fsync) is the
 * caller's. Returns 0 or the error of the write callback.
 */
int vdi_flush(struct vdi *v) VDI_MUST_CHECK;

/* Flush (its error is lost: call vdi_flush() first) and free v. NULL: no-op. */
void vdi_close(struct vdi *v);

/*
 * Write a new, empty image of disk_size bytes (at most VDI_MAX_BLOCKS
 * blocks) through io, whose file should be empty: dynamic (no block
 * allocated) or fixed (every block allocated in order; the data area is
 * extended by writing its last byte, so it reads as zeros on a sparse
 * file). block_size is a power of two from VDI_MIN_BLOCK_SIZE to
 * VDI_MAX_BLOCK_SIZE (1 MiB is VirtualBox's and QEMU's). uuid (16 bytes
 * as stored in the header, may be NULL for zeros) identifies the image
 * to VirtualBox. Returns 0, -EINVAL with err set for bad arguments, or the
 * error of the write callback.
 */
int vdi_create(const struct vdi_io *io, uint64_t disk_size,
    uint32_t block_size, bool fixed, const uint8_t *uuid, char *err,
    size_t errcap) VDI_MUST_CHECK;

#endif
