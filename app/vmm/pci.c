/*
 * vmm: PCI configuration mechanism #1 (ports 0xcf8, 0xcfc..0xcff) with a
 * host bridge at 00:00.0 and the virtio-blk disks at 00:01.0, 00:02.0...
 * SPDX-License-Identifier: MIT
 *
 * Reads of absent functions return all ones, which is how guests learn
 * that nothing is there. Called with vm->lock held.
 */
#include <string.h>

#include "vmm.h"

#define CONFIG_ENABLE	0x80000000u

/* The host bridge: an i440FX as far as its IDs and class go. */
static uint32_t
host_bridge(unsigned reg)
{
	switch (reg) {
	case 0x00: return 0x12378086;	/* device, vendor */
	case 0x04: return 0x00000000;	/* status, command */
	case 0x08: return 0x06000002;	/* class: host bridge; revision */
	default: return 0;
	}
}

void
pci_config_io(struct vm *vm, uint16_t port, unsigned size, bool write,
    uint8_t *d)
{
	uint32_t addr = vm->pci_addr, v;
	unsigned off = port - 0xcfc;

	if (port < 0xcfc) {
		/* Only a 32-bit access at 0xcf8 is CONFIG_ADDRESS. */
		if (port == 0xcf8 && size == 4) {
			if (write)
				memcpy(&vm->pci_addr, d, 4);
			else
				memcpy(d, &vm->pci_addr, 4);
		} else if (!write) {
			memset(d, 0xff, size);
		}
		return;
	}
	/* bus 0, function 0 of devices 1.. : the disks */
	if ((addr & CONFIG_ENABLE) && (addr & 0x00ff0700) == 0 &&
	    disks_pci_config(vm, (addr >> 11) & 0x1f, (addr & 0xfc) + off,
	    size, write, d))
		return;
	if (write)
		return;		/* the host bridge has nothing writable */
	/* bus 0, device 0, function 0 */
	if ((addr & CONFIG_ENABLE) && (addr & 0x00ffff00) == 0 &&
	    off + size <= 4) {
		v = host_bridge(addr & 0xfc) >> (8 * off);
		memcpy(d, &v, size);
		return;
	}
	memset(d, 0xff, size);
}
