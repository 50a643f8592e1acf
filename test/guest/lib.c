/*
 * Test guests: the shared runtime (see guest.h).
 * SPDX-License-Identifier: MIT
 */
#include "guest.h"

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4

extern uint64_t boot_pml4[512], boot_pdpt[512], boot_pd[2048];
extern uint64_t ap_cr3;

struct idt_gate {
	uint16_t off0;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint16_t off1;
	uint32_t off2;
	uint32_t zero;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

void *
memcpy(void *d, const void *s, size_t n)
{
	uint8_t *dp = d;
	const uint8_t *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *
memset(void *d, int c, size_t n)
{
	uint8_t *dp = d;

	while (n--)
		*dp++ = (uint8_t)c;
	return d;
}

int
memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/*
 * Map the first 4 GiB identity, with 1 GiB pages where the CPU has them
 * (on software KVM backends the 2048 stores of 2 MiB pages take tens of
 * milliseconds). The tables are filled while no CPU uses them (under
 * shadow paging every store to a live page table traps) and then loaded;
 * the APs start on them.
 */
void
guest_paging(void)
{
	uint32_t a = 0x80000001, b, c = 0, d;
	uint64_t cr3 = (uint64_t)(uintptr_t)boot_pml4;
	unsigned i;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	for (i = 0; i < 4; i++)
		boot_pdpt[i] = d & (1u << 26) ? (uint64_t)i << 30 | 0x83 :
		    ((uint64_t)(uintptr_t)&boot_pd[512 * i] | 3);
	if (!(d & (1u << 26)))
		for (i = 0; i < 2048; i++)
			boot_pd[i] = (uint64_t)i << 21 | 0x83;
	boot_pml4[0] = (uint64_t)(uintptr_t)boot_pdpt | 3;
	ap_cr3 = cr3;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

void
serial_init(void)
{
	outb(COM1 + 1, 0x00);		/* no interrupts */
	outb(COM1 + 3, 0x80);		/* DLAB */
	outb(COM1 + 0, 0x01);		/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 2, 0xc7);		/* FIFOs on and cleared */
	outb(COM1 + 4, 0x03);		/* DTR, RTS */
}

static void
putch(char c)
{
	unsigned i;

	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

static void
putnum(unsigned long long v, unsigned base, int width, char pad)
{
	char buf[24];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (width-- > n)
		putch(pad);
	while (n)
		putch(buf[--n]);
}

void
vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		int lng = 0, width = 0;
		char pad = ' ';
		unsigned long long u;
		long long s;
		const char *str;

		if (*fmt != '%') {
			putch(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
			s = lng ? va_arg(ap, long) : va_arg(ap, int);
			if (s < 0) {
				putch('-');
				s = -s;
			}
			putnum((unsigned long long)s, 10, width, pad);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, unsigned long) :
			    va_arg(ap, unsigned);
			putnum(u, *fmt == 'u' ? 10 : 16, width, pad);
			break;
		case 'p':
			putnum((uintptr_t)va_arg(ap, void *), 16, 0, ' ');
			break;
		case 'c':
			putch((char)va_arg(ap, int));
			break;
		case 's':
			for (str = va_arg(ap, const char *); *str; str++)
				putch(*str);
			break;
		default:
			putch('%');
			putch(*fmt);
			break;
		}
	}
}

void
print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void
guest_exit(unsigned code)
{
	outl(DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static bool
sum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *b++);
	return s == 0;
}

static const uint8_t *
rsdp(void)
{
	uintptr_t a;

	for (a = 0xe0000; a < 0x100000; a += 16)
		if (memcmp((const void *)a, "RSD PTR ", 8) == 0 &&
		    sum_ok((const void *)a, 20))
			return (const uint8_t *)a;
	return NULL;
}

const struct acpi_sdt *
acpi_find(const char *sig)
{
	const uint8_t *r = rsdp();
	const struct acpi_sdt *root;
	unsigned i, n, w;

	if (r == NULL)
		return NULL;
	if (r[15] >= 2) {
		root = (const void *)(uintptr_t)*(const uint64_t *)(r + 24);
		w = 8;
	} else {
		root = (const void *)(uintptr_t)*(const uint32_t *)(r + 16);
		w = 4;
	}
	if (!sum_ok(root, root->len))
		return NULL;
	n = (root->len - sizeof(*root)) / w;
	for (i = 0; i < n; i++) {
		const uint8_t *e = (const uint8_t *)(root + 1) + i * w;
		uint64_t a = w == 8 ? *(const uint64_t *)e : *(const uint32_t *)e;
		const struct acpi_sdt *t = (const void *)(uintptr_t)a;

		if (memcmp(t->sig, sig, 4) == 0 && sum_ok(t, t->len))
			return t;
	}
	return NULL;
}

/*
 * ACPI power-off: SLP_TYPa of \_S5 from the DSDT (found the way small
 * kernels do, by its name and the package that follows), with SLP_EN,
 * into PM1a_CNT.
 */
void
acpi_power_off(void)
{
	const struct acpi_sdt *fadt = acpi_find("FACP");
	const uint8_t *f = (const void *)fadt, *d, *p;
	const struct acpi_sdt *dsdt;
	unsigned typ = 0;
	bool found = false;
	uint16_t port;

	if (fadt == NULL) {
		print("no FADT: cannot power off\n");
		guest_exit(90);
	}
	port = (uint16_t)*(const uint32_t *)(f + 64);
	dsdt = (const void *)(uintptr_t)*(const uint32_t *)(f + 40);
	d = (const uint8_t *)dsdt;
	for (p = d + sizeof(*dsdt); p + 8 < d + dsdt->len; p++)
		if (memcmp(p, "_S5_", 4) == 0 && p[4] == 0x12) {
			const uint8_t *e = p + 7;	/* 1-byte PkgLength */

			typ = *e == 0x0a ? e[1] : *e == 0x01 ? 1 : 0;
			found = true;
			break;
		}
	if (!found) {
		print("no \\_S5 in the DSDT: cannot power off\n");
		guest_exit(91);
	}
	outw(port, (uint16_t)(typ << 10 | 1u << 13));
	print("still running after the power-off request\n");
	guest_exit(92);
}

uint32_t
lapic_read(unsigned reg)
{
	return mmio_read32(LAPIC_BASE + reg);
}

void
lapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(LAPIC_BASE + reg, v);
}

