/*
 * vmm: ACPI tables (RSDP, RSDT, XSDT, FADT, FACS, DSDT, MADT) in the BIOS
 * area, so that guests find every vCPU, the interrupt controllers and the
 * way to power off.
 * SPDX-License-Identifier: MIT
 *
 * Layouts are those of the ACPI 6.0 specification (5.2.5 RSDP, 5.2.9 FADT,
 * 5.2.12 MADT). The fixed hardware is at the ports of vmm.h: PM1a event and
 * control blocks and the PM timer (io.c); the DSDT holds only \_S5, whose
 * SLP_TYP 5 together with SLP_EN in PM1a_CNT powers the machine off. The
 * RSDP is at 0xe0000, where a BIOS-era guest searches for it; Linux also
 * gets its address in the zero page.
 */
#include <errno.h>
#include <string.h>

#include "vmm.h"

#define OEM_ID		"CAIRN "
#define OEM_TABLE	"CAIRNVMM"

#define MADT_PCAT_COMPAT	1u
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_PWR_BUTTON		(1u << 4)
#define FADT_SLP_BUTTON		(1u << 5)
#define FADT_TMR_VAL_EXT	(1u << 8)
#define FADT_RESET_REG_SUP	(1u << 10)
#define BOOT_ARCH_LEGACY	(1u << 0)
#define BOOT_ARCH_NO_VGA	(1u << 2)

/* \_S5: Name (_S5_, Package (4) { 5, 5, 0, 0 }) */
static const uint8_t dsdt_aml[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
	0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
};

struct cursor {
	uint8_t *base;		/* host address of ACPI_GPA */
	uint32_t off;		/* next free byte */
};

static void
le(uint8_t *p, uint64_t v, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t
checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* Reserve len bytes at align; returns the host pointer, *gpa its address. */
static uint8_t *
alloc(struct cursor *c, uint32_t len, uint32_t align, uint32_t *gpa)
{
	uint8_t *p;

	c->off = (c->off + align - 1) & ~(align - 1);
	p = c->base + c->off;
	*gpa = (uint32_t)ACPI_GPA + c->off;
	c->off += len;
	return p;
}

static void
header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE, 8);
	le(t + 24, 1, 4);
	memcpy(t + 28, "CAIR", 4);
	le(t + 32, 1, 4);
}

