/*
 * timer: interrupts from the PIT (through the IOAPIC, ISA IRQ 0 on GSI 2
 * as the MADT says) and from the local APIC timer, then a reset through
 * the FADT's reset register.
 * SPDX-License-Identifier: MIT
 */
#include "guest.h"

#define VEC_PIT		32
#define VEC_LAPIC	48
#define TICKS		10
#define PIT_HZ		1193182u

static volatile unsigned pit_ticks, lapic_ticks;

void
irq_handler(unsigned vector)
{
	if (vector == VEC_PIT) {
		pit_ticks++;
	} else if (vector == VEC_LAPIC) {
		lapic_ticks++;
	} else {
		print("timer: unexpected interrupt %u\n", vector);
		guest_exit(3);
	}
	lapic_write(LAPIC_EOI, 0);
}

static unsigned
pit_gsi(void)
{
	const struct acpi_sdt *madt = acpi_find("APIC");
	const uint8_t *p, *end;

	if (madt == NULL)
		return 0;
	end = (const uint8_t *)madt + madt->len;
	for (p = (const uint8_t *)madt + 44; p + 2 <= end && p[1] >= 2;
	    p += p[1])
		if (p[0] == 2 && p[3] == 0)	/* override of ISA IRQ 0 */
			return *(const uint32_t *)(p + 4);
	return 0;
}

int
main(void)
{
	unsigned gsi = pit_gsi(), count = PIT_HZ / 100;
	uint64_t t0, t1;

	idt_init();
	idt_set(VEC_PIT, isr_32);
	idt_set(VEC_LAPIC, isr_48);
	outb(0x21, 0xff);		/* both PICs masked */
	outb(0xa1, 0xff);
	lapic_write(LAPIC_SVR, 0x1ff);
	ioapic_route(gsi, VEC_PIT, lapic_id());
	outb(0x43, 0x34);		/* channel 0, lo/hi, rate generator */
	outb(0x40, (uint8_t)count);
	outb(0x40, (uint8_t)(count >> 8));
	t0 = rdtsc();
	__asm__ volatile("sti");
	while (pit_ticks < TICKS)
		__asm__ volatile("hlt");
	__asm__ volatile("cli");
	t1 = rdtsc();
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * gsi);
	mmio_write32(IOAPIC_BASE + 0x10, 1u << 16);	/* masked */
	print("timer: %u PIT interrupts at 100 Hz on GSI %u\n", TICKS, gsi);

	lapic_write(LAPIC_TIMER_DIV, 0x3);		/* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, VEC_LAPIC | 1u << 17);	/* periodic */
	lapic_write(LAPIC_TIMER_INIT, 100000);
	__asm__ volatile("sti");
	while (lapic_ticks < TICKS)
		__asm__ volatile("hlt");
	__asm__ volatile("cli");
	lapic_write(LAPIC_LVT_TIMER, 1u << 16);		/* masked */
	print("timer: %u local APIC timer interrupts\n", TICKS);
	print("timer: 10 PIT periods took %lu TSC cycles\n",
	    (unsigned long)(t1 - t0));
	print("timer: resetting\n");
	outb(0xcf9, 0x06);
	print("timer: still running after the reset\n");
	return 4;
}
