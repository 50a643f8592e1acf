/*
 * hostile: does what a guest should not — touches ports and addresses
 * where nothing is, writes to its ROM, asks for a sleep state that does
 * not exist, floods an unknown port — and ends in a triple fault. The vmm
 * must log it, carry on, and stop cleanly at the end.
 * SPDX-License-Identifier: MIT
 */
#include "guest.h"

static uint8_t junk[4096];

int
main(void)
{
	unsigned i;
	uint32_t v;

	guest_paging();		/* it reaches for 0xd0000000 */
	print("hostile: unknown ports\n");
	(void)inb(0x2f8);
	(void)inl(0x510);
	outw(0x1234, 0xdead);
	print("hostile: rep outsb of 4096 bytes to port 0x3333\n");
	__asm__ volatile("rep outsb" : : "S"(junk), "c"(sizeof(junk)),
	    "d"(0x3333) : "memory");
	print("hostile: MMIO where nothing is\n");
	(void)mmio_read32(0xd0000000ul);
	mmio_write32(0xd0000000ul, 1);
	mmio_write32(0xfed00000ul, 1);
	print("hostile: writing to the ROM\n");
	mmio_write32(0xffff0000ul, 0);
	outl(0xcf8, 0x80000000u | 5u << 11);	/* 00:05.0, absent */
	v = inl(0xcfc);
	print("hostile: absent PCI function reads 0x%x\n", v);
	print("hostile: asking for sleep state S3\n");
	outw(0x604, 3u << 10 | 1u << 13);
	print("hostile: 100000 writes to an unknown port\n");
	for (i = 0; i < 100000; i++)
		outb(0x4444, (uint8_t)i);
	print("hostile: still alive, now a triple fault (ud2 without an IDT)\n");
	{
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) none = { 0, 0 };

		__asm__ volatile("lidt %0; ud2" : : "m"(none));
	}
	print("hostile: survived the triple fault\n");
	return 5;
}
