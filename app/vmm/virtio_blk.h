/*
 * vmm: virtio-blk disks, shared by virtio_blk.c (the device: queue, request
 * decoding, interrupts) and its backends, disk_block.c (a Block session)
 * and disk_vdi.c (a VDI image through a File_system session).
 * SPDX-License-Identifier: MIT
 *
 * All of a disk's state is guarded by vm->lock. vCPU threads reach the
 * device through PCI configuration and BAR accesses; the requests
 * themselves are taken from the ring, carried out and completed on the
 * entrypoint only (it is woken by KVM's ioeventfd on the notify register,
 * and interrupts go to KVM's irqfd).
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include "vmm.h"
#include "virtio_pci.h"
#include "virtq.h"

#define VIRTIO_BLK_ID		2
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2
#define VIRTIO_BLK_ID_BYTES	20

struct vdisk;

/*
 * A request taken from the ring: its data as buffers of guest RAM
 * (checked when it was taken), the status byte, and the backend's
 * bookkeeping. It belongs to the device generation `gen`: a reset makes
 * it stale, and its completion then touches no guest memory.
 */
struct vreq {
	struct vreq *next;		/* backend's waiting list */
	struct vdisk *d;
	uint32_t gen;
	uint16_t head;
	uint32_t type;
	uint64_t off, len;		/* bytes on the disk */
	uint8_t *status;
	/* Backend state. */
	uint64_t submitted;		/* bytes handed to the backend */
	unsigned pending;		/* backend jobs in flight */
	bool failed;
	unsigned nsegs;
	struct vq_seg segs[];
};

struct disk_backend {
	const char *name;
	/* Open the backend: fills d->size, d->block_size, d->ro. */
	int (*open)(struct vdisk *d);
	/* Carry out r (READ, WRITE or FLUSH); vblk_complete() follows,
	 * possibly before start returns. */
	void (*start)(struct vdisk *d, struct vreq *r);
	/* The device was reset: drop what was not handed on yet. */
	void (*reset)(struct vdisk *d);
	/* Heap beside guest RAM (bytes) the backend needs. */
	uint64_t (*reserve)(const struct vdisk *d);
};

extern const struct disk_backend disk_block_backend;
extern const struct disk_backend disk_vdi_backend;

struct vdisk {
	struct vm *vm;
	unsigned index;
	const struct disk_config *cfg;
	const struct disk_backend *be;
	void *be_state;
	uint64_t size;			/* bytes, a multiple of 512 */
	uint32_t block_size;		/* the backend's, >= 512 */
	bool ro;

	struct vpci pci;
	struct virtq q;
	struct gmem mem;
	uint32_t gen;			/* bumped by every reset */
	bool driver_ok;
	bool broken;			/* NEEDS_RESET set */
	unsigned active;		/* handed to the backend, not done */
	struct vreq *flush_wait;	/* a FLUSH waiting for `active` 0 */
	bool barrier;			/* that FLUSH is active */
	bool irq_due;
	bool in_batch;			/* inside a completion batch */
	uint32_t logged;		/* misdeed kinds logged (bits) */
	struct vq_seg chain[VQ_MAX_CHAIN];

	int kick_fd, irq_fd, resample_fd;
	struct cairn_watch *kick_watch, *resample_watch;
	bool ioeventfd;			/* registered at ioeventfd_gpa */
	uint64_t ioeventfd_gpa;
};

/* Complete r with a virtio-blk status (vm->lock held; frees r). */
void vblk_complete(struct vdisk *d, struct vreq *r, uint8_t status);

/* After completions outside a batch: take more requests, interrupt. */
void vblk_run(struct vdisk *d);

/* Log a misdeed of the guest or a failure once per disk and kind. */
void vblk_warn(struct vdisk *d, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum {
	WARN_CHAIN, WARN_RANGE, WARN_ALIGN, WARN_LENGTH, WARN_TYPE,
	WARN_RO, WARN_HEADER, WARN_IO, WARN_ACCESS, WARN_RING,
	WARN_IOEVENTFD,
};

#endif
