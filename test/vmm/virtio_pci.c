/*
 * Tests of the vmm's virtio PCI transport (app/vmm/virtio_pci.c, linked
 * alone): the capability layout, BAR sizing, feature negotiation, the
 * queue registers, ISR, notification and the configuration-space window.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include "../test.h"
#include "virtio_pci.h"

T_STATE_DEFINE;

static struct vpci v;
static unsigned resets, driver_oks, enables, notifies, irqs, bar_changes;
static int enable_result;

static void op_reset(void *c) { (void)c; resets++; }
static void op_driver_ok(void *c) { (void)c; driver_oks++; }
static int op_enable(void *c, unsigned q) { (void)c; (void)q; enables++;
	return enable_result; }
static void op_notify(void *c, unsigned q) { (void)c; (void)q; notifies++; }
static void op_irq(void *c) { (void)c; irqs++; }
static void op_bar(void *c) { (void)c; bar_changes++; }

static void
op_cfg(void *c, unsigned off, unsigned size, uint8_t *d)
{
	unsigned i;

	(void)c;
	for (i = 0; i < size; i++)
		d[i] = (uint8_t)(0x40 + off + i);
}

static const struct vpci_ops ops = {
	op_reset, op_driver_ok, op_enable, op_notify, op_cfg, op_irq, op_bar,
};

static void
setup(void)
{
	resets = driver_oks = enables = notifies = irqs = bar_changes = 0;
	enable_result = 0;
	vpci_init(&v, 2, 0x018000, 1ull << 9 | 1ull << 28, 1, 256, 36, 10,
	    0xc0004000u, &ops, NULL);
}

static uint32_t
cfg(unsigned off, unsigned size)
{
	uint32_t x = 0;

	(void)vpci_cfg_access(&v, off, size, false, (uint8_t *)&x);
	return x;
}

static bool
cfg_w(unsigned off, unsigned size, uint32_t x)
{
	return vpci_cfg_access(&v, off, size, true, (uint8_t *)&x);
}

static uint64_t
bar(unsigned off, unsigned size)
{
	uint64_t x = 0;

	(void)vpci_bar_access(&v, off, size, false, (uint8_t *)&x);
	return x;
}

static bool
bar_w(unsigned off, unsigned size, uint64_t x)
{
	return vpci_bar_access(&v, off, size, true, (uint8_t *)&x);
}

static void
t_header(void)
{
	setup();
	T_CHECK(cfg(0x00, 4) == 0x10421af4);
	T_CHECK(cfg(0x06, 2) & 0x10);		/* capabilities list */
	T_CHECK(cfg(0x08, 1) >= 1);		/* modern-only revision */
	T_CHECK(cfg(0x08, 4) >> 16 == 0x0180);	/* class, subclass */
	T_CHECK(cfg(0x2c, 2) == 0x1af4);
	T_CHECK(cfg(0x2e, 2) >= 0x40);
	T_CHECK(cfg(0x3c, 1) == 10 && cfg(0x3d, 1) == 1);
	T_CHECK(cfg(0x14, 4) == 0 && cfg(0x24, 4) == 0);	/* BARs 1..5 */
	T_CHECK(!vpci_cfg_access(&v, 0x03, 2, false, (uint8_t[4]){0}));
	T_CHECK(!vpci_cfg_access(&v, 0x100, 1, false, (uint8_t[4]){0}));
}

