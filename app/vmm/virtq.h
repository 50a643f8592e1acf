/*
 * vmm: split virtqueues (virtio 1.x, 2.7) as the device sees them, and the
 * guest memory map every address of a ring is checked against.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic without cairn or KVM, so that test/vmm links virtq.c alone.
 * The guest writes the rings while we read them: every field is read once
 * into a local copy, and only the copy is checked and used.
 */
#ifndef VIRTQ_H
#define VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VQ_MAX_SIZE	256u	/* the largest queue the device offers */
#define VQ_MAX_CHAIN	256u	/* buffers per chain, indirect included */

#define VQ_DESC_F_NEXT		1u
#define VQ_DESC_F_WRITE		2u
#define VQ_DESC_F_INDIRECT	4u
#define VQ_AVAIL_F_NO_INTERRUPT	1u

/* Guest RAM: up to two ranges of guest-physical addresses. */
struct gmem {
	struct {
		uint64_t gpa, size;
		uint8_t *hva;
	} r[2];
	unsigned n;
};

/*
 * The host address of guest-physical [gpa, gpa+len), or NULL unless the
 * whole range lies in one range of guest RAM (overflow-safe; len 0 is a
 * range too and needs gpa inside RAM or at its end).
 */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* One buffer of a chain: host address, length, device-writable. */
struct vq_seg {
	uint8_t *hva;
	uint32_t len;
	bool write;
};

struct virtq {
	/* As the driver set them (common configuration). */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Set by vq_enable(). */
	bool ready;
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC negotiated */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;	/* next entry of the avail ring to take */
	uint16_t used_idx;	/* next entry of the used ring to fill */
};

/*
 * Check the ring layout the driver wrote into q (size a power of two up
 * to VQ_MAX_SIZE, each part aligned and inside guest RAM) and start using
 * it. Returns 0, or -EINVAL with why (cap bytes) saying what was wrong.
 */
int vq_enable(struct virtq *q, const struct gmem *m, bool indirect,
    char *why, size_t cap);

/* Forget the rings (device reset). */
void vq_reset(struct virtq *q);

/*
 * Take the next chain from the avail ring: *head and up to max buffers in
 * segs (the device-readable ones first, as the spec demands), *nsegs of
 * them. Returns 1, 0 when the ring is empty, or -EINVAL with why filled
 * when the driver broke the rules: an avail index more than the queue
 * size ahead, a head or next index beyond the table, a chain longer than
 * the table (a loop) or than max, a buffer outside guest RAM, a bad
 * indirect table, a readable buffer after a writable one. The device then
 * needs a reset; nothing of the chain was used.
 */
int vq_pop(struct virtq *q, const struct gmem *m, uint16_t *head,
    struct vq_seg *segs, unsigned max, unsigned *nsegs, char *why,
    size_t cap);

/* Put chain `head` with `len` bytes written into the used ring. */
void vq_push(struct virtq *q, uint16_t head, uint32_t len);

/* Whether the driver asked for no interrupts (VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool vq_no_interrupt(const struct virtq *q);

/*
 * Scatter-gather helpers over a list of buffers seen as one byte stream.
 * sg_copy copies len bytes from (to_sg false) or to (to_sg true) the
 * stream, starting at byte skip, into/from buf; it returns the bytes
 * copied (less when the stream is shorter). sg_slice describes bytes
 * [skip, skip+len) of the stream as buffers in out (at most max) and
 * returns how many, or -1 when they do not fit or the stream is shorter.
 */
size_t sg_copy(const struct vq_seg *s, unsigned n, uint64_t skip, void *buf,
    size_t len, bool to_sg);
int sg_slice(const struct vq_seg *s, unsigned n, uint64_t skip, uint64_t len,
    struct vq_seg *out, unsigned max);

#endif
