/*
 * hostile: does what a guest should not — touches ports and addresses
 * where nothing is, writes to its ROM, asks for a sleep state that does
 * not exist, floods an unknown port, hands a virtio-blk disk (when there
 * is one) rings and chains that point outside its RAM, loop, have absurd
 * lengths and indices, and a request past the disk's end — and ends in a
 * triple fault. The vmm must log it, carry on, and stop cleanly at the
 * end.
 * SPDX-License-Identifier: MIT
 */
#include "guest.h"

#define QS		16u
#define BAR		0xd1000000u
#define NOWHERE		0xd0000000ull	/* not RAM */

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static uint8_t junk[4096];
static struct desc vq_desc[QS] __attribute__((aligned(4096)));
static volatile uint16_t vq_avail[3 + QS] __attribute__((aligned(4096)));
static volatile uint32_t vq_used[1 + 2 * QS] __attribute__((aligned(4096)));
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} hdr;
static uint8_t data[512];
static volatile uint8_t status;
static uintptr_t common, notify, devcfg;

static uint32_t
cfg_read(unsigned dev, unsigned reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | reg);
	return inl(0xcfc);
}

/* Find the disk and its registers; false when there is none. */
static bool
find_disk(void)
{
	unsigned dev, p;

	for (dev = 1; dev < 32; dev++)
		if (cfg_read(dev, 0) == 0x10421af4u)
			break;
	if (dev == 32)
		return false;
	outl(0xcf8, 0x80000000u | dev << 11 | 0x10);
	outl(0xcfc, BAR);
	outl(0xcf8, 0x80000000u | dev << 11 | 0x04);
	outl(0xcfc, 0x0006);
	for (p = cfg_read(dev, 0x34) & 0xff; p != 0;
	    p = (cfg_read(dev, p) >> 8) & 0xfc) {
		uint32_t h = cfg_read(dev, p);
		uintptr_t at = BAR + cfg_read(dev, p + 8);

		if ((h >> 24) == 1)
			common = at;
		else if ((h >> 24) == 2)
			notify = at;
		else if ((h >> 24) == 4)
			devcfg = at;
	}
	return common && notify && devcfg;
}

static uint8_t
dev_status(void)
{
	return *(volatile uint8_t *)(common + 0x14);
}

/* Reset, negotiate VERSION_1 only and enable the queue at desc_gpa. */
static void
disk_start(uint64_t desc_gpa)
{
	*(volatile uint8_t *)(common + 0x14) = 0;
	memset(vq_desc, 0, sizeof(vq_desc));
	memset((void *)vq_avail, 0, sizeof(vq_avail));
	memset((void *)vq_used, 0, sizeof(vq_used));
	*(volatile uint8_t *)(common + 0x14) = 3;
	*(volatile uint32_t *)(common + 0x08) = 1;
	*(volatile uint32_t *)(common + 0x0c) = 1;	/* VERSION_1 */
	*(volatile uint8_t *)(common + 0x14) = 3 | 8;
	*(volatile uint16_t *)(common + 0x16) = 0;
	*(volatile uint16_t *)(common + 0x18) = QS;
	*(volatile uint64_t *)(common + 0x20) = desc_gpa;
	*(volatile uint64_t *)(common + 0x28) = (uintptr_t)vq_avail;
	*(volatile uint64_t *)(common + 0x30) = (uintptr_t)vq_used;
	*(volatile uint16_t *)(common + 0x1c) = 1;
	*(volatile uint8_t *)(common + 0x14) = 3 | 8 | 4;
}

/* Offer head 0 (or `head`) with avail index `idx` and wait for the
 * device to answer: NEEDS_RESET (true) or a used entry (false). */
static bool
offer(uint16_t head, uint16_t idx)
{
	unsigned i;

	vq_avail[2] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq_avail[1] = idx;
	*(volatile uint16_t *)notify = 0;
	for (i = 0; i < 20000; i++) {
		if (dev_status() & 0x40)
			return true;
		if (vq_used[0] >> 16 != 0)	/* the used index */
			return false;
		pit_delay_us(500);
	}
	print("hostile: the disk did not answer\n");
	return false;
}

/* A read request of one sector: header, data at (addr, len), status. */
static void
chain(uint64_t addr, uint32_t len)
{
	hdr.type = 0;
	vq_desc[0] = (struct desc){ (uintptr_t)&hdr, 16, 1, 1 };
	vq_desc[1] = (struct desc){ addr, len, 1 | 2, 2 };
	vq_desc[2] = (struct desc){ (uintptr_t)&status, 1, 2, 0 };
}

static void
disk_misdeeds(void)
{
	uint64_t sectors;
	bool reset;

	if (!find_disk()) {
		print("hostile: no disk\n");
		return;
	}
	disk_start((uintptr_t)vq_desc);
	sectors = *(volatile uint64_t *)devcfg;
	print("hostile: disk of %lu sectors, block size %u\n",
	    (unsigned long)sectors, *(volatile uint32_t *)(devcfg + 20));
	chain(NOWHERE, 512);
	print("hostile: buffer outside RAM: needs reset %s\n",
	    offer(0, 1) ? "yes" : "no");
	disk_start((uintptr_t)vq_desc);
	chain((uintptr_t)data, 512);
	vq_desc[1].flags = 1;		/* readable, back to the head */
	vq_desc[1].next = 0;
	print("hostile: descriptor loop: needs reset %s\n",
	    offer(0, 1) ? "yes" : "no");
	disk_start((uintptr_t)vq_desc);
	chain((uintptr_t)data, 0xffffffffu);
	print("hostile: absurd length: needs reset %s\n",
	    offer(0, 1) ? "yes" : "no");
	disk_start((uintptr_t)vq_desc);
	chain(0xfffffffffffff000ull, 0x2000);
	print("hostile: address that wraps: needs reset %s\n",
	    offer(0, 1) ? "yes" : "no");
	disk_start((uintptr_t)vq_desc);
	chain((uintptr_t)data, 512);
	print("hostile: avail index 1000 ahead: needs reset %s\n",
	    offer(0, 1000) ? "yes" : "no");
	disk_start((uintptr_t)vq_desc);
	print("hostile: head beyond the ring: needs reset %s\n",
	    offer(QS + 4, 1) ? "yes" : "no");
	disk_start(NOWHERE);
	print("hostile: rings outside RAM: needs reset %s\n",
	    dev_status() & 0x40 ? "yes" : "no");
	disk_start((uintptr_t)vq_desc);
	chain((uintptr_t)data, 512);
	hdr.sector = sectors;
	status = 0xff;
	reset = offer(0, 1);
	print("hostile: read past the end: needs reset %s, status %u\n",
	    reset ? "yes" : "no", status);
	/* With 4 KiB blocks: one sector out of line fails, a block does not. */
	disk_start((uintptr_t)vq_desc);
	chain((uintptr_t)data, 512);
	hdr.sector = 1;
	status = 0xff;
	reset = offer(0, 1);
	print("hostile: one sector at sector 1: needs reset %s, status %u\n",
	    reset ? "yes" : "no", status);
	disk_start((uintptr_t)vq_desc);
	chain((uintptr_t)junk, 4096);
	hdr.sector = 8;
	status = 0xff;
	reset = offer(0, 1);
	junk[5] = 0;
	print("hostile: 4 KiB at sector 8: needs reset %s, status %u, "
	    "'%s'\n", reset ? "yes" : "no", status, (const char *)junk);
	*(volatile uint8_t *)(common + 0x14) = 0;
}

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
	disk_misdeeds();
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