unsigned
lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void
ioapic_route(unsigned pin, unsigned vector, unsigned apic_id)
{
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin + 1);
	mmio_write32(IOAPIC_BASE + 0x10, apic_id << 24);
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin);
	mmio_write32(IOAPIC_BASE + 0x10, vector);	/* edge, high, fixed */
}

void
idt_set(unsigned vector, void (*stub)(void))
{
	uintptr_t a = (uintptr_t)stub;
	struct idt_gate *g = &idt[vector];

	g->off0 = (uint16_t)a;
	g->sel = 0x18;
	g->ist = 0;
	g->type = 0x8e;			/* present, interrupt gate */
	g->off1 = (uint16_t)(a >> 16);
	g->off2 = (uint32_t)(a >> 32);
	g->zero = 0;
}

void
idt_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) desc = { sizeof(idt) - 1,
	    (uint64_t)(uintptr_t)idt };
	unsigned i;

	for (i = 0; i < 256; i++)
		idt_set(i, isr_default);
	__asm__ volatile("lidt %0" : : "m"(desc));
}

void
spin_lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
}

void
spin_unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* Busy-wait on PIT channel 2 (its output is bit 5 of port 0x61). */
void
pit_delay_us(unsigned us)
{
	while (us > 0) {
		unsigned chunk = us > 50000 ? 50000 : us;
		unsigned count = chunk * 1193u / 1000u + 1, i;

		outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
		outb(0x43, 0xb0);		/* channel 2, lo/hi, mode 0 */
		outb(0x42, (uint8_t)count);
		outb(0x42, (uint8_t)(count >> 8));
		for (i = 0; i < 100000000u && !(inb(0x61) & 0x20); i++)
			cpu_relax();
		us -= chunk;
	}
}

__attribute__((weak)) void
ap_main(unsigned index)
{
	(void)index;
}

__attribute__((weak)) void
irq_handler(unsigned vector)
{
	print("unexpected interrupt %u\n", vector);
	guest_exit(93);
}

void
ap_entry(unsigned index)
{
	ap_main(index);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void
guest_entry(int from_elf)
{
	(void)from_elf;
	__asm__ volatile("mov %%cr3, %0" : "=r"(ap_cr3));
	serial_init();
	guest_exit((unsigned)main());
}