/* Walk the capability list: each virtio type once, inside BAR 0. */
static void
t_caps(void)
{
	unsigned p, n = 0, seen = 0, type, len;
	unsigned end[6] = { 0 }, start[6] = { 0 };
	uint32_t off, length;

	setup();
	for (p = cfg(0x34, 1); p != 0; p = cfg(p + 1, 1)) {
		T_CHECK(p >= 0x40 && p <= 0xf0 && p % 4 == 0);
		T_CHECK(++n <= 8);
		T_CHECK(cfg(p, 1) == 0x09);
		type = cfg(p + 3, 1);
		len = cfg(p + 2, 1);
		T_CHECKF(type >= 1 && type <= 5 && !(seen & 1u << type),
		    "type %u", type);
		seen |= 1u << type;
		T_CHECK(len >= 16);
		T_CHECK(cfg(p + 4, 1) == 0);	/* BAR 0 */
		off = cfg(p + 8, 4);
		length = cfg(p + 12, 4);
		if (type == 2) {
			T_CHECK(len >= 20);
			T_CHECK(cfg(p + 16, 4) == 0);	/* one register */
			T_CHECK(length >= 2 && off % 2 == 0);
		}
		if (type == 5) {
			T_CHECK(len >= 20);
			continue;
		}
		T_CHECK(length > 0 && off % 4 == 0);
		T_CHECK(off < VPCI_BAR_SIZE && length <= VPCI_BAR_SIZE - off);
		start[type] = off;
		end[type] = off + length;
	}
	T_CHECK(seen == 0x3e);
	T_CHECK(end[1] - start[1] >= 0x38);	/* common cfg */
	T_CHECK(end[3] - start[3] >= 1);	/* ISR */
	T_CHECK(end[4] - start[4] == 36);	/* device cfg */
	for (type = 1; type <= 4; type++)
		for (p = type + 1; p <= 4; p++)
			T_CHECKF(end[type] <= start[p] || end[p] <= start[type],
			    "regions %u and %u overlap", type, p);
}

static void
t_bar(void)
{
	uint64_t base;

	setup();
	T_CHECK(cfg(0x10, 4) == 0xc0004000u);
	T_CHECK(!vpci_bar(&v, &base));		/* decoding off */
	T_CHECK(cfg_w(0x10, 4, 0xffffffffu));
	T_CHECK(cfg(0x10, 4) == (uint32_t)-VPCI_BAR_SIZE);
	T_CHECK(cfg_w(0x10, 4, 0xd0001234u));
	T_CHECK(cfg(0x10, 4) == 0xd0000000u);
	T_CHECK(bar_changes == 2);
	T_CHECK(cfg_w(0x04, 2, 0xffff));
	T_CHECK(cfg(0x04, 2) == 0x0406);	/* MEM, MASTER, INTX_DISABLE */
	T_CHECK(bar_changes == 3);
	T_CHECK(vpci_bar(&v, &base) && base == 0xd0000000u);
	T_CHECK(cfg_w(0x00, 4, 0));		/* read-only */
	T_CHECK(cfg(0x00, 4) == 0x10421af4);
}

static void
t_features(void)
{
	setup();
	T_CHECK(bar_w(0x00, 4, 0));
	T_CHECK(bar(0x04, 4) == (1u << 9 | 1u << 28));
	T_CHECK(bar_w(0x00, 4, 1));
	T_CHECK(bar(0x04, 4) == 1);		/* VERSION_1 */
	T_CHECK(bar_w(0x00, 4, 7));
	T_CHECK(bar(0x04, 4) == 0);
	/* without VERSION_1 */
	T_CHECK(bar_w(0x14, 1, 3));
	T_CHECK(bar_w(0x08, 4, 0) && bar_w(0x0c, 4, 1u << 9));
	T_CHECK(bar_w(0x14, 1, 3 | 8));
	T_CHECK(bar(0x14, 1) == 3);
	/* a feature not offered */
	T_CHECK(bar_w(0x08, 4, 1) && bar_w(0x0c, 4, 1 | 2));
	T_CHECK(bar_w(0x14, 1, 3 | 8));
	T_CHECK(bar(0x14, 1) == 3);
	/* DRIVER_OK before FEATURES_OK does not count */
	T_CHECK(bar_w(0x14, 1, 3 | 4));
	T_CHECK(driver_oks == 0 && !(bar(0x14, 1) & 4));
	T_CHECK(bar_w(0x0c, 4, 1));
	T_CHECK(bar_w(0x14, 1, 3 | 8));
	T_CHECK(bar(0x14, 1) == 11);
	T_CHECK(vpci_has(&v, 32) && vpci_has(&v, 9) && !vpci_has(&v, 28));
	/* fixed after FEATURES_OK */
	T_CHECK(bar_w(0x08, 4, 0) && bar_w(0x0c, 4, 1u << 28));
	T_CHECK(!vpci_has(&v, 28));
	T_CHECK(bar_w(0x14, 1, 15));
	T_CHECK(driver_oks == 1 && bar(0x14, 1) == 15);
	/* reset */
	T_CHECK(bar_w(0x14, 1, 0));
	T_CHECK(resets == 1 && bar(0x14, 1) == 0 && !vpci_has(&v, 32));
	/* wrong widths */
	T_CHECK(!bar_w(0x14, 2, 0));
	T_CHECK(!bar_w(0x0c, 2, 1));
}

