/*
 * vmm: QEMU's firmware configuration device (fw_cfg), the interface
 * through which SeaBIOS learns the machine and our option ROM fetches the
 * kernel (QEMU's docs/specs/fw_cfg.rst).
 * SPDX-License-Identifier: MIT
 *
 * Ports: selector 0x510 (16-bit, little-endian), data 0x511 (8-bit), DMA
 * address 0x514 (high) and 0x518 (low; a write starts the transfer), both
 * big-endian 32-bit. Independent of the VM: guest memory is reached
 * through a callback, so that a unit test can drive the device alone.
 */
#ifndef FW_CFG_H
#define FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#define FW_CFG_PORT		0x510	/* selector */
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_PORT_DMA		0x514	/* 0x514..0x51b */
#define FW_CFG_PORTS		12

/* Selector keys (the legacy items). */
#define FW_CFG_SIGNATURE	0x00	/* "QEMU" */
#define FW_CFG_ID		0x01	/* feature bits */
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_KERNEL_ADDR	0x07
#define FW_CFG_KERNEL_SIZE	0x08
#define FW_CFG_INITRD_ADDR	0x0a
#define FW_CFG_INITRD_SIZE	0x0b
#define FW_CFG_BOOT_MENU	0x0e
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_KERNEL_DATA	0x11
#define FW_CFG_INITRD_DATA	0x12
#define FW_CFG_CMDLINE_ADDR	0x13
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15
#define FW_CFG_SETUP_ADDR	0x16
#define FW_CFG_SETUP_SIZE	0x17
#define FW_CFG_SETUP_DATA	0x18
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20

#define FW_CFG_VERSION		0x01	/* ID: the port interface */
#define FW_CFG_VERSION_DMA	0x02	/* ID: the DMA interface */

/* DMA control bits. */
#define FW_CFG_DMA_ERROR	0x01
#define FW_CFG_DMA_READ		0x02
#define FW_CFG_DMA_SKIP		0x04
#define FW_CFG_DMA_SELECT	0x08
#define FW_CFG_DMA_WRITE	0x10

#define FW_CFG_MAX_ITEMS	48
#define FW_CFG_MAX_FILES	16
#define FW_CFG_NAME_MAX		56	/* file names, with their NUL */

/*
 * Guest memory for DMA: the host address of guest-physical [gpa, gpa+len)
 * or NULL if that is not all guest RAM.
 */
typedef void *(*fw_cfg_mem_fn)(void *ctx, uint64_t gpa, uint64_t len);

struct fw_cfg_item {
	uint16_t key;
	uint32_t size;
	const uint8_t *data;	/* the caller's, or small */
	uint8_t small[8];	/* integers added by value */
};

struct fw_cfg {
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	unsigned nitems;
	unsigned nfiles;
	uint8_t dir[4 + FW_CFG_MAX_FILES * 64];	/* FW_CFG_FILE_DIR */
	const struct fw_cfg_item *cur;	/* selected item or NULL */
	uint32_t off;			/* read offset in it */
	uint32_t dma_high;		/* DMA address, high half */
	fw_cfg_mem_fn mem;
	void *mem_ctx;
};

/* Set up `f` with the signature, the ID (port and DMA) and an empty
 * file directory. */
void fw_cfg_init(struct fw_cfg *f, fw_cfg_mem_fn mem, void *mem_ctx);

/*
 * Add an item under `key` whose `size` bytes at `data` stay the caller's
 * and must live as long as `f`. Returns 0, -EEXIST or -ENOSPC.
 */
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data,
    uint32_t size) __attribute__((warn_unused_result));

/* Add a little-endian integer of `width` bytes (2, 4 or 8), by value. */
int fw_cfg_add_int(struct fw_cfg *f, uint16_t key, uint64_t value,
    unsigned width) __attribute__((warn_unused_result));

/* Add a named file (data as for fw_cfg_add) and list it in the directory;
 * it gets the next key from FW_CFG_FILE_FIRST on. Returns 0, -EEXIST,
 * -ENAMETOOLONG or -ENOSPC. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data,
    uint32_t size) __attribute__((warn_unused_result));

/* A port access of `size` bytes at `port` (FW_CFG_PORT .. +11). */
void fw_cfg_io(struct fw_cfg *f, uint16_t port, unsigned size, bool write,
    uint8_t *data);

#endif