static void
finish(uint8_t *t)
{
	uint32_t len = (uint32_t)(t[4] | t[5] << 8 | t[6] << 16 |
	    (uint32_t)t[7] << 24);

	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure in system I/O space. */
static void
gas_io(uint8_t *g, uint16_t port, uint8_t bits, uint8_t access)
{
	g[0] = 1;
	g[1] = bits;
	g[2] = 0;
	g[3] = access;
	le(g + 4, port, 8);
}

static uint32_t
madt(struct vm *vm, struct cursor *c)
{
	uint32_t len = 44 + vm->nvcpus * 8 + 12 + 2 * 10 + 6, gpa, o = 44;
	uint8_t *t = alloc(c, len, 16, &gpa);
	unsigned i;

	header(t, "APIC", len, 4);
	le(t + 36, LAPIC_GPA, 4);
	le(t + 40, MADT_PCAT_COMPAT, 4);
	for (i = 0; i < vm->nvcpus; i++, o += 8) {
		t[o] = 0;		/* processor local APIC */
		t[o + 1] = 8;
		t[o + 2] = (uint8_t)i;	/* ACPI processor UID */
		t[o + 3] = (uint8_t)i;	/* APIC ID */
		le(t + o + 4, 1, 4);	/* enabled */
	}
	t[o] = 1;			/* I/O APIC */
	t[o + 1] = 12;
	t[o + 2] = (uint8_t)vm->nvcpus;	/* its ID follows the vCPUs' */
	le(t + o + 4, IOAPIC_GPA, 4);
	le(t + o + 8, 0, 4);		/* GSI base */
	o += 12;
	/* ISA IRQ 0 (PIT) is GSI 2, as kvm.c routes it. */
	t[o] = 2;
	t[o + 1] = 10;
	t[o + 3] = 0;
	le(t + o + 4, 2, 4);
	o += 10;
	/* The SCI is level-triggered, active high. */
	t[o] = 2;
	t[o + 1] = 10;
	t[o + 3] = IRQ_SCI;
	le(t + o + 4, IRQ_SCI, 4);
	le(t + o + 8, 0x000d, 2);
	o += 10;
	t[o] = 4;			/* local APIC NMI on LINT1, all CPUs */
	t[o + 1] = 6;
	t[o + 2] = 0xff;
	le(t + o + 3, 0, 2);
	t[o + 5] = 1;
	finish(t);
	return gpa;
}

static uint32_t
fadt(struct cursor *c, uint32_t facs, uint32_t dsdt)
{
	uint32_t len = 276, gpa;
	uint8_t *t = alloc(c, len, 16, &gpa);

	header(t, "FACP", len, 6);
	le(t + 36, facs, 4);
	le(t + 40, dsdt, 4);
	le(t + 46, IRQ_SCI, 2);
	le(t + 56, PORT_PM1_EVT, 4);
	le(t + 64, PORT_PM1_CNT, 4);
	le(t + 76, PORT_PM_TMR, 4);
	t[88] = 4;			/* PM1_EVT_LEN */
	t[89] = 2;			/* PM1_CNT_LEN */
	t[91] = 4;			/* PM_TMR_LEN */
	le(t + 96, 101, 2);		/* no C2 */
	le(t + 98, 1001, 2);		/* no C3 */
	le(t + 109, BOOT_ARCH_LEGACY | BOOT_ARCH_NO_VGA, 2);
	le(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
	    FADT_SLP_BUTTON | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP, 4);
	gas_io(t + 116, PORT_RESET, 8, 1);
	t[128] = 0x06;			/* reset value: CPU reset, hard */
	le(t + 132, facs, 8);
	le(t + 140, dsdt, 8);
	gas_io(t + 148, PORT_PM1_EVT, 32, 2);
	gas_io(t + 172, PORT_PM1_CNT, 16, 2);
	gas_io(t + 208, PORT_PM_TMR, 32, 3);
	finish(t);
	return gpa;
}

int
acpi_setup(struct vm *vm)
{
	struct cursor c = { gpa_ptr(vm, ACPI_GPA, ACPI_END - ACPI_GPA), 0 };
	uint32_t rsdp_gpa, facs, dsdt, tables[2], xsdt, rsdt, len;
	uint8_t *rsdp, *t;
	unsigned i;

	if (c.base == NULL)
		return -ENOMEM;
	memset(c.base, 0, ACPI_END - ACPI_GPA);
	rsdp = alloc(&c, 36, 16, &rsdp_gpa);

	t = alloc(&c, 64, 64, &facs);
	memcpy(t, "FACS", 4);
	le(t + 4, 64, 4);
	t[32] = 2;			/* version */

	len = 36 + sizeof(dsdt_aml);
	t = alloc(&c, len, 16, &dsdt);
	header(t, "DSDT", len, 2);
	memcpy(t + 36, dsdt_aml, sizeof(dsdt_aml));
	finish(t);

	tables[0] = fadt(&c, facs, dsdt);
	tables[1] = madt(vm, &c);

	len = 36 + 8 * 2;
	t = alloc(&c, len, 16, &xsdt);
	header(t, "XSDT", len, 1);
	for (i = 0; i < 2; i++)
		le(t + 36 + 8 * i, tables[i], 8);
	finish(t);

	len = 36 + 4 * 2;
	t = alloc(&c, len, 16, &rsdt);
	header(t, "RSDT", len, 1);
	for (i = 0; i < 2; i++)
		le(t + 36 + 4 * i, tables[i], 4);
	finish(t);

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, OEM_ID, 6);
	rsdp[15] = 2;			/* ACPI 2.0+: XSDT present */
	le(rsdp + 16, rsdt, 4);
	le(rsdp + 20, 36, 4);
	le(rsdp + 24, xsdt, 8);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, 36);
	return 0;
}