static void
t_queue(void)
{
	setup();
	T_CHECK(bar(0x12, 2) == 1);		/* num_queues */
	T_CHECK(bar(0x18, 2) == 256);
	T_CHECK(bar(0x10, 2) == 0xffff && bar(0x1a, 2) == 0xffff);
	T_CHECK(bar_w(0x18, 2, 64));
	T_CHECK(bar_w(0x20, 4, 0x1000) && bar_w(0x24, 4, 1));
	T_CHECK(bar_w(0x28, 8, 0x2000));
	T_CHECK(bar_w(0x30, 4, 0x3000));
	T_CHECK(!bar_w(0x22, 2, 0));
	T_CHECK(bar(0x20, 8) == 0x100001000ull && bar(0x28, 8) == 0x2000);
	T_CHECK(v.q[0].size == 64 && v.q[0].device == 0x3000);
	T_CHECK(!bar_w(0x1c, 2, 0));		/* only 1 enables */
	T_CHECK(bar_w(0x1c, 2, 1));
	T_CHECK(enables == 1 && bar(0x1c, 2) == 1);
	T_CHECK(bar_w(0x18, 2, 128) && bar(0x18, 2) == 64);	/* fixed */
	T_CHECK(bar_w(0x20, 8, 0) && bar(0x20, 8) == 0x100001000ull);
	/* a queue that does not exist */
	T_CHECK(bar_w(0x16, 2, 3));
	T_CHECK(bar(0x18, 2) == 0);
	T_CHECK(!bar_w(0x18, 2, 8));
	/* an enable the device refuses: NEEDS_RESET */
	setup();
	enable_result = -EINVAL;
	T_CHECK(bar_w(0x1c, 2, 1));
	T_CHECK(bar(0x1c, 2) == 0 && (bar(0x14, 1) & 64));
}

