/*
 * Test guests: the little runtime they share (port I/O, serial output,
 * ACPI lookup, local APIC, interrupts, exits).
 * SPDX-License-Identifier: MIT
 *
 * Guests run in long mode on one 8 KiB stack per CPU, interrupts off
 * until they load an IDT. A flat start maps the first and the last 2 MiB
 * (an ELF start the vmm's 4 GiB); guest_paging() maps all of the first
 * 4 GiB. They talk
 * only through COM1 (each line a log line of the vmm) and end through the
 * debug exit port 0xf4, ACPI power-off or a reset.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MAX_CPUS	32
#define AP_TRAMPOLINE	0x8000u		/* SIPI vector 0x08 */
#define LAPIC_BASE	0xfee00000ul
#define IOAPIC_BASE	0xfec00000ul

/* Local APIC registers (offsets). */
#define LAPIC_ID	0x020
#define LAPIC_EOI	0x0b0
#define LAPIC_SVR	0x0f0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER	0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR	0x390
#define LAPIC_TIMER_DIV	0x3e0

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t
inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t
mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void
mmio_write32(uintptr_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline void
cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* An ACPI table header (ACPI 6.0, 5.2.6). */
struct acpi_sdt {
	char sig[4];
	uint32_t len;
	uint8_t rev;
	uint8_t checksum;
	char oem[6];
	char oem_table[8];
	uint32_t oem_rev;
	uint32_t creator;
	uint32_t creator_rev;
} __attribute__((packed));

/* Each guest provides main(); its return value goes to the exit port. */
int main(void);
/* The smp guest provides ap_main(); others get a default that halts. */
void ap_main(unsigned index);

/* lib.c */
void guest_entry(int from_elf);
void ap_entry(unsigned index);
void guest_paging(void);
void serial_init(void);
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprint(const char *fmt, va_list ap);
__attribute__((noreturn)) void guest_exit(unsigned code);
__attribute__((noreturn)) void acpi_power_off(void);
const struct acpi_sdt *acpi_find(const char *sig);
uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t v);
unsigned lapic_id(void);
void ioapic_route(unsigned pin, unsigned vector, unsigned apic_id);
void idt_init(void);
void idt_set(unsigned vector, void (*stub)(void));
void spin_lock(volatile int *l);
void spin_unlock(volatile int *l);
void pit_delay_us(unsigned us);

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* isr.S: interrupt entry stubs, which call irq_handler(vector). */
void isr_default(void);
void isr_32(void);
void isr_48(void);
void irq_handler(unsigned vector);

/* boot.S */
extern const char ap16_start[], ap16_end[];

#endif
