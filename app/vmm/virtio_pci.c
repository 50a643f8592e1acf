/*
 * vmm: the virtio 1.x PCI transport (modern only) of one device.
 * SPDX-License-Identifier: MIT
 *
 * Configuration space: a type 0 header, BAR 0 (32-bit memory,
 * VPCI_BAR_SIZE bytes), INTA, and the capability list at 0x40: common,
 * notify, ISR, device and PCI-configuration-access capabilities (4.1.4).
 * Everything the driver writes is checked against the registers' widths;
 * an access of the wrong width is refused so that the caller can log it.
 */
#include <errno.h>
#include <string.h>

#include "virtio_pci.h"

#define CAP_COMMON	0x40
#define CAP_NOTIFY	0x50
#define CAP_ISR		0x64
#define CAP_DEVICE	0x74
#define CAP_PCI_CFG	0x84
#define PCI_CFG_DATA	(CAP_PCI_CFG + 16)
#define NO_VECTOR	0xffff

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
getn(const uint8_t *d, unsigned size)
{
	uint64_t v = 0;

	memcpy(&v, d, size);
	return v;
}

static void
cap(struct vpci *v, unsigned at, unsigned next, unsigned len, unsigned type,
    uint32_t offset, uint32_t length)
{
	uint8_t *c = v->cfg + at;

	c[0] = 0x09;		/* vendor-specific */
	c[1] = (uint8_t)next;
	c[2] = (uint8_t)len;
	c[3] = (uint8_t)type;
	c[4] = 0;		/* BAR 0 */
	put32(c + 8, offset);
	put32(c + 12, length);
}

