/*
 * vmm: the configuration bytes of CMOS RAM that a PC BIOS reads (the RTC
 * registers are in io.c): memory sizes and, as QEMU keeps it for SeaBIOS,
 * the number of CPUs.
 * SPDX-License-Identifier: MIT
 */
#include "vmm.h"

#define KiB	1024ull
#define MiB	(1024 * KiB)

static uint8_t
byte(uint64_t v, unsigned i, uint64_t max)
{
	return (uint8_t)((v < max ? v : max) >> (8 * i));
}

uint8_t
cmos_ram(const struct vm *vm, uint8_t index)
{
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	uint64_t ext = low > MiB ? (low - MiB) / KiB : 0;	/* KiB above 1M */
	uint64_t ext16 = low > 16 * MiB ? (low - 16 * MiB) >> 16 : 0;
	uint64_t high = (vm->ram_size - low) >> 16;	/* 64 KiB above 4G */

	switch (index) {
	case 0x15: return byte(640, 0, 640);	/* base memory, KiB */
	case 0x16: return byte(640, 1, 640);
	case 0x17: case 0x30: return byte(ext, 0, 0xfc00);
	case 0x18: case 0x31: return byte(ext, 1, 0xfc00);
	case 0x34: return byte(ext16, 0, 0xffff);	/* 64 KiB above 16M */
	case 0x35: return byte(ext16, 1, 0xffff);
	case 0x5b: return byte(high, 0, 0xffffff);
	case 0x5c: return byte(high, 1, 0xffffff);
	case 0x5d: return byte(high, 2, 0xffffff);
	case 0x5f: return (uint8_t)(vm->nvcpus - 1);	/* CPUs but one */
	default: return 0;
	}
}
