/*
 * vmm: the virtio 1.x PCI transport of one device (modern only): its PCI
 * configuration space with the vendor capabilities, and one 32-bit memory
 * BAR holding the common configuration, ISR, device configuration and
 * notification areas.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic without cairn or KVM (test/vmm links virtio_pci.c alone).
 * The device behind it fills in struct vpci_ops; the caller serializes
 * every call (in the vmm: vm->lock).
 *
 * BAR 0 (VPCI_BAR_SIZE bytes):
 *   0x0000  common configuration (struct virtio_pci_common_cfg, 0x38)
 *   0x1000  ISR status (1 byte; a read returns and clears it)
 *   0x2000  device configuration (the device's, up to 0x100)
 *   0x3000  notification: one 16-bit register for every queue
 *           (notify_off_multiplier 0)
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + virtio device id */
#define VPCI_BAR_SIZE		0x4000u
#define VPCI_COMMON_OFF		0x0000u
#define VPCI_COMMON_LEN		0x38u
#define VPCI_ISR_OFF		0x1000u
#define VPCI_DEVCFG_OFF		0x2000u
#define VPCI_DEVCFG_MAX		0x100u
#define VPCI_NOTIFY_OFF		0x3000u
#define VPCI_NOTIFY_LEN		2u
#define VPCI_MAX_QUEUES		4u

/* Capability types (virtio 1.x, 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* Device status bits (2.1). */
#define VIRTIO_S_ACKNOWLEDGE	1u
#define VIRTIO_S_DRIVER		2u
#define VIRTIO_S_DRIVER_OK	4u
#define VIRTIO_S_FEATURES_OK	8u
#define VIRTIO_S_NEEDS_RESET	64u
#define VIRTIO_S_FAILED		128u

#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_VERSION_1	32

#define VPCI_ISR_QUEUE		1u
#define VPCI_ISR_CONFIG		2u

/* PCI command register bits we implement. */
#define PCI_CMD_MEM		0x0002u
#define PCI_CMD_MASTER		0x0004u
#define PCI_CMD_INTX_DISABLE	0x0400u

struct vpci_ops {
	/* The driver wrote status 0: forget all requests and queue state. */
	void (*reset)(void *ctx);
	/* The driver set DRIVER_OK. */
	void (*driver_ok)(void *ctx);
	/* The driver enabled queue q: 0, or -EINVAL (the transport then
	 * sets NEEDS_RESET). */
	int (*queue_enable)(void *ctx, unsigned q);
	/* A notification for queue q that came through the BAR. */
	void (*notify)(void *ctx, unsigned q);
	/* Device configuration access at off (within devcfg_len). */
	void (*cfg_read)(void *ctx, unsigned off, unsigned size, uint8_t *d);
	/* Raise the interrupt line (ISR is non-zero). */
	void (*interrupt)(void *ctx);
	/* BAR 0 or memory decoding changed: see vpci_bar(). */
	void (*bar_changed)(void *ctx);
};

struct vpci_queue {
	uint16_t size;			/* as the driver set it */
	bool enabled;
	uint64_t desc, driver, device;
};

struct vpci {
	uint8_t cfg[256];		/* PCI configuration space */
	uint8_t wmask[256];		/* which bits the driver may write */
	uint32_t bar0;			/* address bits of BAR 0 */
	uint64_t dev_features, drv_features;
	uint32_t dev_select, drv_select;
	uint8_t status;
	uint16_t queue_select;
	unsigned nqueues;
	uint16_t queue_max;
	struct vpci_queue q[VPCI_MAX_QUEUES];
	uint8_t isr;
	unsigned devcfg_len;
	const struct vpci_ops *ops;
	void *ctx;
};

/*
 * Set up v for virtio device `device_id` (2: block) with PCI class code
 * `class` (class, subclass, prog-if), the given features, nqueues queues
 * of at most queue_max entries, devcfg_len bytes of device configuration,
 * interrupt line irq (INTA) and BAR 0 at bar_addr (firmware's choice; the
 * driver may move it). Memory decoding starts off.
 */
void vpci_init(struct vpci *v, unsigned device_id, uint32_t class,
    uint64_t features, unsigned nqueues, uint16_t queue_max,
    unsigned devcfg_len, uint8_t irq, uint32_t bar_addr,
    const struct vpci_ops *ops, void *ctx);

/*
 * PCI configuration space access at off (size 1, 2 or 4, not crossing a
 * dword). Returns false for an access we refuse (reads then yield ones).
 */
bool vpci_cfg_access(struct vpci *v, unsigned off, unsigned size, bool write,
    uint8_t *d);

/*
 * BAR 0 access at off (size 1, 2, 4 or 8). Returns false for an access
 * that hits no register or has the wrong width (reads yield zeros).
 */
bool vpci_bar_access(struct vpci *v, unsigned off, unsigned size, bool write,
    uint8_t *d);

/* Where BAR 0 is decoded: true and *base when memory decoding is on. */
bool vpci_bar(const struct vpci *v, uint64_t *base);

/* Set ISR bits and raise the interrupt (unless INTx is disabled). */
void vpci_interrupt(struct vpci *v, uint8_t isr_bits);

/* Whether the interrupt should stay raised (ISR non-zero, INTx on). */
bool vpci_irq_pending(const struct vpci *v);

/* The device found the driver broke the rules: NEEDS_RESET, config
 * change interrupt once DRIVER_OK was set. */
void vpci_needs_reset(struct vpci *v);

/* Accepted features (valid once FEATURES_OK is set). */
static inline bool
vpci_has(const struct vpci *v, unsigned bit)
{
	return (v->drv_features >> bit) & 1;
}

#endif