void
vpci_init(struct vpci *v, unsigned device_id, uint32_t class,
    uint64_t features, unsigned nqueues, uint16_t queue_max,
    unsigned devcfg_len, uint8_t irq, uint32_t bar_addr,
    const struct vpci_ops *ops, void *ctx)
{
	unsigned i;

	memset(v, 0, sizeof(*v));
	v->dev_features = features | 1ull << VIRTIO_F_VERSION_1;
	v->nqueues = nqueues < VPCI_MAX_QUEUES ? nqueues : VPCI_MAX_QUEUES;
	v->queue_max = queue_max;
	v->devcfg_len = devcfg_len < VPCI_DEVCFG_MAX ? devcfg_len :
	    VPCI_DEVCFG_MAX;
	v->ops = ops;
	v->ctx = ctx;
	for (i = 0; i < v->nqueues; i++)
		v->q[i].size = queue_max;
	put16(v->cfg + 0x00, VIRTIO_PCI_VENDOR);
	put16(v->cfg + 0x02, (uint16_t)(VIRTIO_PCI_DEVICE_BASE + device_id));
	put16(v->cfg + 0x06, 0x0010);		/* capabilities list */
	v->cfg[0x08] = 1;			/* revision: modern only */
	v->cfg[0x09] = (uint8_t)class;
	v->cfg[0x0a] = (uint8_t)(class >> 8);
	v->cfg[0x0b] = (uint8_t)(class >> 16);
	put16(v->cfg + 0x2c, VIRTIO_PCI_VENDOR);
	put16(v->cfg + 0x2e, 0x1100);
	v->cfg[0x34] = CAP_COMMON;
	v->cfg[0x3c] = irq;
	v->cfg[0x3d] = 1;			/* INTA */
	v->bar0 = bar_addr & ~(VPCI_BAR_SIZE - 1);
	cap(v, CAP_COMMON, CAP_NOTIFY, 16, VIRTIO_PCI_CAP_COMMON_CFG,
	    VPCI_COMMON_OFF, VPCI_COMMON_LEN);
	cap(v, CAP_NOTIFY, CAP_ISR, 20, VIRTIO_PCI_CAP_NOTIFY_CFG,
	    VPCI_NOTIFY_OFF, VPCI_NOTIFY_LEN);
	put32(v->cfg + CAP_NOTIFY + 16, 0);	/* notify_off_multiplier */
	cap(v, CAP_ISR, CAP_DEVICE, 16, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF,
	    1);
	cap(v, CAP_DEVICE, CAP_PCI_CFG, 16, VIRTIO_PCI_CAP_DEVICE_CFG,
	    VPCI_DEVCFG_OFF, v->devcfg_len);
	cap(v, CAP_PCI_CFG, 0, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
	v->wmask[0x04] = PCI_CMD_MEM | PCI_CMD_MASTER;
	v->wmask[0x05] = PCI_CMD_INTX_DISABLE >> 8;
	v->wmask[0x0c] = 0xff;			/* cache line size */
	v->wmask[0x0d] = 0xff;			/* latency timer */
	v->wmask[0x3c] = 0xff;			/* interrupt line */
	v->wmask[CAP_PCI_CFG + 4] = 0xff;	/* bar */
	memset(v->wmask + CAP_PCI_CFG + 8, 0xff, 8);	/* offset, length */
	memset(v->wmask + PCI_CFG_DATA, 0xff, 4);
}

static uint16_t
command(const struct vpci *v)
{
	return (uint16_t)(v->cfg[0x04] | v->cfg[0x05] << 8);
}

bool
vpci_bar(const struct vpci *v, uint64_t *base)
{
	if (!(command(v) & PCI_CMD_MEM) || v->bar0 == 0 ||
	    v->bar0 == (uint32_t)-VPCI_BAR_SIZE)
		return false;
	*base = v->bar0;
	return true;
}

void
vpci_interrupt(struct vpci *v, uint8_t isr_bits)
{
	v->isr |= isr_bits;
	if (!(command(v) & PCI_CMD_INTX_DISABLE))
		v->ops->interrupt(v->ctx);
}

bool
vpci_irq_pending(const struct vpci *v)
{
	return v->isr != 0 && !(command(v) & PCI_CMD_INTX_DISABLE);
}

void
vpci_needs_reset(struct vpci *v)
{
	if (v->status & VIRTIO_S_NEEDS_RESET)
		return;
	v->status |= VIRTIO_S_NEEDS_RESET;
	if (v->status & VIRTIO_S_DRIVER_OK)
		vpci_interrupt(v, VPCI_ISR_CONFIG);
}

static void
reset(struct vpci *v)
{
	unsigned i;

	v->status = 0;
	v->drv_features = 0;
	v->dev_select = v->drv_select = 0;
	v->queue_select = 0;
	v->isr = 0;
	for (i = 0; i < v->nqueues; i++) {
		memset(&v->q[i], 0, sizeof(v->q[i]));
		v->q[i].size = v->queue_max;
	}
	v->ops->reset(v->ctx);
}

static void
set_status(struct vpci *v, uint8_t val)
{
	uint8_t old = v->status, s;

	if (val == 0) {
		reset(v);
		return;
	}
	/* Bits are only ever added; NEEDS_RESET belongs to the device. */
	s = (uint8_t)((old | val) & ~VIRTIO_S_NEEDS_RESET);
	if ((s & VIRTIO_S_FEATURES_OK) && !(old & VIRTIO_S_FEATURES_OK) &&
	    ((v->drv_features & ~v->dev_features) != 0 ||
	    !vpci_has(v, VIRTIO_F_VERSION_1)))
		s &= (uint8_t)~VIRTIO_S_FEATURES_OK;	/* refused */
	if ((s & VIRTIO_S_DRIVER_OK) && !(s & VIRTIO_S_FEATURES_OK))
		s &= (uint8_t)~VIRTIO_S_DRIVER_OK;
	v->status = (uint8_t)(s | (old & VIRTIO_S_NEEDS_RESET));
	if ((s & VIRTIO_S_DRIVER_OK) && !(old & VIRTIO_S_DRIVER_OK))
		v->ops->driver_ok(v->ctx);
}

/* The common configuration as the driver reads it. */
static void
common_image(const struct vpci *v, uint8_t *img)
{
	const struct vpci_queue *q = v->queue_select < v->nqueues ?
	    &v->q[v->queue_select] : NULL;

	memset(img, 0, VPCI_COMMON_LEN);
	put32(img + 0x00, v->dev_select);
	put32(img + 0x04, v->dev_select < 2 ?
	    (uint32_t)(v->dev_features >> (32 * v->dev_select)) : 0);
	put32(img + 0x08, v->drv_select);
	put32(img + 0x0c, v->drv_select < 2 ?
	    (uint32_t)(v->drv_features >> (32 * v->drv_select)) : 0);
	put16(img + 0x10, NO_VECTOR);
	put16(img + 0x12, (uint16_t)v->nqueues);
	img[0x14] = v->status;
	img[0x15] = 0;				/* config_generation */
	put16(img + 0x16, v->queue_select);
	put16(img + 0x1a, NO_VECTOR);
	if (q == NULL)
		return;
	put16(img + 0x18, q->size);
	put16(img + 0x1c, q->enabled);
	put16(img + 0x1e, 0);			/* queue_notify_off */
	memcpy(img + 0x20, &q->desc, 8);
	memcpy(img + 0x28, &q->driver, 8);
	memcpy(img + 0x30, &q->device, 8);
}

/* A write to one of the 64-bit ring addresses, whole or a half. */
static bool
ring_addr(struct vpci_queue *q, unsigned off, unsigned size, uint64_t val)
{
	uint64_t *a = off < 0x28 ? &q->desc : off < 0x30 ? &q->driver :
	    &q->device;
	unsigned half = off & 7;

	if (size == 8 && half == 0)
		*a = val;
	else if (size == 4 && half == 0)
		*a = (*a & ~0xffffffffull) | val;
	else if (size == 4 && half == 4)
		*a = (*a & 0xffffffffull) | val << 32;
	else
		return false;
	return true;
}

static bool
common_write(struct vpci *v, unsigned off, unsigned size, uint64_t val)
{
	struct vpci_queue *q = v->queue_select < v->nqueues ?
	    &v->q[v->queue_select] : NULL;
	unsigned word;

	switch (off | size << 8) {
	case 0x00 | 4 << 8:
		v->dev_select = (uint32_t)val;
		return true;
	case 0x08 | 4 << 8:
		v->drv_select = (uint32_t)val;
		return true;
	case 0x0c | 4 << 8:
		word = v->drv_select;
		if (word < 2 && !(v->status & VIRTIO_S_FEATURES_OK))
			v->drv_features = (v->drv_features &
			    ~(0xffffffffull << (32 * word))) |
			    val << (32 * word);
		return true;
	case 0x10 | 2 << 8:
	case 0x1a | 2 << 8:
		return true;		/* no MSI-X: stays NO_VECTOR */
	case 0x14 | 1 << 8:
		set_status(v, (uint8_t)val);
		return true;
	case 0x16 | 2 << 8:
		v->queue_select = (uint16_t)val;
		return true;
	case 0x18 | 2 << 8:
		if (q != NULL && !q->enabled)
			q->size = (uint16_t)val;
		return q != NULL;
	case 0x1c | 2 << 8:
		if (q == NULL || val != 1)
			return false;
		if (q->enabled)
			return true;
		if (v->ops->queue_enable(v->ctx, v->queue_select) < 0)
			vpci_needs_reset(v);
		else
			q->enabled = true;
		return true;
	}
	if (off >= 0x20 && off < VPCI_COMMON_LEN && q != NULL) {
		if (q->enabled)
			return true;	/* fixed while enabled */
		return ring_addr(q, off, size, val);
	}
	return false;
}

bool
vpci_bar_access(struct vpci *v, unsigned off, unsigned size, bool write,
    uint8_t *d)
{
	uint8_t img[VPCI_COMMON_LEN];

	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	if (!write)
		memset(d, 0, size);
	if (off < VPCI_COMMON_LEN && size <= VPCI_COMMON_LEN - off) {
		if (write)
			return common_write(v, off, size, getn(d, size));
		common_image(v, img);
		memcpy(d, img + off, size);
		return true;
	}
	if (off == VPCI_ISR_OFF && size == 1 && !write) {
		d[0] = v->isr;
		v->isr = 0;	/* reading acknowledges */
		return true;
	}
	if (off >= VPCI_DEVCFG_OFF && off - VPCI_DEVCFG_OFF < v->devcfg_len &&
	    size <= v->devcfg_len - (off - VPCI_DEVCFG_OFF) && !write) {
		v->ops->cfg_read(v->ctx, off - VPCI_DEVCFG_OFF, size, d);
		return true;
	}
	if (off == VPCI_NOTIFY_OFF && size == 2 && write) {
		uint16_t qi = (uint16_t)getn(d, 2);

		if (qi >= v->nqueues || !v->q[qi].enabled)
			return false;
		if (v->status & VIRTIO_S_DRIVER_OK)
			v->ops->notify(v->ctx, qi);
		return true;
	}
	return false;
}

/* VIRTIO_PCI_CAP_PCI_CFG: a BAR access through configuration space. */
static void
pci_cfg_window(struct vpci *v, bool write)
{
	uint8_t *c = v->cfg + CAP_PCI_CFG;
	uint32_t off = get32(c + 8), len = get32(c + 12);

	if (c[4] != 0 || (len != 1 && len != 2 && len != 4) ||
	    off >= VPCI_BAR_SIZE)
		return;
	if (!vpci_bar_access(v, off, len, write, c + 16) && !write)
		memset(c + 16, 0, 4);
}

bool
vpci_cfg_access(struct vpci *v, unsigned off, unsigned size, bool write,
    uint8_t *d)
{
	uint16_t old_cmd = command(v);
	uint32_t bar;
	unsigned i;

	if ((size != 1 && size != 2 && size != 4) || off >= 256 ||
	    (off & 3) + size > 4) {
		if (!write)
			memset(d, 0xff, size);
		return false;
	}
	if (off >= 0x10 && off < 0x14) {
		bar = v->bar0;
		if (write) {
			memcpy((uint8_t *)&bar + (off - 0x10), d, size);
			v->bar0 = bar & ~(VPCI_BAR_SIZE - 1);
			v->ops->bar_changed(v->ctx);
		} else {
			memcpy(d, (uint8_t *)&bar + (off - 0x10), size);
		}
		return true;
	}
	if (!write) {
		if (off >= PCI_CFG_DATA && off < PCI_CFG_DATA + 4)
			pci_cfg_window(v, false);
		memcpy(d, v->cfg + off, size);
		if (off <= 0x06 && off + size > 0x06 && v->isr != 0)
			d[0x06 - off] |= 0x08;	/* interrupt status */
		return true;
	}
	for (i = 0; i < size; i++)
		v->cfg[off + i] = (uint8_t)((v->cfg[off + i] &
		    ~v->wmask[off + i]) | (d[i] & v->wmask[off + i]));
	if (off >= PCI_CFG_DATA && off < PCI_CFG_DATA + 4)
		pci_cfg_window(v, true);
	if ((old_cmd ^ command(v)) & PCI_CMD_MEM)
		v->ops->bar_changed(v->ctx);
	if ((old_cmd & PCI_CMD_INTX_DISABLE) &&
	    !(command(v) & PCI_CMD_INTX_DISABLE) && v->isr != 0)
		v->ops->interrupt(v->ctx);
	return true;
}
