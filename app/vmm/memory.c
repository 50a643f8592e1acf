/*
 * vmm: the guest-physical memory map, e820, and the one place that turns a
 * guest-physical address into a pointer.
 * SPDX-License-Identifier: MIT
 *
 * Map (see vmm.h for the constants):
 *   0 .. 3 GiB             RAM (slot 0); 0x9fc00..0xa0000 and the ACPI
 *                          area 0xe0000..0x100000 are reserved in e820
 *   3 GiB .. 4 GiB         PCI MMIO, IOAPIC, LAPIC, KVM's TSS pages, and a
 *                          flat image's ROM ending at 4 GiB (slot 2)
 *   4 GiB ..               RAM beyond 3 GiB (slot 1)
 * Guest RAM is one dataspace of our own PD: the guest lives within our RAM
 * quota, and the memory cgroup that core keeps at that quota holds it.
 */
#include <errno.h>
#include <string.h>

#include "vmm.h"

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

enum { E820_RAM = 1, E820_RESERVED = 2 };

int
memory_setup(struct vm *vm, uint64_t ram)
{
	uint64_t low = ram < LOW_RAM_END ? ram : LOW_RAM_END;
	int r;

	r = cairn_ram_alloc(vm->env, ram, &vm->ram_ds);
	if (r < 0) {
		cairn_error(vm->env, "guest RAM of %llu bytes: %s",
		    (unsigned long long)ram, strerror(-r));
		return r;
	}
	vm->ram_size = ram;
	r = kvm_memory_region(vm, 0, 0, low, vm->ram_ds.addr, false);
	if (r == 0 && ram > low)
		r = kvm_memory_region(vm, 1, HIGH_RAM_GPA, ram - low,
		    (uint8_t *)vm->ram_ds.addr + low, false);
	return r;
}

/*
 * The host address of guest-physical [gpa, gpa+len), or NULL unless the
 * whole range is guest RAM. Every address a guest hands us goes through
 * here, so no guest can make the vmm touch memory outside its RAM.
 */
void *
gpa_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	uint8_t *base = vm->ram_ds.addr;

	if (len > vm->ram_size)
		return NULL;
	if (gpa < low && len <= low - gpa)
		return base + gpa;
	if (gpa >= HIGH_RAM_GPA && gpa - HIGH_RAM_GPA < vm->ram_size - low &&
	    len <= vm->ram_size - low - (gpa - HIGH_RAM_GPA))
		return base + low + (gpa - HIGH_RAM_GPA);
	return NULL;
}

static unsigned
add(struct e820_entry *t, unsigned n, unsigned max, uint64_t addr,
    uint64_t end, uint32_t type)
{
	if (n < max && end > addr) {
		t[n].addr = addr;
		t[n].size = end - addr;
		t[n].type = type;
		n++;
	}
	return n;
}

/* Fill the e820 table (20-byte entries, as in Linux's zero page). */
unsigned
memory_e820(const struct vm *vm, void *table, unsigned max)
{
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	struct e820_entry t[6];
	unsigned n = 0;

	n = add(t, n, 6, 0, EBDA_GPA, E820_RAM);
	n = add(t, n, 6, EBDA_GPA, 0xa0000, E820_RESERVED);
	n = add(t, n, 6, ACPI_GPA, ACPI_END, E820_RESERVED);
	n = add(t, n, 6, KERNEL_GPA, low, E820_RAM);
	n = add(t, n, 6, HIGH_RAM_GPA, HIGH_RAM_GPA + vm->ram_size - low,
	    E820_RAM);
	if (n > max)
		n = max;
	memcpy(table, t, n * sizeof(t[0]));
	return n;
}

/*
 * The GDT and page tables that the 32- and 64-bit boot paths start with:
 * flat code and data segments, and the first 4 GiB identity-mapped with
 * 2 MiB pages.
 */
void
memory_boot_tables(struct vm *vm)
{
	static const uint64_t gdt[] = {
		0,
		0,
		0x00cf9b000000ffffull,	/* 0x10: code, 32-bit, flat */
		0x00cf93000000ffffull,	/* 0x18: data, flat */
		0x00af9b000000ffffull,	/* 0x20: code, 64-bit */
	};
	uint64_t *pml4 = gpa_ptr(vm, PML4_GPA, 6 * 4096);
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512;
	unsigned i;

	memcpy(gpa_ptr(vm, GDT_GPA, sizeof(gdt)), gdt, sizeof(gdt));
	memset(pml4, 0, 6 * 4096);
	pml4[0] = (PML4_GPA + 0x1000) | 0x03;
	for (i = 0; i < 4; i++)
		pdpt[i] = (PML4_GPA + 0x2000 + i * 0x1000ull) | 0x03;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* present, rw, 2M */
}