static void
t_isr_notify(void)
{
	setup();
	vpci_interrupt(&v, VPCI_ISR_QUEUE);
	T_CHECK(irqs == 1 && vpci_irq_pending(&v));
	T_CHECK(cfg(0x06, 1) & 0x08);		/* interrupt status */
	T_CHECK(bar(VPCI_ISR_OFF, 1) == 1);
	T_CHECK(bar(VPCI_ISR_OFF, 1) == 0 && !vpci_irq_pending(&v));
	T_CHECK(cfg_w(0x04, 2, 0x0400));	/* INTx off */
	vpci_interrupt(&v, VPCI_ISR_QUEUE);
	T_CHECK(irqs == 1 && !vpci_irq_pending(&v));
	T_CHECK(cfg_w(0x04, 2, 0));		/* on again: raised */
	T_CHECK(irqs == 2);
	/* notifications count only for an enabled queue after DRIVER_OK */
	T_CHECK(!bar_w(VPCI_NOTIFY_OFF, 2, 0));
	T_CHECK(bar_w(0x1c, 2, 1));
	T_CHECK(bar_w(VPCI_NOTIFY_OFF, 2, 0) && notifies == 0);
	T_CHECK(bar_w(0x0c, 4, 0) && bar_w(0x08, 4, 1) && bar_w(0x0c, 4, 1));
	T_CHECK(bar_w(0x14, 1, 15) && bar(0x14, 1) == 15);
	T_CHECK(bar_w(VPCI_NOTIFY_OFF, 2, 0) && notifies == 1);
	T_CHECK(!bar_w(VPCI_NOTIFY_OFF, 4, 0) && notifies == 1);
	T_CHECK(!bar_w(VPCI_NOTIFY_OFF, 2, 1));
	/* NEEDS_RESET after DRIVER_OK: a configuration interrupt */
	T_CHECK(bar(VPCI_ISR_OFF, 1) == VPCI_ISR_QUEUE);	/* from above */
	vpci_needs_reset(&v);
	T_CHECK(bar(0x14, 1) == (15 | 64) && irqs == 3);
	T_CHECK(bar(VPCI_ISR_OFF, 1) == VPCI_ISR_CONFIG);
	T_CHECK(bar_w(0x14, 1, 15) && (bar(0x14, 1) & 64));	/* sticky */
}

static void
t_devcfg(void)
{
	setup();
	T_CHECK(bar(VPCI_DEVCFG_OFF + 20, 4) == 0x57565554u);
	T_CHECK(bar(VPCI_DEVCFG_OFF + 32, 4) == 0x63626160u);
	T_CHECK(!vpci_bar_access(&v, VPCI_DEVCFG_OFF + 34, 4, false,
	    (uint8_t[8]){0}));
	T_CHECK(!bar_w(VPCI_DEVCFG_OFF, 4, 0));
	T_CHECK(!vpci_bar_access(&v, 0x800, 4, false, (uint8_t[8]){0}));
	T_CHECK(!vpci_bar_access(&v, 0, 3, false, (uint8_t[8]){0}));
}

static void
t_window(void)
{
	unsigned p;

	setup();
	for (p = cfg(0x34, 1); p != 0 && cfg(p + 3, 1) != 5; p = cfg(p + 1, 1))
		;
	T_CHECK(p != 0);
	T_CHECK(cfg_w(p + 4, 1, 0));
	T_CHECK(cfg_w(p + 8, 4, 0x18));		/* queue_size */
	T_CHECK(cfg_w(p + 12, 4, 2));
	T_CHECK((cfg(p + 16, 4) & 0xffff) == 256);
	T_CHECK(cfg_w(p + 16, 4, 32));
	T_CHECK(v.q[0].size == 32);
	T_CHECK(cfg_w(p + 8, 4, VPCI_DEVCFG_OFF));
	T_CHECK(cfg_w(p + 12, 4, 1));
	T_CHECK((cfg(p + 16, 4) & 0xff) == 0x40);
	T_CHECK(cfg_w(p + 8, 4, 0x18));
	T_CHECK(cfg_w(p + 4, 1, 2));		/* another BAR: no access */
	T_CHECK(cfg_w(p + 16, 4, 8));
	T_CHECK(v.q[0].size == 32);
}

int
main(void)
{
	T_RUN("vpci-001", "configuration header of a modern virtio-blk",
	    t_header);
	T_RUN("vpci-002", "capability list: every virtio structure once, "
	    "inside BAR 0, no overlap", t_caps);
	T_RUN("vpci-003", "BAR 0 sizing, moving, memory decoding", t_bar);
	T_RUN("vpci-004", "feature negotiation and status", t_features);
	T_RUN("vpci-005", "queue registers", t_queue);
	T_RUN("vpci-006", "ISR, INTx disable, notification, NEEDS_RESET",
	    t_isr_notify);
	T_RUN("vpci-007", "device configuration reads", t_devcfg);
	T_RUN("vpci-008", "PCI configuration access window", t_window);
	return t_done();
}
